"""Runs are safe to repeat, to kill half-way and to start twice (ledgerlens.safe_run).

Every test drives real runs: the pipeline in this process or `ledgerlens run` in a child
process that is really killed.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from orchestration.dbt_server import SERVER_ENV
from orchestration.run import PipelineError

from ledgerlens.demo import generate
from ledgerlens.safe_run import acquire_lock, building_path, check_not_busy, failed_path
from tests.conftest import query, run_pipeline, shared_run

pytestmark = pytest.mark.slow

RETENTION = Path(__file__).parent / "data" / "retention"


def _tables(warehouse: Path) -> list[tuple[str, str]]:
    return query(
        warehouse,
        "select table_schema, table_name from information_schema.tables"
        " where table_type = 'BASE TABLE' order by all",
    )


def _differences(first: Path, second: Path) -> dict[str, tuple[int, int]]:
    """Rows of each table in one warehouse and not the other (both ways), by table. A
    column that measures the run itself (`*_seconds`: clv_model_fit.fit_seconds, how long
    the fit took) is left out: a rerun cannot take the same time. So is raw.run_state
    (ledgerlens.incremental): how the run went (a full refresh, then an incremental night
    with nothing changed), not what the books hold."""
    differences = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{first}' as first (read_only)")
        con.execute(f"attach '{second}' as second (read_only)")
        for schema, table in _tables(first):
            name = f"{schema}.{table}"
            if name == "raw.run_state":
                continue
            columns = ", ".join(
                f'"{column}"'
                for (column,) in con.execute(
                    "select column_name from information_schema.columns"
                    " where table_catalog = 'first' and table_schema = ?"
                    " and table_name = ? and column_name not like '%\\_seconds' escape '\\'"
                    " order by ordinal_position",
                    [schema, table],
                ).fetchall()
            )
            only_first, only_second = (
                con.execute(
                    f"select count(*) from (select {columns} from {a}.{name}"
                    f" except all select {columns} from {b}.{name})"
                ).fetchone()[0]
                for a, b in (("first", "second"), ("second", "first"))
            )
            if only_first or only_second:
                differences[name] = (only_first, only_second)
    return differences


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("safe_runs") / "data"
    generate(data, seed=3, lines=8_000)
    return data


@pytest.fixture
def retention_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A good warehouse to start from: this test's own copy of the session's run of
    tests/data/retention as of 2025-12-31 (tests/conftest.py, shared with
    tests/test_retention.py), instead of a first run of the same books in each test."""
    _, warehouse = shared_run(tmp_path_factory, RETENTION, as_of_date="2025-12-31")
    return warehouse


def test_rerunning_on_the_same_files_changes_nothing(busy_run, tmp_path):
    # The first run: busy_run's, a whole `ledgerlens run` of the demo export on a new
    # warehouse (the module's; this test reruns on a copy of what it published).
    before = busy_run.warehouse
    warehouse = tmp_path / "ledgerlens.duckdb"
    shutil.copyfile(before, warehouse)
    assert run_pipeline(busy_run.data, warehouse).success

    tables = _tables(warehouse)
    assert tables == _tables(before)
    marts = [table for schema, table in tables if schema == "marts"]
    assert {"customer_sheet", "revenue_retention", "segment_history", "cohorts"} <= set(marts)
    # Every row of every table (raw, quarantine, intermediate, marts, seeds) is the same.
    assert _differences(before, warehouse) == {}


