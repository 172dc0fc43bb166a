"""The same dbt project on a real PostgreSQL server, started by the test."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.conftest import node_results
from tests.mart_comparison import (
    GRAINS,
    PYTHON_OUTPUTS,
    assert_same_rows,
    assert_same_run,
    local_schemas,
    python_output_selects,
    read_duckdb_marts,
    recorded_metadata,
    without_timings,
)
from tests.test_customer_sheet import EXPECTED
from tests.test_engines import round_trip_table

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """A throw-away PostgreSQL cluster on 127.0.0.1, trust auth, stopped afterwards."""
    bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    assert bindirs, "PostgreSQL server binaries missing: apt-get install postgresql"
    bindir = Path(bindirs[-1])
    home = Path(tempfile.mkdtemp(prefix="ledgerlens-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        home.chmod(0o755)
        shutil.chown(home, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = home / "data", _free_port()
    subprocess.run(
        [*as_user, bindir / "initdb", "-D", data, "-U", "ledgerlens", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [*as_user, bindir / "pg_ctl", "-D", data, "-o", options, "-l", home / "log", "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield {"host": "127.0.0.1", "port": port, "user": "ledgerlens", "dbname": "postgres"}
    finally:
        subprocess.run([*as_user, bindir / "pg_ctl", "-D", data, "-m", "fast", "stop"], check=False)
        shutil.rmtree(home, ignore_errors=True)


def _pg_vars(postgres: dict) -> dict[str, str]:
    """The profile's variables for this server (the run driver's engine reads the same)."""
    return {
        "LEDGERLENS_TARGET": "postgres",
        "LEDGERLENS_PG_HOST": postgres["host"],
        "LEDGERLENS_PG_PORT": str(postgres["port"]),
        "LEDGERLENS_PG_USER": postgres["user"],
        "LEDGERLENS_PG_DATABASE": postgres["dbname"],
    }


def _pg_env(postgres: dict) -> dict:
    return {**os.environ, **_pg_vars(postgres)}


def build_and_read(
    postgres: dict, warehouse: Path, target: Path, marts: list[str], dbt_vars: str | None = None
) -> dict:
    """Copy the DuckDB warehouse's raw tables to PostgreSQL, `dbt build` there, and read
    `marts` from both engines."""
    from ledgerlens.publish import publish_to_postgres

    copied = publish_to_postgres(warehouse, **postgres)
    dbt = Path(sys.executable).parent / "dbt"
    build = subprocess.run(
        [
            str(dbt),
            "build",
            "--profiles-dir",
            "profiles",
            "--target-path",
            str(target),
            *(["--vars", dbt_vars] if dbt_vars else []),
        ],
        cwd=ROOT,
        env=_pg_env(postgres),
        capture_output=True,
        text=True,
        timeout=600,
    )
    return {"copied": copied, "build": build, **read_marts(postgres, warehouse, marts)}


def read_marts(postgres: dict, warehouse: Path, marts: list[str]) -> dict:
    """`marts` as PostgreSQL's database `postgres["dbname"]` and the DuckDB file hold them."""
    import psycopg2

    read: dict[str, dict] = {}
    with psycopg2.connect(**postgres) as pg, pg.cursor() as cursor:
        cursor.execute(
            "select table_name, table_schema from information_schema.tables"
            " where table_schema not in ('pg_catalog', 'information_schema')"
        )
        schemas = dict(cursor.fetchall())
        for mart in marts:
            if schemas.get(mart) != "marts":
                continue
            cursor.execute(f"select * from marts.{mart}")
            read[mart] = {
                "columns": [column.name for column in cursor.description],
                "rows": cursor.fetchall(),
            }
    duck = read_duckdb_marts(warehouse, marts)
    return {"schemas": schemas, "pg": read, "duckdb": duck}


@pytest.fixture(scope="module")
def both_engines(postgres, handmade_run, tmp_path_factory):
    """One dbt build on PostgreSQL over the raw tables of the hand-made DuckDB run (the
    same raw data on both engines), then every mart read from both, once, for all the
    comparisons below."""
    _, warehouse = handmade_run
    return build_and_read(postgres, warehouse, tmp_path_factory.mktemp("pg_target"), sorted(GRAINS))


# The profitability marts, compared again on tests/data/profitability by
# tests/test_profitability.py (on the DuckDB run it makes anyway).
PROFITABILITY_MARTS = [
    "customer_profitability",
    "profitability_summary",
    "segment_profitability",
    "account_sheet",
]


@pytest.mark.parametrize("mart", sorted(GRAINS))
def test_mart_on_postgres_equals_duckdb_row_for_row(both_engines, mart):
    assert_same_rows(both_engines["pg"], both_engines["duckdb"], mart, "PostgreSQL")


