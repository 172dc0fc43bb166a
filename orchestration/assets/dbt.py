"""The dbt models as Dagster assets; dbt tests run as asset checks in the same build."""

# No `from __future__ import annotations`: Dagster reads these annotations at import.

import json
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.project import dbt_project
from orchestration.resources import Warehouse


class LedgerlensTranslator(DagsterDbtTranslator):
    """Asset keys are `<schema>/<name>`, exactly the warehouse table a user queries."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        schema = dbt_resource_props["config"].get("schema") or dbt_resource_props["schema"]
        return dg.AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["config"].get("schema") or "dbt"


class DbtBuildConfig(dg.Config):
    as_of_date: str | None = None


# Source tests stay observations: as checks they would belong to the dbt step while
# their assets belong to the load steps, and Dagster would split the dbt build around
# them. The loader already enforces every source test's rule (quarantine).
translator = LedgerlensTranslator(
    settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=False)
)


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=translator)
def dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: Warehouse,
    config: DbtBuildConfig,
):
    warehouse.export_to_dbt()
    args = ["build"]
    if config.as_of_date:
        args += ["--vars", json.dumps({"as_of_date": config.as_of_date})]
    invocation = dbt.cli(args, context=context, raise_on_error=True)
    try:
        for event in invocation.stream().fetch_row_counts():
            if isinstance(event, dg.Output):
                rows = event.metadata.get("dagster/row_count")
                shown = f" ({rows.value:,} rows)" if rows is not None else ""
                context.log.info(f"dbt built {event.output_name}{shown}")
            yield event
    finally:
        _release_duckdb_adapter()


def _release_duckdb_adapter() -> None:
    """Close the DuckDB handle that row counting opened through dbt's adapter.

    dbt-duckdb caches one database handle per process (a class attribute). Left open, it
    makes the next load in this process, or any reader with other settings, fail with
    "Can't open a connection to same database file with a different configuration".
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter (PostgreSQL, Spark): nothing cached
        return
    environment = getattr(DuckDBConnectionManager, "_ENV", None)
    if environment is not None:
        environment.close()
        DuckDBConnectionManager._ENV = None
