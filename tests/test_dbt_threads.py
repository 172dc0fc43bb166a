"""How many threads dbt builds with (orchestration.assets.dbt._dbt_threads): one for a
full DuckDB build with more than 2 million invoice lines per GB of the memory cap, the
profile's two otherwise (DECISIONLOG.md, 2026-12-06 (threads)); LEDGERLENS_DBT_THREADS
overrides both. On a real DuckDB file whose raw.invoice_lines is counted."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from orchestration.assets.dbt import _dbt_threads
from orchestration.resources import THREADS_ENV, Warehouse, memory_gb


def _warehouse(folder: Path, lines: int, memory_limit: str = "2.2GB", target="duckdb"):
    path = folder / "ledgerlens.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists raw")
        con.execute(
            f"create or replace table raw.invoice_lines as select range as n from range({lines})"
        )
    return Warehouse(path=str(path), memory_limit=memory_limit, target=target)


def test_one_thread_above_the_bound_of_a_full_build(tmp_path, monkeypatch):
    monkeypatch.delenv(THREADS_ENV, raising=False)
    # 2,000,000 lines per GB x 2.2 GB = 4,400,000 lines: the bound itself keeps two.
    assert _dbt_threads(_warehouse(tmp_path, 4_400_000), incremental=False) is None
    above = _warehouse(tmp_path, 4_400_001)
    assert _dbt_threads(above, incremental=False) == 1
    # An incremental night builds the changed businesses' rows: two threads.
    assert _dbt_threads(above, incremental=True) is None
    # Twice the cap, twice the bound (8,800,000 lines).
    assert _dbt_threads(_warehouse(tmp_path, 4_400_001, "4.4GB"), incremental=False) is None
    # 3GiB is 3.221225472 GB: the bound is 6,442,450.9 lines.
    assert _dbt_threads(_warehouse(tmp_path, 6_442_450, "3GiB"), incremental=False) is None
    assert _dbt_threads(_warehouse(tmp_path, 6_442_451, "3GiB"), incremental=False) == 1


def test_the_environment_overrides_the_choice(tmp_path, monkeypatch):
    small = _warehouse(tmp_path, 10)
    monkeypatch.setenv(THREADS_ENV, "3")
    assert _dbt_threads(small, incremental=False) == 3
    assert _dbt_threads(small, incremental=True) == 3
    monkeypatch.delenv(THREADS_ENV)
    assert _dbt_threads(small, incremental=False) is None


def test_other_engines_keep_their_profile_s_threads(tmp_path, monkeypatch):
    monkeypatch.delenv(THREADS_ENV, raising=False)
    warehouse = _warehouse(tmp_path, 4_400_001, target="postgres")
    assert _dbt_threads(warehouse, incremental=False) is None


@pytest.mark.parametrize(
    ("limit", "gb"),
    [("2.2GB", 2.2), ("3GiB", 3.221225472), ("800 MB", 0.8), ("1gb", 1.0), ("512MiB", 0.536870912)],
)
def test_memory_limits_read_as_duckdb_reads_them(limit, gb):
    # GB and MB are powers of 1000, GiB and MiB of 1024 (DuckDB's reading).
    assert memory_gb(limit) == pytest.approx(gb)


def test_a_limit_that_is_not_a_size_is_refused():
    with pytest.raises(ValueError, match="not a size"):
        memory_gb("lots")
