"""Every mart built on another engine compared with DuckDB's, row for row and to the cent:
shared by tests/test_postgres.py and tests/test_spark.py."""

from __future__ import annotations

from pathlib import Path

import duckdb

MARTS = Path(__file__).resolve().parent.parent / "models" / "marts"


def _marts_and_grains() -> dict[str, list[str]]:
    """Every mart in models/marts/ with its grain (the columns of its
    unique_combination_of_columns test), read from the marts' yml files, so that a new
    mart is compared without touching the engine tests."""
    import yaml

    grains: dict[str, list[str]] = {}
    for path in sorted(MARTS.rglob("_*__models.yml")):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            [grain] = [
                test["unique_combination_of_columns"]["arguments"]["combination_of_columns"]
                for test in model.get("data_tests", [])
                if isinstance(test, dict) and "unique_combination_of_columns" in test
            ]
            grains[model["name"]] = grain
    return grains


GRAINS = _marts_and_grains()

# Marts with no row on the hand-made data: built on the other engine all the same (the SQL
# runs on both engines, same columns), their rows compared where the data makes some.
EMPTY_ON_HANDMADE = {
    # No customer moves into an at-risk segment, pays later or halves its TTM sales in
    # the hand-made export's few months; tests/test_portfolio.py's data has alerts.
    "customer_alerts",
}


def read_duckdb_marts(warehouse: Path, marts: list[str]) -> dict[str, dict]:
    """`marts` as DuckDB holds them: {mart: {"columns": [...], "rows": [...]}}."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        duck = {}
        for mart in marts:
            result = con.execute(f"select * from marts.{mart}")
            duck[mart] = {
                "columns": [column[0] for column in result.description],
                "rows": result.fetchall(),
            }
    return duck


def _keyed(columns: list[str], rows: list[tuple], grain: list[str]) -> dict[tuple, dict]:
    """Rows by their grain, each as {column: value}: compared key by key, so the two
    engines' sort orders (collations differ) do not matter."""
    keyed = {}
    for row in rows:
        record = dict(zip(columns, row, strict=True))
        keyed[tuple(record[column] for column in grain)] = record
    assert len(keyed) == len(rows), "the grain is not unique"
    return keyed


def assert_same_rows(other: dict[str, dict], duck: dict[str, dict], mart: str, engine: str) -> None:
    """Every column of every row, by the mart's grain (`other` and `duck` as
    read_duckdb_marts returns them; `engine` names the other engine). Every mart column is a
    decimal, integer, date, boolean or text (the contracts say so: no float reaches a
    mart), so each value is compared exactly: decimals as Python Decimals, to the last
    digit of their declared scale (money to the cent, rates and ratios to 6 places, HHI to
    2), no tolerance. Ratios computed in floating point inside a model (HHI, Gini) are cast
    to decimal there, so they must round to the same digits on both engines."""
    assert mart in other, f"marts.{mart} was not built on {engine}"
    theirs, ours = other[mart], duck[mart]
    assert theirs["columns"] == ours["columns"]
    if mart in EMPTY_ON_HANDMADE and not ours["rows"]:
        assert theirs["rows"] == []
        return
    assert ours["rows"], f"marts.{mart} is empty on the hand-made data: nothing compared"
    # A float column would need a tolerance, and a reason for it, here.
    assert not [value for row in ours["rows"] for value in row if isinstance(value, float)]
    grain = GRAINS[mart]
    their_rows = _keyed(theirs["columns"], theirs["rows"], grain)
    our_rows = _keyed(ours["columns"], ours["rows"], grain)
    assert sorted(their_rows, key=repr) == sorted(our_rows, key=repr)
    differences = [
        (key, column, their_rows[key][column], our_rows[key][column])
        for key in our_rows
        for column in ours["columns"]
        if their_rows[key][column] != our_rows[key][column]
        or type(their_rows[key][column]) is not type(our_rows[key][column])
    ]
    assert differences == [], f"(key, column, {engine}, duckdb)"


