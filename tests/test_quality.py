"""The data quality gates, one per rule (DECISIONLOG.md, 2026-12-01): Great Expectations
(ledgerlens.quality, orchestration.checks) for soft rules and customer_sheet's values,
real GX validations on real DuckDB files and in real Dagster runs; and, for the rules
GX no longer repeats, proof that the gate that keeps them (the loader, dbt tests)
catches the same faults."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from orchestration.checks import _result
from orchestration.resources import Warehouse

from ledgerlens import quality
from ledgerlens.contract import TABLES
from ledgerlens.load import load_table
from ledgerlens.quality import (
    MART_SUITES,
    RAW_SUITES,
    Validator,
    mart_suites,
    raw_suite,
    raw_suites,
)
from tests.conftest import node_results, query, run_dbt, run_pipeline

RETENTION = Path(__file__).parent / "data" / "retention"


@pytest.fixture
def corrupted(handmade_run, tmp_path) -> Path:
    """The hand-made warehouse with rows the loader would never let in, written
    straight into raw, and marts changed after dbt built them."""
    _, warehouse = handmade_run
    # Named as the run's file: dbt by hand (run_dbt) then reads the project's parse.
    copy = tmp_path / "corrupted" / "ledgerlens.duckdb"
    copy.parent.mkdir()
    shutil.copyfile(warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        # an invoice repeated under its own key, for a customer that does not exist
        con.execute(
            "insert into raw.invoices select * replace ('ZZZ' as customer_id)"
            " from raw.invoices where business_id = 'acme' and invoice_id = 'I1'"
        )
        # a payment smaller than what was allocated against it (a soft rule)
        con.execute(
            "update raw.payments set amount = 1 where business_id = 'acme' and payment_id = 'P1'"
        )
        # a score no rule can give, and a customer without a segment
        con.execute(
            "update marts.customer_sheet set r_score = 7"
            " where business_id = 'acme' and customer_id = 'C1'"
        )
        con.execute(
            "update marts.customer_sheet set segment = null"
            " where business_id = 'acme' and customer_id = 'C2'"
        )
        # a negative balance no over-applied invoice explains (acme has none)
        con.execute(
            "update marts.customer_sheet set open_balance = -5, overdue_balance = -5"
            " where business_id = 'acme' and customer_id = 'C3'"
        )
        # one customer too many in a segment: the counts no longer add up to the sheet
        con.execute(
            "update marts.segment_summary set customers = customers + 1"
            " where business_id = 'acme' and segment = (select min(segment)"
            " from marts.segment_summary where business_id = 'acme')"
        )
    return copy


def test_every_suite_passes_on_a_clean_load(handmade_run, tmp_path):
    _, warehouse = handmade_run
    validator = Validator(tmp_path)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        suites = {**raw_suites(con), **mart_suites()}
        results = {name: validator.validate(con, suite) for name, suite in suites.items()}
    assert {name: result.summary() for name, result in results.items() if not result.success} == {}
    # Tables with a date column, and allocations (against their payments), have soft
    # rules; businesses and invoice_lines have none, so no suite and no check.
    assert set(RAW_SUITES) == {
        "customers",
        "invoices",
        "payments",
        "payment_allocations",
        "credit_notes",
        "customer_costs",
    }
    assert set(MART_SUITES) == {"customer_sheet"}
    assert set(results) == set(RAW_SUITES) | set(MART_SUITES)
    for table in TABLES:
        rules = raw_suite(table).rules
        assert bool(rules) == (table.name in RAW_SUITES)
        # The contract's hard rules are the loader's: on raw tables GX only warns.
        assert {rule.severity for rule in rules} <= {"warning"}
    assert results["invoices"].rows == 8


def test_suites_find_soft_rules_and_mart_errors_across_arrow_batches(
    corrupted, monkeypatch, tmp_path
):
    # Two rows per Arrow batch: the counts are added up over batches.
    monkeypatch.setattr(quality, "BATCH_ROWS", 2)
    validator = Validator(tmp_path)
    with duckdb.connect(str(corrupted), read_only=True) as con:
        suites = {**raw_suites(con), **mart_suites()}
        allocations = validator.validate(con, suites["payment_allocations"])
        payments = validator.validate(con, suites["payments"])
        invoices = validator.validate(con, suites["invoices"])
        sheet = validator.validate(con, suites["customer_sheet"])

    # P1 (now 1.00) has 972.00 allocated: a warning on its one allocation, no error.
    assert (allocations.rows, allocations.batches) == (4, 2)
    assert allocations.summary() == {
        "warning: expect_column_pair_values_a_to_be_greater_than_b"
        "(_payment_amount, _payment_allocated)": {
            "unexpected": 1,
            "checked": 4,
            "examples": ["(np.float64(1.0), np.float64(972.0))"],
            "why": "allocations do not exceed their payment",
        }
    }
    assert not allocations.has_errors and payments.success
    # The repeated key and the unknown customer are dbt's to catch (the test below).
    assert invoices.success and invoices.rows == 9

    # acme C1's r_score of 7 and C3's open balance of -5.00 (overdue -5.00: within open),
    # among the sheet's 4 customers (acme C1-C3, euro C1).
    assert (sheet.rows, sheet.batches) == (4, 2)
    assert sheet.summary() == {
        "error: expect_column_values_to_be_between(r_score)": {
            "unexpected": 1,
            "checked": 4,
            "examples": ["7"],
            "why": "scores are 1-5",
        },
        "error: expect_column_values_to_be_between(unpaid_balance)": {
            "unexpected": 1,
            "checked": 4,
            "examples": ["-5.0"],
            "why": "no negative open balance on unpaid invoices",
        },
    }

    # As Dagster check results: an error blocks (ERROR), a soft rule warns.
    assert _result(sheet, None).severity == dg.AssetCheckSeverity.ERROR
    assert _result(allocations, None).severity == dg.AssetCheckSeverity.WARN
    assert not _result(allocations, None).passed


def test_dbt_tests_catch_the_keys_references_and_identities_gx_no_longer_checks(
    corrupted, tmp_path
):
    """The same corrupted warehouse through the dbt tests that keep these rules."""
    selected = {
        # raw.invoices: I1 twice, once for customer ZZZ, who does not exist
        "source_unique_combination_of_columns_raw_invoices_business_id__invoice_id",
        "source_relationships_multi_raw_invoices_business_id__customer_id"
        "__source_raw_customers___business_id__customer_id",
        # segment_summary counts one customer more than customer_sheet holds
        "assert_segment_summary_adds_up_to_customer_sheet",
        # C2 has no segment, and (below) acme's three customers no TTM sales
        "not_null_customer_sheet",
        # and one that must still pass: every raw invoice's business exists
        "source_relationships_multi_raw_invoices_business_id__source_raw_businesses___business_id",
    }
    with duckdb.connect(str(corrupted)) as con:
        con.execute("update marts.customer_sheet set ttm_sales = null where business_id = 'acme'")
    target = tmp_path / "target"
    run = run_dbt(
        corrupted,
        target,
        "test",
        "--store-failures",
        "--select",
        *sorted(selected),
        must_pass=False,
    )
    results = node_results(target)
    status = {result["unique_id"].split(".")[2]: result["status"] for result in results}
    assert set(status) == selected, run.stdout[-3000:]
    assert {name for name, value in status.items() if value == "fail"} == selected - {
        "source_relationships_multi_raw_invoices_business_id__source_raw_businesses___business_id"
    }
    assert run.returncode != 0
    # One not-null test for the sheet's required columns names each column with nulls
    # and how many rows: segment on C2, ttm_sales on acme's C1-C3.
    failures = "select column_name, null_rows from dbt_test__audit.not_null_customer_sheet"
    assert sorted(query(corrupted, failures)) == [("segment", 1), ("ttm_sales", 3)]


def test_the_loader_quarantines_the_row_level_faults_gx_no_longer_checks(handmade_copy, tmp_path):
    """Row-level contract rules are the loader's: a negative quantity never reaches raw."""
    with (handmade_copy / "invoice_lines.csv").open("a") as lines:
        lines.write("acme,I1,7,CONS,Consulting hours,-3,100.00,0,300.00,60.00\n")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        for table in ("businesses", "customers", "invoices", "invoice_lines"):
            result = load_table(con, table, handmade_copy)
        quarantined = con.execute(
            "select rule, column_name, quantity from quarantine.invoice_lines"
            " where invoice_id = 'I1'"
        ).fetchall()
        loaded = con.execute(
            "select count(*) from raw.invoice_lines where quantity < 0"
        ).fetchone()[0]
    assert quarantined == [("below_minimum", "quantity", "-3")]
    assert loaded == 0 and result.quarantined_by_rule["below_minimum"] == 1


