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


# The files that take longest (several pipeline runs each), in that order, before all
# the others: `--dist loadfile` hands whole files to the two workers in collection
# order, so a long file collected last (test_segments.py, alphabetically) kept one
# worker busy for minutes after the other had finished.
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
