"""Warehouse rows as model inputs: the one conversion the Python models share
(ledgerlens.risk, ledgerlens.clv)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def numpy_columns(table: pa.Table) -> dict[str, np.ndarray]:
    """Each column of `table` as a NumPy array; DECIMAL and integer columns as float64
    (model inputs only: money stays DECIMAL in the warehouse), nulls as NaN."""
    import pyarrow.compute as pc

    columns = {}
    for name in table.column_names:
        column = table[name]
        if pa.types.is_decimal(column.type) or pa.types.is_integer(column.type):
            column = pc.cast(column, pa.float64())
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            columns[name] = text_values(column)
        else:
            columns[name] = column.to_numpy(zero_copy_only=False)
    return columns


def text_values(column: pa.ChunkedArray) -> np.ndarray:
    """A text column as a NumPy object array holding one Python string per distinct
    value. Arrow's own conversion makes a string object per row: at 10 million invoice
    lines the business and customer ids of the CLV's 3 million purchase days took about
    200 MiB each that way, against 23 MiB as references to the distinct values."""
    if column.null_count:
        return column.to_numpy(zero_copy_only=False)
    encoded = column.combine_chunks().dictionary_encode()
    distinct = encoded.dictionary.to_numpy(zero_copy_only=False)
    return distinct[encoded.indices.to_numpy(zero_copy_only=False)]


def exact_floats(column: pa.ChunkedArray) -> np.ndarray:
    """A DECIMAL column as the nearest float64 of each value, as DuckDB's and
    PostgreSQL's casts give it (Arrow's own decimal cast is off by one unit in the last
    place for about one value in eight): the unscaled integer, exact in a double below
    2**53, divided by 10**scale, which IEEE division rounds correctly."""
    import pyarrow.compute as pc

    scale = column.type.scale
    unscaled = pc.cast(pc.multiply(column, pa.scalar(10**scale, pa.decimal128(19, 0))), pa.int64())
    return pc.cast(unscaled, pa.float64()).to_numpy(zero_copy_only=False) / float(10**scale)


def sql_list(values: list[str]) -> str:
    """Text values as a SQL list of constants ("'a', 'b'"; "null" when empty: `in (null)`
    matches no row), for a condition on business_id."""
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values) or "null"


def table_row_count(engine, schema: str, name: str) -> int:
    """The rows of `schema.name` on the engine (a ledgerlens.engines.Engine): a table
    whose businesses' rows were replaced (`Engine.replace_businesses`) holds more than
    the rows just written."""
    return int(engine.arrow(f"select count(*) as n from {schema}.{name}")["n"][0].as_py())
