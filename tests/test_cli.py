"""The `ledgerlens` command as a user runs it: a real process, real files."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from tests.conftest import HANDMADE

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
def test_run_prints_loads_and_top_customers(tmp_path):
    home = tmp_path.parent / f"{tmp_path.name}-dagster-home"
    result = _run(
        "run",
        "--data",
        str(HANDMADE),
        "--warehouse",
        str(tmp_path / "w.duckdb"),
        env={"DAGSTER_HOME": str(home)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
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
    assert "PASS=" not in out  # dbt's own log goes to the log file, not the summary
    assert (tmp_path / "w.duckdb.files" / "run.log").read_text().count("PASS") > 0
    # A run's side files sit in one folder named after the warehouse, nothing else beside
    # it, and dbt's per-run target folders are reused rather than piling up.
    assert sorted(path.name for path in tmp_path.iterdir()) == ["w.duckdb", "w.duckdb.files"]
    assert not list((ROOT / "target").glob("dbt_models-*"))
    # The run is recorded in the Dagster home the UI reads: materialisations with their
    # metadata and the check results.
    instance = dg.DagsterInstance.from_config(str(home))
    (run,) = instance.get_runs()
    assert run.status == dg.DagsterRunStatus.SUCCESS
    sheet = instance.get_latest_materialization_event(dg.AssetKey(["marts", "customer_sheet"]))
    assert sheet is not None and sheet.run_id == run.run_id
    loaded = instance.get_latest_materialization_event(dg.AssetKey(["raw", "invoices"]))
    assert loaded.asset_materialization.metadata["rows_quarantined"].value == 1
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
    for command in ("generate", "run", "demo", "ui", "benchmark", "backtest"):
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
def test_run_prints_aging_dso_and_riskiest_invoices(tmp_path):
    receivables = Path(__file__).parent / "data" / "receivables"
    result = _run(
        "run",
        "--data",
        str(receivables),
        "--warehouse",
        str(tmp_path / "w.duckdb"),
        "--as-of",
        "2024-06-30",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = " ".join(result.stdout.split())  # table cells are padded
    assert "Receivables aging, as of 2024-06-30" in out
    # current 250 + 50, 1-30 300 + 75, 31-60 800, 61-90 120, 90+ 90; total 1685.00;
    # K2's unapplied 150.00 (tests/test_receivables.py works these out).
    assert "│ shop (USD) │ 300.00 │ 375.00 │ 800.00 │ 120.00 │ 90.00 │ 1,685.00 │ 150.00 │" in out
    assert "Days sales outstanding, as of 2024-06-30" in out
    # Not yet 15 days late: B1 and B6 (B2 and B8 are 16 and 30 days past due already).
    assert "Riskiest open invoices not yet late: shop, as of 2024-06-30" in out
    assert "B1 " in out and "B6 " in out and "B8 " not in out


@pytest.mark.slow
def test_backtest_reports_model_and_baseline_and_cash_forecast(tmp_path):
    """The back-test command end to end on a small demo set (a report, not a timed test)."""
    import json

    result = _run(
        "backtest",
        "--seeds",
        "5",
        "--lines",
        "20000",
        "--methods",
        "logistic",
        "--workdir",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = " ".join(result.stdout.split())
    assert "Seed 5: invoices open at" in out and "13-week cash forecast vs collections" in out
    report = json.loads((tmp_path / "backtest.json").read_text())
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
