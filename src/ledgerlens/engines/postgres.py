"""The PostgreSQL engine (psycopg2), connected as the dbt profile's `postgres` target is.

Rows travel as CSV through PostgreSQL's COPY in both directions: set-based on the server,
parsed by Arrow on this side, decimals and dates as exact text (the same path
ledgerlens.publish takes for the raw tables). The Arrow types come from the query's
column types (a `limit 0` of it), so an empty result is typed too.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg2  # installed with dbt-postgres; this module is imported for PostgreSQL only
import pyarrow as pa
import pyarrow.csv as pa_csv

from ledgerlens.engines.base import Engine

# The dbt profile's variables and defaults (profiles/profiles.yml, target `postgres`):
# dbt and the Python steps connect to the same database.
PROFILE_ENV = {
    "host": ("LEDGERLENS_PG_HOST", "127.0.0.1"),
    "port": ("LEDGERLENS_PG_PORT", "5432"),
    "user": ("LEDGERLENS_PG_USER", "ledgerlens"),
    "password": ("LEDGERLENS_PG_PASSWORD", ""),
    "dbname": ("LEDGERLENS_PG_DATABASE", "ledgerlens"),
}

# PostgreSQL type OIDs (pg_type) and their Arrow types; numeric takes its declared
# precision and scale (`_arrow_type`); any other type is read as text.
ARROW_TYPES = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    25: pa.string(),
    700: pa.float32(),
    701: pa.float64(),
    1042: pa.string(),
    1043: pa.string(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
}
NUMERIC_OID = 1700
# Arrow types and the PostgreSQL column types a written table gets.
PG_TYPES = {
    pa.string(): "text",
    pa.large_string(): "text",
    pa.float64(): "double precision",
    pa.float32(): "real",
    pa.int64(): "bigint",
    pa.int32(): "integer",
    pa.int16(): "smallint",
    pa.bool_(): "boolean",
    pa.date32(): "date",
    pa.timestamp("us"): "timestamp",
}
# The session advisory lock a run holds on the database ("llrun" in ASCII): another
# ledgerlens run, from another DuckDB file, cannot write the same database meanwhile.
RUN_LOCK_KEY = 0x6C6C72756E
# Bytes of CSV per Arrow block when streaming a result (`batches`): memory stays near it.
CSV_BLOCK_BYTES = 16 << 20


def connection_params() -> dict[str, str]:
    return {key: os.environ.get(name, default) for key, (name, default) in PROFILE_ENV.items()}


def replace_table(cursor, schema: str, name: str, definition: str) -> None:
    """An empty `schema.name` with these columns. dbt's views select from the tables it
    reads (raw tables, the Python steps' outputs), so a table whose columns have not
    changed is emptied, not dropped: the views stay valid and the next write works after
    a dbt build. Otherwise it is dropped with what depends on it (the next dbt build
    recreates the views). All of this happens in the caller's transaction."""
    cursor.execute(
        "select string_agg(column_name || ' ' || data_type, ', ' order by ordinal_position)"
        " from information_schema.columns where table_schema = %s and table_name = %s",
        (schema, name),
    )
    (existing,) = cursor.fetchone()
    cursor.execute(
        "create temp table _ll_shape (" + definition + ") on commit drop;"
        " select string_agg(column_name || ' ' || data_type, ', ' order by ordinal_position)"
        " from information_schema.columns where table_name = '_ll_shape'"
        " and table_schema like 'pg_temp%%'"
    )
    (wanted,) = cursor.fetchone()
    cursor.execute("drop table _ll_shape")
    if existing is not None and existing == wanted:
        cursor.execute(f"truncate table {schema}.{name}")
        return
    cursor.execute(f"drop table if exists {schema}.{name} cascade")
    cursor.execute(f"create table {schema}.{name} ({definition})")


def _arrow_type(column) -> pa.DataType:
    if column.type_code == NUMERIC_OID:
        # psycopg2 reports an unconstrained numeric as precision 65535.
        if column.precision is not None and 1 <= column.precision <= 38:
            return pa.decimal128(column.precision, column.scale)
        # An unconstrained numeric (a sum, a division): as a double, for models and display.
        return pa.float64()
    return ARROW_TYPES.get(column.type_code, pa.string())


def _pg_type(kind: pa.DataType) -> str:
    if pa.types.is_decimal(kind):
        return f"numeric({kind.precision}, {kind.scale})"
    if kind not in PG_TYPES:
        raise TypeError(f"no PostgreSQL column type for Arrow {kind}")
    return PG_TYPES[kind]


class PostgresEngine(Engine):
    name = "postgres"
    errors = (psycopg2.Error,)

    def __init__(self, connection, params: dict[str, str] | None = None):
        self.connection = connection
        self.params = params or {}

    @classmethod
    def open(cls, params: dict[str, str] | None = None) -> PostgresEngine:
        params = params or connection_params()
        return cls(psycopg2.connect(**params), params)

    def _schema(self, sql: str) -> pa.Schema:
        with self.connection.cursor() as cursor:
            cursor.execute(f"select * from ({sql}) as query limit 0")
            return pa.schema([(column.name, _arrow_type(column)) for column in cursor.description])

    def _copy_out(self, sql: str, handle) -> None:
        with self.connection.cursor() as cursor:
            cursor.copy_expert(f"copy ({sql}) to stdout with (format csv, header)", handle)
        self.connection.rollback()  # reads only: end the transaction the copy opened

    @staticmethod
    def _csv_options(schema: pa.Schema, block_size: int | None = None):
        read = pa_csv.ReadOptions(block_size=block_size) if block_size else pa_csv.ReadOptions()
        # NULL is an unquoted empty field in PostgreSQL's CSV, '' a quoted one (Arrow's
        # default nulls also take NaN and NA); booleans are t and f.
        convert = pa_csv.ConvertOptions(
            column_types=schema,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t"],
            false_values=["f"],
        )
        # A row of one null column is an empty line: a row, not a line to skip.
        parse = pa_csv.ParseOptions(ignore_empty_lines=False)
        return read, parse, convert

    def arrow(self, sql: str) -> pa.Table:
        schema = self._schema(sql)
        buffer = io.BytesIO()
        self._copy_out(sql, buffer)
        buffer.seek(0)
        read, parse, convert = self._csv_options(schema)
        table = pa_csv.read_csv(
            buffer, read_options=read, parse_options=parse, convert_options=convert
        )
        return table.select(schema.names).cast(schema)

    def batches(self, sql: str, rows: int) -> Iterator[pa.RecordBatch]:
        schema = self._schema(sql)
        with tempfile.TemporaryFile() as handle:
            self._copy_out(sql, handle)
            handle.seek(0)
            read, parse, convert = self._csv_options(schema, CSV_BLOCK_BYTES)
            for batch in pa_csv.open_csv(
                handle, read_options=read, parse_options=parse, convert_options=convert
            ):
                for start in range(0, batch.num_rows, rows):
                    yield batch.slice(start, rows)

    def write_table(self, schema: str, name: str, table: pa.Table) -> int:
        definition = ", ".join(f'"{field.name}" {_pg_type(field.type)}' for field in table.schema)
        names = ", ".join(f'"{field.name}"' for field in table.schema)
        buffer = io.BytesIO()
        # Strings are quoted, nulls are not: PostgreSQL reads '' as '' and nothing as NULL.
        pa_csv.write_csv(table, buffer)
        buffer.seek(0)
        with self.connection.cursor() as cursor:
            cursor.execute(f"create schema if not exists {schema}")
            replace_table(cursor, schema, name, definition)
            cursor.copy_expert(
                f"copy {schema}.{name} ({names}) from stdin with (format csv, header)", buffer
            )
        self.connection.commit()
        return table.num_rows

    def publish_raw(self, duckdb_path: str | Path) -> dict[str, int]:
        from ledgerlens.publish import publish_to_postgres

        # The Python steps write their own outputs here: only the loader's tables.
        return publish_to_postgres(duckdb_path, python_outputs=False, **self.params)

    def try_run_lock(self) -> bool:
        with self.connection.cursor() as cursor:
            cursor.execute("select pg_try_advisory_lock(%s)", (RUN_LOCK_KEY,))
            (taken,) = cursor.fetchone()
        self.connection.commit()  # a session lock: it outlives the transaction
        return bool(taken)

    def close(self) -> None:
        self.connection.close()
