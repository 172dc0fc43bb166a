"""Shared fixtures: the hand-made dataset and real pipeline runs on temporary warehouses."""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest

HERE = Path(__file__).parent
HANDMADE = HERE / "data" / "handmade"


def pytest_configure(config: pytest.Config) -> None:
    # The tests' runs (in-process and CLI subprocesses) record into a Dagster home of
    # their own, like a user's runs do into the project's, without filling the latter.
    os.environ["DAGSTER_HOME"] = tempfile.mkdtemp(prefix="ledgerlens-dagster-home-")


# The files that take longest (several pipeline runs each), in that order, before all
# the others: `--dist loadfile` hands whole files to the workers in collection order
# (with `--no-loadscope-reorder`, scripts/test.sh; by default pytest-xdist 3 orders them
# by their number of tests instead), so a long file collected last (test_segments.py,
# alphabetically) kept one worker busy for minutes after the others had finished.
LONGEST_FIRST = (
    "test_safe_runs.py",
    "test_segments.py",
    "test_cli.py",
    "test_postgres.py",
    "test_risk.py",
    "test_profitability.py",
    "test_sql_lint.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: each file keeps its own order


@pytest.fixture
def handmade_copy(tmp_path: Path) -> Path:
    """A writable copy of the hand-made dataset, for tests that corrupt it."""
    target = tmp_path / "data"
    shutil.copytree(HANDMADE, target)
    return target


def run_pipeline(data_dir, warehouse_path, as_of_date: str | None = None, **options):
    """`orchestration.run.run_pipeline`, recording the run in Dagster's in-memory instance
    (the one `execute_in_process` takes by default) instead of the SQLite Dagster home a
    user's runs record into: every step, check, lock and publication is the same, and the
    run costs about 5 s less CPU (51-52 CPU-s instead of 56-57 for the hand-made run, in
    /dev/shm). The CLI's runs, which tests start as processes (tests/test_cli.py,
    tests/test_safe_runs.py), still record into a home, and test_cli.py reads one back."""
    import dagster as dg
    from orchestration.run import run_pipeline as run

    with dg.DagsterInstance.ephemeral() as instance:
        return run(data_dir, warehouse_path, as_of_date, instance=instance, **options)


def shared_run(tmp_path_factory: pytest.TempPathFactory, data: Path, as_of_date: str | None = None):
    """One real Dagster run of the whole pipeline over a dataset of tests/data as of a date,
    made once for the whole session and shared by every pytest-xdist worker: the first
    worker to ask runs it, the others wait for it (a file lock) and read its result.

    Returns the run's summary and the caller's own copy of the published warehouse, to
    read or to run on again: a session fixture was once per worker, so the same run was
    made by each of the three workers, and by files that each made their own (a run is
    about a minute of CPU on a two-core machine that the three workers share). The copy
    keeps the file name, which DuckDB names the catalog after. The run's side files (Data
    Docs, dbt log) stay with the shared run: a test that reads them makes its own run."""
    base = tmp_path_factory.getbasetemp()
    # Each xdist worker has its own temporary folder below one folder of the session.
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared-runs"
    folder = shared / f"{data.name}-as-of-{as_of_date or 'default'}"
    folder.mkdir(parents=True, exist_ok=True)
    built, summary_file = folder / "ledgerlens.duckdb", folder / "summary.pickle"
    with (folder / "lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # waits while another worker makes the run
        if not summary_file.exists():
            summary = run_pipeline(data, built, as_of_date=as_of_date)
            assert summary.success, summary.failures + summary.problems
            summary_file.write_bytes(pickle.dumps(summary))
        summary = pickle.loads(summary_file.read_bytes())
    copy = tmp_path_factory.mktemp(folder.name) / built.name
    shutil.copyfile(built, copy)
    return summary, copy


@pytest.fixture(scope="session")
def handmade_run(tmp_path_factory: pytest.TempPathFactory):
    """One real Dagster run of the whole pipeline over the hand-made dataset."""
    return shared_run(tmp_path_factory, HANDMADE)


# Every importer's fixture companies (tests/data/import), as tests/test_import_quickbooks.py
# and tests/test_import_xero.py import them: source -> (folder, business id, Company options).
IMPORTED_BOOKS = {
    "quickbooks-fivetran": [
        ("quickbooks_fivetran/northwind", "northwind", {"business_name": "Northwind Traders"}),
        ("quickbooks_fivetran/maple", "maple", {}),
    ],
    "quickbooks-csv": [("quickbooks_csv/harbor", "harbor", {"home_currency": "USD"})],
    "xero-fivetran": [("xero/harbourside", "harbourside", {}), ("xero/tasman", "tasman", {})],
    "xero-csv": [("xero-csv/harbourside-csv", "harbourside-csv", {"home_currency": "NZD"})],
}


def imported_books_run(tmp_path_factory: pytest.TempPathFactory):
    """ONE real pipeline run over every importer's fixture companies together (six
    businesses: each importer's contract folder, their rows appended into one folder), shared
    by the QuickBooks and Xero tests: a run per importer would cost a minute of CPU each."""
    from ledgerlens.contract import TABLES
    from ledgerlens.importers import Company, import_books

    base = tmp_path_factory.mktemp("imported-books")
    folders = []
    for source, companies in IMPORTED_BOOKS.items():
        folder = base / source
        import_books(
            source,
            [
                Company(str(HERE / "data" / "import" / path), business_id, **options)
                for path, business_id, options in companies
            ],
            folder,
        )
        folders.append(folder)
    run_folder = base / "imported-books"
    run_folder.mkdir()
    for table in TABLES:
        lines = (folders[0] / f"{table.name}.csv").read_text().splitlines(keepends=True)
        for folder in folders[1:]:
            lines += (folder / f"{table.name}.csv").read_text().splitlines(keepends=True)[1:]
        (run_folder / f"{table.name}.csv").write_text("".join(lines))
    return shared_run(tmp_path_factory, run_folder)


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


ROOT = Path(__file__).resolve().parent.parent


def run_dbt(warehouse: Path, target: Path, *args: str) -> subprocess.CompletedProcess:
    """dbt by hand on a warehouse (a test's own copy: never the shared run's), with its
    target and log folder in `target`; asserts that it succeeded."""
    env = {
        **os.environ,
        "LEDGERLENS_TARGET": "duckdb",
        # the profile takes both from the environment, without defaults
        "LEDGERLENS_WAREHOUSE": str(warehouse),
        "LEDGERLENS_DUCKDB_MEMORY_LIMIT": "1GB",
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target),
    }
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), *args, "--profiles-dir", "profiles"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return result
