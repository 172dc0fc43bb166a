"""Incremental nights equal a full refresh (DECISIONLOG.md "Nightly runs that do only the
new work").

Three businesses, five nights on the same warehouse: night 0 builds everything; night 1
acme adds a day of documents (an invoice and a payment dated the day after its latest
sale); night 2 euro voids an invoice of the month before its latest sale; night 3 acme
allocates a new payment to its March invoice; night 4 changes nothing. north (a copy of
acme's books) never changes.
Then a full refresh of the final files into a second warehouse, and every intermediate and
mart table of both is compared row for row (EXCEPT ALL both ways, so duplicates count): the
comparison is independent of the models, which computed both sides.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ledgerlens.contract import load_order
from ledgerlens.incremental import project_fingerprint, project_parts
from ledgerlens.safe_run import side_files
from tests.conftest import HANDMADE, ROOT, run_dbt, run_pipeline, shared_demo_run

pytestmark = pytest.mark.slow

# Tables every night rebuilds for every business: the quarantine's report and the
# portfolio's ranks among all businesses (dbt_project.yml).
ALWAYS_FULL = {"data_quality_report", "portfolio_overview"}
# Also rebuilt for every business on a night whose Python models score every business
# (a business with no model of its own is scored by one pooled over all: the hand-made
# books' are too small for their own): the tables the models write and the marts on them.
FULL_TABLES = ALWAYS_FULL | {
    "invoice_risk_scores",
    "customer_clv_scores",
    "clv_model_fits",
    "customer_value_history",
    "clv_model_fit",
    "customer_clv",
    "acquisition_scorecard",
    "cash_forecast",
    "open_invoice_risk",
    "customer_alerts",
    "customer_equity_rollforward",
    "customer_statement",
    "segment_balance_sheet",
    "segment_income_statement",
    "segment_scenarios",
}


def _append(path: Path, lines: str) -> None:
    with path.open("a") as file:
        file.write(lines)


def _night0(folder: Path) -> Path:
    """The hand-made books, north (acme's books under another id) and two more euro
    invoices, so that voiding one leaves euro's latest sale (its as-of date) in place."""
    data = folder / "data"
    shutil.copytree(HANDMADE, data)
    for path in sorted(data.glob("*.csv")):
        header, *rows = path.read_text().splitlines()
        north = [row.replace("acme,", "north,", 1) for row in rows if row.startswith("acme,")]
        path.write_text("\n".join([header, *rows, *north]) + "\n")
    _append(
        data / "invoices.csv",
        "euro,I2,C1,invoice,2024-05-20,2024-06-03,EUR,1,open,238.00,38.00\n"
        "euro,I3,C1,invoice,2024-06-10,2024-06-24,EUR,1,open,119.00,19.00\n",
    )
    _append(
        data / "invoice_lines.csv",
        "euro,I2,1,SUP,Supplies,2,100.00,0,200.00,70.00\n"
        "euro,I3,1,SUP,Supplies,1,100.00,0,100.00,70.00\n",
    )
    return data


def _tables(con: duckdb.DuckDBPyConnection, catalog: str, keyed: bool = False):
    """The intermediate and mart tables of `catalog`; `keyed`: only those with a
    business_id (every model; the seeds in marts have none)."""
    return con.execute(
        "select distinct table_schema, table_name from information_schema.columns"
        " where table_catalog = ? and table_schema in ('intermediate', 'marts')"
        " and (column_name = 'business_id' or not ?) order by 1, 2",
        [catalog, keyed],
    ).fetchall()


# How long a fit took (clv_model_fits, clv_model_fit): differs between any two runs.
TIMINGS = ("fit_seconds",)


def _rows_only_in(con: duckdb.DuckDBPyConnection, table: str, other: str) -> int:
    columns = [row[0] for row in con.execute(f"describe {table}").fetchall()]
    timings = [name for name in TIMINGS if name in columns]
    rows = f"* exclude ({', '.join(timings)})" if timings else "*"
    return con.execute(
        f"select count(*) from (select {rows} from {table} except all select {rows} from {other})"
    ).fetchone()[0]


def _incremental_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        f"{schema}.{table}"
        for schema, table in _tables(con, "ledgerlens", keyed=True)
        if table not in FULL_TABLES
    ]


