"""Resources: where the raw files are and which DuckDB file is the warehouse."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from ledgerlens import safe_run
from orchestration.project import REPO_ROOT

DEFAULT_WAREHOUSE = REPO_ROOT / "warehouse" / "ledgerlens.duckdb"
DEFAULT_DATA_DIR = REPO_ROOT / "demo-data"


def _absolute(path: str | Path) -> str:
    return str(Path(path).expanduser().resolve())


DEFAULT_MEMORY_LIMIT = "3GB"


class Warehouse(dg.ConfigurableResource):
    """The DuckDB warehouse file. dbt reads the same path from LEDGERLENS_WAREHOUSE.

    A run writes a build copy, never the file people read, and publishes it with one
    rename when every step succeeded (ledgerlens.safe_run): an interrupted or failed
    run leaves the last good warehouse as it was, and a second run at the same time
    fails at once with "warehouse is busy".
    """

    path: str
    # DuckDB takes 80% of the machine's memory by default; this cap (also given to dbt
    # through the profile) makes large loads spill to disk instead.
    memory_limit: str = os.environ.get("LEDGERLENS_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)

    _lock: safe_run.WarehouseLock | None = PrivateAttr(default=None)
    _build: Path | None = PrivateAttr(default=None)

    @property
    def write_path(self) -> str:
        """The file this run writes: the build copy during a run, else the warehouse."""
        return str(self._build) if self._build else self.path

    def connect(self) -> duckdb.DuckDBPyConnection:
        Path(self.write_path).parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(self.write_path, config={"memory_limit": self.memory_limit})

    def export_to_dbt(self) -> None:
        # dbt runs as a subprocess and finds the warehouse through its profile, which
        # reads this variable: one path for the loaders and the models.
        os.environ["LEDGERLENS_WAREHOUSE"] = self.write_path
        os.environ["LEDGERLENS_DUCKDB_MEMORY_LIMIT"] = self.memory_limit

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        warehouse = Path(self.path)
        self._lock = safe_run.acquire_lock(warehouse)
        try:
            self._build = safe_run.start_build(warehouse)
        except BaseException:
            self._lock.release()
            raise

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        warehouse = Path(self.path)
        try:
            failures = context.instance.all_logs(
                context.run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE
            )
            # A failed blocking check (an ERROR) stops the assets after it without failing
            # a step: it must stop publishing too.
            failures += [
                event
                for event in context.instance.all_logs(
                    context.run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
                )
                if not event.dagster_event.event_specific_data.passed
                and event.dagster_event.event_specific_data.severity == dg.AssetCheckSeverity.ERROR
            ]
            if failures:
                kept = safe_run.keep_failed_build(warehouse)
                context.log.warning(
                    f"run failed: {warehouse} is unchanged; the failed build is in {kept}"
                )
            else:
                seconds = safe_run.publish_build(warehouse)
                context.log.info(f"published the build to {warehouse} ({seconds:.1f}s)")
        finally:
            self._build = None
            os.environ["LEDGERLENS_WAREHOUSE"] = self.path
            if self._lock:
                self._lock.release()
                self._lock = None


class RawFiles(dg.ConfigurableResource):
    """The folder holding one file per contract table (`<table>.csv` or `.parquet`)."""

    data_dir: str


def warehouse_from_env() -> Warehouse:
    return Warehouse(path=_absolute(os.environ.get("LEDGERLENS_WAREHOUSE", DEFAULT_WAREHOUSE)))


def raw_files_from_env() -> RawFiles:
    return RawFiles(data_dir=_absolute(os.environ.get("LEDGERLENS_DATA", DEFAULT_DATA_DIR)))