def test_a_soft_rule_warns_in_a_real_run_and_the_run_still_publishes(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(RETENTION, data)
    with (data / "payments.csv").open("a") as payments:
        payments.write("north,P1,B,2025-12-01,USD,1,100.00\n")
    with (data / "payment_allocations.csv").open("a") as allocations:
        allocations.write("north,P1,N5,600.00\n")  # 600 of a 100 payment
    warehouse = tmp_path / "ledgerlens.duckdb"
    summary = run_pipeline(data, warehouse)
    assert summary.success, summary.failures
    assert summary.checks_warned == ["raw.payment_allocations: great_expectations"]
    # One line for the person reading the summary: the table, what broke, where to look.
    (problem,) = summary.problems
    assert problem.startswith("warning: raw.payment_allocations: Great Expectations: 1 rows break")
    assert "Data Docs" in problem
    assert warehouse.exists()
    docs = (
        warehouse.parent
        / "ledgerlens.duckdb.files"
        / "gx"
        / "uncommitted"
        / "data_docs"
        / "local_site"
    )
    assert (docs / "index.html").exists()
    # The Data Docs hold a validation result for the suite that warned.
    assert any("payment_allocations" in path.name for path in docs.rglob("*.html"))


def test_a_blocking_failure_publishes_nothing(tmp_path):
    """What a failed contract suite does to a run: the assets after it are not built
    and the warehouse is left as it was (the build goes to <warehouse>.files/failed/)."""
    warehouse = tmp_path / "ledgerlens.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table before as select 1 as x")

    @dg.asset
    def loaded(warehouse: Warehouse) -> None:
        with warehouse.connect() as con:
            con.execute("create table after as select 2 as x")

    @dg.asset_check(asset=loaded, blocking=True)
    def contract(warehouse: Warehouse) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR)

    @dg.asset(deps=[loaded])
    def downstream() -> None:
        raise AssertionError("must not run after a blocking failure")

    result = dg.materialize(
        [loaded, downstream, contract],
        resources={"warehouse": Warehouse(path=str(warehouse))},
        raise_on_error=False,
    )
    assert not result.success or not result.get_asset_check_evaluations()[0].passed
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = {
            row[0]
            for row in con.execute("select table_name from information_schema.tables").fetchall()
        }
    assert tables == {"before"}
    assert (tmp_path / "ledgerlens.duckdb.files" / "failed" / "ledgerlens.duckdb").exists()


