"""The ledgerlens code location: load assets, dbt assets, the risk step, GX checks, one job
and a nightly schedule.

Built on demand: importing this module parses no dbt project and sets no environment
variable. `dagster dev` (pyproject's `[tool.dagster]`) calls `defs()`; the run driver
(`orchestration.run`) calls `build_definitions` with the run's warehouse and files.
"""

from __future__ import annotations

import os

import dagster as dg

JOB_NAME = "ledgerlens_pipeline"


def build_definitions(
    warehouse=None,
    raw_files=None,
    loggers: dict[str, dg.LoggerDefinition] | None = None,
) -> dg.Definitions:
    """The whole code location. Without arguments, the warehouse and the raw files come
    from the environment (`Warehouse.from_env`), as `dagster dev` and schedules need."""
    from orchestration.assets.dbt import build_dbt_assets
    from orchestration.assets.raw import load_assets
    from orchestration.assets.scores import model_scores
    from orchestration.checks import gx_checks
    from orchestration.project import dbt_resource, prepared_project
    from orchestration.resources import GreatExpectations, RawFiles, RunOptions, Warehouse

    project = prepared_project()
    # One process: DuckDB lets one process write a database file at a time, and the load
    # assets and dbt share the file.
    pipeline_job = dg.define_asset_job(
        JOB_NAME,
        selection=dg.AssetSelection.all(),
        executor_def=dg.in_process_executor,
        description="Load every raw file, then build and test every dbt model.",
    )
    nightly_schedule = dg.ScheduleDefinition(
        name="nightly",
        job=pipeline_job,
        cron_schedule=os.environ.get("LEDGERLENS_NIGHTLY_CRON", "0 2 * * *"),
        execution_timezone=os.environ.get("LEDGERLENS_TIMEZONE", "UTC"),
        description="The nightly run; time and timezone from LEDGERLENS_NIGHTLY_CRON and "
        "LEDGERLENS_TIMEZONE (default 02:00 UTC).",
    )
    return dg.Definitions(
        assets=[
            *load_assets,
            *build_dbt_assets(project),
            model_scores,
        ],
        asset_checks=gx_checks,
        jobs=[pipeline_job],
        # Materialisations started from the UI also run in one process: DuckDB has one
        # writer, and the warehouse resource builds a copy per run (ledgerlens.safe_run).
        executor=dg.in_process_executor,
        schedules=[nightly_schedule],
        resources={
            "warehouse": warehouse or Warehouse.from_env(),
            "raw_files": raw_files or RawFiles.from_env(),
            "run_options": RunOptions(),
            "great_expectations": GreatExpectations(),
            "dbt": dbt_resource(project),
        },
        loggers=loggers,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