def _set_north_aside(warehouse: Path) -> dict[str, int]:
    """Move north's rows of every incremental table into schema `aside`: a night that
    recomputed north would put them back."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema aside")
        moved = {}
        for table in _incremental_tables(con):
            aside = "aside." + table.replace(".", "__")
            con.execute(f"create table {aside} as from {table} where business_id = 'north'")
            moved[table] = con.execute(f"select count(*) from {aside}").fetchone()[0]
            con.execute(f"delete from {table} where business_id = 'north'")
    return moved


def _north_rows_back(warehouse: Path) -> dict[str, int]:
    """How many north rows each incremental table holds, then north's rows put back."""
    with duckdb.connect(str(warehouse)) as con:
        held = {}
        for table in _incremental_tables(con):
            held[table] = con.execute(
                f"select count(*) from {table} where business_id = 'north'"
            ).fetchone()[0]
            con.execute(f"insert into {table} from aside.{table.replace('.', '__')}")
        con.execute("drop schema aside cascade")
    return held


def _manifest() -> dict:
    from orchestration.project import prepared_project

    return json.loads(Path(prepared_project().manifest_path).read_text())


def _keeps_unchanged_rows(manifest: dict, unique_id: str, scores_incremental: bool) -> bool:
    """Whether a node's rows of an unchanged business are the same after an incremental
    night, written out from what dbt_project.yml says builds how: the raw tables (their
    fingerprints matched), the staging views on them, and the intermediate and mart models
    but the full tables above; with `scores_incremental` (the Python models rescored the
    changed businesses alone) also their scores and the marts on them."""
    full_tables = ALWAYS_FULL if scores_incremental else FULL_TABLES
    if unique_id in manifest["sources"]:
        source = manifest["sources"][unique_id]["source_name"]
        return source == "raw" or (scores_incremental and source in ("risk", "clv"))
    node = manifest["nodes"][unique_id]
    if node["resource_type"] != "model":
        return False
    if node["schema"] == "staging":
        return all(
            _keeps_unchanged_rows(manifest, p, scores_incremental)
            for p in node["depends_on"]["nodes"]
        )
    return node["schema"] in ("intermediate", "marts") and node["name"] not in full_tables


def _narrowable_tests(manifest: dict, scores_incremental: bool = False) -> set[str]:
    return {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and all(
            _keeps_unchanged_rows(manifest, p, scores_incremental)
            for p in node["depends_on"]["nodes"]
        )
    }


def _tests_reading_only(warehouse: Path, businesses: str) -> set[str]:
    """The data tests whose SQL, as dbt compiled it on the warehouse's last night, reads
    the relations narrowed to `businesses` (the SQL list, e.g. "'acme'")."""
    compiled = side_files(warehouse) / "dbt" / "compiled" / "ledgerlens"
    narrowed = set()
    for node in _manifest()["nodes"].values():
        if node["resource_type"] != "test":
            continue
        (path,) = compiled.rglob(Path(node["path"]).name)
        if f"where business_id in ({businesses}) or business_id is null)" in path.read_text():
            narrowed.add(node["name"])
    return narrowed