class KnownGXDuckDBBug(Exception):
    """GX's SQL data source on DuckDB: 'list index out of range' in resolve_metric_bundle."""


@pytest.mark.xfail(
    strict=True,
    raises=KnownGXDuckDBBug,
    reason="GX 1.24's SQL data source over duckdb-engine fails every expectation"
    " ('list index out of range' in resolve_metric_bundle; GX issues #10738, #11579)."
    " When this passes, a GX release fixed it: validate DuckDB through SQL instead.",
)
def test_gx_sql_data_source_on_duckdb(tmp_path):
    import great_expectations as gx

    database = tmp_path / "small.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create table numbers as select range as n from range(10)")
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql("duckdb", connection_string=f"duckdb:///{database}")
    batch = (
        source.add_table_asset("numbers", table_name="numbers")
        .add_batch_definition_whole_table("all")
        .get_batch()
    )
    result = batch.validate(gx.expectations.ExpectColumnValuesToBeBetween(column="n", min_value=0))
    messages = [
        str(info.get("exception_message"))
        for info in (result.exception_info or {}).values()
        if isinstance(info, dict)
    ]
    if "list index out of range" in messages:
        raise KnownGXDuckDBBug(messages)
    # Any other failure is a new problem, not the known bug: a real test failure.
    assert result.success, messages


def _invoices_warehouse(path: Path) -> Path:
    """Ten invoices in file order (only the columns the suite reads), dated 2025-03-01 to
    2025-03-09 and due 30 days later, but for three planted faults after the first rows:
    row 8 due a week before its date, row 9 due 9999-12-31 (a date the loader accepts),
    row 10 dated 1985."""
    rows = [
        ("2025-03-01", "2025-03-31"),
        ("2025-03-02", "2025-04-01"),
        ("2025-03-03", "2025-04-02"),
        ("2025-03-04", "2025-04-03"),
        ("2025-03-05", "2025-04-04"),
        ("2025-03-06", "2025-04-05"),
        ("2025-03-07", "2025-04-06"),
        ("2025-03-08", "2025-03-01"),  # due before its date
        ("2025-03-09", "9999-12-31"),  # due more than a year after the latest invoice
        ("1985-06-30", "1985-07-30"),  # both dates before 1990
    ]
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute("create table raw.invoices (invoice_date date, due_date date)")
        con.executemany("insert into raw.invoices values (?, ?)", rows)
    return path


