"""The dbt models as Dagster assets; dbt tests run as asset checks in the same build."""

# No `from __future__ import annotations`: Dagster reads these annotations at import.

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from ledgerlens.dbt_vars import parsed_vars
from ledgerlens.engines import Engine
from ledgerlens.incremental import (
    plan_night,
    record_marts,
    scores_incremental,
    settings_fingerprint,
)
from orchestration.resources import THREADS_ENV, RunOptions, Warehouse, memory_gb


class LedgerlensTranslator(DagsterDbtTranslator):
    """Asset keys are `<schema>/<name>`, exactly the warehouse table a user queries."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        # A source written by a Python asset names that asset's key in its meta, so the
        # Python step runs between the models it reads and the models that read it.
        meta_key = (dbt_resource_props.get("meta") or {}).get("dagster", {}).get("asset_key")
        if meta_key:
            return dg.AssetKey(meta_key)
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        schema = dbt_resource_props["config"].get("schema") or dbt_resource_props["schema"]
        return dg.AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["config"].get("schema") or "dbt"


# Source tests stay observations: as checks they would belong to the dbt step while
# their assets belong to the load steps, and Dagster would split the dbt build around
# them. The loader already enforces every source test's rule (quarantine).
translator = LedgerlensTranslator(
    settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=False)
)


# The models that read what the Python steps write (sources `risk` and `clv`: the
# late-payment scores and the CLV fit) build in a second dbt step, after both Python
# assets; everything else builds in the first. Two explicit steps rather than one
# definition that Dagster would split on its own around the Python assets: that split
# follows the graph's layers and costs a dbt start-up per layer.
RISK_SELECTION = "source:risk+ source:clv+"


# Parse states of earlier runs, one per parse key (`_parse_key`), the newest few kept: a
# new warehouse starts from the state of a run that parsed the same way instead of parsing
# the whole project again.
PARSE_STATES_KEPT = 8


def _parse_key(warehouse: Warehouse, dbt_vars: dict[str, str]) -> str:
    """What dbt's partial-parse check compares besides the project's files, once the
    warehouse's folder is left out of it (orchestration.dbt_main): the target, the
    catalog name (the file name up to its first dot, as DuckDB and dbt-duckdb take it),
    the DuckDB settings and the vars but `as_of_date` (which the check leaves out too:
    the parse does not read it). A state saved under another key would only be rejected
    by dbt (a full parse), never used wrongly: dbt checks all of them itself."""
    catalog = Path(warehouse.path).name.lstrip(".").split(".")[0]
    key = json.dumps(
        [warehouse.target, warehouse.memory_limit, parsed_vars(dbt_vars)],
        sort_keys=True,
    )
    return f"{catalog}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def _parse_states(project: DbtProject) -> Path:
    return Path(project.project_dir) / "target" / "parse-states"


def _target_path(project: DbtProject, warehouse: Warehouse, key: str) -> Path:
    """dbt's target folder for this warehouse, in its side files, reused by both steps and
    run after run (dagster-dbt's default is a new folder under target/ per invocation,
    which nothing removes). dbt keeps its parse state there (`partial_parse.msgpack`) and
    parses partially while the state's key and the project's files allow. Before a step
    the state is the newest one saved under this run's key by any run (`_save_state`),
    else this warehouse's own, else the project's parse (`prepared_project`)."""
    target = warehouse.side_files / "dbt"
    target.mkdir(parents=True, exist_ok=True)
    state = target / "partial_parse.msgpack"
    saved = _parse_states(project) / f"{key}.msgpack"
    project_state = Path(project.project_dir) / "target" / "partial_parse.msgpack"
    with contextlib.suppress(FileNotFoundError):  # another run may prune it meanwhile
        if saved.exists():
            shutil.copyfile(saved, state)
        elif not state.exists() and project_state.exists():
            shutil.copyfile(project_state, state)
    return target


def _save_state(project: DbtProject, target: Path, key: str) -> None:
    """Keep this step's parse state for the next run with the same key; concurrent runs
    each write a whole file and rename it into place, so a reader never sees half of one."""
    state = target / "partial_parse.msgpack"
    if not state.exists():
        return
    folder = _parse_states(project)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{key}.{os.getpid()}.tmp"
    shutil.copyfile(state, partial)
    os.replace(partial, folder / f"{key}.msgpack")
    with contextlib.suppress(FileNotFoundError):  # pruned by another run meanwhile
        states = sorted(folder.glob("*.msgpack"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in states[PARSE_STATES_KEPT:]:
            old.unlink(missing_ok=True)


def _plan_night(
    context: dg.AssetExecutionContext,
    project: DbtProject,
    warehouse: Warehouse,
    run_options: RunOptions,
    dbt_vars: dict[str, str],
) -> bool:
    """Which businesses this night recomputes (ledgerlens.incremental); True for a full
    refresh. Only DuckDB builds incremental models (dbt_project.yml): other engines
    rebuild every table."""
    target = warehouse.target
    if target != "duckdb":
        return False
    if _is_subset(context):
        # Some models only (picked in the UI; the test dagster-dbt uses to subset dbt's
        # selection): rebuild those in full and leave the fingerprints as they were, so
        # the next whole night still sees every change since the last one.
        context.log.info("full refresh of the selected models: a subset of the dbt step")
        return True
    settings = settings_fingerprint(project.project_dir, target, dbt_vars)
    with warehouse.connect() as con:
        plan = plan_night(
            con, settings, full_refresh=run_options.full_refresh, run_id=context.run.run_id
        )
    context.log.info(plan.describe())
    return plan.full_refresh


def _scores_incremental(warehouse: Warehouse, run_id: str) -> bool:
    with warehouse.connect() as con:
        return scores_incremental(con, run_id)


# A full DuckDB build with more invoice lines than this per GB of its memory cap runs one
# dbt thread instead of the profile's two (DECISIONLOG.md, 2026-12-06 (threads)).
LINES_PER_GB_ONE_THREAD = 2_000_000


def _dbt_threads(warehouse: Warehouse, incremental: bool) -> int | None:
    """dbt's threads for a build, when not the profile's: LEDGERLENS_DBT_THREADS if set,
    else one thread for a full DuckDB build of a large warehouse.

    dbt's threads build their models as concurrent queries in one DuckDB database, under
    one memory cap. At 10M invoice lines and the 2.2GB cap two large models side by side
    spill what each alone keeps in memory (two of them: 60.2 CPU-s side by side against
    43.2 one after the other, 46.8 with an 8GB cap), and the first dbt step took 11-13 %
    less time and 13-15 % less CPU with one thread. At 1M and 2M lines two threads took
    6-9 % less time (they overlap dbt's own work between queries), as on an incremental
    night, which builds a few businesses' rows. The bound lies between 2M and 10M lines
    at 2.2GB, where a straight line through those ratios crosses 1 (4.9M), rounded down.
    """
    explicit = os.environ.get(THREADS_ENV)
    if explicit:
        return int(explicit)
    if warehouse.target != "duckdb" or incremental:
        return None
    with warehouse.connect() as con:
        lines = con.execute("select count(*) from raw.invoice_lines").fetchone()[0]
    return 1 if lines > LINES_PER_GB_ONE_THREAD * memory_gb(warehouse.memory_limit) else None


def _is_subset(context: dg.AssetExecutionContext) -> bool:
    """Whether this step builds some of its models only (picked in the UI; the test
    dagster-dbt uses to subset dbt's selection)."""
    assets_def = context.assets_def
    return (
        assets_def.keys_by_output_name != assets_def.node_keys_by_output_name
        or assets_def.check_specs_by_output_name != assets_def.node_check_specs_by_output_name
    )


def _build(
    context: dg.AssetExecutionContext,
    project: DbtProject,
    dbt: DbtCliResource,
    warehouse: Warehouse,
    run_options: RunOptions,
    plans_night: bool = False,
    publish_raw: bool = False,
    records_marts: bool = False,
):
    if publish_raw and warehouse.target != "duckdb":
        # The loader validated the raw files into the DuckDB build copy; dbt builds on
        # the target, so the loaded tables go there first (in one transaction).
        with warehouse.engine() as engine:
            copied = engine.publish_raw(warehouse.write_path)
        context.log.info(
            f"published {len(copied)} raw and quarantine tables to {warehouse.target} "
            f"({sum(copied.values()):,} rows)"
        )
    # dbt's unit tests check the models' SQL on fixed inputs, not the data: they run once
    # in the test suite (tests/test_dbt_unit_tests.py), not on every run over the books.
    args = ["build", "--exclude-resource-type", "unit_test", "--no-write-json"]
    dbt_vars = run_options.dbt_vars()
    if plans_night:
        if _plan_night(context, project, warehouse, run_options, dbt_vars):
            args += ["--full-refresh"]
        elif warehouse.target == "duckdb":
            # The models build incrementally and the tests that read only them check the
            # changed businesses (macros/business_scope.sql). Not part of the settings the
            # night was compared by (above): a var of its own for how to build, not what.
            dbt_vars = {**dbt_vars, "ledgerlens_night": "incremental"}
    elif warehouse.target == "duckdb" and _scores_incremental(warehouse, context.run.run_id):
        # The second step, after the Python models rescored only this night's changed
        # businesses (orchestration.assets.scores): the models on their scores build
        # incrementally as the first step's did, with the same vars (and parse).
        dbt_vars = {**dbt_vars, "ledgerlens_night": "incremental"}
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    threads = _dbt_threads(warehouse, incremental=dbt_vars.get("ledgerlens_night") == "incremental")
    if threads is not None:
        context.log.info(
            f"dbt builds with {threads} thread(s) (DECISIONLOG.md, 2026-12-06 (threads))"
        )
        args += ["--threads", str(threads)]
    key = _parse_key(warehouse, dbt_vars)
    target = _target_path(project, warehouse, key)
    if warehouse.target == "spark":
        # dbt's JVM opens the metastore, which embedded Derby gives one JVM at a time:
        # none may be kept from an earlier step (ledgerlens.engines.spark).
        from ledgerlens.engines.spark import release_kept_sessions

        release_kept_sessions()
    with warehouse.dbt_env():
        invocation = dbt.cli(args, context=context, raise_on_error=True, target_path=target)
    # Events are held until dbt exits, then counted from the warehouse. dagster-dbt's own
    # fetch_row_counts() opens the DuckDB file from this process while the dbt process
    # still writes it, and then reads a stale catalog ("schema marts does not exist").
    context.log.info("dbt build started: models, then their tests")
    events = []
    try:
        for event in invocation.stream():
            if isinstance(event, dg.Output):
                context.log.info(f"dbt built {event.output_name}")
            elif isinstance(event, dg.AssetCheckResult) and not event.passed:
                context.log.warning(f"dbt test failed: {event.check_name}")
            events.append(event)
        if records_marts and warehouse.target == "duckdb" and not _is_subset(context):
            # The marts on the scores hold this run's rows for every business: the next
            # night may rescore its changed businesses alone (ledgerlens.incremental).
            with warehouse.connect() as con:
                record_marts(con, context.run.run_id)
    finally:
        _save_state(project, target, key)
        yield from _with_row_counts(warehouse, events)


def build_dbt_assets(project: DbtProject) -> list[dg.AssetsDefinition]:
    """The two dbt steps, read from the project's manifest (parsed beforehand)."""

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=translator,
        exclude=RISK_SELECTION,
    )
    def dbt_models(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        warehouse: Warehouse,
        run_options: RunOptions,
    ):
        # The first step decides what the night rebuilds; the second builds incrementally
        # only when the Python models rescored the changed businesses alone.
        yield from _build(
            context, project, dbt, warehouse, run_options, plans_night=True, publish_raw=True
        )

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=translator,
        select=RISK_SELECTION,
        name="dbt_risk_models",
    )
    def dbt_risk_models(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        warehouse: Warehouse,
        run_options: RunOptions,
    ):
        yield from _build(context, project, dbt, warehouse, run_options, records_marts=True)

    return [dbt_models, dbt_risk_models]


