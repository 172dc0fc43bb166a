"""The late-payment model: a Python step between the dbt models it reads and those reading
it (its asset is in orchestration.assets.scores, with the CLV fit's)."""

# No `from __future__ import annotations`: Dagster reads these annotations at import.

import dagster as dg

from ledgerlens.risk import (
    DEFAULT_METHOD,
    DELAYS_TABLE,
    FEATURES_TABLE,
    SCORES_SCHEMA,
    SCORES_TABLE,
    score_warehouse,
)
from orchestration.resources import Warehouse

RISK_SCORES_KEY = dg.AssetKey([SCORES_SCHEMA, SCORES_TABLE])
FEATURES_KEY = dg.AssetKey(FEATURES_TABLE.split("."))
DELAYS_KEY = dg.AssetKey(DELAYS_TABLE.split("."))


RISK_SPEC = dg.AssetSpec(
    RISK_SCORES_KEY,
    deps=[FEATURES_KEY, DELAYS_KEY],
    group_name=SCORES_SCHEMA,
    kinds={"python", "scikitlearn", "duckdb"},
    description=f"{SCORES_SCHEMA}.{SCORES_TABLE}: late-payment probability, reasons and "
    "expected payment timing of every invoice open at the as-of date (ledgerlens.risk). "
    "dbt reads it as the source risk.invoice_risk_scores.",
)


def score_risk(
    warehouse: Warehouse, changed: list[str] | None = None
) -> tuple[str, list[dg.MaterializeResult], bool]:
    """Fit and score on the run's engine (orchestration.assets.scores runs this): the
    line to log, the materialisation, and whether only the `changed` businesses (an
    incremental night's) were rescored."""
    with warehouse.engine() as engine:
        result = score_warehouse(engine, DEFAULT_METHOD, changed)
    scope = (
        f"of {len(changed)} changed businesses" if result["incremental"] else "of every business"
    )
    line = (
        f"scored {result['rows_scored']:,} open invoices {scope} ({result['method']}, "
        f"{result['training_rows']:,} training rows)"
    )
    return (
        line,
        [
            dg.MaterializeResult(
                asset_key=RISK_SCORES_KEY,
                metadata={
                    "dagster/row_count": result["table_rows"],
                    "rows_scored": result["rows_scored"],
                    "training_rows": result["training_rows"],
                    "method": result["method"],
                    "invoices_on_business_models": result["business_models"],
                    "only_changed_businesses": result["incremental"],
                },
            )
        ],
        result["incremental"],
    )
