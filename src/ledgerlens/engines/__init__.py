"""One interface between the Python steps and the engine the marts are built on.

The loader validates and types the raw files with DuckDB on every engine (ledgerlens.load);
everything after it (dbt, the Python models, the checks on the marts, the figures a run
reports) reads and writes the chosen engine. The Python steps need little of it: run a
query and get its rows as Arrow (whole, or in batches of bounded memory), write an Arrow
table as a table (replacing it), count the rows of a schema's tables, and put the loader's
validated tables where dbt reads them (`publish_raw`). `Engine` says exactly that, and each
engine implements it in its own module: DuckDB (`duck`, the default), PostgreSQL
(`postgres`) and Spark (`spark`, a local session). Another engine plugs in as one more
subclass and one more entry in `open_engine`.

The SQL the steps send is plain: select, where, group by, joins on named columns, no
engine-specific functions; row order the models depend on is imposed in Arrow after the
read (`sorted_by`), because engines sort text by different collations.
"""

from __future__ import annotations

from ledgerlens.engines.base import Engine, sorted_by

# The dbt targets the run driver knows (profiles/profiles.yml): DuckDB is the default.
TARGETS = ("duckdb", "postgres", "spark")
DEFAULT_TARGET = "duckdb"


def open_engine(
    target: str,
    *,
    duckdb_path: str | None = None,
    memory_limit: str | None = None,
    spark_home: str | None = None,
):
    """The engine of `target`. DuckDB needs the warehouse file (`duckdb_path`, the run's
    build copy during a run); PostgreSQL takes its connection from the environment
    variables the dbt profile reads (`postgres.connection_params`); Spark its folder of
    tables and metastore (`spark_home`)."""
    if target == "duckdb":
        from ledgerlens.engines.duck import DuckDBEngine

        if duckdb_path is None:
            raise ValueError("the DuckDB engine needs the warehouse file")
        return DuckDBEngine.open(duckdb_path, memory_limit)
    if target == "postgres":
        from ledgerlens.engines.postgres import PostgresEngine

        return PostgresEngine.open()
    if target == "spark":
        from ledgerlens.engines.spark import SparkEngine

        if spark_home is None:
            raise ValueError("the Spark engine needs its folder of tables and metastore")
        return SparkEngine.open(spark_home)
    raise ValueError(f"target must be one of {TARGETS}, not {target!r}")


def as_engine(con) -> Engine:
    """`con` itself when it is an Engine; a DuckDB connection wrapped in one (the caller
    keeps it open: `ledgerlens.risk.score_warehouse(duckdb.connect(...))` still works)."""
    if isinstance(con, Engine):
        return con
    from ledgerlens.engines.duck import DuckDBEngine

    return DuckDBEngine(con)


__all__ = ["DEFAULT_TARGET", "TARGETS", "Engine", "as_engine", "open_engine", "sorted_by"]
