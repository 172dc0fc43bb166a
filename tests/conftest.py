"""Shared fixtures: the hand-made dataset and real pipeline runs on temporary warehouses."""

from __future__ import annotations

import fcntl
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pytest

HERE = Path(__file__).parent
HANDMADE = HERE / "data" / "handmade"


def pytest_configure(config: pytest.Config) -> None:
    # The tests' runs (in-process and CLI subprocesses) record into a Dagster home of
    # their own, like a user's runs do into the project's, without filling the latter.
    os.environ["DAGSTER_HOME"] = tempfile.mkdtemp(prefix="ledgerlens-dagster-home-")
    # One dbt server per process that runs tests (each pytest-xdist worker; not the
    # controller, which runs none): every dbt the tests start, in their runs, in the CLI's
    # processes and by hand (`run_dbt`), forks from it instead of importing dbt again
    # (orchestration/dbt_server.py; a run without it starts a server of its own).
    if os.environ.get("PYTEST_XDIST_WORKER") or not getattr(config.option, "numprocesses", 0):
        from orchestration import dbt_server

        global _DBT_SERVER
        _DBT_SERVER = dbt_server.start()
        os.environ[dbt_server.SERVER_ENV] = _DBT_SERVER[1]


_DBT_SERVER = None


def pytest_unconfigure(config: pytest.Config) -> None:
    if _DBT_SERVER:
        from orchestration import dbt_server

        dbt_server.stop(*_DBT_SERVER)