def test_a_newer_export_updates_invoices_and_does_not_duplicate_them(retention_warehouse, tmp_path):
    """Each file is a full export: a newer one replaces the older one's rows."""
    # The warehouse as a run on tests/data/retention as of 2025-12-31 left it.
    warehouse = retention_warehouse
    assert query(warehouse, "select status from raw.invoices where invoice_id = 'N5'") == [
        ("open",)
    ]
    # No payments yet: all three of B's invoices (2,000 + 2,000 + 1,000) are open.
    assert query(
        warehouse,
        "select open_balance from marts.customer_sheet where customer_id = 'B'",
    ) == [(5000,)]

    # The next export: N5 is now paid (same invoice, new status) and a payment appears.
    second = tmp_path / "export2"
    shutil.copytree(RETENTION, second)
    invoices = (second / "invoices.csv").read_text()
    assert invoices.count("north,N5,B,invoice,2025-11-10,,USD,1,open,") == 1
    (second / "invoices.csv").write_text(
        invoices.replace(
            "north,N5,B,invoice,2025-11-10,,USD,1,open,",
            "north,N5,B,invoice,2025-11-10,,USD,1,paid,",
        )
    )
    with (second / "payments.csv").open("a") as payments:
        payments.write("north,P1,B,2025-12-01,USD,1,1000.00\n")
    with (second / "payment_allocations.csv").open("a") as allocations:
        allocations.write("north,P1,N5,1000.00\n")
    assert run_pipeline(second, warehouse, as_of_date="2025-12-31").success

    assert query(
        warehouse, "select count(*), min(status) from raw.invoices where invoice_id = 'N5'"
    ) == [(1, "paid")]
    assert query(warehouse, "select count(*) from raw.invoices") == [(20,)]
    # N5 is settled now; the sales are what they were.
    assert query(
        warehouse,
        "select open_balance, ltv from marts.customer_sheet where customer_id = 'B'",
    ) == [(4000, 5000)]


def _command(data: Path, warehouse: Path, *options: str) -> list[str]:
    """`ledgerlens run` on `data` into `warehouse`, as a user types it."""
    command = ["-m", "ledgerlens.cli", "run", "--data", str(data), "--warehouse"]
    return [sys.executable, *command, str(warehouse), *options]


def _start_run(data: Path, warehouse: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        # --verbose prints each model as dbt builds it: the test kills mid-build.
        _command(data, warehouse, "--verbose"),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        # Without the test session's dbt server: the run starts its own, in its process
        # group, as a user's run does (orchestration/dbt_server.py).
        env={
            **{k: v for k, v in os.environ.items() if k != SERVER_ENV},
            "PYTHONUNBUFFERED": "1",
        },
        start_new_session=True,  # its own process group: dbt dies with it
    )


def _run_command(data: Path, warehouse: Path) -> subprocess.CompletedProcess:
    """`ledgerlens run` to its end, its output captured: for runs refused at the start."""
    return subprocess.run(_command(data, warehouse), capture_output=True, text=True, timeout=120)


