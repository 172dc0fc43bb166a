"""Great Expectations suites as Dagster asset checks (ledgerlens.quality).

One blocking check per suite (quality.RAW_SUITES, quality.MART_SUITES). A failed error
rule is an ERROR: the assets downstream are not built and the run publishes nothing. A
failed soft rule is a WARN. The metadata carries, per failed expectation, how many rows
broke it and a few examples; the GX Data Docs are rebuilt in the `gx/` folder beside
the warehouse.
"""

# No `from __future__ import annotations`: Dagster reads these annotations at import.

import functools
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
from orchestration.resources import Warehouse

CHECK_NAME = "great_expectations"


def docs_dir(warehouse: Warehouse) -> Path:
    """Where GX keeps its project (`gx/`: suites, results, Data Docs): the folder of the
    published warehouse, so the docs are at warehouse/gx/uncommitted/data_docs/."""
    return Path(warehouse.path).parent


@functools.cache
def _validator(folder: str) -> Validator:
    # One GX context per process and folder: making one costs about a second.
    return Validator(folder)


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


def _run(context, warehouse: Warehouse, suite_name: str, raw: bool) -> dg.AssetCheckResult:
    validator = _validator(str(docs_dir(warehouse)))
    with warehouse.connect() as con:
        suites = raw_suites(con) if raw else mart_suites()
        result = validator.validate(con, suites[suite_name])
    docs = validator.build_docs()
    for outcome in result.failed:
        log = context.log.error if outcome.severity == "error" else context.log.warning
        log(
            f"{result.suite}: {outcome.unexpected:,} of {outcome.checked:,} rows break"
            f" '{outcome.why}' ({outcome.expectation}), e.g. {', '.join(outcome.examples)}"
        )
    return _result(result, docs)


def _raw_check(table_name: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_key(table_name),
        name=CHECK_NAME,
        blocking=True,
        description=f"GX suite of raw.{table_name}: soft rules a person reviews.",
    )
    def check(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
        return _run(context, warehouse, table_name, raw=True)

    return check


def _mart_check(mart: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["marts", mart]),
        name=CHECK_NAME,
        blocking=True,
        description=f"GX suite of marts.{mart}.",
    )
    def check(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
        return _run(context, warehouse, mart, raw=False)

    return check


gx_checks = [
    *(_raw_check(table_name) for table_name in RAW_SUITES),
    *(_mart_check(mart) for mart in MART_SUITES),
]
