"""One load asset per contract table: `raw.<table>` plus its `quarantine.<table>`."""

# No `from __future__ import annotations`: Dagster reads these annotations at import.

import dagster as dg

from ledgerlens.contract import TABLES, Table
from ledgerlens.load import ContractError, load_table
from orchestration.resources import RawFiles, Warehouse

RAW_GROUP = "raw"

# A transient failure (a file still being copied in, a locked warehouse) is worth a
# retry; a contract break is not (see the Failure below).
LOAD_RETRY = dg.RetryPolicy(max_retries=2, delay=2)


def raw_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table])


def quarantine_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["quarantine", table])


def _build_load_asset(table: Table) -> dg.AssetsDefinition:
    raw_spec = dg.AssetSpec(
        raw_key(table.name),
        description=f"raw.{table.name}: {table.description} Typed; valid rows only.",
        deps=[raw_key(parent) for parent in table.parents if parent != table.name],
        group_name=RAW_GROUP,
        kinds={"duckdb"},
    )
    quarantine_spec = dg.AssetSpec(
        quarantine_key(table.name),
        description=f"quarantine.{table.name}: rejected rows of the {table.name} file, "
        "with file, line and rule.",
        group_name="quarantine",
        kinds={"duckdb"},
    )
    check_spec = dg.AssetCheckSpec(
        "no_rows_quarantined",
        asset=raw_key(table.name),
        description="Warns when any row of the file was quarantined.",
    )

    @dg.multi_asset(
        name=f"load_{table.name}",
        specs=[raw_spec, quarantine_spec],
        check_specs=[check_spec],
        retry_policy=LOAD_RETRY,
    )
    def load(context: dg.AssetExecutionContext, warehouse: Warehouse, raw_files: RawFiles):
        try:
            with warehouse.connect() as con:
                # A business whose rows did not change since the last load keeps them
                # (ledgerlens.load: the same tables as judging every row again).
                result = load_table(con, table.name, raw_files.data_dir, keep_unchanged=True)
        except ContractError as error:
            raise dg.Failure(description=str(error), allow_retries=False) from error
        kept = f"; {result.rows_kept:,} kept from the last load" if result.rows_kept else ""
        context.log.info(
            f"loaded {table.name}: {result.rows_loaded:,} rows, "
            f"{result.rows_quarantined:,} quarantined ({result.seconds:.1f}s{kept})"
        )
        for name in result.ignored_columns:
            context.log.warning(
                f"{result.source_file}: column '{name}' is not in the contract; ignored"
            )
        by_rule = dg.MetadataValue.json(result.quarantined_by_rule)
        yield dg.MaterializeResult(
            asset_key=raw_key(table.name),
            metadata={
                "source_file": result.source_file,
                "rows_read": result.rows_read,
                "dagster/row_count": result.rows_loaded,
                "rows_quarantined": result.rows_quarantined,
                "quarantined_by_rule": by_rule,
                "ignored_columns": ", ".join(result.ignored_columns),
                "rows_kept_from_last_load": result.rows_kept,
                "seconds": result.seconds,
            },
        )
        yield dg.MaterializeResult(
            asset_key=quarantine_key(table.name),
            metadata={"dagster/row_count": result.rows_quarantined, "by_rule": by_rule},
        )
        yield dg.AssetCheckResult(
            asset_key=raw_key(table.name),
            check_name="no_rows_quarantined",
            passed=result.rows_quarantined == 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"rows_quarantined": result.rows_quarantined, "by_rule": by_rule},
        )

    return load


load_assets = [_build_load_asset(table) for table in TABLES]
