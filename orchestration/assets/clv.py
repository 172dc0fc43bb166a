"""The CLV fit: a Python step between the dbt models it reads and the marts reading it (its
assets are in orchestration.assets.scores, with the late-payment model's)."""

# No `from __future__ import annotations`: Dagster reads these annotations at import.

import dagster as dg

from ledgerlens.clv import (
    FITS_TABLE,
    HISTORY_TABLE,
    PREPARED_TABLE,
    PURCHASES_TABLE,
    SCORES_SCHEMA,
    SCORES_TABLE,
    SNAPSHOTS_TABLE,
    score_warehouse,
)
from orchestration.resources import RunOptions, Warehouse

CLV_SCORES_KEY = dg.AssetKey([SCORES_SCHEMA, SCORES_TABLE])
CLV_FITS_KEY = dg.AssetKey([SCORES_SCHEMA, FITS_TABLE])
CLV_HISTORY_KEY = dg.AssetKey([SCORES_SCHEMA, HISTORY_TABLE])


CLV_SPECS = [
    dg.AssetSpec(
        CLV_SCORES_KEY,
        deps=[dg.AssetKey(PREPARED_TABLE.split(".")), dg.AssetKey(PURCHASES_TABLE.split("."))],
        group_name=SCORES_SCHEMA,
        kinds={"python", "scipy", "duckdb"},
        description=f"{SCORES_SCHEMA}.{SCORES_TABLE}: each customer's p_alive, expected "
        "purchases and CLV with its interval (ledgerlens.clv). dbt reads it as the source "
        "clv.customer_clv_scores.",
    ),
    dg.AssetSpec(
        CLV_FITS_KEY,
        deps=[dg.AssetKey(PREPARED_TABLE.split(".")), dg.AssetKey(PURCHASES_TABLE.split("."))],
        group_name=SCORES_SCHEMA,
        kinds={"python", "scipy", "duckdb"},
        description=f"{SCORES_SCHEMA}.{FITS_TABLE}: each business's fitted purchase and "
        "spend models (ledgerlens.clv). dbt reads it as the source clv.clv_model_fits.",
    ),
    dg.AssetSpec(
        CLV_HISTORY_KEY,
        deps=[
            dg.AssetKey(PREPARED_TABLE.split(".")),
            dg.AssetKey(PURCHASES_TABLE.split(".")),
            dg.AssetKey(SNAPSHOTS_TABLE.split(".")),
        ],
        group_name=SCORES_SCHEMA,
        kinds={"python", "scipy", "duckdb"},
        description=f"{SCORES_SCHEMA}.{HISTORY_TABLE}: each customer's value at each "
        "statement month end by today's fits (ledgerlens.clv.value_at), the customer "
        "value of the segment balance sheets. dbt reads it as the source "
        "clv.customer_value_history.",
    ),
]
CLV_KEYS = {spec.key for spec in CLV_SPECS}


def score_clv(
    warehouse: Warehouse, run_options: RunOptions, changed: list[str] | None = None
) -> tuple[str, list[dg.MaterializeResult], bool]:
    """Fit and score on the run's engine (orchestration.assets.scores runs this): the
    line to log, the materialisations of the three tables it writes, and whether only
    the `changed` businesses (an incremental night's) were rescored."""
    with warehouse.engine() as engine:
        result = score_warehouse(engine, run_options.dbt_vars(), changed)
    which = "changed " if result["incremental"] else ""
    line = (
        f"CLV scored {result['customers_scored']:,} customers of {result['businesses']} "
        f"{which}businesses ({result['business_fits']} fitted alone) in {result['seconds']} s"
    )
    return (
        line,
        [
            dg.MaterializeResult(
                asset_key=CLV_SCORES_KEY,
                metadata={
                    "dagster/row_count": result["table_rows"][SCORES_TABLE],
                    "customers_scored": result["customers_scored"],
                    "seconds": result["seconds"],
                },
            ),
            dg.MaterializeResult(
                asset_key=CLV_FITS_KEY,
                metadata={
                    "dagster/row_count": result["table_rows"][FITS_TABLE],
                    "business_fits": result["business_fits"],
                },
            ),
            dg.MaterializeResult(
                asset_key=CLV_HISTORY_KEY,
                metadata={"dagster/row_count": result["table_rows"][HISTORY_TABLE]},
            ),
        ],
        result["incremental"],
    )
