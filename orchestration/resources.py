"""Resources: the warehouse (its path, memory cap and side files), the raw files, the run's
options and the Great Expectations context.

`Warehouse` is the one carrier of the warehouse path, the DuckDB memory cap and the
engine the marts are built on (`target`). The load assets connect to the DuckDB file
through it; the Python steps and the checks on marts reach the target through
`Warehouse.engine()` (ledgerlens.engines); and dbt, which runs as a subprocess and finds
the warehouse through `profiles/profiles.yml`, receives all three from it
(`Warehouse.dbt_env`): nothing else reads or writes them.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from ledgerlens import safe_run
from ledgerlens.engines import DEFAULT_TARGET, TARGETS, Engine, open_engine

REPO_ROOT = Path(__file__).resolve().parent.parent

# The one default of each: a user points a run elsewhere with `--warehouse` (CLI) or, for
# `dagster dev` and the nightly schedule, with these environment variables
# (`Warehouse.from_env`).
DEFAULT_WAREHOUSE = REPO_ROOT / "warehouse" / "ledgerlens.duckdb"
DEFAULT_DATA_DIR = REPO_ROOT / "demo-data"
# DuckDB takes 80% of the machine's memory by default; this cap makes large loads and
# models spill to disk instead. Each process of a run holds the cap plus what is not
# DuckDB's: up to 400 MiB in a dbt process, about 680 MiB in the run's own while it loads
# (Dagster, GX). 2.2GB (2,098 MiB) keeps a 10M-line run under 3 GiB per process, for
# a few per cent more CPU than 3GB (DECISIONLOG.md, "Peak memory under 3 GiB").
DEFAULT_MEMORY_LIMIT = "2.2GB"
WAREHOUSE_ENV = "LEDGERLENS_WAREHOUSE"
MEMORY_LIMIT_ENV = "LEDGERLENS_DUCKDB_MEMORY_LIMIT"
# dbt's threads for every build, overriding the run driver's choice
# (orchestration.assets.dbt._dbt_threads) and the profile's.
THREADS_ENV = "LEDGERLENS_DBT_THREADS"
DATA_ENV = "LEDGERLENS_DATA"
# The dbt target (profiles/profiles.yml) and engine of everything after the load.
TARGET_ENV = "LEDGERLENS_TARGET"


_MEMORY_UNITS = {
    "b": 1,
    "kb": 1e3,
    "mb": 1e6,
    "gb": 1e9,
    "tb": 1e12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}


def memory_gb(limit: str) -> float:
    """A DuckDB memory limit ("2.2GB", "3GiB", "800 MB") in GB (10^9 bytes), read as DuckDB
    reads it: GB is 1000^3 bytes, GiB 1024^3."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([a-zA-Z]*)\s*", limit)
    unit = match.group(2).lower() if match else None
    if unit not in _MEMORY_UNITS:
        raise ValueError(f"{MEMORY_LIMIT_ENV}={limit!r}: not a size such as 2.2GB or 3GiB")
    return float(match.group(1)) * _MEMORY_UNITS[unit] / 1e9


def absolute(path: str | Path) -> str:
    return str(Path(path).expanduser().resolve())


