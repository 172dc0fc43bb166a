"""The `ledgerlens` command as a user runs it: a real process, real files."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import dagster as dg
import pytest

from tests.conftest import HANDMADE, RECEIVABLES, query, shared_backtest, shared_cli_run

ROOT = Path(__file__).resolve().parent.parent
LEDGERLENS = [sys.executable, "-m", "ledgerlens.cli"]


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*LEDGERLENS, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.slow
def test_run_prints_loads_and_top_customers(tmp_path_factory):
    # The session's run of the hand-made export, made by this command (tests/conftest.py,
    # CLI_RUNS): the tests that read its warehouse share it.
    cli = shared_cli_run(tmp_path_factory, HANDMADE)
    home, warehouse = cli.home, cli.warehouse
    assert cli.returncode == 0, cli.stdout + cli.stderr
    out = cli.stdout
    assert "Raw files loaded" in out
    assert "not_a_date 1" in out  # the quarantined invoice is reported
    assert "Top customers by LTV: Acme Services (acme), as of 2024-07-01" in out
    assert "1,400.00" in out and "Alpha Dental" in out
    # The last complete month before the as-of date, 2024-07-01, as segment statements.
    assert "Segments as small businesses, June 2024 (USD): Acme Services (acme)" in out
    # Acquisition by channel: acme's one referral customer, C1, bought and cost 250.00 to
    # win (K1): won 1, spend 250, CAC 250.
    assert "Acquisition by channel (USD): Acme Services (acme)" in out
    assert re.search(r"referral\s+1\s+250\s+250\s", out)
    assert "Run succeeded" in out
    # No library's warnings among what a person reads: pyspark's "does not yet fully
    # support pandas" came with every run (ledgerlens.quality._gx).
    assert "Warning" not in out + cli.stderr, cli.stderr
    assert "PASS=" not in out  # dbt's own log goes to the log file, not the summary
    assert (warehouse.parent / "ledgerlens.duckdb.files" / "run.log").read_text().count("PASS") > 0
    # A run's side files sit in one folder named after the warehouse, nothing else beside
    # it, and dbt's per-run target folders are reused rather than piling up.
    assert sorted(path.name for path in warehouse.parent.iterdir()) == [
        "ledgerlens.duckdb",
        "ledgerlens.duckdb.files",
    ]
    assert not list((ROOT / "target").glob("dbt_models-*"))
    # The run is recorded in the Dagster home the UI reads: materialisations with their
    # metadata and the check results.
    instance = dg.DagsterInstance.from_config(str(home))
    (run,) = instance.get_runs()
    assert run.status == dg.DagsterRunStatus.SUCCESS
    sheet = instance.get_latest_materialization_event(dg.AssetKey(["marts", "customer_sheet"]))
    assert sheet is not None and sheet.run_id == run.run_id
    # The run wrote its events through connections kept open (orchestration.event_storage):
    # every materialisation in the run's own file is in the cross-run index too, as the
    # UI's asset pages read it, with the stock storage class reading both.
    materialized = {
        event.dagster_event.asset_key
        for event in instance.all_logs(
            run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        )
    }
    assert len(materialized) > 80
    assert {
        key: instance.get_latest_materialization_event(key).run_id for key in materialized
    } == dict.fromkeys(materialized, run.run_id)
    loaded = instance.get_latest_materialization_event(dg.AssetKey(["raw", "invoices"]))
    assert loaded.asset_materialization.metadata["rows_quarantined"].value == 1
    # Mart assets carry their row count and headline figures per business, read back
    # here by queries of other tables than the code's where there is one.

    def near(value):  # the metadata holds money and rates as JSON numbers
        return None if value is None else pytest.approx(float(value))

    def metadata(mart: str) -> dict:
        event = instance.get_latest_materialization_event(dg.AssetKey(["marts", mart]))
        return {key: value.value for key, value in event.asset_materialization.metadata.items()}

    sheet_rows = query(warehouse, "select count(*) from marts.customer_sheet")[0][0]
    assert metadata("customer_sheet")["dagster/row_count"] == sheet_rows
    per_segment = {}
    for business_id, segment, customers in query(
        warehouse,
        "select business_id, segment, count(*) from marts.customer_sheet"
        " where segment is not null group by all",
    ):
        per_segment.setdefault(business_id, {})[segment] = customers
    assert metadata("segment_summary")["customers per segment"] == per_segment
    # Open and overdue from the invoices themselves (invoice_payments), not ar_aging.
    aging = metadata("ar_aging")["open and overdue receivables (home currency)"]
    for business_id, open_home, overdue_home in query(
        warehouse,
        "select business_id, sum(open_amount_home),"
        " sum(open_amount_home) filter (where days_past_due > 0)"
        " from marts.invoice_payments where is_open group by business_id",
    ):
        assert aging[business_id] == {
            "open": near(open_home),
            "overdue": near(overdue_home or 0),
        }
    # The latest 365-day window of each business, and the DSO at its as-of date.
    retention = metadata("revenue_retention")["NRR, GRR and logo retention, latest 365 days"]
    for business_id, nrr, grr in query(
        warehouse,
        "select business_id, nrr, grr from marts.revenue_retention r where period_grain ="
        " 'ttm' and period_end_date = (select max(period_end_date) from"
        " marts.revenue_retention m where m.business_id = r.business_id"
        " and m.period_grain = 'ttm')",
    ):
        # null when the window before had no customers (no base to retain)
        assert retention[business_id]["nrr"] == near(nrr)
        assert retention[business_id]["grr"] == near(grr)
    dso = metadata("dso_history")["DSO (count-back) and days beyond terms, as of the as-of date"]
    for business_id, days in query(
        warehouse,
        "select d.business_id, d.count_back_dso from marts.dso_history d"
        " join marts.business_overview o on d.business_id = o.business_id"
        " and d.as_of_date = o.as_of_date",
    ):
        assert dso[business_id]["count_back_dso"] == near(days)
    clv = metadata("customer_clv")["total CLV, next 36 months (home currency)"]
    for business_id, total in query(
        warehouse, "select business_id, sum(clv_36m) from marts.customer_clv group by all"
    ):
        assert clv[business_id] == near(total)
    checks = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    assert len(checks) > 100
    # The warning names the table, the rule and what to do.
    assert "warning: raw.invoices: 1 rows quarantined (not_a_date 1)" in " ".join(out.split())


@pytest.mark.slow
def test_unreadable_file_fails_the_run_naming_the_file(tmp_path, handmade_copy):
    (handmade_copy / "payments.csv").write_text("business_id;payment_id\nacme;P1\n")
    result = _run("run", "--data", str(handmade_copy), "--warehouse", str(tmp_path / "w.duckdb"))
    assert result.returncode == 1
    out = " ".join(result.stdout.split())  # undo the terminal's line wrapping
    assert "payments.csv: missing column(s) business_id, payment_id" in out
    assert "does not seem to be comma-separated" in out
    assert "Run FAILED" in out
    # One line for the failure; nothing of the orchestrator's internals; the truth about
    # a warehouse that never existed; no pointer to an empty dbt log.
    assert "Dependencies for step" not in out and "Traceback" not in out
    assert "w.duckdb was not created: nothing was published" in out
    assert "is unchanged" not in out
    assert "dbt's full log" not in out


def test_version_and_every_command_has_help():
    from importlib.metadata import version

    result = _run("--version")
    assert result.returncode == 0 and result.stdout.strip() == version("ledgerlens")
    for command in ("generate", "run", "demo", "report", "export", "ui", "benchmark", "backtest"):
        result = _run(command, "--help")
        assert result.returncode == 0, command
        options = [line for line in result.stdout.splitlines() if line.strip().startswith("--")]
        assert options, command
        # argparse prints "(default: ...)" for every option that has a default.
        assert "default" in result.stdout, command


def test_bad_as_of_date_is_a_usage_error(tmp_path):
    result = _run(
        "run",
        "--data",
        str(HANDMADE),
        "--warehouse",
        str(tmp_path / "w.duckdb"),
        "--as-of",
        "2024-02-30",
    )
    assert result.returncode == 2
    assert "not a valid date" in result.stdout


def test_missing_data_folder_is_a_usage_error(tmp_path):
    result = _run(
        "run", "--data", str(tmp_path / "nowhere"), "--warehouse", str(tmp_path / "w.duckdb")
    )
    assert result.returncode == 2
    # The console wraps long lines (a long temporary path): compare words, not lines.
    assert "no such folder" in " ".join(result.stdout.split())


@pytest.mark.slow
def test_run_prints_aging_dso_and_open_invoice_lists(tmp_path_factory):
    # The session's run of tests/data/receivables as of 2024-06-30, made by this command
    # (tests/conftest.py, CLI_RUNS): tests/test_receivables.py reads its warehouse.
    cli = shared_cli_run(tmp_path_factory, RECEIVABLES, "2024-06-30")
    assert cli.returncode == 0, cli.stdout + cli.stderr
    warehouse = cli.warehouse
    out = " ".join(cli.stdout.split())  # table cells are padded
    assert "Receivables aging, as of 2024-06-30" in out
    # current 250 + 50, 1-30 300 + 75, 31-60 800, 61-90 120, 90+ 90; total 1685.00;
    # K2's unapplied 150.00 (tests/test_receivables.py works these out).
    assert "│ shop (USD) │ 300.00 │ 375.00 │ 800.00 │ 120.00 │ 90.00 │ 1,685.00 │ 150.00 │" in out
    assert "Days sales outstanding, as of 2024-06-30" in out
    # Not yet due: B1 (250.00, due 07-20) and B6 (50.00, due 07-10); ranked by expected
    # late amount, P(late) x open amount, with P(late) read from the mart.
    late = dict(
        query(warehouse, "select invoice_id, late_probability from marts.open_invoice_risk")
    )
    expected = {"B1": late["B1"] * 250, "B6": late["B6"] * 50}
    first, second = sorted(expected, key=lambda invoice: -expected[invoice])
    not_due = out[out.index("Not yet due, most money expected to be paid late first: shop") :]
    not_due = not_due[: not_due.index("Overdue, largest first: shop, as of 2024-06-30")]
    assert "as of 2024-06-30" in not_due
    assert not_due.index(f"{first} ") < not_due.index(f"{second} ")
    cents = Decimal("0.01")
    assert f"{expected['B1'].quantize(cents, ROUND_HALF_UP):,}" in not_due
    assert f"{late['B1']:.0%}" in not_due
    assert "B2 " not in not_due and "B8 " not in not_due
    # Overdue, the largest open amount first: B3 800.00 (60 days), B2 300.00 (16),
    # B4 120.00 (77), B5 90.00 (142), B8 75.00 (30).
    assert re.search(
        r"B3 .*? 800\.00 2024-05-01 60 .*B2 .*? 300\.00 2024-06-14 16 .*"
        r"B4 .*? 120\.00 2024-04-14 77 .*B5 .*? 90\.00 2024-02-09 142 .*"
        r"B8 .*? 75\.00 2024-05-31 30 ",
        out,
    )
    # Past the 15 days: the reason says so, in the plural.
    assert "B5 already 142 days past due, so paid more than 15 days late" in out

    # The same lists as in a log file (no terminal) 80 columns wide: no line longer, and
    # every word of every cell and reason whole (no column squeezed below its words,
    # nothing cut with an ellipsis).
    import io

    from rich.console import Console

    from ledgerlens.cli import render
    from ledgerlens.report import read_run_report

    report = read_run_report(warehouse)
    log = io.StringIO()
    console, render.console = render.console, Console(file=log, width=80, highlight=False)
    try:
        for business in report.businesses:
            render._print_open_invoices(business, report)
    finally:
        render.console = console
    text = log.getvalue()
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
    assert "…" not in text
    words = set(text.split())
    rows = report.not_yet_due_invoices + report.overdue_invoices
    assert len(rows) == 7  # B1 and B6 not yet due; B2, B3, B4, B5, B8 overdue
    for row in rows:
        cells = [row["invoice_id"], row["customer_name"], f"{row['open_amount_home']:,.2f}"]
        cells += [str(row["due_date"]), row["top_reasons"]]
        for cell in cells:
            assert set(cell.split()) <= words, cell


@pytest.mark.slow
def test_backtest_reports_model_and_baseline_and_cash_forecast(tmp_path_factory):
    """The back-test command end to end on a small demo set (a report, not a timed test):
    `ledgerlens backtest --seeds 5 --lines 20000 --methods logistic`, run once for the
    session (tests/conftest.py; tests/test_risk.py and tests/test_segments.py read its
    runs)."""
    import json

    result = shared_backtest(tmp_path_factory)
    assert result.returncode == 0, result.stdout + result.stderr
    out = " ".join(result.stdout.split())
    assert "Seed 5: invoices open at" in out and "13-week cash forecast vs collections" in out
    report = json.loads((result.workdir / "backtest.json").read_text())
    seed = report["seeds"][0]
    # T is 91 days (13 weeks) before the data ends.
    end, as_of = (date.fromisoformat(seed[key]) for key in ("data_end", "as_of_date"))
    assert (end - as_of).days == 91
    # Already late at T means known by the data's end, so the three groups partition.
    assert (
        seed["evaluated"] + seed["already_late"] + seed["unknown_outcome"] == seed["open_invoices"]
    )
    # Model and baseline are scored on the same invoices and the same event (which one
    # wins is the data's business, not the test's): the winner has the lowest Brier.
    for name in ("logistic", "baseline"):
        assert 0.5 < seed[name]["auc"] <= 1 and 0 <= seed[name]["brier"] <= 1
        for table in ("calibration", "calibration_bins"):
            assert sum(row["invoices"] for row in seed[name][table]) == seed["evaluated"]
        actual = sum(
            row["invoices"] * row["actual_late_share"]
            for row in seed[name]["calibration_bins"]
            if row["invoices"]
        )
        assert actual == pytest.approx(
            seed["late_share"] * seed["evaluated"], abs=0.01 * seed["evaluated"]
        )
    assert seed["winner"] == min(("logistic", "baseline"), key=lambda name: seed[name]["brier"])
    assert set(seed["cash_forecast"]) == {"harbor", "northwind", "rheinland", "summit"}


@pytest.mark.slow
def test_a_schedule_switched_on_survives_a_restart(tmp_path):
    """The nightly schedule's state lives in the Dagster home, not in the process: switched
    on by one `dagster` process, it is still running for the next one."""
    dagster = str(Path(sys.executable).parent / "dagster")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    location = ["-m", "orchestration.definitions"]

    def dagster_cli(*args: str) -> str:
        return subprocess.run(
            [dagster, *args, *location],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        ).stdout

    assert "[STOPPED]" in dagster_cli("schedule", "list")
    assert "Started schedule nightly" in dagster_cli("schedule", "start", "nightly")
    assert "nightly [RUNNING]" in dagster_cli("schedule", "list")


def test_dagster_events_go_through_open_connections_unless_the_home_names_a_storage(tmp_path):
    """A Dagster home with the default SQLite storage gets the run driver's event storage
    that keeps its connections open (same files); one whose dagster.yaml names a storage
    keeps that storage."""
    from dagster._core.storage.event_log import SqliteEventLogStorage
    from orchestration.event_storage import MAX_OPEN_SHARDS, RunEventLogStorage
    from orchestration.run import DAGSTER_YAML, _instance_at

    default = tmp_path / "default"
    default.mkdir()
    (default / "dagster.yaml").write_text(DAGSTER_YAML)
    storage = _instance_at(str(default)).event_log_storage
    assert type(storage) is RunEventLogStorage
    assert Path(storage._base_dir) == default / "history" / "runs"
    # One open engine per file, the oldest closed past the bound; each file is usable.
    for number in range(MAX_OPEN_SHARDS + 2):
        with storage.run_connection(f"run-{number}") as conn:
            assert conn.exec_driver_sql("select count(*) from event_logs").scalar() == 0
    assert list(storage._engines) == [f"run-{n}" for n in range(2, MAX_OPEN_SHARDS + 2)]
    storage.dispose()
    assert not storage._engines

    named = tmp_path / "named"
    named.mkdir()
    elsewhere = tmp_path / "elsewhere"
    (named / "dagster.yaml").write_text(f"storage:\n  sqlite:\n    base_dir: {elsewhere}\n")
    storage = _instance_at(str(named)).event_log_storage
    assert type(storage) is SqliteEventLogStorage
    assert Path(storage._base_dir) == elsewhere / "history" / "runs"
