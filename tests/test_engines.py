"""The engine interface (ledgerlens.engines) on DuckDB, and what the engines share.

PostgreSQL's engine is tested in tests/test_postgres.py, on the same table
(`round_trip_table`), against the server that file starts."""

from __future__ import annotations

import random
from decimal import Decimal

import pyarrow as pa


def round_trip_table():
    """Every Arrow type the Python steps write, with the values CSV could get wrong: an
    empty string beside a null, a double that needs all 17 digits, NaN, a decimal."""
    import datetime as dt

    return pa.table(
        {
            "text": pa.array(["a", "", None, 'Zeta, "quoted"'], pa.string()),
            "number": pa.array([0.1 + 0.2, None, float("nan"), -1e-300], pa.float64()),
            "count": pa.array([1, None, 3, -(2**62)], pa.int64()),
            "day": pa.array([dt.date(2024, 2, 29), None, dt.date(1990, 1, 1), dt.date.min]),
            "flag": pa.array([True, None, False, True]),
            "money": pa.array(
                [Decimal("1234567890123456.78"), None, Decimal("-0.01"), Decimal("0.00")],
                pa.decimal128(18, 2),
            ),
        }
    )


def test_duckdb_engine_writes_and_reads_back_every_value(tmp_path):
    from ledgerlens.engines.duck import DuckDBEngine

    table = round_trip_table()
    with DuckDBEngine.open(tmp_path / "engine.duckdb") as engine:
        engine.write_table("engine_test", "round_trip", table)
        read = engine.arrow("select * from engine_test.round_trip")
        batches = list(engine.batches("select * from engine_test.round_trip", 3))
        counts = engine.row_counts(("engine_test",))
        ordered = engine.arrow_sorted("select text from engine_test.round_trip", ["text"])
    assert repr(read.to_pylist()) == repr(table.to_pylist())
    assert sum(batch.num_rows for batch in batches) == 4
    assert max(batch.num_rows for batch in batches) <= 3
    assert counts == {("engine_test", "round_trip"): 4}
    assert ordered["text"].to_pylist() == ["", 'Zeta, "quoted"', "a", None]


def test_the_cli_offers_exactly_the_engines_targets():
    from ledgerlens.cli import TARGET_NAMES
    from ledgerlens.engines import TARGETS

    assert TARGET_NAMES == TARGETS


def test_exact_floats_is_the_nearest_double_of_each_decimal():
    """Against Python's own Decimal -> float (correctly rounded), on amounts where Arrow's
    cast is off in the last place for about one in eight."""
    from ledgerlens.model_inputs import exact_floats

    draw = random.Random(7)
    values = [Decimal(draw.randrange(-(10**15), 10**15)) / 100 for _ in range(20_000)]
    values += [Decimal("0.01"), Decimal("-0.07"), Decimal("100.015").quantize(Decimal("0.01"))]
    column = pa.chunked_array([pa.array(values + [None], pa.decimal128(18, 2))])
    floats = exact_floats(column)
    assert floats[:-1].tolist() == [float(value) for value in values]
    assert floats[-1] != floats[-1]  # null -> NaN


def test_text_values_are_the_column_with_one_string_per_distinct_value():
    """Against Arrow's own conversion (a string per row), over two chunks; nulls keep
    Arrow's conversion. The point of it is memory: one object per distinct value."""
    from ledgerlens.model_inputs import text_values

    ids = [f"C{n % 7:04d}" for n in range(1_000)]
    column = pa.chunked_array([pa.array(ids[:400]), pa.array(ids[400:])])
    values = text_values(column)
    assert values.dtype == object
    assert values.tolist() == ids == column.to_numpy(zero_copy_only=False).tolist()
    assert len({id(value) for value in values}) == 7
    with_null = pa.chunked_array([pa.array(["a", None, "a"])])
    assert text_values(with_null).tolist() == ["a", None, "a"]
    assert text_values(pa.chunked_array([], pa.string())).tolist() == []


def test_dbts_duckdb_connection_has_the_profiles_settings(tmp_path):
    """profiles/profiles.yml's DuckDB settings (connect-time `config_options`) reach the
    connection dbt queries on: the memory limit from the environment as DuckDB states the
    same SET on a connection of its own, and rows free of insertion order."""
    import json

    import duckdb
    from orchestration.resources import DEFAULT_MEMORY_LIMIT

    from tests.conftest import run_dbt

    result = run_dbt(
        tmp_path / "ledgerlens.duckdb",
        tmp_path / "target",
        "show",
        "--inline",
        "select current_setting('memory_limit') as memory_limit,"
        " current_setting('preserve_insertion_order') as ordered",
        "--output",
        "json",
        "--log-format",
        "json",
    )
    shown = [
        json.loads(json.loads(line)["data"]["preview"])
        for line in result.stdout.splitlines()
        if '"preview"' in line
    ]
    with duckdb.connect() as con:
        # run_dbt's LEDGERLENS_DUCKDB_MEMORY_LIMIT
        con.execute(f"set memory_limit = '{DEFAULT_MEMORY_LIMIT}'")
        [(expected,)] = con.execute("select current_setting('memory_limit')").fetchall()
    assert shown == [[{"memory_limit": expected, "ordered": False}]]