def _with_row_counts(warehouse: Warehouse, events: list):
    names = [e.output_name for e in events if isinstance(e, dg.Output)]
    counts: dict[str, int] = {}
    headlines: dict[str, dict[str, Any]] = {}
    if names:
        # One engine for both: on Spark each engine is a JVM start (ledgerlens.engines.spark).
        with warehouse.engine() as engine:
            counts = _row_counts(engine, names)
            headlines = _headlines(engine, names)
    for event in events:
        if isinstance(event, dg.Output):
            metadata = dict(headlines.get(event.output_name, {}))
            rows = counts.get(event.output_name)
            if rows is not None:
                metadata["dagster/row_count"] = rows
            if metadata:
                event = event.with_metadata({**event.metadata, **metadata})
        yield event


# The schemas dbt builds tables in (the asset keys' first part).
DBT_SCHEMAS = ("staging", "intermediate", "marts")


def _row_counts(engine: Engine, output_names: list[str]) -> dict[str, int]:
    """Row counts of the built tables, read from the target after dbt has closed it."""
    counts = engine.row_counts(DBT_SCHEMAS)
    return {
        f"{schema}__{table}": rows
        for (schema, table), rows in counts.items()
        if f"{schema}__{table}" in output_names
    }


# A few headline figures per business on the mart assets, shown in the Dagster UI beside
# the row count: (metadata key, query) per mart output. Each query returns business_id
# then either its figures as named columns ({"nrr": ..., "grr": ...}; one column: the
# value itself), or, when the first column after business_id is `label`, one row per
# label ({"Champion": 12, ...}). The metadata is a JSON object keyed by business. The
# marts hold the figures: these are plain reads of one table each.
HEADLINES: dict[str, list[tuple[str, str]]] = {
    "marts__revenue_retention": [
        (
            "NRR, GRR and logo retention, latest 365 days",
            """
            select retention.business_id, retention.nrr, retention.grr,
                retention.logo_retention
            from marts.revenue_retention as retention
            where retention.period_grain = 'ttm'
                and retention.period_end_date = (
                    select max(latest.period_end_date)
                    from marts.revenue_retention as latest
                    where latest.business_id = retention.business_id
                        and latest.period_grain = 'ttm'
                )
            order by retention.business_id
            """,
        )
    ],
    "marts__dso_history": [
        (
            "DSO (count-back) and days beyond terms, as of the as-of date",
            "select business_id, count_back_dso, days_beyond_terms"
            " from marts.dso_history where is_current order by business_id",
        )
    ],
    "marts__segment_summary": [
        (
            "customers per segment",
            "select business_id, segment as label, customers from marts.segment_summary"
            " order by business_id, segment_priority",
        )
    ],
    "marts__customer_clv": [
        (
            "total CLV, next 36 months (home currency)",
            "select business_id, sum(clv_36m) from marts.customer_clv"
            " group by business_id order by business_id",
        )
    ],
    "marts__ar_aging": [
        (
            "open and overdue receivables (home currency)",
            "select business_id, sum(open_balance_home) as open,"
            " sum(open_balance_home - current_home) as overdue"
            " from marts.ar_aging group by business_id order by business_id",
        )
    ],
}