def test_customer_sheet_and_aging_on_postgres_hold_the_hand_computed_numbers(both_engines):
    pg = both_engines["pg"]
    sheet_columns = pg["customer_sheet"]["columns"]
    sheet = {}
    for row in pg["customer_sheet"]["rows"]:
        record = dict(zip(sheet_columns, row, strict=True))
        sheet[(record["business_id"], record["customer_id"])] = (
            record["ltv"],
            record["purchases"],
            record["first_purchase_date"].isoformat(),
            record["last_purchase_date"].isoformat(),
        )
    assert sheet == EXPECTED
    assert all(isinstance(value[0], Decimal) for value in sheet.values())
    aging_columns = pg["ar_aging"]["columns"]
    aging = {}
    for row in pg["ar_aging"]["rows"]:
        record = dict(zip(aging_columns, row, strict=True))
        aging[(record["business_id"], record["customer_id"])] = (
            record["open_balance_home"],
            record["current_home"],
            record["past_due_61_90_home"],
        )
    # acme as of 2024-07-01: C1 owes I2 540.00, due 04-04 (88 days past due); C2 owes I7
    # 108.00, due 07-16 (not yet due); C3 holds 56.00 CAD x 0.735 = 41.16 unapplied credit.
    # euro as of its own latest invoice, 2024-04-10: I1 595.00 is paid only on 04-20, and
    # due 04-24 (not yet due).
    assert aging == {
        ("acme", "C1"): (Decimal("540.00"), Decimal("0.00"), Decimal("540.00")),
        ("acme", "C2"): (Decimal("108.00"), Decimal("108.00"), Decimal("0.00")),
        ("acme", "C3"): (Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),
        ("euro", "C1"): (Decimal("595.00"), Decimal("595.00"), Decimal("0.00")),
    }
    # open: acme I2 and I7, euro I1 (as of euro's own date); two businesses x 13 weeks
    assert len(pg["open_invoice_risk"]["rows"]) == 3
    assert len(pg["cash_forecast"]["rows"]) == 2 * 13


def test_dbt_source_tests_catch_a_repeated_key_on_postgres(postgres, handmade_run, tmp_path):
    """On a PostgreSQL target the keys of raw tables are dbt's to check, as on DuckDB
    (GX checks no key: DECISIONLOG.md, 2026-12-01)."""

    import psycopg2

    from ledgerlens.publish import publish_to_postgres

    _, warehouse = handmade_run
    publish_to_postgres(warehouse, **postgres)
    # I1's first line again, written straight into PostgreSQL.
    with psycopg2.connect(**postgres) as pg, pg.cursor() as cursor:
        cursor.execute(
            "insert into raw.invoice_lines select * from raw.invoice_lines"
            " where business_id = 'acme' and invoice_id = 'I1' and line_number = 1"
        )
    unique = (
        "source_unique_combination_of_columns"
        "_raw_invoice_lines_business_id__invoice_id__line_number"
    )
    dbt = Path(sys.executable).parent / "dbt"
    target = tmp_path / "target"
    run = subprocess.run(
        [
            str(dbt),
            "test",
            "--select",
            unique,
            "--profiles-dir",
            "profiles",
            "--target-path",
            str(target),
        ],
        cwd=ROOT,
        env=_pg_env(postgres),
        capture_output=True,
        text=True,
        timeout=600,
    )
    [result] = node_results(target)
    assert (result["unique_id"].split(".")[2], result["status"]) == (unique, "fail"), run.stdout
    assert result["failures"] == 1  # one key, on two rows


def _without_timings(engines: dict) -> dict:
    """The marts read by `read_marts` less the TIMINGS columns, on both sides."""
    return {
        **engines,
        "pg": without_timings(engines["pg"]),
        "duckdb": without_timings(engines["duckdb"]),
    }


