"""Great Expectations gates (ledgerlens.quality, orchestration.checks): real GX
validations on real DuckDB files, and the checks in real Dagster runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from orchestration.checks import _result
from orchestration.resources import Warehouse
from orchestration.run import run_pipeline

from ledgerlens.contract import TABLES
from ledgerlens.quality import Validator, mart_suites, raw_suites

RETENTION = Path(__file__).parent / "data" / "retention"


@pytest.fixture
def corrupted(handmade_run, tmp_path) -> Path:
    """The hand-made warehouse with rows the loader would never let in, written
    straight into raw: what the GX suites are the second line of defence against."""
    _, warehouse = handmade_run
    copy = tmp_path / "corrupted.duckdb"
    shutil.copyfile(warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        # two lines with a negative quantity (and fresh line numbers, so keys stay unique)
        con.execute(
            "insert into raw.invoice_lines select * replace (line_number + 100 as line_number,"
            " -3 as quantity) from raw.invoice_lines order by invoice_id limit 2"
        )
        # an invoice repeated under its own key, for a customer that does not exist
        con.execute(
            "insert into raw.invoices select * replace ('ZZZ' as customer_id)"
            " from raw.invoices where business_id = 'acme' and invoice_id = 'I1'"
        )
        # a payment smaller than what was allocated against it (a soft rule)
        con.execute(
            "update raw.payments set amount = 1 where business_id = 'acme' and payment_id = 'P1'"
        )
    return copy


def test_every_raw_suite_passes_on_a_clean_load(handmade_run):
    _, warehouse = handmade_run
    validator = Validator()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        suites = {**raw_suites(con), **mart_suites()}
        results = {name: validator.validate(con, suite) for name, suite in suites.items()}
    assert {name: result.summary() for name, result in results.items() if not result.success} == {}
    assert set(results) == {table.name for table in TABLES} | {"customer_sheet", "segment_summary"}
    assert results["invoices"].rows == 8
    # The contract gives every raw table a not-null, a unique-key and (where it has
    # parents) a reference expectation.
    for table in TABLES:
        kinds = {outcome.expectation for outcome in results[table.name].outcomes}
        assert "expect_column_values_to_not_be_null" in kinds
        assert "expect_column_values_to_be_between" in kinds  # the key count
        if table.references:
            assert "expect_column_values_to_be_in_set" in kinds


def test_suites_find_rows_the_loader_would_have_refused_across_arrow_batches(corrupted):
    validator = Validator()
    with duckdb.connect(str(corrupted), read_only=True) as con:
        suites = raw_suites(con)
        # Two rows per Arrow batch: the counts are added up over batches.
        lines = validator.validate(con, suites["invoice_lines"], batch_rows=2)
        invoices = validator.validate(con, suites["invoices"], batch_rows=2)
        allocations = validator.validate(con, suites["payment_allocations"], batch_rows=2)
        payments = validator.validate(con, suites["payments"], batch_rows=2)

    assert (lines.rows, lines.batches) == (11, 6)
    assert lines.summary() == {
        "error: expect_column_values_to_be_between(quantity)": {
            "unexpected": 2,
            "checked": 11,
            "examples": ["-3.0", "-3.0"],
            "why": "range",
        }
    }
    assert lines.has_errors

    failed = invoices.summary()
    # I1 now appears twice (both rows break the key), once for a customer not loaded.
    assert failed["error: expect_column_values_to_be_between(_rows_with_key)"]["unexpected"] == 2
    assert failed["error: expect_column_values_to_be_in_set(_has_customers)"]["unexpected"] == 1
    assert set(failed) == {
        "error: expect_column_values_to_be_between(_rows_with_key)",
        "error: expect_column_values_to_be_in_set(_has_customers)",
    }

    # P1 (now 1.00) has 972.00 allocated: a warning on its one allocation, no error.
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

    # As Dagster check results: contract breaks block (ERROR), soft rules warn.
    assert _result(lines, None).severity == dg.AssetCheckSeverity.ERROR
    assert _result(allocations, None).severity == dg.AssetCheckSeverity.WARN
    assert not _result(allocations, None).passed


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
