"""Dagster's SQLite event log, written through connections kept open for the run.

Dagster's `SqliteEventLogStorage` opens a new SQLAlchemy engine and a new SQLite connection
for every event it stores (and another pair for each copy of an asset event into the
cross-run index), then throws both away. A run stores about 1,050 events (asset planned,
step, materialisation, check result), so a run on a 9-line export spent about 4 of its
35 CPU-s there (DECISIONLOG.md, 2026-12-05, "A run's fixed cost: Dagster's events on
connections kept open").

`RunEventLogStorage` is that storage with one change: each database file (the run's own
and the index) keeps one engine, and its connection pool, for the life of the process.
The files, their schema and every row are Dagster's own, so `dagster dev` and the UI read
them with the stock class; only the run driver's process writes through this one
(`orchestration.run.dagster_instance`), and only when the Dagster home keeps Dagster's
default SQLite storage. Each event is still its own committed transaction, taken under
the storage's lock, as before.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.sql import create_engine

# Open engines at most: the run's file and the index, plus a few another read opens.
MAX_OPEN_SHARDS = 8


class RunEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log storage (same files, same schema) with an engine kept per
    database file instead of one made and disposed of per event."""

    def __init__(self, base_dir: str, inst_data: Any = None):
        self._engines: OrderedDict[str, Any] = OrderedDict()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> RunEventLogStorage:  # ty: ignore[invalid-method-override]
        # The parent's builds a SqliteEventLogStorage by name; this builds this class.
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Any:
        engine = self._engines.get(shard)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                # A pooled connection can be checked out by another thread than the one
                # that opened it (the run's threads log events); the lock serialises them.
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            self._engines[shard] = engine
            while len(self._engines) > MAX_OPEN_SHARDS:
                _, oldest = self._engines.popitem(last=False)
                oldest.dispose()
        else:
            self._engines.move_to_end(shard)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Any]:
        # The parent's _connect, but the engine outlives the block.
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _close_engines(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        # The parent deletes the run files: close their connections first.
        self._close_engines()
        super().wipe()

    def dispose(self) -> None:
        self._close_engines()
        super().dispose()
