"""The DuckDB engine: the embedded default, on the run's warehouse file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from ledgerlens.engines.base import Engine


class DuckDBEngine(Engine):
    name = "duckdb"
    errors = (duckdb.Error,)

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    @classmethod
    def open(cls, path: str | Path, memory_limit: str | None = None) -> DuckDBEngine:
        config = {"memory_limit": memory_limit} if memory_limit else {}
        return cls(duckdb.connect(str(path), config=config))

    def arrow(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def arrow_sorted(self, sql: str, columns: list[str]) -> pa.Table:
        # DuckDB's default collation is by bytes, as `sorted_by`'s, and its sort is
        # parallel: 0.8-1.0 s of CPU against 1.1-1.2 s for Arrow's on 1.5M rows.
        order = ", ".join(columns)
        return self.arrow(f"select * from ({sql}) as query order by {order}")

    def batches(self, sql: str, rows: int) -> Iterator[pa.RecordBatch]:
        yield from self.con.sql(sql).to_arrow_reader(rows)

    def write_table(self, schema: str, name: str, table: pa.Table) -> int:
        self.con.execute(f"create schema if not exists {schema}")
        self.con.register("_ledgerlens_to_write", table)
        try:
            self.con.execute(
                f"create or replace table {schema}.{name} as select * from _ledgerlens_to_write"
            )
        finally:
            self.con.unregister("_ledgerlens_to_write")
        return table.num_rows

    def replace_businesses(
        self, schema: str, name: str, table: pa.Table | None, businesses: list[str]
    ) -> int:
        # One transaction: a reader sees the old rows of those businesses or the new ones.
        if table is not None:
            self.con.register("_ledgerlens_to_write", table)
        self.con.execute("begin transaction")
        try:
            self.con.execute(
                f"delete from {schema}.{name} where list_contains(?, business_id)", [businesses]
            )
            if table is not None:
                self.con.execute(
                    f"insert into {schema}.{name} by name select * from _ledgerlens_to_write"
                )
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise
        finally:
            if table is not None:
                self.con.unregister("_ledgerlens_to_write")
        return 0 if table is None else table.num_rows

    def publish_raw(self, duckdb_path: str | Path) -> dict[str, int]:
        # The loader wrote them here: nothing to copy.
        return {}

    def close(self) -> None:
        self.con.close()