def _json_value(value):
    if isinstance(value, Decimal):
        return float(value)  # shown in the UI only; the mart keeps the decimal
    return value


def _headlines(engine: Engine, output_names: list[str]) -> dict[str, dict[str, Any]]:
    """The HEADLINES of the marts built in this step, read after dbt has closed the
    warehouse. A figure that cannot be read is left out with a warning, never a failed
    step: the mart itself was built and tested."""
    wanted = [name for name in output_names if name in HEADLINES]
    if not wanted:
        return {}
    metadata: dict[str, dict[str, Any]] = {}
    for output_name in wanted:
        for key, sql in HEADLINES[output_name]:
            try:
                table = engine.arrow(sql)
                names = table.column_names[1:]
                rows = [tuple(row.values()) for row in table.to_pylist()]
            except engine.errors as error:
                dg.get_dagster_logger().warning(f"{output_name}: {key} not read: {error}")
                continue
            figures: dict[str, Any] = {}
            for business_id, *values in rows:
                if names[0] == "label":
                    label, value = values
                    figures.setdefault(business_id, {})[str(label)] = _json_value(value)
                elif len(values) == 1:
                    figures[business_id] = _json_value(values[0])
                else:
                    figures[business_id] = {
                        name: _json_value(value) for name, value in zip(names, values, strict=True)
                    }
            metadata.setdefault(output_name, {})[key] = dg.MetadataValue.json(figures)
    return metadata