# The tie-outs in data-tests/ that an incremental night narrows, each read (with the
# macros it calls) for a verdict on one business from that business's rows alone: every
# join and every sum compared is keyed by business_id (DECISIONLOG.md, 2026-12-05; the
# seven on the marts on the Python models' scores, narrowed when those rescored the
# changed businesses alone, on 2026-12-05 (scores)).
PER_BUSINESS_TIE_OUTS = {
    "assert_acquisition_scorecard_ties_to_costs",
    "assert_customer_alerts_agree_with_segments",
    "assert_customer_equity_rollforward_closes",
    "assert_customer_months_agree_with_statements",
    "assert_open_invoice_risk_scores_every_open_invoice",
    "assert_segment_balance_sheet_balances",
    "assert_segment_income_statement_ties_to_ledgers",
    "assert_ar_aging_ties_to_documents",
    "assert_business_overview_ties_to_documents",
    "assert_cohorts_revenue_ties_to_revenue_retention",
    "assert_customer_profitability_ties_to_documents",
    "assert_customer_sheet_ltv_ties_to_documents",
    "assert_monthly_pulse_ties_to_ledgers",
    "assert_profitability_summary_ties_to_customer_profitability",
    "assert_revenue_movements_tie_to_concentration",
    "assert_revenue_retention_bridge_adds_up",
    "assert_revenue_retention_ties_to_sales_ledger",
    "assert_sales_rep_scorecard_ties_to_sales_ledger",
    "assert_segment_summary_adds_up_to_customer_sheet",
    "assert_weekly_pulse_ties_to_ledgers",
}


def test_a_changed_data_test_makes_a_full_night(tmp_path: Path) -> None:
    """A narrowed test skips the unchanged businesses because they passed the same test
    under the same project: so a data test is part of the project's fingerprint, from
    the folder dbt_project.yml names, and an analysis (which builds nothing) is not."""
    (tmp_path / "dbt_project.yml").write_text('name: p\ntest-paths: ["checks"]\n')
    for name, text in {
        "models/m.sql": "select 1 as a",
        "checks/t.sql": "select * from {{ ref('m') }} where a > 1",
        "analyses/x.sql": "select 2",
    }.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    before = project_fingerprint(tmp_path)
    (tmp_path / "analyses/x.sql").write_text("select 3")
    assert project_fingerprint(tmp_path) == before
    (tmp_path / "checks/t.sql").write_text("select * from {{ ref('m') }} where a > 0")
    after_test = project_fingerprint(tmp_path)
    assert after_test != before
    (tmp_path / "checks/new.sql").write_text("select 1 where false")
    assert project_fingerprint(tmp_path) not in (before, after_test)
    # This project's singular tests are in data-tests/.
    assert "data-tests" in project_parts(ROOT) and "models" in project_parts(ROOT)


def test_the_tests_an_incremental_night_narrows_are_keyed_by_business() -> None:
    """A narrowed test sees one business's rows at a time only if its verdict on a
    business depends on that business's rows alone: every key and relationship it checks
    includes business_id (the tie-outs in data-tests/ join and group by it)."""
    manifest = _manifest()
    # Every test any incremental night narrows: those of a night whose Python models
    # rescored the changed businesses alone include the others.
    narrowable = _narrowable_tests(manifest, scores_incremental=True)
    assert _narrowable_tests(manifest) < narrowable and len(narrowable) > 150
    unkeyed = []
    for node in manifest["nodes"].values():
        if node["name"] not in narrowable or not node.get("test_metadata"):
            continue
        kwargs = node["test_metadata"]["kwargs"]
        columns = (
            kwargs.get("combination_of_columns")
            or kwargs.get("columns")
            or [kwargs.get("column_name")]  # dbt's `unique` on one column
        )
        if node["test_metadata"]["name"] in ("not_null_columns", "accepted_values"):
            continue  # a rule on each row
        if not columns or "business_id" not in columns:
            unkeyed.append(node["name"])
    assert unkeyed == []
    singular = {
        node["name"]
        for node in manifest["nodes"].values()
        if node["name"] in narrowable and not node.get("test_metadata")
    }
    # A new tie-out here must be read first: its joins and sums keyed by business_id.
    assert singular == PER_BUSINESS_TIE_OUTS


def _night(data: Path, warehouse: Path, **options) -> tuple[str, list[str]]:
    summary = run_pipeline(data, warehouse, **options)
    assert summary.success, summary.failures + summary.problems
    with duckdb.connect(str(warehouse), read_only=True) as con:
        mode = con.execute("select value from raw.run_state where key = 'mode'").fetchone()[0]
        changed = [row[0] for row in con.execute("select * from raw.changed_businesses").fetchall()]
    return mode, sorted(changed)


