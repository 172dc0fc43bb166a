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
        columns[name] = column.to_numpy(zero_copy_only=False)
    return columns
