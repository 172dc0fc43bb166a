"""Great Expectations suites as Dagster asset checks (ledgerlens.quality).

One blocking check per suite (quality.RAW_SUITES, quality.MART_SUITES). A failed error
rule is an ERROR: the assets downstream are not built and the run publishes nothing. A
failed soft rule is a WARN. The metadata carries, per failed expectation, how many rows
broke it and a few examples. The GX project lives in the warehouse's side files; its
Data Docs are built once per run, when the run ends (resources.GreatExpectations).
"""

# No `from __future__ import annotations`: Dagster reads these annotations at import.

from pathlib import Path

import dagster as dg

from ledgerlens.quality import (
    MART_SUITES,
    RAW_SUITES,
    SuiteResult,
    Validator,
    mart_suites,
    raw_suites,
)
from orchestration.assets.raw import raw_key
from orchestration.resources import GreatExpectations, Warehouse

CHECK_NAME = "great_expectations"


def _result(result: SuiteResult, docs: Path | None) -> dg.AssetCheckResult:
    severity = dg.AssetCheckSeverity.ERROR if result.has_errors else dg.AssetCheckSeverity.WARN
    metadata = {
        "rows_validated": result.rows,
        "arrow_batches": result.batches,
        "seconds": result.seconds,
        "expectations": len(result.outcomes),
        "failed_expectations": dg.MetadataValue.json(result.summary()),
    }
    if docs:
        metadata["data_docs"] = dg.MetadataValue.path(str(docs))
    return dg.AssetCheckResult(passed=result.success, severity=severity, metadata=metadata)


def _run(
    context,
    warehouse: Warehouse,
    great_expectations: GreatExpectations,
    suite_name: str,
    raw: bool,
) -> dg.AssetCheckResult:
    validator: Validator = great_expectations.validator(warehouse)
    # The raw tables are checked where the loader wrote them (the DuckDB file, on every
    # target); the marts where dbt built them (the target).
    with warehouse.connect() if raw else warehouse.engine() as con:
        suites = raw_suites(con) if raw else mart_suites()
        result = validator.validate(con, suites[suite_name])
    docs = great_expectations.docs_index(warehouse)
    for outcome in result.failed:
        log = context.log.error if outcome.severity == "error" else context.log.warning
        log(
            f"{result.suite}: {outcome.unexpected:,} of {outcome.checked:,} rows break"
            f" '{outcome.why}' ({outcome.expectation}), e.g. {', '.join(outcome.examples)}"
        )
    return _result(result, docs)


def _suite_check(
    asset: dg.AssetKey, suite_name: str, raw: bool, description: str
) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=asset, name=CHECK_NAME, blocking=True, description=description)
    def check(
        context: dg.AssetCheckExecutionContext,
        warehouse: Warehouse,
        great_expectations: GreatExpectations,
    ):
        return _run(context, warehouse, great_expectations, suite_name, raw=raw)

    return check


gx_checks = [
    *(
        _suite_check(
            raw_key(table_name),
            table_name,
            raw=True,
            description=f"GX suite of raw.{table_name}: soft rules a person reviews.",
        )
        for table_name in RAW_SUITES
    ),
    *(
        _suite_check(
            dg.AssetKey(["marts", mart]),
            mart,
            raw=False,
            description=f"GX suite of marts.{mart}.",
        )
        for mart in MART_SUITES
    ),
]
