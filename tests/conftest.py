"""Shared fixtures: the hand-made dataset and real pipeline runs on temporary warehouses."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import duckdb
import pytest

HANDMADE = Path(__file__).parent / "data" / "handmade"


def pytest_configure(config: pytest.Config) -> None:
    # The tests' runs (in-process and CLI subprocesses) record into a Dagster home of
    # their own, like a user's runs do into the project's, without filling the latter.
    os.environ["DAGSTER_HOME"] = tempfile.mkdtemp(prefix="ledgerlens-dagster-home-")


@pytest.fixture
def handmade_copy(tmp_path: Path) -> Path:
    """A writable copy of the hand-made dataset, for tests that corrupt it."""
    target = tmp_path / "data"
    shutil.copytree(HANDMADE, target)
    return target


@pytest.fixture(scope="session")
def handmade_run(tmp_path_factory: pytest.TempPathFactory):
    """One real Dagster run of the whole pipeline over the hand-made dataset."""
    from orchestration.run import run_pipeline

    warehouse = tmp_path_factory.mktemp("handmade") / "ledgerlens.duckdb"
    summary = run_pipeline(HANDMADE, warehouse)
    return summary, warehouse


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()