@pytest.mark.parametrize(("batch_rows", "batches"), [(1, 10), (3, 4), (7, 2), (500_000, 1)])
def test_a_fault_in_a_later_batch_counts_whatever_the_batch_size(
    batch_rows, batches, tmp_path, monkeypatch
):
    """The planted rows sit in the last batches (rows 8-10; with 3 rows a batch, batches 3
    and 4): every batch size finds the same rows, and the Arrow stream makes no copy."""
    monkeypatch.setattr(quality, "BATCH_ROWS", batch_rows)
    warehouse = _invoices_warehouse(tmp_path / "w.duckdb")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        suite = raw_suites(con)["invoices"]
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message="Arrow output on a DB-API result")
            result = Validator(tmp_path / "gx").validate(con, suite)
    assert (result.rows, result.batches) == (10, batches)
    # Latest invoice 2025-03-09: dates from 1990-01-01 to 2026-03-10 (366 days later).
    assert result.summary() == {
        "warning: expect_column_values_to_be_between(invoice_date)": {
            "unexpected": 1,  # row 10
            "checked": 10,
            "examples": ["1985-06-30 00:00:00+00:00"],
            "why": "a date between 1990 and a year after the latest invoice",
        },
        "warning: expect_column_values_to_be_between(due_date)": {
            "unexpected": 2,  # rows 9 and 10
            "checked": 10,
            "examples": ["9999-12-31 00:00:00+00:00", "1985-07-30 00:00:00+00:00"],
            "why": "a date between 1990 and a year after the latest invoice",
        },
        "warning: expect_column_pair_values_a_to_be_greater_than_b(due_date, invoice_date)": {
            "unexpected": 1,  # row 8
            "checked": 10,
            "examples": [
                "(np.datetime64('2025-03-01T00:00:00.000000'),"
                " np.datetime64('2025-03-08T00:00:00.000000'))"
            ],
            "why": "due on or after the invoice date",
        },
    }


def test_allocations_are_added_up_across_batches(tmp_path, monkeypatch):
    """P1 (100.00) has 60.00 allocated in the first row and 60.00 in the last: 120.00
    against 100.00, flagged on both allocations although no batch holds both."""
    monkeypatch.setattr(quality, "BATCH_ROWS", 2)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("create schema raw")
        con.execute(
            "create table raw.payments (business_id varchar, payment_id varchar,"
            " amount decimal(18, 2))"
        )
        con.execute("insert into raw.payments values ('b', 'P1', 100.00), ('b', 'P2', 50.00)")
        con.execute(
            "create table raw.payment_allocations (business_id varchar, payment_id varchar,"
            " amount_applied decimal(18, 2))"
        )
        con.execute(
            "insert into raw.payment_allocations values ('b', 'P1', 60.00),"
            " ('b', 'P2', 20.00), ('b', 'P2', 30.00), ('b', 'P1', 60.00)"
        )
        result = Validator(tmp_path / "gx").validate(con, raw_suites(con)["payment_allocations"])
    assert (result.rows, result.batches) == (4, 2)
    # P2: 20.00 + 30.00 = 50.00, within its 50.00; P1: 60.00 + 60.00 = 120.00 > 100.00.
    (outcome,) = result.failed
    assert (outcome.unexpected, outcome.checked) == (2, 4)
    assert outcome.examples == ["(np.float64(100.0), np.float64(120.0))"] * 2


def test_an_expectation_that_raises_fails_every_row_with_its_message(tmp_path):
    """GX catches an exception raised while it computes a metric and reports it under the
    metric's id: the outcome must still fail, on every row, with the message."""
    E = quality._gx().expectations
    suite = quality.Suite(
        "text_as_dates",
        "select 'not a date' as name from range(3)",
        (
            quality.Rule(
                E.ExpectColumnValuesToBeBetween(
                    column="name", min_value=quality.EARLIEST_SANE_DATE
                ),
                "warning",
                "a date after 1990",
            ),
        ),
    )
    with duckdb.connect() as con:
        result = Validator(tmp_path / "gx").validate(con, suite)
    (outcome,) = result.failed
    assert (outcome.unexpected, outcome.checked) == (3, 3)
    assert "same type" in outcome.examples[0]
