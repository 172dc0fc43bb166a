"""Copy the loaded `raw` and `quarantine` tables from DuckDB into PostgreSQL.

The loader validates and types raw files with DuckDB (fast, no server needed); a business
that runs the dbt project on PostgreSQL publishes the validated tables there with this
module and then runs `dbt build --target postgres`. The column types are the contract's,
so the models see the same tables on both engines.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb

from ledgerlens.contract import TABLES, Table
from ledgerlens.dbt_sources import QUARANTINE_COLUMNS

RAW_LINEAGE = [("_source_file", "text"), ("_source_row", "bigint")]


def duckdb_columns(duck, schema: str, name: str) -> list[tuple[str, str]]:
    """(column, DuckDB type) of `schema.name` in the DuckDB connection `duck`, in order;
    empty when there is no such table."""
    return duck.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, name],
    ).fetchall()


def _raw_columns(table: Table) -> list[tuple[str, str]]:
    return [(c.name, c.sql_type.replace("varchar", "text")) for c in table.columns] + RAW_LINEAGE


def _quarantine_columns(table: Table) -> list[tuple[str, str]]:
    typed = {"source_row": "bigint"}
    names = [*QUARANTINE_COLUMNS, *table.column_names]
    return [(name, typed.get(name, "text")) for name in names]


def publish_to_postgres(
    warehouse: str | Path, python_outputs: bool = True, **connect_kwargs
) -> dict[str, int]:
    """Replace raw.* and quarantine.* in PostgreSQL with the DuckDB warehouse's, and with
    `python_outputs` the Python steps' tables too (PYTHON_OUTPUTS: a dbt build by hand
    after a DuckDB run); row counts. The run driver on PostgreSQL passes False: its Python
    steps write there themselves (ledgerlens.engines)."""
    import psycopg2  # installed with dbt-postgres

    from ledgerlens.engines.postgres import replace_table

    copied: dict[str, int] = {}
    with (
        duckdb.connect(str(warehouse), read_only=True) as duck,
        psycopg2.connect(**connect_kwargs) as pg,
        tempfile.TemporaryDirectory() as scratch,
    ):
        cursor = pg.cursor()
        for schema, columns_of in (("raw", _raw_columns), ("quarantine", _quarantine_columns)):
            cursor.execute(f"create schema if not exists {schema}")
            for table in TABLES:
                columns = columns_of(table)
                names = ", ".join(f'"{name}"' for name, _ in columns)
                definition = ", ".join(f'"{name}" {kind}' for name, kind in columns)
                replace_table(cursor, schema, table.name, definition)
                # CSV through a file: set-based on both sides, exact decimal text.
                path = Path(scratch) / f"{schema}.{table.name}.csv"
                duck.execute(
                    f"copy (select {names} from {schema}.{table.name})"
                    f" to '{path}' (header, format csv)"
                )
                with path.open() as handle:
                    cursor.copy_expert(
                        f"copy {schema}.{table.name} ({names})"
                        " from stdin with (format csv, header)",
                        handle,
                    )
                copied[f"{schema}.{table.name}"] = cursor.rowcount
        if python_outputs:
            copied.update(_publish_python_outputs(duck, cursor, Path(scratch)))
        pg.commit()
    return copied


# Tables written by Python assets (not dbt) that dbt reads as sources: on PostgreSQL the
# dbt build needs them too. The Python step runs against DuckDB; its output is copied.
PYTHON_OUTPUTS = (
    ("intermediate", "invoice_risk_scores"),
    ("intermediate", "customer_clv_scores"),
    ("intermediate", "clv_model_fits"),
    ("intermediate", "customer_value_history"),
)
PG_TYPES = {
    "VARCHAR": "text",
    "DOUBLE": "double precision",
    "DATE": "date",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "BOOLEAN": "boolean",
}


def _publish_python_outputs(duck, cursor, scratch: Path) -> dict[str, int]:
    from ledgerlens.engines.postgres import replace_table

    copied: dict[str, int] = {}
    for schema, name in PYTHON_OUTPUTS:
        columns = duckdb_columns(duck, schema, name)
        if not columns:
            continue
        names = ", ".join(f'"{column}"' for column, _ in columns)
        definition = ", ".join(
            f'"{column}" {PG_TYPES.get(kind, "text")}' for column, kind in columns
        )
        cursor.execute(f"create schema if not exists {schema}")
        replace_table(cursor, schema, name, definition)
        path = scratch / f"{schema}.{name}.csv"
        duck.execute(f"copy (select {names} from {schema}.{name}) to '{path}' (header, format csv)")
        with path.open() as handle:
            cursor.copy_expert(
                f"copy {schema}.{name} ({names}) from stdin with (format csv, header)", handle
            )
        copied[f"{schema}.{name}"] = cursor.rowcount
    return copied
