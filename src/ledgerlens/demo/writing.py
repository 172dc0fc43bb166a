"""Writing the generated tables: one appending CSV or Parquet writer per contract table,
and the truth file.

The generating code hands over each column as NumPy values tagged with what they hold
(`Text`, `Days`, `Integers`, `FixedPoint`); `TableWriters` turns them into the format's
representation: ISO dates and plain decimals in CSV, date32 / int32 / decimal128 in
Parquet. Money stays in integer units until it is written, so no float ever rounds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ledgerlens.contract import TABLES, TABLES_BY_NAME, Column
from ledgerlens.demo.dates import END, START
from ledgerlens.demo.truth import TRUTH_COLUMNS

# --------------------------------------------------------------------------- column values


@dataclass(frozen=True)
class Text:
    values: pa.Array  # strings, nulls allowed


@dataclass(frozen=True)
class Days:
    days: np.ndarray  # day numbers (see `dates.py`)
    missing: np.ndarray | None = None  # True where the value is null


@dataclass(frozen=True)
class Integers:
    values: np.ndarray
    missing: np.ndarray | None = None


@dataclass(frozen=True)
class FixedPoint:
    """Decimals as whole units of 10**-scale: cents (scale 2), millionths (scale 6)."""

    units: np.ndarray
    scale: int
    missing: np.ndarray | None = None


ColumnValues = Text | Days | Integers | FixedPoint


def repeated_text(value: str, n: int) -> Text:
    return Text(pa.repeat(value, n))


def as_text(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def with_nulls(values: pa.Array, missing: np.ndarray | None) -> pa.Array:
    """values, with nulls where `missing` is True."""
    if missing is None or not missing.any():
        return values
    return pc.if_else(pa.array(missing), pa.scalar(None, values.type), values)


# --------------------------------------------------------------------------- formats

PARQUET_TYPES = {
    "id": pa.string(),
    "text": pa.string(),
    "currency": pa.string(),
    "enum": pa.string(),
    "date": pa.date32(),
    "integer": pa.int32(),
    "money": pa.decimal128(18, 2),
    "rate": pa.decimal128(18, 6),
    "quantity": pa.decimal128(18, 4),
    "price": pa.decimal128(18, 4),
}
# Trailing zeros are dropped for rates and quantities ("0.7351", "8", "2.25");
# money and prices keep exactly two decimals.
CSV_TRIMS_ZEROS = {"rate": True, "quantity": True, "money": False, "price": False}

# Every date written lies in [FIRST_WRITTEN_DAY, LAST_WRITTEN_DAY] (created dates reach
# back before the data starts; due dates reach past its end). CSV dates are looked up in
# a table of their ISO text.
FIRST_WRITTEN_DAY = START - 2400
LAST_WRITTEN_DAY = END + 400
_DATE_TEXT = pc.cast(
    pa.array(np.arange(FIRST_WRITTEN_DAY, LAST_WRITTEN_DAY + 1, dtype=np.int32), pa.date32()),
    pa.string(),
)


def _fixed_point_text(units: np.ndarray, scale: int, trim_zeros: bool) -> pa.Array:
    if units.size and units.min() < 0:
        raise ValueError("negative amount generated")
    one = 10**scale
    text = pc.binary_join_element_wise(
        as_text(units // one), pc.utf8_lpad(as_text(units % one), width=scale, padding="0"), "."
    )
    if trim_zeros:
        text = pc.utf8_rtrim(pc.utf8_rtrim(text, characters="0"), characters=".")
    return text


def _decimal128(
    units: np.ndarray, scale: int, target_scale: int, missing: np.ndarray | None
) -> pa.Array:
    """A decimal128 array built straight from its 128-bit words (low word, sign word)."""
    units = units.astype(np.int64) * (10 ** (target_scale - scale))
    words = np.empty(2 * len(units), np.int64)
    words[0::2] = units
    words[1::2] = units >> 63
    validity = None if missing is None else pa.array(~missing).buffers()[1]
    return pa.Array.from_buffers(
        pa.decimal128(18, target_scale), len(units), [validity, pa.py_buffer(words)]
    )


def _csv_array(column: Column, values: ColumnValues) -> pa.Array:
    if isinstance(values, Text):
        return values.values
    if isinstance(values, Days):
        days = values.days
        if days.size and (days.min() < FIRST_WRITTEN_DAY or days.max() > LAST_WRITTEN_DAY):
            raise ValueError(f"{column.name}: date out of range")
        return with_nulls(pc.take(_DATE_TEXT, pa.array(days - FIRST_WRITTEN_DAY)), values.missing)
    if isinstance(values, Integers):
        return with_nulls(as_text(values.values), values.missing)
    text = _fixed_point_text(values.units, values.scale, CSV_TRIMS_ZEROS[column.kind])
    return with_nulls(text, values.missing)


def _parquet_array(column: Column, values: ColumnValues) -> pa.Array:
    if isinstance(values, Text):
        return values.values
    if isinstance(values, Days):
        return pa.array(values.days.astype(np.int32), pa.date32(), mask=values.missing)
    if isinstance(values, Integers):
        return pa.array(values.values.astype(np.int32), pa.int32(), mask=values.missing)
    target_scale = PARQUET_TYPES[column.kind].scale
    return _decimal128(values.units, values.scale, target_scale, values.missing)


# --------------------------------------------------------------------------- writers


class TableWriters:
    """One appending writer per contract table, `<out>/<table>.<fmt>`; counts rows."""

    def __init__(self, out: Path, fmt: str):
        self.fmt = fmt
        self.writers: dict[str, pacsv.CSVWriter | pq.ParquetWriter] = {}
        self.handles = []
        self.schemas: dict[str, pa.Schema] = {}
        self.counts = {table.name: 0 for table in TABLES}
        for table in TABLES:
            path = out / f"{table.name}.{fmt}"
            if fmt == "csv":
                schema = pa.schema([(name, pa.string()) for name in table.column_names])
                handle = open(path, "wb")  # noqa: SIM115 - closed in close()
                handle.write((",".join(table.column_names) + "\n").encode())
                self.handles.append(handle)
                writer = pacsv.CSVWriter(
                    handle,
                    schema,
                    write_options=pacsv.WriteOptions(
                        include_header=False, quoting_style="none", batch_size=65_536
                    ),
                )
            else:
                schema = pa.schema(
                    [(c.name, PARQUET_TYPES[c.kind], not c.required) for c in table.columns]
                )
                writer = pq.ParquetWriter(path, schema)
            self.schemas[table.name] = schema
            self.writers[table.name] = writer

    def write(self, name: str, columns: dict[str, ColumnValues]) -> None:
        """Append rows to table `name`; `columns` in contract order, of equal lengths."""
        table = TABLES_BY_NAME[name]
        if list(columns) != table.column_names:
            raise ValueError(f"{name}: columns {list(columns)} differ from the contract")
        convert = _csv_array if self.fmt == "csv" else _parquet_array
        arrays = [convert(column, columns[column.name]) for column in table.columns]
        n = len(arrays[0])
        if n == 0:
            return
        if any(len(a) != n for a in arrays):
            raise ValueError(f"{name}: columns of different lengths")
        self.writers[name].write_table(pa.Table.from_arrays(arrays, schema=self.schemas[name]))
        self.counts[name] += n

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()
        for handle in self.handles:
            handle.close()


class TruthWriter:
    """`<out>/truth/planted_customers.csv`: the behaviour every customer was generated with
    and what it means on the as-of date; or another truth file (`planted_value.csv`) with
    its columns (`truth.py`).

    Always CSV, whatever the format of the tables: it is for checking, not loading. Notes
    may hold commas, so values are quoted where needed.
    """

    def __init__(
        self,
        out: Path,
        name: str = "planted_customers.csv",
        columns: tuple[str, ...] = TRUTH_COLUMNS,
    ):
        self._handle = open(out / "truth" / name, "wb")  # noqa: SIM115
        self._handle.write((",".join(columns) + "\n").encode())
        self._writer = pacsv.CSVWriter(
            self._handle,
            pa.schema([(column, pa.string()) for column in columns]),
            write_options=pacsv.WriteOptions(include_header=False, quoting_style="needed"),
        )

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table)

    def close(self) -> None:
        self._writer.close()
        self._handle.close()
