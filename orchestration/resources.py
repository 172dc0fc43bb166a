"""Resources: where the raw files are and which DuckDB file is the warehouse."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.project import REPO_ROOT

DEFAULT_WAREHOUSE = REPO_ROOT / "warehouse" / "ledgerlens.duckdb"
DEFAULT_DATA_DIR = REPO_ROOT / "demo-data"


def _absolute(path: str | Path) -> str:
    return str(Path(path).expanduser().resolve())


DEFAULT_MEMORY_LIMIT = "3GB"


class Warehouse(dg.ConfigurableResource):
    """The DuckDB warehouse file. dbt reads the same path from LEDGERLENS_WAREHOUSE."""

    path: str
    # DuckDB takes 80% of the machine's memory by default; this cap (also given to dbt
    # through the profile) makes large loads spill to disk instead.
    memory_limit: str = os.environ.get("LEDGERLENS_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)

    def connect(self) -> duckdb.DuckDBPyConnection:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(self.path, config={"memory_limit": self.memory_limit})

    def export_to_dbt(self) -> None:
        # dbt runs as a subprocess and finds the warehouse through its profile, which
        # reads this variable: one path for the loaders and the models.
        os.environ["LEDGERLENS_WAREHOUSE"] = self.path
        os.environ["LEDGERLENS_DUCKDB_MEMORY_LIMIT"] = self.memory_limit


class RawFiles(dg.ConfigurableResource):
    """The folder holding one file per contract table (`<table>.csv` or `.parquet`)."""

    data_dir: str


def warehouse_from_env() -> Warehouse:
    return Warehouse(path=_absolute(os.environ.get("LEDGERLENS_WAREHOUSE", DEFAULT_WAREHOUSE)))


def raw_files_from_env() -> RawFiles:
    return RawFiles(data_dir=_absolute(os.environ.get("LEDGERLENS_DATA", DEFAULT_DATA_DIR)))
