"""The ledgerlens code location: load assets, dbt assets, one job, a nightly schedule."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.assets.dbt import dbt_models, dbt_risk_models
from orchestration.assets.raw import load_assets
from orchestration.assets.risk import invoice_risk_scores
from orchestration.checks import gx_checks
from orchestration.project import dbt_project
from orchestration.resources import RawFiles, Warehouse, raw_files_from_env, warehouse_from_env

JOB_NAME = "ledgerlens_pipeline"

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


def _dbt_executable() -> str:
    # The dbt installed beside this Python, so that an unactivated venv works too.
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def build_definitions(
    warehouse: Warehouse | None = None,
    raw_files: RawFiles | None = None,
    loggers: dict[str, dg.LoggerDefinition] | None = None,
) -> dg.Definitions:
    warehouse = warehouse or warehouse_from_env()
    return dg.Definitions(
        assets=[*load_assets, dbt_models, invoice_risk_scores, dbt_risk_models],
        asset_checks=gx_checks,
        jobs=[pipeline_job],
        # Materialisations started from the UI also run in one process: DuckDB has one
        # writer, and the warehouse resource builds a copy per run (ledgerlens.safe_run).
        executor=dg.in_process_executor,
        schedules=[nightly_schedule],
        resources={
            "warehouse": warehouse,
            "raw_files": raw_files or raw_files_from_env(),
            "dbt": DbtCliResource(
                project_dir=dbt_project,
                profiles_dir=str(Path(dbt_project.project_dir) / "profiles"),
                dbt_executable=_dbt_executable(),
            ),
        },
        loggers=loggers,
    )


defs = build_definitions()
