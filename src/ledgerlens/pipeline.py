"""Run the ledgerlens Dagster job in-process and collect what a person wants to read."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PipelineError(Exception):
    """Bad arguments: reported to the user without a traceback."""


@dataclass
class TableLoad:
    table: str
    source_file: str
    rows_loaded: int
    rows_quarantined: int
    quarantined_by_rule: dict[str, int]


@dataclass
class RunSummary:
    success: bool
    seconds: float
    loads: list[TableLoad] = field(default_factory=list)
    models_built: list[str] = field(default_factory=list)
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    checks_warned: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    as_of_date: str | None = None
    log_file: str | None = None
    step_seconds: dict[str, float] = field(default_factory=dict)


def validate_as_of(value: str | None) -> str | None:
    if value is None:
        return None
    if not DATE_RE.match(value):
        raise PipelineError(f"--as-of {value!r} is not a date (YYYY-MM-DD)")
    try:
        date.fromisoformat(value)
    except ValueError as error:
        raise PipelineError(f"--as-of {value!r} is not a valid date: {error}") from error
    return value


def _progress_logger(emit: Callable[[str], None]) -> dg.LoggerDefinition:
    """A Dagster logger that forwards only the lines a person follows a run by."""

    class Forward(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            meta = getattr(record, "dagster_meta", None) or {}
            event = meta.get("dagster_event")
            step = meta.get("step_key") or ""
            message = meta.get("orig_message") or record.getMessage()
            if event is not None:
                kind = event.event_type_value
                if kind == "STEP_START":
                    emit(f"start {step}")
                elif kind == "STEP_FAILURE":
                    emit(f"FAILED {step}")
                return
            if "instead of an `AssetCheckResult`" in message:
                return  # dbt tests on sources run as observations, by design
            if record.levelno >= logging.WARNING or message.startswith(
                ("loaded ", "dbt ", "published ")
            ):
                emit(message)

    @dg.logger
    def progress(_init_context) -> logging.Logger:
        logger = logging.getLogger("ledgerlens.progress")
        logger.handlers = [Forward()]
        logger.setLevel(logging.INFO)
        logger.propagate = False
        return logger

    return progress


def run_pipeline(
    data_dir: str | Path,
    warehouse_path: str | Path,
    as_of_date: str | None = None,
    emit: Callable[[str], None] | None = None,
) -> RunSummary:
    """Load `data_dir` into `warehouse_path` and build every model, in this process."""
    data = Path(data_dir).expanduser().resolve()
    if not data.is_dir():
        raise PipelineError(f"--data {data_dir}: no such folder")
    warehouse = Path(warehouse_path).expanduser().resolve()
    as_of_date = validate_as_of(as_of_date)
    emit = emit or (lambda _line: None)
    from ledgerlens.safe_run import WarehouseBusy, check_not_busy

    try:
        check_not_busy(warehouse)
    except WarehouseBusy as error:
        raise PipelineError(str(error)) from None

    # The dbt profile and the definitions read these; set them before importing.
    os.environ["LEDGERLENS_WAREHOUSE"] = str(warehouse)
    os.environ["LEDGERLENS_DATA"] = str(data)
    started = time.perf_counter()
    emit("preparing the dbt project")
    from orchestration.project import ensure_manifest

    ensure_manifest()
    from orchestration.definitions import JOB_NAME, build_definitions
    from orchestration.resources import RawFiles, Warehouse

    defs = build_definitions(
        warehouse=Warehouse(path=str(warehouse)),
        raw_files=RawFiles(data_dir=str(data)),
        loggers={"progress": _progress_logger(emit)},
    )
    run_config: dict = {"loggers": {"progress": {}}}
    if as_of_date:
        from orchestration.assets.dbt import DBT_OPS

        run_config["ops"] = {op: {"config": {"as_of_date": as_of_date}} for op in DBT_OPS}
    # dagster-dbt echoes dbt's own log to stdout: keep it in a file beside the warehouse.
    log_path = warehouse.with_suffix(".run.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log, contextlib.redirect_stdout(log):
        result = defs.resolve_job_def(JOB_NAME).execute_in_process(
            run_config=run_config,
            instance=dg.DagsterInstance.ephemeral(),
            raise_on_error=False,
        )
    summary = _summarise(result, time.perf_counter() - started, as_of_date)
    summary.log_file = str(log_path)
    return summary


def _summarise(result: dg.ExecuteInProcessResult, seconds: float, as_of: str | None) -> RunSummary:
    summary = RunSummary(success=result.success, seconds=round(seconds, 1), as_of_date=as_of)
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        key = materialization.asset_key.path
        metadata = materialization.metadata
        if key[0] == "raw":
            summary.loads.append(
                TableLoad(
                    table=key[1],
                    source_file=metadata["source_file"].value,
                    rows_loaded=metadata["dagster/row_count"].value,
                    rows_quarantined=metadata["rows_quarantined"].value,
                    quarantined_by_rule=dict(metadata["quarantined_by_rule"].value),
                )
            )
        elif key[0] != "quarantine":
            summary.models_built.append(".".join(key))
    for evaluation in result.get_asset_check_evaluations():
        name = f"{'.'.join(evaluation.asset_key.path)}: {evaluation.check_name}"
        if evaluation.passed:
            summary.checks_passed += 1
        elif evaluation.severity == dg.AssetCheckSeverity.WARN:
            summary.checks_warned.append(name)
        else:
            summary.checks_failed.append(name)
    # A failed blocking check stops what follows without failing a step.
    summary.success = summary.success and not summary.checks_failed
    for event in result.all_events:
        if event.event_type_value == "STEP_SUCCESS":
            summary.step_seconds[event.step_key] = round(
                event.event_specific_data.duration_ms / 1000, 2
            )
        if event.event_type_value == "STEP_FAILURE":
            error = event.step_failure_data.error
            description = (
                event.step_failure_data.user_failure_data.description
                if event.step_failure_data.user_failure_data
                else None
            )
            # The innermost cause says what went wrong; the outer ones only where.
            while error is not None and error.cause is not None:
                error = error.cause
            text = description or (error.message.strip() if error else "failed")
            summary.failures.append(f"{event.step_key}: {text}")
    return summary
