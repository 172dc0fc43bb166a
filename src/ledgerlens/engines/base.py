"""The engine interface (ledgerlens.engines)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pyarrow as pa


class Engine(ABC):
    """A connection to the engine the marts are built on, as the Python steps use it.

    A context manager: leaving the block closes the connection. Writes are committed by
    `write_table` itself, so a reader sees the old table or the new one, never half."""

    # The dbt target's name (profiles/profiles.yml).
    name: ClassVar[str]
    # What a failed query raises: callers that may skip a figure catch these only.
    errors: ClassVar[tuple[type[BaseException], ...]] = ()

    @abstractmethod
    def arrow(self, sql: str) -> pa.Table:
        """The query's rows as one Arrow table (typed even when it has no row)."""

    def arrow_sorted(self, sql: str, columns: list[str]) -> pa.Table:
        """`arrow(sql)` in ascending order of `columns`, text by its bytes (`sorted_by`):
        the same order on every engine."""
        return sorted_by(self.arrow(sql), columns)

    @abstractmethod
    def batches(self, sql: str, rows: int) -> Iterator[pa.RecordBatch]:
        """The query's rows in Arrow batches of at most `rows` rows: memory stays at one
        batch, whatever the result's size."""

    @abstractmethod
    def write_table(self, schema: str, name: str, table: pa.Table) -> int:
        """Replace `schema.name` with `table` (creating the schema if needed); its rows."""

    def replace_businesses(
        self, schema: str, name: str, table: pa.Table | None, businesses: list[str]
    ) -> int:
        """Replace the rows of `businesses` in the existing `schema.name` with `table`
        (which holds those businesses' rows only; None: they have none now), keeping
        every other business's rows; the rows written. For incremental nights, which only
        DuckDB runs (ledgerlens.incremental)."""
        raise NotImplementedError(f"{self.name} rebuilds whole tables only")

    @abstractmethod
    def publish_raw(self, duckdb_path: str | Path) -> dict[str, int]:
        """Put the loader's validated `raw` and `quarantine` tables (the DuckDB file at
        `duckdb_path`) where this engine's dbt build reads them; rows per table."""

    @abstractmethod
    def close(self) -> None: ...

    def try_run_lock(self) -> bool:
        """Take the engine's run lock for as long as this connection stays open; False
        when another run holds it. DuckDB needs none: the warehouse file's lock
        (ledgerlens.safe_run) already excludes a second run."""
        return True

    def row_counts(self, schemas: tuple[str, ...]) -> dict[tuple[str, str], int]:
        """Rows of every base table in `schemas`, by (schema, table)."""
        listed = ", ".join(f"'{schema}'" for schema in schemas)
        tables = self.arrow(
            "select table_schema, table_name from information_schema.tables"
            f" where table_type = 'BASE TABLE' and table_schema in ({listed})"
        ).to_pylist()
        counts = {}
        for row in tables:
            schema, name = row["table_schema"], row["table_name"]
            [count] = self.arrow(f'select count(*) as n from "{schema}"."{name}"')["n"].to_pylist()
            counts[(schema, name)] = int(count)
        return counts

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def sorted_by(table: pa.Table, columns: list[str]) -> pa.Table:
    """`table` in ascending order of `columns`, text by its bytes: the same order on every
    engine (an `order by` sorts text by the engine's collation, which differs between
    DuckDB and a PostgreSQL database created with a language's locale)."""
    return table.sort_by([(column, "ascending") for column in columns])