def _wait_for(log: Path, text: str, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text():
        assert process.poll() is None, f"the run ended before '{text}':\n{log.read_text()}"
        assert time.monotonic() < deadline, f"no '{text}' after {timeout}s"
        time.sleep(0.2)


def test_a_run_killed_during_the_dbt_build_leaves_the_last_good_warehouse(
    demo_data, retention_warehouse, tmp_path
):
    warehouse = retention_warehouse  # a good warehouse: tests/data/retention's
    good = tmp_path / "good" / "ledgerlens.duckdb"
    good.parent.mkdir()
    shutil.copyfile(warehouse, good)

    # A run on other data, killed (SIGKILL, with its dbt process) once dbt builds models.
    log = tmp_path / "killed.log"
    run = _start_run(demo_data, warehouse, log)
    _wait_for(log, "dbt built intermediate__", run)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait(timeout=60)
    assert run.returncode == -signal.SIGKILL
    assert building_path(warehouse).exists()  # the half-built copy it left behind

    # The warehouse people read is the last good one, whole, and the lock died with
    # the run.
    assert _differences(good, warehouse) == {}
    assert query(warehouse, "select count(*) from marts.customer_sheet") == [(10,)]
    check_not_busy(warehouse)

    # The next run needs no manual step: it throws the half-built copy away.
    summary = run_pipeline(demo_data, warehouse)
    assert summary.success, summary.failures
    assert not building_path(warehouse).exists()
    assert query(warehouse, "select count(*) from raw.businesses") == [(4,)]
    assert query(warehouse, "select count(distinct business_id) from marts.customer_sheet") == [
        (4,)
    ]


@dataclass
class BusyRun:
    """A whole `ledgerlens run` of the demo export on a new warehouse, and what two other
    runs on the same warehouse did while it ran."""

    data: Path
    warehouse: Path
    pid: int
    returncode: int
    log: str
    refused: str | None  # the error the run in this process raised, if any
    cli: subprocess.CompletedProcess  # the second `ledgerlens run`


@pytest.fixture(scope="module")
def busy_run(demo_data, tmp_path_factory) -> BusyRun:
    """A run of the demo export by the command on a new warehouse, while which, once it
    has loaded a table, a run in this process and a second `ledgerlens run` are started
    on the same warehouse. The module's one first run of the demo export: what the other
    two runs did is test_a_second_run_at_the_same_time_fails_fast_with_warehouse_busy's,
    and test_rerunning_on_the_same_files_changes_nothing reruns on a copy of the
    warehouse it published."""
    folder = tmp_path_factory.mktemp("busy")
    warehouse, log = folder / "ledgerlens.duckdb", folder / "first.log"
    first = _start_run(demo_data, warehouse, log)
    try:
        _wait_for(log, "loaded businesses", first)

        refused = None
        try:
            run_pipeline(demo_data, warehouse)
        except PipelineError as error:
            refused = str(error)
        cli = _run_command(demo_data, warehouse)
        returncode = first.wait(timeout=1200)
    except BaseException:  # not left running behind a failed fixture
        with contextlib.suppress(ProcessLookupError):
            os.killpg(first.pid, signal.SIGKILL)
        raise
    return BusyRun(demo_data, warehouse, first.pid, returncode, log.read_text(), refused, cli)


def test_a_second_run_at_the_same_time_fails_fast_with_warehouse_busy(busy_run):
    assert busy_run.refused is not None, "the run in this process was not refused"
    assert re.search(f"warehouse is busy.*pid {busy_run.pid}", busy_run.refused)
    assert busy_run.cli.returncode == 2
    assert "warehouse is busy" in busy_run.cli.stdout
    assert "Traceback" not in busy_run.cli.stdout + busy_run.cli.stderr

    # The first run, which they did not disturb, ran to the end and published.
    assert busy_run.returncode == 0, busy_run.log
    assert query(busy_run.warehouse, "select count(*) > 0 from marts.customer_sheet") == [(True,)]


# The first three 4 KiB blocks of a warehouse DuckDB 2.0.0 wrote (a 10M-line run,
# 2026-12-05), zeros after the bytes given: the file's main header and its two database
# headers. DuckDB reads the storage version from them before anything else, so DuckDB 1.5
# refuses this file as it refused that whole warehouse ("version number 69").
DUCKDB_2_HEADERS = {
    0: (
        "0819a07e308ca0c84455434be70300000000000000000000000000000000000000000000"
        "0000000000000000000000000000000076322e302e300000000000000000000000000000"
        "000000000000000000000000643534636262653364660000000000000000000000000000"
        "00000000000000000000000000000000663e05af03fc4e985a72a2175e15ba1b"
    ),
    4096: (
        "63e09b4be3b586a7090000000000000000000000000000008d0400000000002c57050000"
        "000000000000040000000000000800000000000045"
    ),
    8192: (
        "61da9c5c05141c9b0a000000000000000000000000000004b52000000000001dbe200000"
        "000000000000040000000000000800000000000045"
    ),
}


def _duckdb_2_file(warehouse: Path) -> bytes:
    """Write DUCKDB_2_HEADERS as the file `warehouse`; return its bytes."""
    header = bytearray(3 * 4096)
    for offset, text in DUCKDB_2_HEADERS.items():
        header[offset : offset + len(text) // 2] = bytes.fromhex(text)
    warehouse.write_bytes(bytes(header))
    return bytes(header)


def test_a_warehouse_a_newer_duckdb_wrote_is_refused_with_the_way_out(tmp_path):
    warehouse = tmp_path / "ledgerlens.duckdb"
    header = _duckdb_2_file(warehouse)

    cli = _run_command(RETENTION, warehouse)
    # The command wraps long lines to the terminal: compared with the spaces folded.
    shown = " ".join((cli.stdout + cli.stderr).split())
    assert cli.returncode == 2, shown
    assert f"{warehouse} was written by a DuckDB version this ledgerlens cannot read" in shown
    assert "version number 69" in shown, shown
    assert f"mv {warehouse} {warehouse}.old" in shown, shown
    assert "Traceback" not in shown
    # Refused before any work: the file as it was, no build started.
    assert warehouse.read_bytes() == header
    assert not building_path(warehouse).exists()


def _dagster_load(warehouse: Path):
    """The first load asset materialised from Dagster (as the UI and the schedule do) into
    `warehouse`, from tests/data/retention."""
    import dagster as dg
    from orchestration.assets.raw import load_assets
    from orchestration.resources import RawFiles, Warehouse

    return dg.materialize(
        load_assets[:1],
        resources={
            "warehouse": Warehouse(path=str(warehouse)),
            "raw_files": RawFiles(data_dir=str(RETENTION)),
        },
    )


def _refusal(warehouse: Path) -> list[str]:
    """The messages of the error a Dagster load into `warehouse` fails with, outermost
    first."""
    with pytest.raises(Exception) as refused:
        _dagster_load(warehouse)
    chain, error = [], refused.value
    while error is not None:
        chain.append(str(error))
        error = error.__cause__ or error.__context__
    return chain


def test_a_dagster_run_refuses_a_warehouse_a_newer_duckdb_wrote(tmp_path):
    """A materialisation from Dagster (UI, schedule) checks when it starts its build."""
    warehouse = tmp_path / "ledgerlens.duckdb"
    header = _duckdb_2_file(warehouse)
    chain = _refusal(warehouse)
    assert any("written by a DuckDB version this ledgerlens cannot read" in m for m in chain)
    assert warehouse.read_bytes() == header
    assert not building_path(warehouse).exists()


def test_a_failed_run_publishes_nothing_and_keeps_its_build(retention_warehouse, tmp_path):
    warehouse = retention_warehouse  # a good warehouse: tests/data/retention's
    good = tmp_path / "good" / "ledgerlens.duckdb"
    good.parent.mkdir()
    shutil.copyfile(warehouse, good)

    broken = tmp_path / "broken"
    shutil.copytree(RETENTION, broken)
    # A newer export whose payments file lost a column: a contract break.
    lines = (broken / "payments.csv").read_text().splitlines()
    (broken / "payments.csv").write_text(lines[0].replace(",amount", "") + "\n")
    summary = run_pipeline(broken, warehouse, as_of_date="2025-12-31")
    assert not summary.success
    assert any("payments.csv" in failure for failure in summary.failures), summary.failures

    assert _differences(good, warehouse) == {}
    assert failed_path(warehouse).exists()
    assert not building_path(warehouse).exists()


def test_dagster_runs_take_the_same_lock(tmp_path):
    """A materialisation from Dagster (UI, schedule) is refused while a run holds it."""
    warehouse = tmp_path / "ledgerlens.duckdb"
    lock = acquire_lock(warehouse)
    try:
        chain = _refusal(warehouse)
    finally:
        lock.release()
    assert any("warehouse is busy" in message for message in chain), chain
    assert not warehouse.exists()
    result = _dagster_load(warehouse)
    assert result.success
    assert query(warehouse, "select count(*) from raw.businesses") == [(2,)]


def test_one_business_with_broken_rows_does_not_cost_the_others_anything(
    retention_warehouse, tmp_path
):
    clean = retention_warehouse  # tests/data/retention as of 2025-12-31, unbroken

    data = tmp_path / "data"
    shutil.copytree(RETENTION, data)
    # Every invoice of north now has an impossible date: all of them, their lines and
    # their credit note are quarantined; south is untouched.
    invoices = (data / "invoices.csv").read_text().splitlines()
    broken = [
        line.replace(",invoice,20", ",invoice,31/12/20", 1) if line.startswith("north,") else line
        for line in invoices
    ]
    (data / "invoices.csv").write_text("\n".join(broken) + "\n")
    warehouse = tmp_path / "ledgerlens.duckdb"
    summary = run_pipeline(data, warehouse, as_of_date="2025-12-31")
    assert summary.success, summary.failures

    quarantined = dict(
        query(
            warehouse,
            "select table_name, sum(rows_quarantined) from marts.data_quality_report"
            " where business_id = 'north' group by 1",
        )
    )
    assert quarantined == {"invoices": 14, "invoice_lines": 14, "credit_notes": 1}
    south = "select * from marts.{} where business_id = 'south' order by all"
    for mart in ("customer_sheet", "revenue_retention", "cohorts", "concentration"):
        assert query(warehouse, south.format(mart)) == query(clean, south.format(mart)), mart
    assert query(
        warehouse, "select count(*) from marts.customer_sheet where business_id = 'north'"
    ) == [(0,)]