def test_incremental_nights_equal_a_full_refresh(tmp_path: Path) -> None:
    data = _night0(tmp_path)
    nightly = tmp_path / "nightly" / "ledgerlens.duckdb"

    assert _night(data, nightly) == ("full", [])

    # Night 1: acme's day of documents, the day after its latest sale (I7, 2024-07-01).
    _append(
        data / "invoices.csv", "acme,I9,C1,invoice,2024-07-02,2024-08-01,USD,1,open,216.00,16.00\n"
    )
    _append(data / "invoice_lines.csv", "acme,I9,1,CONS,Consulting hours,2,100.00,0,200.00,60.00\n")
    _append(data / "payments.csv", "acme,P5,C2,2024-07-02,USD,1,108.00\n")
    _append(data / "payment_allocations.csv", "acme,P5,I7,108.00\n")
    assert _night(data, nightly) == ("incremental", ["acme"])
    with duckdb.connect(str(nightly), read_only=True) as con:
        (scores,) = con.execute("select value from raw.run_state where key = 'scores'").fetchone()
    # Pooled models score these businesses: every business was rescored.
    assert scores.endswith(":full")
    # The data tests that read only what keeps the unchanged businesses' rows read acme's
    # rows alone; the others (full tables, seeds) read every row.
    narrowed = _tests_reading_only(nightly, "'acme'")
    assert narrowed == _narrowable_tests(_manifest())
    assert {
        "assert_business_overview_ties_to_documents",
        "assert_customer_profitability_ties_to_documents",
    } <= narrowed
    assert "assert_segment_income_statement_ties_to_ledgers" not in narrowed
    # dbt by hand on that warehouse builds every business: it is not the run driver's
    # incremental night (it used to narrow every model to the last night's businesses,
    # so a build as of another date moved acme's date alone).
    by_hand = tmp_path / "by-hand" / "ledgerlens.duckdb"
    by_hand.parent.mkdir()
    shutil.copyfile(nightly, by_hand)
    run_dbt(
        by_hand,
        tmp_path / "by-hand" / "target",
        "run",
        "--select",
        "+business_overview",
        "--vars",
        "{as_of_date: '2024-06-30'}",
    )
    with duckdb.connect(str(by_hand), read_only=True) as con:
        assert con.execute(
            "select business_id, as_of_date from marts.business_overview order by 1"
        ).fetchall() == [(name, date(2024, 6, 30)) for name in ("acme", "euro", "north")]

    # Night 2: euro voids I2 (2024-05-20, the month before its latest sale).
    invoices = data / "invoices.csv"
    text = invoices.read_text()
    assert "euro,I2,C1,invoice,2024-05-20,2024-06-03,EUR,1,open," in text
    invoices.write_text(text.replace("2024-06-03,EUR,1,open,", "2024-06-03,EUR,1,void,"))
    assert _night(data, nightly) == ("incremental", ["euro"])

    # Night 3: a payment allocated to acme's March invoice I2 (540.00 open). north's rows
    # are set aside before it: the night must not rebuild them (it did not recompute
    # north); put back afterwards, they must equal the full refresh's below.
    moved = _set_north_aside(nightly)
    assert sum(moved.values()) > 100 and len(moved) > 40
    _append(data / "payments.csv", "acme,P6,C1,2024-07-02,USD,1,540.00\n")
    _append(data / "payment_allocations.csv", "acme,P6,I2,540.00\n")
    assert _night(data, nightly) == ("incremental", ["acme"])
    assert _north_rows_back(nightly) == dict.fromkeys(moved, 0)
    # Night 4, nothing changed: nobody is recomputed, and the full tables (the Python
    # steps' and the marts on them), built on night 3 without north, are rebuilt.
    # Before it, one of north's rows of marts.account_sheet (read by no model) is
    # repeated: the night's narrowed tests read no unchanged business, so it passes;
    # the same tests by hand (dbt test, which narrows nothing) find the repeat.
    repeated = "from marts.account_sheet where business_id = 'north' and account_id = 'C1'"
    with duckdb.connect(str(nightly)) as con:
        assert con.execute(f"select count(*) {repeated}").fetchone() == (1,)
        con.execute(f"insert into marts.account_sheet select * {repeated}")
    assert _night(data, nightly) == ("incremental", [])
    tests_by_hand = run_dbt(
        nightly, tmp_path / "tests-by-hand", "test", "--select", "account_sheet", must_pass=False
    )
    assert tests_by_hand.returncode == 1
    assert "FAIL 1 unique_combination_of_columns_account_sheet" in tests_by_hand.stdout
    with duckdb.connect(str(nightly)) as con:
        con.execute(f"create temp table once as select distinct * {repeated}")
        con.execute(f"delete {repeated}")
        con.execute("insert into marts.account_sheet from once")

    full = tmp_path / "full" / "ledgerlens.duckdb"
    assert _night(data, full, full_refresh=True)[0] == "full"

    with duckdb.connect(str(nightly), read_only=True) as con:
        con.execute(f"attach '{full}' as full_refresh (read_only)")
        tables = _tables(con, "ledgerlens")
        assert tables == _tables(con, "full_refresh")
        assert len(tables) > 60
        differences = {}
        for schema, table in tables:
            nightly_table = f"{schema}.{table}"
            full_table = f"full_refresh.{schema}.{table}"
            only_nightly = _rows_only_in(con, nightly_table, full_table)
            only_full = _rows_only_in(con, full_table, nightly_table)
            if only_nightly or only_full:
                differences[nightly_table] = (only_nightly, only_full)
        # The loads that kept the unchanged businesses' rows (ledgerlens.load) made the
        # raw and quarantine tables of a whole load: file, line, rule and detail.
        for table in load_order():
            for schema in ("raw", "quarantine"):
                only_nightly = _rows_only_in(
                    con, f"{schema}.{table}", f"full_refresh.{schema}.{table}"
                )
                only_full = _rows_only_in(
                    con, f"full_refresh.{schema}.{table}", f"{schema}.{table}"
                )
                if only_nightly or only_full:
                    differences[f"{schema}.{table}"] = (only_nightly, only_full)
        assert differences == {}
        # The late corrections reached the marts: acme's I2 is paid, euro's I2 is void.
        assert con.execute(
            "select business_id, invoice_id, is_open from marts.invoice_payments"
            " where invoice_id = 'I2' and business_id in ('acme', 'euro')"
        ).fetchall() == [("acme", "I2", False)]