class Warehouse(dg.ConfigurableResource):
    """The DuckDB warehouse file.

    A run writes a build copy, never the file people read, and publishes it with one
    rename when every step succeeded (ledgerlens.safe_run): an interrupted or failed
    run leaves the last good warehouse as it was, and a second run at the same time
    fails at once with "warehouse is busy". This lives in the resource, not only in the
    CLI's run driver, so that runs started from the Dagster UI or the schedule are as
    safe. The run's side files (build copy, failed build, lock, GX project, dbt logs)
    sit together in `<warehouse>.files/` (`safe_run.side_files`).
    """

    path: str = str(DEFAULT_WAREHOUSE)
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    # Where dbt builds and the Python steps read and write: `duckdb` (this file),
    # `postgres` (the server of the profile's LEDGERLENS_PG_* variables) or `spark` (a
    # local Spark session on the folder `spark_home`). The loader
    # validates into this file on every target; on another target the run publishes
    # the loaded tables there before dbt (ledgerlens.engines.Engine.publish_raw).
    target: str = DEFAULT_TARGET

    _lock: safe_run.WarehouseLock | None = PrivateAttr(default=None)
    _build: Path | None = PrivateAttr(default=None)
    # On another target than DuckDB, the connection holding its run lock during a run.
    _target_lock: Engine | None = PrivateAttr(default=None)

    @classmethod
    def from_env(cls) -> Warehouse:
        """For `dagster dev` and schedules, which have no command line."""
        return cls(
            path=absolute(os.environ.get(WAREHOUSE_ENV, DEFAULT_WAREHOUSE)),
            memory_limit=os.environ.get(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT),
            target=os.environ.get(TARGET_ENV, DEFAULT_TARGET),
        )

    @property
    def side_files(self) -> Path:
        return safe_run.side_files(Path(self.path))

    @property
    def spark_home(self) -> str:
        """The Spark target's folder of tables and metastore: LEDGERLENS_SPARK_HOME, else
        `<warehouse>.files/spark` (outside the build copy: Spark's tables are not
        swapped in by the publish; a failed run on Spark leaves what it wrote)."""
        from ledgerlens.engines.spark import SPARK_HOME_ENV

        return absolute(os.environ.get(SPARK_HOME_ENV) or self.side_files / "spark")

    @property
    def write_path(self) -> str:
        """The file this run writes: the build copy during a run, else the warehouse."""
        return str(self._build) if self._build else self.path

    def connect(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB file the loader writes (the build copy during a run)."""
        Path(self.write_path).parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(self.write_path, config={"memory_limit": self.memory_limit})

    def engine(self) -> Engine:
        """The target engine, for the steps after the load: on DuckDB the same file as
        `connect`, elsewhere the target's server."""
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {', '.join(TARGETS)}, not {self.target!r}")
        if self.target == "duckdb":
            Path(self.write_path).parent.mkdir(parents=True, exist_ok=True)
        return open_engine(
            self.target,
            duckdb_path=self.write_path,
            memory_limit=self.memory_limit,
            spark_home=self.spark_home if self.target == "spark" else None,
        )

    @contextlib.contextmanager
    def dbt_env(self) -> Iterator[None]:
        """The environment a dbt subprocess started inside this block sees: the profile
        reads the target, the warehouse path and memory cap from it. dagster-dbt copies os.environ
        when it starts dbt and takes no environment of its own, so the variables are set
        for the start only and restored afterwards."""
        names = (WAREHOUSE_ENV, MEMORY_LIMIT_ENV, TARGET_ENV, "SPARK_CONF_DIR")
        saved = {name: os.environ.get(name) for name in names}
        os.environ[WAREHOUSE_ENV] = self.write_path
        os.environ[MEMORY_LIMIT_ENV] = self.memory_limit
        os.environ[TARGET_ENV] = self.target
        if self.target == "spark":
            # dbt-spark's session method starts its own JVM: the same folders and settings
            # as the Python steps' sessions (ledgerlens.engines.spark).
            from ledgerlens.engines.spark import write_spark_conf

            os.environ["SPARK_CONF_DIR"] = str(write_spark_conf(self.spark_home))
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def take_target_lock(self) -> Engine | None:
        """The target's run lock, held until the returned engine is closed (None on
        DuckDB, whose file lock is the run's lock); raise WarehouseBusy when another run
        holds it."""
        if self.target == "duckdb":
            return None
        engine = self.engine()
        if not engine.try_run_lock():
            engine.close()
            raise safe_run.WarehouseBusy(
                f"warehouse is busy: another ledgerlens run is writing the {self.target} "
                "database. Wait for it to finish; nothing was changed."
            )
        return engine

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        warehouse = Path(self.path)
        self._lock = safe_run.acquire_lock(warehouse)
        try:
            self._target_lock = self.take_target_lock()
            self._build = safe_run.start_build(warehouse)
        except BaseException:
            if self._target_lock:
                self._target_lock.close()
                self._target_lock = None
            self._lock.release()
            raise

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        warehouse = Path(self.path)
        try:
            if _run_failed(context):
                existed = warehouse.exists()
                kept = safe_run.keep_failed_build(warehouse)
                context.log.warning(
                    "run failed: "
                    + (f"{warehouse} is unchanged" if existed else f"{warehouse} was not created")
                    + (f"; the failed build is in {kept}" if kept else "")
                )
            else:
                seconds = safe_run.publish_build(warehouse)
                context.log.info(f"published the build to {warehouse} ({seconds:.1f}s)")
        finally:
            self._build = None
            if self._target_lock:
                self._target_lock.close()
                self._target_lock = None
            if self._lock:
                self._lock.release()
                self._lock = None


def _run_failed(context: dg.InitResourceContext) -> bool:
    instance, run_id = context.instance, context.run.run_id
    if instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        return True
    # A failed blocking check (an ERROR) stops the assets after it without failing a step:
    # it must stop publishing too.
    for event in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = event.dagster_event.event_specific_data
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            return True
    return False


class RawFiles(dg.ConfigurableResource):
    """The folder holding one file per contract table (`<table>.csv` or `.parquet`)."""

    data_dir: str = str(DEFAULT_DATA_DIR)

    @classmethod
    def from_env(cls) -> RawFiles:
        return cls(data_dir=absolute(os.environ.get(DATA_ENV, DEFAULT_DATA_DIR)))


class RunOptions(dg.ConfigurableResource):
    """What a run may be asked, as run configuration (the CLI's `--as-of`, the launchpad's
    `resources.run_options.config`): every step reads it from here."""

    # The "today" of every as-of computation (YYYY-MM-DD), for every business; None: the
    # dbt default, each business's own (macros/as_of_date.sql).
    as_of_date: str | None = None
    # Rebuild every model for every business, whatever changed (ledgerlens.incremental).
    full_refresh: bool = False

    def dbt_vars(self) -> dict[str, str]:
        return {"as_of_date": self.as_of_date} if self.as_of_date else {}


class GreatExpectations(dg.ConfigurableResource):
    """One GX context per run, in the warehouse's side files; the Data Docs are built once,
    when the run ends, instead of after every check."""

    _validator: object | None = PrivateAttr(default=None)
    _folder: Path | None = PrivateAttr(default=None)

    def validator(self, warehouse: Warehouse):
        from ledgerlens.quality import Validator

        if self._validator is None:
            self._folder = warehouse.side_files
            self._validator = Validator(self._folder)
        return self._validator

    @staticmethod
    def docs_index(warehouse: Warehouse) -> Path:
        # Where GX's file context renders its local site (ledgerlens.quality.Validator).
        return (
            warehouse.side_files / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
        )

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._validator is not None:
            self._validator.build_docs()
            self._validator = None