# The files that take longest (several pipeline runs each), in that order, before all
# the others: `--dist loadfile` (scripts/test.sh) hands whole files to the workers in
# collection order (with `--no-loadscope-reorder`; by default pytest-xdist 3 orders them
# by their number of tests instead), so a long file collected last (test_segments.py,
# alphabetically) kept one worker busy for minutes after the others had finished.
# test_spark.py first: its one Spark run took 1054 s inside a clean-clone suite
# (2026-12-03), the longest file, and it waits on its JVMs much of that time, which the
# other workers fill. test_sql_lint.py is one item of 519 s there, test_incremental.py one
# of 367 s. test_risk.py is last of these: its as-of test reads the back-test that
# test_cli.py (or test_segments.py) makes, done by then, instead of waiting for it.
LONGEST_FIRST = (
    "test_spark.py",
    "test_safe_runs.py",
    "test_segments.py",
    "test_cli.py",
    "test_sql_lint.py",
    "test_incremental.py",
    "test_postgres.py",
    "test_profitability.py",
    "test_risk.py",
)
# Files of many short, independent tests (no module fixture), last and test by test, not
# as one file: whichever worker is free takes the next one, so they fill the end of the
# suite instead of one worker running test_fuzz.py's 449 (663 s) while the others idle.
SPREAD_LAST = ("test_fuzz.py",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        if name in SPREAD_LAST:
            return len(LONGEST_FIRST) + 1
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: each file keeps its own order


# Before pytest-xdist's own: with `--dist loadfile`, its file-by-file scheduling except
# for SPREAD_LAST's tests, each a unit of its own. (`--dist loadgroup` with a group per
# file would say the same, but pytest 9 ignores the test ids xdist 3.8 rewrites for it,
# so every test became a unit and four workers made test_spark.py's run four times.)
@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class FilesThenSpread(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            return nodeid if Path(scope).name in SPREAD_LAST else scope

    return FilesThenSpread(config, log)


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
    tests/test_safe_runs.py), still record into a home, and test_cli.py reads one back.
    A test's warehouse is best `<folder>/ledgerlens.duckdb`: the file's name is the
    catalog, which dbt's parse depends on, so a run on a file of another name starts with
    a whole parse of the project (about 9 CPU-s) unless a run on that name saved one."""
    import dagster as dg
    from orchestration.run import run_pipeline as run

    with dg.DagsterInstance.ephemeral() as instance:
        return run(data_dir, warehouse_path, as_of_date, instance=instance, **options)


def _shared_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    # scripts/test.sh names one folder for both of its steps, so the engine tests read
    # the DuckDB runs the suite made of the same books (the hand-made run that the Spark
    # and PostgreSQL tests compare with, and test_profitability.py's) instead of making
    # them again inside the Spark test's time. One invocation runs one checkout's code,
    # so a run made in the first step is the run the second would make. (A folder
    # named by hand is trusted the same way: runs kept from other code are not remade.)
    chosen = os.environ.get("LEDGERLENS_SHARED_RUNS")
    if chosen:
        return Path(chosen) / name
    base = tmp_path_factory.getbasetemp()
    # Each xdist worker has its own temporary folder below one folder of the session.
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared-runs"
    return shared / name


def _shared(tmp_path_factory: pytest.TempPathFactory, name: str, make) -> Path:
    """A folder of the session made once and shared by every pytest-xdist worker: the first
    worker to ask calls `make(folder)`, the others wait for it (a file lock) and find the
    folder made. A `make` that raised is called again by the next caller."""
    folder = _shared_folder(tmp_path_factory, name)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # waits while another worker makes it
        if not (folder / "made").exists():
            make(folder)
            (folder / "made").touch()
    return folder


RECEIVABLES = Path(__file__).parent / "data" / "receivables"

# The shared runs made by the `ledgerlens run` command in a process of its own, because a
# test of the command (tests/test_cli.py) reads its printed output, its side files and
# the Dagster home it recorded into: the tests that read only the warehouse or the
# summary share the same run instead of making another one of the same books.
CLI_RUNS = {(HANDMADE.resolve(), None), (RECEIVABLES.resolve(), "2024-06-30")}


@dataclass
class CliRun:
    """A `ledgerlens run` of a shared run: its exit code and output, its warehouse (in a
    folder of its own: `run/`), the Dagster home it recorded into."""

    returncode: int
    stdout: str
    stderr: str
    warehouse: Path
    home: Path


def _run_by_the_cli(data: Path, as_of_date: str | None, folder: Path) -> CliRun:
    warehouse, home = folder / "run" / "ledgerlens.duckdb", folder / "dagster-home"
    for leftover in (warehouse.parent, home):  # of a run that failed before
        shutil.rmtree(leftover, ignore_errors=True)
    warehouse.parent.mkdir()
    arguments = ["run", "--data", str(data), "--warehouse", str(warehouse)]
    arguments += ["--as-of", as_of_date] if as_of_date else []
    arguments += ["--summary-json", str(folder / "summary.json")]
    result = subprocess.run(
        [sys.executable, "-m", "ledgerlens.cli", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,  # a hang guard: a run took over 20 minutes here at load 12
        env={**os.environ, "DAGSTER_HOME": str(home)},
    )
    return CliRun(result.returncode, result.stdout, result.stderr, warehouse, home)


def shared_run(tmp_path_factory: pytest.TempPathFactory, data: Path, as_of_date: str | None = None):
    """One real Dagster run of the whole pipeline over a dataset of tests/data as of a date,
    made once for the whole session and shared by every pytest-xdist worker: the first
    worker to ask runs it, the others wait for it (a file lock) and read its result.

    Returns the run's summary and the caller's own copy of the published warehouse, to
    read or to run on again: a session fixture was once per worker, so the same run was
    made by each of the three workers, and by files that each made their own (a run is
    about a minute of CPU on a two-core machine that the three workers share). The copy
    keeps the file name, which DuckDB names the catalog after. The run's side files (Data
    Docs, dbt log) stay with the shared run: a test that reads them makes its own run, or
    reads a CLI run's (`shared_cli_run`).

    The runs of CLI_RUNS are made by the command in a process of its own, the summary
    read back from the file its --summary-json writes."""
    from orchestration.run import RunSummary, TableLoad

    def make(folder: Path) -> None:
        if (data.resolve(), as_of_date) in CLI_RUNS:
            cli = _run_by_the_cli(data, as_of_date, folder)
            (folder / "cli.json").write_text(json.dumps(asdict(cli), default=str))
            assert cli.returncode == 0, cli.stdout + cli.stderr
            fields = json.loads((folder / "summary.json").read_text())
            summary = RunSummary(
                **{**fields, "loads": [TableLoad(**load) for load in fields["loads"]]}
            )
            shutil.copyfile(cli.warehouse, folder / "ledgerlens.duckdb")
        else:
            summary = run_pipeline(data, folder / "ledgerlens.duckdb", as_of_date=as_of_date)
        assert summary.success, summary.failures + summary.problems
        (folder / "summary.pickle").write_bytes(pickle.dumps(summary))

    folder = _shared(tmp_path_factory, f"{data.name}-as-of-{as_of_date or 'default'}", make)
    summary = pickle.loads((folder / "summary.pickle").read_bytes())
    copy = tmp_path_factory.mktemp(folder.name) / "ledgerlens.duckdb"
    shutil.copyfile(folder / "ledgerlens.duckdb", copy)
    return summary, copy


def shared_cli_run(
    tmp_path_factory: pytest.TempPathFactory, data: Path, as_of_date: str | None = None
) -> CliRun:
    """The `ledgerlens run` process of a shared run of CLI_RUNS: what it printed, its
    warehouse and side files and its Dagster home, to read only (other tests share them)."""
    assert (data.resolve(), as_of_date) in CLI_RUNS, "a run that tests/conftest.py's CLI_RUNS lists"
    shared_run(tmp_path_factory, data, as_of_date)
    name = f"{data.name}-as-of-{as_of_date or 'default'}"
    fields = json.loads((_shared_folder(tmp_path_factory, name) / "cli.json").read_text())
    return CliRun(
        **{**fields, "warehouse": Path(fields["warehouse"]), "home": Path(fields["home"])}
    )


def shared_demo_run(
    tmp_path_factory: pytest.TempPathFactory,
    seed: int,
    lines: int,
    businesses: tuple[str, ...] | None = None,
) -> tuple[Path, Path]:
    """A demo export (`ledgerlens.demo.generate`) and a real run on it as of its default
    dates, made once for the session like `shared_run`: its data folder and published
    warehouse, to read only (other tests share them)."""
    from ledgerlens.demo import generate

    def make(folder: Path) -> None:
        shutil.rmtree(folder / "data", ignore_errors=True)
        generate(folder / "data", seed=seed, lines=lines, businesses=businesses)
        summary = run_pipeline(folder / "data", folder / "ledgerlens.duckdb")
        assert summary.success, summary.failures + summary.problems

    name = f"demo-{seed}-{lines}-{'-'.join(businesses) if businesses else 'all'}"
    folder = _shared(tmp_path_factory, name, make)
    return folder / "data", folder / "ledgerlens.duckdb"


# The back-test that tests/test_cli.py runs by the command; tests/test_risk.py and
# tests/test_segments.py read its runs (the export cut at T as of T, the whole export as
# of its end) instead of making the same runs again.
BACKTEST_SEED, BACKTEST_LINES = 5, 20_000


@dataclass
class Backtest:
    """`ledgerlens backtest` on one seed: its exit code and output, its work folder (to
    read only), and there the demo export and the warehouses of its two runs."""

    returncode: int
    stdout: str
    stderr: str
    workdir: Path

    @property
    def data(self) -> Path:
        return self.workdir / f"data-{BACKTEST_LINES}-{BACKTEST_SEED}"

    def warehouse(self, name: str) -> Path:
        """The run `at_t` (the export cut at T, as of T) or `at_end` (all of it, as of
        its end)."""
        path = self.workdir / f"warehouse-{BACKTEST_LINES}-{BACKTEST_SEED}-{name}.duckdb"
        assert path.exists(), path
        return path


def shared_backtest(tmp_path_factory: pytest.TempPathFactory) -> Backtest:
    """`ledgerlens backtest --seeds 5 --lines 20000 --methods logistic` in a process of its
    own, made once for the session like `shared_run`."""

    def make(folder: Path) -> None:
        shutil.rmtree(folder / "work", ignore_errors=True)
        result = subprocess.run(
            [sys.executable, "-m", "ledgerlens.cli", "backtest"]
            + ["--seeds", str(BACKTEST_SEED), "--lines", str(BACKTEST_LINES)]
            + ["--methods", "logistic", "--workdir", str(folder / "work")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=3600,  # a hang guard: two runs, each over 20 minutes at load 12
        )
        fields = {"returncode": result.returncode, "stdout": result.stdout}
        (folder / "backtest.json").write_text(json.dumps({**fields, "stderr": result.stderr}))

    folder = _shared(tmp_path_factory, "backtest", make)
    return Backtest(**json.loads((folder / "backtest.json").read_text()), workdir=folder / "work")


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


def node_results(target: Path) -> list[dict]:
    """The results in a dbt command's `run_results.json` under `target`, less the project's
    on-run-start hook (macros/retired_models.sql), an operation node in every command."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    return [result for result in results if not result["unique_id"].startswith("operation.")]