# The tables the Python steps write (ledgerlens.risk, ledgerlens.clv), and their columns
# that time the step rather than say anything about the data.
PYTHON_OUTPUTS = (
    "invoice_risk_scores",
    "customer_clv_scores",
    "clv_model_fits",
    "customer_value_history",
)
TIMINGS = {"fit_seconds"}  # also a column of marts.clv_model_fit


def without_timings(marts: dict[str, dict]) -> dict[str, dict]:
    """Marts as read_duckdb_marts returns them, less the TIMINGS columns
    (clv_model_fit.fit_seconds: how long a fit took in this run, which two runs never
    share)."""
    kept = {}
    for mart, read in marts.items():
        keep = [i for i, name in enumerate(read["columns"]) if name not in TIMINGS]
        kept[mart] = {
            "columns": [read["columns"][i] for i in keep],
            "rows": [tuple(row[i] for i in keep) for row in read["rows"]],
        }
    return kept


def assert_same_run(run: dict, marts: dict[str, dict], target: str) -> None:
    """A run driver's run on `target` against the DuckDB run of the same files: `run`
    holds both summaries ("summary", "duck_summary"), what the run recorded on each asset
    ("recorded") and the DuckDB file's schemas after it ("local_schemas"); `marts` the
    marts read back from the target."""
    summary, duck_summary = run["summary"], run["duck_summary"]
    assert summary.success, summary.failures + summary.problems
    assert summary.target == target
    assert summary.failures == [] and summary.checks_failed == []
    # The same assets (loads, every dbt model, both Python steps) and the same checks
    # (every dbt data test, GX suites, quarantine checks), with the same outcomes.
    assert sorted(summary.models_built) == sorted(duck_summary.models_built)
    assert summary.checks_passed == duck_summary.checks_passed
    assert sorted(summary.checks_warned) == sorted(duck_summary.checks_warned)
    assert [(load.table, load.rows_loaded) for load in summary.loads] == [
        (load.table, load.rows_loaded) for load in duck_summary.loads
    ]
    # dbt and the Python steps wrote the target: the DuckDB file holds the loads only.
    assert run["local_schemas"] == {"raw", "quarantine"}
    # Row counts and headline figures were read from the target after dbt: each mart's
    # count is the rows read back from it, and every headline mart has its figures.
    assert {m: run["recorded"][f"marts.{m}"].get("dagster/row_count") for m in marts} == {
        m: len(marts[m]["rows"]) for m in marts
    }
    from orchestration.assets.dbt import HEADLINES

    for output_name, figures in HEADLINES.items():
        for key, _sql in figures:
            assert run["recorded"][output_name.replace("__", ".")].get(key), (output_name, key)


def recorded_metadata(run_id: str) -> dict[str, dict]:
    """What a run recorded on each asset (row counts, headline figures), by table."""
    import dagster as dg
    from orchestration.run import dagster_instance

    events = dagster_instance().all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
    recorded = {}
    for event in events:
        materialization = event.dagster_event.step_materialization_data.materialization
        recorded[".".join(materialization.asset_key.path)] = {
            key: getattr(value, "value", value) for key, value in materialization.metadata.items()
        }
    return recorded


def python_output_selects(duck: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """A select of each PYTHON_OUTPUTS table's columns as DuckDB has them, TIMINGS left
    out: the same query runs on the other engine."""
    selects = {}
    for table in PYTHON_OUTPUTS:
        names = [
            name
            for (name,) in duck.execute(
                "select column_name from information_schema.columns where table_schema ="
                " 'intermediate' and table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
            if name not in TIMINGS
        ]
        selects[table] = f"select {', '.join(names)} from intermediate.{table}"
    return selects


def local_schemas(warehouse: Path) -> set[str]:
    """The schemas the DuckDB file holds tables in."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            schema
            for (schema,) in con.execute(
                "select distinct table_schema from information_schema.tables"
            ).fetchall()
        }
