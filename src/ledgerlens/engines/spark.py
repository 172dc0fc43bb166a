"""The Spark engine: a local Spark session (pyspark) on the run's Spark folder.

Spark keeps its tables in a warehouse folder and their catalog in a Derby metastore, both
in one folder (`home`, by default beside the DuckDB warehouse: `<warehouse>.files/spark`).
Embedded Derby admits one JVM at a time, and dbt runs as a subprocess with a JVM of its
own (dbt-spark's `session` method), so this engine starts its JVM only when a query needs
it and stops it, the JVM process included, when it is closed: a step's engine and a dbt
step never hold the metastore together. Both find the same configuration in
`home/conf/spark-defaults.conf` (`write_spark_conf`; the run sets SPARK_CONF_DIR for dbt).

A session's start (the JVM and its metastore) is about 15 CPU-s, and a run's Python
steps open an engine each (the row counts after a dbt step, risk scores, CLV, the checks,
the summary). Inside `sessions_kept()` (the run driver's, `orchestration/run.py`) a
closed engine leaves its session for the next engine on the same folder, and
`release_kept_sessions()` stops it before a dbt step starts its own JVM
(`orchestration/assets/dbt.py`) and when the block ends. Outside that block (Dagster's
own runs, whose steps are processes of their own), an engine stops its JVM when it
closes, as before.

Rows travel as Arrow both ways (`DataFrame.toArrow`, and Parquet written by Arrow for
`write_table`): decimals and dates stay typed, no float or text round trip.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from ledgerlens.engines.base import Engine

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# The variable that names the Spark folder (else `<warehouse>.files/spark`).
SPARK_HOME_ENV = "LEDGERLENS_SPARK_HOME"
# Cores of the local session: Spark's `local[n]`.
SPARK_CORES_ENV = "LEDGERLENS_SPARK_CORES"


# The JVM's just-in-time compiler stops at its first tier (C1): a local run is hundreds
# of short statements (planning, a little data each) in JVMs that live minutes, and the
# second tier's compile threads cost more CPU than their faster code saved. 60 tables made
# and tested in one session (a join, group by and window each, as dbt does them): 73.7
# CPU-s of JVM against 117.4 with the default, 42.4 s against 45.0 s of wall time
# (DECISIONLOG.md, 2026-12-03). C1 alone fills the default code cache, hence 512 MB.
JIT_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=512m"
# The serial collector: the driver's heap is 2 GB at most, where one collector thread
# pauses briefly, and the parallel collector's threads cost CPU a local run's short
# statements do not win back. 40 tables made and read in one session: 0.93 and 0.91 of
# the default collector's CPU (medians of 4 pairs each, 2026-12-04).
GC_OPTIONS = "-XX:+UseSerialGC"

# Sessions that closed engines left for the next engine on the same folder in this
# process, while `sessions_kept()` is in force: home -> session.
_KEPT: dict[Path, SparkSession] = {}
_keeping = False


def spark_conf(home: str | Path, cores: int | None = None) -> dict[str, str]:
    """The local session's settings: its warehouse folder and Derby metastore in `home`."""
    work = Path(home).resolve()
    cores = cores or int(os.environ.get(SPARK_CORES_ENV) or os.cpu_count() or 2)
    return {
        "spark.master": f"local[{cores}]",
        "spark.app.name": "ledgerlens",
        "spark.sql.warehouse.dir": str(work / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={work / 'metastore_db'};create=true"
        ),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={work} {JIT_OPTIONS} {GC_OPTIONS}",
        "spark.sql.catalogImplementation": "hive",
        # A shuffle of a few thousand rows in Spark's default 200 partitions is 200 tasks
        # of scheduling per join or group by; one per core does the same work.
        "spark.sql.shuffle.partitions": str(cores),
        "spark.default.parallelism": str(cores),
        "spark.ui.enabled": "false",
        # No progress bars in the run's log.
        "spark.ui.showConsoleProgress": "false",
        # The driver plans every query; 1g (Spark's default) ran out planning the largest.
        "spark.driver.memory": "2g",
    }


def write_spark_conf(home: str | Path) -> Path:
    """`home/conf/spark-defaults.conf` with `spark_conf(home)`; the folder to give a
    process as SPARK_CONF_DIR, so that a JVM it starts (dbt's) uses the same folders."""
    conf = Path(home).resolve() / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    lines = [f"{key} {value}" for key, value in spark_conf(home).items()]
    partial = conf / f".spark-defaults.conf.{os.getpid()}"
    partial.write_text("\n".join(lines) + "\n")
    os.replace(partial, conf / "spark-defaults.conf")
    return conf


