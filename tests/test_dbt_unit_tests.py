"""dbt's unit tests (the `unit_tests:` beside the models they test) run here, once, rather
than in every pipeline run: they check the models' SQL on fixed inputs, not the books."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import node_results, run_dbt

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def test_every_dbt_unit_test_passes(handmade_run, tmp_path):
    # The unit tests read the columns of the models they mock from the warehouse: a copy
    # of the hand-made run's, so the shared one is not written.
    _, warehouse = handmade_run
    copy = tmp_path / "ledgerlens.duckdb"
    shutil.copyfile(warehouse, copy)
    target = tmp_path / "target"
    run_dbt(copy, target, "test", "--select", "test_type:unit")
    results = node_results(target)
    manifest = json.loads((target / "manifest.json").read_text())
    unit_tests = set(manifest["unit_tests"])
    assert len(unit_tests) >= 20
    assert {r["unique_id"] for r in results} == unit_tests
    assert {r["status"] for r in results} == {"pass"}


def test_seeds_load_into_a_warehouse_built_before_a_seed_gained_a_column(handmade_run, tmp_path):
    """A warehouse built by an older version has segment_rules without `is_at_risk`: the
    next run's `dbt seed` must rebuild the table (`+full_refresh: true` on seeds), not
    fail on the column count, which it did before."""
    import duckdb

    copy = tmp_path / "ledgerlens.duckdb"
    shutil.copyfile(handmade_run[1], copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("alter table marts.segment_rules drop column is_at_risk")
    run_dbt(copy, tmp_path / "target", "seed")
    with duckdb.connect(str(copy), read_only=True) as con:
        at_risk = con.execute(
            "select segment from marts.segment_rules where is_at_risk order by segment"
        ).fetchall()
    # seeds/segment_rules.csv flags these two
    assert at_risk == [("Don't Lose Them",), ("Give Attention",)]


def test_a_retired_model_s_table_is_dropped_by_the_next_build(handmade_run, tmp_path):
    """A warehouse built before int_customer_days_ledgered was renamed (and
    int_snapshot_dates removed) still has their tables: dbt leaves them, so the next
    build drops them (macros/retired_models.sql); a table of the user's own stays."""
    import duckdb

    copy = tmp_path / "ledgerlens.duckdb"
    shutil.copyfile(handmade_run[1], copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("create table intermediate.int_customer_days_ledgered as select 1 as a")
        con.execute("create view intermediate.int_snapshot_dates as select 1 as a")
        con.execute("create table intermediate.my_own_notes as select 1 as a")
    # Any build or run, whatever it selects (a view here: seconds).
    run_dbt(copy, tmp_path / "target", "run", "--select", "stg_businesses")
    with duckdb.connect(str(copy), read_only=True) as con:
        left = {
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'intermediate'"
            ).fetchall()
        }
    assert "my_own_notes" in left and "int_customer_ledger_facts_unioned" in left
    assert not left & {"int_customer_days_ledgered", "int_snapshot_dates"}