# What the Python models write (ledgerlens.risk, ledgerlens.clv).
SCORES = (
    "intermediate.invoice_risk_scores",
    "intermediate.customer_clv_scores",
    "intermediate.clv_model_fits",
    "intermediate.customer_value_history",
)


def _scores_aside(warehouse: Path, changed: str) -> dict[str, int]:
    """Move the rows of every business but `changed` out of the Python models' tables
    into schema `aside`: a night that rescored them would put them back."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema aside")
        moved = {}
        for table in SCORES:
            aside = "aside." + table.replace(".", "__")
            con.execute(f"create table {aside} as from {table} where business_id <> ?", [changed])
            moved[table] = con.execute(f"select count(*) from {aside}").fetchone()[0]
            con.execute(f"delete from {table} where business_id <> ?", [changed])
    return moved


def _scores_back(warehouse: Path, changed: str) -> dict[str, int]:
    """How many rows of the other businesses each scores table holds, then the rows set
    aside put back."""
    with duckdb.connect(str(warehouse)) as con:
        held = {}
        for table in SCORES:
            held[table] = con.execute(
                f"select count(*) from {table} where business_id <> ?", [changed]
            ).fetchone()[0]
            con.execute(f"insert into {table} from aside.{table.replace('.', '__')}")
        con.execute("drop schema aside cascade")
    return held


def _models_reading_only(warehouse: Path, businesses: str) -> set[str]:
    """The models whose SQL, as dbt compiled it on the warehouse's last night, reads its
    relations narrowed to `businesses` (the SQL list, e.g. "'acme'")."""
    compiled = side_files(warehouse) / "dbt" / "compiled" / "ledgerlens"
    return {
        path.stem
        for path in compiled.rglob("*.sql")
        if f"where business_id in ({businesses}))" in path.read_text()
        and "data-tests" not in path.parts
        and path.parent.name != "models"  # the yml's generic tests
    }


def test_a_night_rescores_only_the_changed_business(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A demo export whose four businesses each have a late-payment model and CLV fits of
    their own: a night where one business adds a day rescores that business alone (its
    scores come from its own rows only), and the marts on the scores build for it alone;
    the tables then equal a full refresh's, row for row."""
    source_data, published = shared_demo_run(tmp_path_factory, 7, 100_000)
    with duckdb.connect(str(published), read_only=True) as con:
        # The premise, from the published run: no business is scored by a pooled model.
        assert con.execute(
            "select distinct model_scope from intermediate.invoice_risk_scores order by 1"
        ).fetchall() == [("already_late",), ("business",)]
        assert con.execute(
            "select fit_scope, count(*) from intermediate.clv_model_fits group by 1"
        ).fetchall() == [("business", 4)]
    data = tmp_path / "data"
    shutil.copytree(source_data, data)
    nightly = tmp_path / "nightly" / "ledgerlens.duckdb"
    nightly.parent.mkdir()
    shutil.copyfile(published, nightly)

    def add_day() -> None:
        subprocess.run(
            [sys.executable, "scripts/incremental_night.py", "add-day", str(data)]
            + ["--business", "harbor"],
            cwd=Path(__file__).parent.parent,
            check=True,
        )

    add_day()
    moved = _scores_aside(nightly, "harbor")
    assert min(moved.values()) > 0 and moved["intermediate.clv_model_fits"] == 3
    assert _night(data, nightly) == ("incremental", ["harbor"])
    with duckdb.connect(str(nightly), read_only=True) as con:
        (scores,) = con.execute("select value from raw.run_state where key = 'scores'").fetchone()
    assert scores.endswith(":incremental")
    assert _scores_back(nightly, "harbor") == dict.fromkeys(moved, 0)
    # The marts on the scores read harbor's rows alone, and so did their tests.
    assert {
        "open_invoice_risk",
        "cash_forecast",
        "customer_clv",
        "clv_model_fit",
        "customer_statement",
        "segment_balance_sheet",
        "segment_income_statement",
    } <= _models_reading_only(nightly, "'harbor'")
    narrowed = _tests_reading_only(nightly, "'harbor'")
    assert narrowed == _narrowable_tests(_manifest(), scores_incremental=True)
    assert "assert_segment_balance_sheet_balances" in narrowed

    # A run that did not build the marts on the scores whole (some steps picked in the
    # UI publish too) leaves them behind: the next night scores every business.
    with duckdb.connect(str(nightly)) as con:
        con.execute("delete from raw.run_state where key = 'marts_done'")
    add_day()
    assert _night(data, nightly) == ("incremental", ["harbor"])
    with duckdb.connect(str(nightly), read_only=True) as con:
        (scores,) = con.execute("select value from raw.run_state where key = 'scores'").fetchone()
        done = con.execute(
            "select count(distinct value) from raw.run_state"
            " where key in ('run_id', 'scores_done', 'marts_done')"
        ).fetchone()
    assert scores.endswith(":full") and done == (1,)

    full = tmp_path / "full" / "ledgerlens.duckdb"
    assert _night(data, full, full_refresh=True)[0] == "full"
    with duckdb.connect(str(nightly), read_only=True) as con:
        con.execute(f"attach '{full}' as full_refresh (read_only)")
        tables = _tables(con, "ledgerlens")
        assert tables == _tables(con, "full_refresh") and len(tables) > 60
        differences = {}
        for schema, table in tables:
            mine, theirs = f"{schema}.{table}", f"full_refresh.{schema}.{table}"
            counts = (_rows_only_in(con, mine, theirs), _rows_only_in(con, theirs, mine))
            if counts != (0, 0):
                differences[mine] = counts
        assert differences == {}
