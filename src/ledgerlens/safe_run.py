"""Runs that are safe to repeat, to interrupt and to start twice.

A run never writes the warehouse people read. It takes the warehouse's lock, copies the
warehouse into a build folder in its side files (`<warehouse>.files/`), loads and builds
there, and only when every step succeeded moves the build over the warehouse in one
rename. So:

- a run killed half-way (power cut, `kill -9`, out of memory) leaves the last good
  warehouse untouched; the next run throws the half-built copy away and starts again;
- a run whose load or dbt build fails (a blocking test included) publishes nothing: its
  build is kept in `<warehouse>.files/failed/` for inspection;
- a second run against the same warehouse fails at once with "warehouse is busy",
  naming the run that holds it; the lock is an OS lock, so it dies with its process and
  never needs cleaning up by hand.

The build keeps the warehouse's file name (only the folder differs) because DuckDB names
its catalog after the file, and views store catalog-qualified names.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO


class WarehouseBusy(Exception):
    """Another run holds the warehouse."""


class WarehouseUnreadable(Exception):
    """This DuckDB cannot open the warehouse's file: another DuckDB version wrote it."""


def side_files(warehouse: Path) -> Path:
    """The folder beside the warehouse that holds everything a run writes besides the
    warehouse itself (lock, build copy, failed build, GX project, dbt logs), named after
    it: `warehouse/ledgerlens.duckdb` -> `warehouse/ledgerlens.duckdb.files/`."""
    return warehouse.with_name(warehouse.name + ".files")


def lock_path(warehouse: Path) -> Path:
    return side_files(warehouse) / "lock"


def building_path(warehouse: Path) -> Path:
    return side_files(warehouse) / "building" / warehouse.name


def failed_path(warehouse: Path) -> Path:
    return side_files(warehouse) / "failed" / warehouse.name


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


@dataclass
class WarehouseLock:
    warehouse: Path
    handle: IO[str]

    def release(self) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def acquire_lock(warehouse: Path) -> WarehouseLock:
    """Take the warehouse's write lock, or raise WarehouseBusy naming its holder."""
    side_files(warehouse).mkdir(parents=True, exist_ok=True)
    handle = lock_path(warehouse).open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip()
        handle.close()
        try:
            info = json.loads(holder)
            who = f"pid {info['pid']} on {info['host']}, started {info['started']}"
        except (ValueError, KeyError):
            who = "another process"
        raise WarehouseBusy(
            f"warehouse is busy: another ledgerlens run ({who}) is writing {warehouse}. "
            "Wait for it to finish; nothing was changed."
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(
        json.dumps(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
    )
    handle.flush()
    return WarehouseLock(warehouse, handle)


def check_not_busy(warehouse: Path) -> None:
    """Fail fast, before any work, when another run holds the warehouse."""
    acquire_lock(warehouse).release()


def check_readable(warehouse: Path) -> None:
    """Fail fast, before any work, when this DuckDB cannot read the warehouse's file
    because another DuckDB version wrote it, as a newer one does: ledgerlens used DuckDB
    2.0.0 until 2026-12-05, whose files (storage version 69) DuckDB 1.5 cannot open (it
    reads 64 to 68; DECISIONLOG.md, 2026-12-05 (DuckDB 2.0)). Every table in the
    warehouse is rebuilt from the export files by a run onto a new file, so the way out
    is to move the old one aside. Any other failure to open it (a BI tool holding the
    file for writing, say) is left to the run as before: the run reads a copy."""
    if not warehouse.exists():
        return
    import duckdb

    try:
        duckdb.connect(str(warehouse), read_only=True).close()
    except duckdb.IOException as error:
        if "version number" not in str(error):
            return
        reason = str(error).splitlines()[0].rstrip(".")
        raise WarehouseUnreadable(
            f"{warehouse} was written by a DuckDB version this ledgerlens cannot read (DuckDB "
            f"{duckdb.__version__}: {reason}). Nothing was changed. Every table in it is "
            "rebuilt from your export files: move it aside (mv "
            f"{warehouse} {warehouse}.old) and run again."
        ) from None


def start_build(warehouse: Path) -> Path:
    """A fresh build copy of the warehouse (empty if there is none yet). Whatever an
    interrupted run left in the build folder is thrown away: that is the recovery.
    Runs started from Dagster (the UI, the schedule) check here that the warehouse can be
    read; `ledgerlens run` has checked before starting Dagster, to fail at once."""
    check_readable(warehouse)
    build = building_path(warehouse)
    if build.parent.exists():
        shutil.rmtree(build.parent)
    build.parent.mkdir(parents=True)
    if warehouse.exists():
        shutil.copyfile(warehouse, build)
        if _wal(warehouse).exists():
            shutil.copyfile(_wal(warehouse), _wal(build))
    return build


def publish_build(warehouse: Path) -> float:
    """Move the finished build over the warehouse in one rename; return the seconds."""
    started = time.perf_counter()
    build = building_path(warehouse)
    _checkpoint(build)
    os.replace(build, warehouse)
    _wal(warehouse).unlink(missing_ok=True)
    shutil.rmtree(build.parent, ignore_errors=True)
    return time.perf_counter() - started


def keep_failed_build(warehouse: Path) -> Path | None:
    """Set a failed build aside for inspection; the warehouse stays as it was."""
    build = building_path(warehouse)
    if not build.exists():
        return None
    target = failed_path(warehouse)
    if target.parent.exists():
        shutil.rmtree(target.parent)
    os.replace(build.parent, target.parent)
    return target


def _checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the file, so that the file alone is the database."""
    import duckdb

    with duckdb.connect(str(path)) as con:
        con.execute("checkpoint")
