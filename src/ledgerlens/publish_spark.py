"""Copy the loaded `raw` and `quarantine` tables, and the Python assets' outputs, from
DuckDB into Spark tables.

The Spark counterpart of `ledgerlens.publish.publish_to_postgres`: the loader validates
and types raw files with DuckDB, and a business that runs the dbt project on Spark
publishes the validated tables there and then runs `dbt build --target spark`. The
columns and their types are publish.py's (the contract's), so the models see the same
tables on every engine: DECIMAL stays DECIMAL, dates stay dates.

The rows travel as Parquet, written by DuckDB and read by Spark: typed on both sides (no
text round trip for decimals and dates) and set-based.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ledgerlens.contract import TABLES
from ledgerlens.publish import (
    PYTHON_OUTPUTS,
    _quarantine_columns,
    _raw_columns,
    duckdb_columns,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# publish.py's column types are PostgreSQL's; Spark spells two of them its own way.
SPARK_TYPES = {"text": "string", "integer": "int"}

# The Python outputs' columns come typed from DuckDB (publish.py reads them the same way).
DUCKDB_TO_SPARK = {
    "VARCHAR": "string",
    "DOUBLE": "double",
    "DATE": "date",
    "BIGINT": "bigint",
    "INTEGER": "int",
    "BOOLEAN": "boolean",
}


def _spark_type(kind: str) -> str:
    """A publish.py (PostgreSQL) or DuckDB column type as Spark's; decimal(p, s) as is."""
    if re.fullmatch(r"(?i)decimal\(\s*\d+\s*,\s*\d+\s*\)", kind):
        return kind.lower().replace(" ", "")
    return SPARK_TYPES.get(kind) or DUCKDB_TO_SPARK[kind.upper()]


def _replace_table(
    spark: SparkSession, duck, scratch: Path, schema: str, name: str, columns
) -> int:
    """`schema.name` in Spark replaced by DuckDB's rows, each column cast to its type.

    dbt's staging views on Spark are stored SQL over the raw tables' names, not bound to
    the old table, so replacing a table leaves them valid."""
    path = scratch / f"{schema}.{name}.parquet"
    names = ", ".join(f'"{column}"' for column, _ in columns)
    # COPY answers with the number of rows it wrote.
    (rows,) = duck.execute(
        f"copy (select {names} from {schema}.{name}) to '{path}' (format parquet)"
    ).fetchone()
    frame = spark.read.parquet(str(path)).selectExpr(
        *(f"cast(`{column}` as {_spark_type(kind)}) as `{column}`" for column, kind in columns)
    )
    spark.sql(f"create database if not exists {schema}")
    frame.write.mode("overwrite").format("parquet").saveAsTable(f"{schema}.{name}")
    return rows


def publish_to_spark(warehouse: str | Path, spark: SparkSession) -> dict[str, int]:
    """Replace raw.*, quarantine.* and the Python assets' tables (publish.PYTHON_OUTPUTS)
    in Spark's catalog with the DuckDB warehouse's; row counts by table."""
    copied: dict[str, int] = {}
    with (
        duckdb.connect(str(warehouse), read_only=True) as duck,
        tempfile.TemporaryDirectory() as scratch,
    ):
        for schema, columns_of in (("raw", _raw_columns), ("quarantine", _quarantine_columns)):
            for table in TABLES:
                copied[f"{schema}.{table.name}"] = _replace_table(
                    spark, duck, Path(scratch), schema, table.name, columns_of(table)
                )
        for schema, name in PYTHON_OUTPUTS:
            columns = duckdb_columns(duck, schema, name)
            if columns:
                copied[f"{schema}.{name}"] = _replace_table(
                    spark, duck, Path(scratch), schema, name, columns
                )
    return copied
