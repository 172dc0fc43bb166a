"""The run driver end to end on local Spark (target `spark`), compared with DuckDB's run.

One real Dagster run over the hand-made files with target spark: the loads and the raw
checks on the DuckDB file, the raw tables published to Spark, both dbt steps (every model,
seed and data test; dbt-spark's session method in dbt's own process), the late-payment and
CLV models reading from and writing to Spark (ledgerlens.engines.spark), the GX suite on
customer_sheet, row counts and headline figures. Then every mart and every table the
Python steps wrote, read from Spark, is compared with the DuckDB run's of the same files,
row for row, every column, decimals to the last digit.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.conftest import query
from tests.mart_comparison import (
    GRAINS,
    PYTHON_OUTPUTS,
    assert_same_rows,
    assert_same_run,
    local_schemas,
    python_output_selects,
    read_duckdb_marts,
    recorded_metadata,
    without_timings,
)
from tests.test_customer_sheet import EXPECTED

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def run_on_spark(handmade_run, tmp_path_factory):
    """The run, then a Spark session on its folder (stopped, JVM and all, at the end):
    everything the tests compare, read once."""
    from orchestration.run import run_pipeline

    from ledgerlens.engines.spark import SPARK_HOME_ENV, SparkEngine, sessions_kept
    from tests.conftest import HANDMADE

    folder = tmp_path_factory.mktemp("spark_run")
    warehouse, home = folder / "ledgerlens.duckdb", folder / "spark"
    # The run's last session (its summary's) is kept for the reads below, as a run keeps
    # one for its steps: one JVM start fewer. The block's end stops it, JVM and all.
    with sessions_kept(), pytest.MonkeyPatch.context() as patch:
        patch.setenv(SPARK_HOME_ENV, str(home))
        summary = run_pipeline(HANDMADE, warehouse, target="spark")
        # Nothing below can be read from a run that stopped half-way: say why it stopped.
        assert summary.success, summary.failures + summary.problems
        read = _read_back(summary, handmade_run, warehouse, SparkEngine.open(home))
        from pyspark import SparkContext

        jvm = SparkContext._gateway.proc.pid  # the kept session's, still running
    # and the block's end stopped it: no JVM holds the metastore after a run
    assert not Path(f"/proc/{jvm}").exists()
    return read


def _read_back(summary, handmade_run, warehouse, engine):
    """Everything the tests compare, read from Spark (the engine's session) and DuckDB."""
    recorded = recorded_metadata(summary.run_id)
    duck_summary, duck_warehouse = handmade_run
    spark = engine.spark
    try:
        marts = {}
        for mart in sorted(GRAINS):
            if spark.catalog.tableExists(f"marts.{mart}"):
                frame = spark.table(f"marts.{mart}")
                marts[mart] = {
                    "columns": frame.columns,
                    "rows": [tuple(r) for r in frame.collect()],
                }
        outputs = {}
        with duckdb.connect(str(duck_warehouse), read_only=True) as duck:
            for table, select in python_output_selects(duck).items():
                spark_rows = sorted((tuple(r) for r in spark.sql(select).collect()), key=repr)
                duck_rows = sorted(duck.execute(select).fetchall(), key=repr)
                outputs[table] = (spark_rows, duck_rows)
        raw_fields = {
            table: {field.name: field.dataType for field in spark.table(f"raw.{table}").schema}
            for table in ("invoice_lines", "invoices")
        }
        raw_totals = {
            (table, amount): tuple(
                spark.sql(f"select count(*), sum({amount}) from raw.{table}").collect()[0]
            )
            for table, amount in [
                ("invoice_lines", "line_amount"),
                ("payments", "amount"),
                ("credit_notes", "amount"),
                ("customer_costs", "amount"),
            ]
        }
    finally:
        engine.close()
    return {
        "summary": summary,
        "duck_summary": duck_summary,
        "duck_warehouse": duck_warehouse,
        "spark": without_timings(marts),
        "duckdb": without_timings(read_duckdb_marts(duck_warehouse, sorted(GRAINS))),
        "outputs": outputs,
        "raw_fields": raw_fields,
        "raw_totals": raw_totals,
        "local_schemas": local_schemas(warehouse),
        "recorded": recorded,
    }


def test_run_driver_on_spark_builds_and_checks_what_the_duckdb_run_does(run_on_spark):
    run = run_on_spark
    assert_same_run(run, run["spark"], "spark")


def test_publish_keeps_the_contract_types_and_every_row(run_on_spark):
    from pyspark.sql.types import DateType, DecimalType, IntegerType, StringType

    fields = run_on_spark["raw_fields"]
    assert fields["invoice_lines"]["line_amount"] == DecimalType(18, 2)
    assert fields["invoice_lines"]["quantity"] == DecimalType(18, 4)
    assert fields["invoice_lines"]["line_number"] == IntegerType()
    assert fields["invoice_lines"]["invoice_id"] == StringType()
    assert fields["invoices"]["invoice_date"] == DateType()
    # Row counts and money totals of every raw table, as DuckDB holds them (its own query).
    for (table, amount), spark_row in run_on_spark["raw_totals"].items():
        [(rows, total)] = query(
            run_on_spark["duck_warehouse"], f"select count(*), sum({amount}) from raw.{table}"
        )
        assert spark_row == (rows, total)


@pytest.mark.parametrize("table", sorted(PYTHON_OUTPUTS))
def test_python_steps_on_spark_write_what_they_write_on_duckdb(run_on_spark, table):
    """Read from Spark, fitted, written back there: the same rows as on DuckDB, every value
    (probabilities and fits too, to the last bit: the inputs are the same numbers in the
    same order)."""
    spark_rows, duck_rows = run_on_spark["outputs"][table]
    assert duck_rows, f"intermediate.{table} is empty on the hand-made data: nothing compared"
    assert [repr(row) for row in spark_rows] == [repr(row) for row in duck_rows]


@pytest.mark.parametrize("mart", sorted(GRAINS))
def test_mart_on_spark_equals_duckdb_row_for_row(run_on_spark, mart):
    assert_same_rows(run_on_spark["spark"], run_on_spark["duckdb"], mart, "Spark")


def test_customer_sheet_on_spark_holds_the_hand_computed_numbers(run_on_spark):
    sheet = run_on_spark["spark"]["customer_sheet"]
    by_customer = {}
    for row in sheet["rows"]:
        record = dict(zip(sheet["columns"], row, strict=True))
        by_customer[(record["business_id"], record["customer_id"])] = (
            record["ltv"],
            record["purchases"],
            record["first_purchase_date"].isoformat(),
            record["last_purchase_date"].isoformat(),
        )
    assert by_customer == EXPECTED
    assert all(isinstance(value[0], Decimal) for value in by_customer.values())