def run_dbt(
    warehouse: Path, target: Path, *args: str, must_pass: bool = True
) -> subprocess.CompletedProcess:
    """dbt by hand on a warehouse (a test's own copy: never the shared run's), with its
    target and log folder in `target`; asserts that it succeeded unless `must_pass` is
    false (a test of failing dbt tests).

    The target starts with the project's parse (`prepared_project`), which dbt reads
    partially when the warehouse's file is `ledgerlens.duckdb` (the catalog the parse was
    made with) and the memory limit the default one: a whole parse of the project in a new
    target was about 8 of the 16 CPU-s of a `dbt ls` in a process of its own."""
    from orchestration.project import prepared_project
    from orchestration.resources import DEFAULT_MEMORY_LIMIT

    state = Path(prepared_project().project_dir) / "target" / "partial_parse.msgpack"
    target.mkdir(parents=True, exist_ok=True)
    if state.exists() and not (target / state.name).exists():
        shutil.copyfile(state, target / state.name)
    env = {
        **os.environ,
        "LEDGERLENS_TARGET": "duckdb",
        # the profile takes both from the environment, without defaults
        "LEDGERLENS_WAREHOUSE": str(warehouse),
        "LEDGERLENS_DUCKDB_MEMORY_LIMIT": DEFAULT_MEMORY_LIMIT,
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target),
    }
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.dbt_main", *args, "--profiles-dir", "profiles"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if must_pass:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return result