def local_spark_session(home: str | Path, cores: int | None = None) -> SparkSession:
    """A Spark session on this machine whose warehouse folder and Derby metastore live in
    `home`. dbt's session method (profiles/profiles.yml, target spark) run in the same
    process finds and reuses it (getOrCreate)."""
    from pyspark.sql import SparkSession

    Path(home).mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder
    for key, value in spark_conf(home, cores).items():
        builder = builder.config(key, value)
    session = builder.enableHiveSupport().getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def stop_spark(session: SparkSession) -> None:
    """Stop the session and its JVM, so that the next session (or another process)
    can open the Derby metastore: a stopped SparkContext alone leaves the JVM, and
    Derby's boot of the database, in place."""
    from pyspark import SparkContext

    session.stop()
    gateway = SparkContext._gateway
    if gateway is not None:
        process = getattr(gateway, "proc", None)
        with contextlib.suppress(Exception):
            gateway.shutdown()
        if process is not None:
            # The JVM exits when its standard input closes (pyspark's launcher).
            with contextlib.suppress(Exception):
                process.stdin.close()
            try:
                process.wait(timeout=30)
            except Exception:
                process.kill()
                process.wait()
    SparkContext._gateway = None
    SparkContext._jvm = None


@contextlib.contextmanager
def sessions_kept() -> Iterator[None]:
    """Within this block a closed SparkEngine keeps its session (JVM and metastore) for the
    next engine on the same folder in this process; at its end the kept sessions stop.
    Whoever starts another JVM on the folder inside the block (dbt) calls
    `release_kept_sessions()` first: embedded Derby admits one JVM at a time."""
    global _keeping
    outer = _keeping
    _keeping = True
    try:
        yield
    finally:
        _keeping = outer
        if not outer:
            release_kept_sessions()


def release_kept_sessions() -> None:
    """Stop every session a closed engine kept (`sessions_kept`), JVM and all."""
    while _KEPT:
        _, session = _KEPT.popitem()
        stop_spark(session)


class SparkEngine(Engine):
    name = "spark"

    def __init__(self, home: str | Path):
        self.home = Path(home).resolve()
        self._session: SparkSession | None = None
        self._lock_file = None
        from py4j.protocol import Py4JJavaError
        from pyspark.errors import PySparkException

        self.errors = (PySparkException, Py4JJavaError)

    @classmethod
    def open(cls, home: str | Path) -> SparkEngine:
        return cls(home)

    @property
    def spark(self) -> SparkSession:
        if self._session is None:
            session = _KEPT.pop(self.home, None)
            if session is None:
                # A process has one Spark context: a session kept for another folder
                # would be the one getOrCreate returned.
                release_kept_sessions()
                session = local_spark_session(self.home)
            self._session = session
        return self._session

    def arrow(self, sql: str) -> pa.Table:
        return self.spark.sql(sql).toArrow()

    def batches(self, sql: str, rows: int) -> Iterator[pa.RecordBatch]:
        # Spark hands the driver a query's Arrow result whole (toArrow); the batches
        # bound what the caller holds, not what the driver collected. The marts the
        # suites read on another target (customer_sheet) are a row per customer.
        yield from self.arrow(sql).to_batches(max_chunksize=rows)

    def write_table(self, schema: str, name: str, table: pa.Table) -> int:
        with tempfile.TemporaryDirectory(dir=self.home) as scratch:
            path = Path(scratch) / f"{schema}.{name}.parquet"
            pq.write_table(table, path)
            self.spark.sql(f"create database if not exists {schema}")
            # Read whole before the overwrite: Spark replaces the table's files, and
            # dbt's views over it are stored SQL, still valid after.
            frame = self.spark.read.parquet(str(path)).cache()
            frame.count()
            frame.write.mode("overwrite").format("parquet").saveAsTable(f"{schema}.{name}")
            frame.unpersist()
        return table.num_rows

    def publish_raw(self, duckdb_path: str | Path) -> dict[str, int]:
        from ledgerlens.publish_spark import publish_to_spark

        return publish_to_spark(duckdb_path, self.spark)

    def row_counts(self, schemas: tuple[str, ...]) -> dict[tuple[str, str], int]:
        tables = [
            (schema, table.name)
            for schema in schemas
            if self.spark.catalog.databaseExists(schema)
            for table in self.spark.catalog.listTables(schema)
            if table.tableType != "VIEW" and not table.isTemporary
        ]
        if not tables:
            return {}
        # One query for all: Spark plans and schedules once, not once per table.
        counts = " union all ".join(
            f"select '{schema}' as s, '{name}' as t, count(*) as n from {schema}.{name}"
            for schema, name in tables
        )
        return {(row.s, row.t): int(row.n) for row in self.spark.sql(counts).collect()}

    def try_run_lock(self) -> bool:
        """A lock file in the Spark folder, held while this engine is open: no JVM is
        started for it (a JVM would hold the metastore the run's dbt needs)."""
        self.home.mkdir(parents=True, exist_ok=True)
        handle = (self.home / "run.lock").open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._lock_file = handle
        return True

    def close(self) -> None:
        if self._session is not None:
            if _keeping:
                _KEPT[self.home] = self._session
            else:
                stop_spark(self._session)
            self._session = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