@pytest.fixture(scope="module")
def pipeline_on_postgres(postgres, handmade_run, tmp_path_factory):
    """The run driver end to end with target postgres, once: a real Dagster run over the
    hand-made files (the loads and the raw checks on the DuckDB file, the raw tables
    published to PostgreSQL, dbt, the Python steps and the mart checks there), into a
    database of its own on the test's server; then its marts and the Python steps'
    tables, read from it, beside the DuckDB run's of the same files (`handmade_run`)."""
    import psycopg2
    from orchestration.run import run_pipeline

    from tests.conftest import HANDMADE

    admin = psycopg2.connect(**postgres)
    admin.autocommit = True  # create database runs outside a transaction
    with admin.cursor() as cursor:
        cursor.execute("create database pipeline")
    admin.close()
    server = {**postgres, "dbname": "pipeline"}
    warehouse = tmp_path_factory.mktemp("pg_run") / "ledgerlens.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in _pg_vars(server).items():
            patch.setenv(name, value)
        summary = run_pipeline(HANDMADE, warehouse, target="postgres")
    recorded = recorded_metadata(summary.run_id)
    duck_summary, duck_warehouse = handmade_run
    engines = _without_timings(read_marts(server, duck_warehouse, sorted(GRAINS)))
    outputs: dict[str, tuple[list, list]] = {}
    with (
        psycopg2.connect(**server) as pg,
        pg.cursor() as cursor,
        duckdb.connect(str(duck_warehouse), read_only=True) as duck,
    ):
        for table, select in python_output_selects(duck).items():
            cursor.execute(select)
            pg_rows = sorted(cursor.fetchall(), key=repr)
            duck_rows = sorted(duck.execute(select).fetchall(), key=repr)
            outputs[table] = (pg_rows, duck_rows)
    return {
        "summary": summary,
        "duck_summary": duck_summary,
        "engines": engines,
        "outputs": outputs,
        "local_schemas": local_schemas(warehouse),
        "recorded": recorded,
    }


def test_run_driver_on_postgres_builds_and_checks_what_the_duckdb_run_does(pipeline_on_postgres):
    run = pipeline_on_postgres
    assert_same_run(run, run["engines"]["pg"], "postgres")


@pytest.mark.parametrize("table", sorted(PYTHON_OUTPUTS))
def test_python_steps_on_postgres_write_what_they_write_on_duckdb(pipeline_on_postgres, table):
    """Read from PostgreSQL, fitted, written back there: the same rows as on DuckDB, every
    value (probabilities and fits too, to the last bit: the inputs are the same numbers
    in the same order)."""
    pg_rows, duck_rows = pipeline_on_postgres["outputs"][table]
    assert duck_rows, f"intermediate.{table} is empty on the hand-made data: nothing compared"
    assert [repr(row) for row in pg_rows] == [repr(row) for row in duck_rows]


@pytest.mark.parametrize("mart", sorted(GRAINS))
def test_run_driver_on_postgres_marts_equal_duckdb_row_for_row(pipeline_on_postgres, mart):
    engines = pipeline_on_postgres["engines"]
    assert_same_rows(engines["pg"], engines["duckdb"], mart, "PostgreSQL")


def test_postgres_engine_writes_and_reads_back_every_value(postgres):
    """PostgresEngine.write_table then .arrow and .batches: the same table, value for
    value, typed as written (also a second write over the first: replaced, not added)."""
    from ledgerlens.engines.postgres import PostgresEngine

    table = round_trip_table()
    with PostgresEngine.open(postgres) as engine:
        assert engine.write_table("engine_test", "round_trip", table.slice(0, 2)) == 2
        assert engine.write_table("engine_test", "round_trip", table) == 4
        read = engine.arrow("select * from engine_test.round_trip")
        batches = list(engine.batches("select * from engine_test.round_trip", 3))
        empty = engine.arrow("select * from engine_test.round_trip where false")
        ordered = engine.arrow_sorted("select text from engine_test.round_trip", ["text"])
    assert read.schema == table.schema
    # By bytes, whatever the database's collation: upper case first, nulls last.
    assert ordered["text"].to_pylist() == ["", 'Zeta, "quoted"', "a", None]
    assert repr(read.to_pylist()) == repr(table.to_pylist())
    assert [batch.num_rows for batch in batches] == [3, 1]
    assert repr([row for b in batches for row in b.to_pylist()]) == repr(table.to_pylist())
    assert empty.num_rows == 0 and empty.schema == table.schema


def test_a_second_run_on_the_same_postgres_database_fails_at_once(postgres, tmp_path):
    """Two runs with different DuckDB files but the same PostgreSQL database: the second
    finds the database's run lock taken and stops before doing anything."""
    import psycopg2
    from orchestration.run import PipelineError, run_pipeline

    from ledgerlens.engines.postgres import RUN_LOCK_KEY
    from tests.conftest import HANDMADE

    holder = psycopg2.connect(**postgres)  # the first run's lock, as its resource holds it
    try:
        with holder.cursor() as cursor:
            cursor.execute("select pg_advisory_lock(%s)", (RUN_LOCK_KEY,))
        with pytest.MonkeyPatch.context() as patch:
            for name, value in _pg_vars(postgres).items():
                patch.setenv(name, value)
            with pytest.raises(PipelineError, match="busy: another ledgerlens run is writing"):
                run_pipeline(HANDMADE, tmp_path / "other.duckdb", target="postgres")
    finally:
        holder.close()
    assert not (tmp_path / "other.duckdb").exists()
