"""The one run driver: a whole ledgerlens run, in this process, and what a person reads of it.

The CLI (`ledgerlens run`, `demo`), the back-test and the tests call `run_pipeline`. A run:
fail fast if another run holds the warehouse; build the code location for this warehouse
and folder; execute the job (the Warehouse resource takes the lock, builds a copy and
publishes it only when every step and blocking check passed: ledgerlens.safe_run); then
summarise the run from its events. The as-of date is run configuration
(`resources.run_options`), so the same run can be launched from the Dagster UI.

Runs are recorded in the project's Dagster home (`dagster_home()`), the instance that
`ledgerlens ui` (`dagster dev`) shows, so a CLI run appears there with its
materialisations, check results and metadata.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg

from ledgerlens import safe_run
from ledgerlens.engines import TARGETS
from ledgerlens.report import STALE_EXPORTS_SQL, stale_export_lines, stale_export_warnings
from orchestration import dbt_server
from orchestration.resources import (
    REPO_ROOT,
    RawFiles,
    Warehouse,
    absolute,
)

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The project's Dagster home unless DAGSTER_HOME says otherwise; `.gitignore`d.
DEFAULT_DAGSTER_HOME = REPO_ROOT / ".dagster"
# Telemetry off: the machines ledgerlens runs on may have no network.
DAGSTER_YAML = "telemetry:\n  enabled: false\n"

# The progress lines a person follows a run by; everything else the orchestrator logs
# appears with `verbose` only.
PROGRESS_PREFIXES = (
    "loaded ",
    "incremental night",
    "full refresh",
    "dbt build started",
    "scored ",
    "published ",
    "run failed",
)


class PipelineError(Exception):
    """Bad arguments or a busy warehouse: reported to the user without a traceback."""


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
    # One line per failed or warning check and per failed step: what, where, what to do.
    problems: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    as_of_date: str | None = None
    warehouse: str | None = None
    warehouse_existed: bool = False
    # The engine dbt and the Python steps ran on; the warehouse file above holds the
    # loaded raw tables on every target, the marts on `duckdb` only.
    target: str = "duckdb"
    log_file: str | None = None
    dagster_home: str | None = None
    run_id: str | None = None
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


def dagster_home() -> Path:
    """The persistent Dagster home: DAGSTER_HOME if set, else `.dagster/` in the project."""
    home = Path(os.environ.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return home


def dagster_instance() -> dg.DagsterInstance:
    _sqlite_without_fsync_per_event()
    return _instance_at(str(dagster_home()))


@functools.cache
def _instance_at(home: str) -> dg.DagsterInstance:
    # One instance per home and process: opening one checks its storage schemas.
    from dagster._core.instance.ref import InstanceRef

    return dg.DagsterInstance.from_ref(
        InstanceRef.from_dir(home, overrides=_storage_with_open_connections(home))
    )


# What a dagster.yaml can say about where Dagster keeps runs and events.
STORAGE_KEYS = ("storage", "run_storage", "event_log_storage", "schedule_storage")


def _storage_with_open_connections(home: str) -> dict | None:
    """Dagster's default SQLite storage in `home` (the same files: runs in history/, each
    run's events in history/runs/, schedules in schedules/), its events written through
    connections kept open for the run (orchestration.event_storage); None, so the home's
    own settings hold, when its dagster.yaml names a storage (e.g. PostgreSQL)."""
    import yaml
    from dagster._core.storage.sqlite_storage import (
        _event_logs_directory,
        _runs_directory,
        _schedule_directory,
    )

    config = Path(home) / "dagster.yaml"
    settings = (yaml.safe_load(config.read_text()) if config.exists() else None) or {}
    if any(key in settings for key in STORAGE_KEYS):
        return None

    def storage(module: str, name: str, base_dir: str) -> dict:
        return {"module": module, "class": name, "config": {"base_dir": base_dir}}

    return {
        "run_storage": storage(
            "dagster._core.storage.runs", "SqliteRunStorage", _runs_directory(home)
        ),
        "event_log_storage": storage(
            "orchestration.event_storage", "RunEventLogStorage", _event_logs_directory(home)
        ),
        "schedule_storage": storage(
            "dagster._core.storage.schedules", "SqliteScheduleStorage", _schedule_directory(home)
        ),
    }


@functools.cache
def _sqlite_without_fsync_per_event() -> None:
    """Dagster's SQLite storage commits every event on a new connection, and SQLite's
    default (rollback journal, synchronous=FULL) syncs the disk on each commit: a run's
    ~1,000 events took 25-30 s more than on an in-memory instance (measured on the 20,000
    line demo). Write-ahead logging with synchronous=NORMAL syncs at checkpoints only and
    cannot corrupt the database; a power cut may lose the last events of a run's history,
    never the warehouse. SQLAlchemy is used in this process by Dagster's storage alone."""
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _pragmas(connection, _record) -> None:
        if isinstance(connection, sqlite3.Connection):
            connection.execute("pragma journal_mode=wal")
            connection.execute("pragma synchronous=normal")


def _progress_logger(emit: Callable[[str], None], verbose: bool) -> dg.LoggerDefinition:
    """A Dagster logger that forwards the lines a person follows a run by (all with
    `verbose`)."""

    class Forward(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            meta = getattr(record, "dagster_meta", None) or {}
            event = meta.get("dagster_event")
            step = meta.get("step_key") or ""
            message = meta.get("orig_message") or record.getMessage()
            if event is not None:
                if verbose or event.event_type_value == "STEP_START":
                    emit(f"{event.event_type_value.lower()} {step}".strip())
                return
            if verbose or message.startswith(PROGRESS_PREFIXES):
                emit(message)

    @dg.logger
    def progress(_init_context) -> logging.Logger:
        logger = logging.getLogger("ledgerlens.progress")
        logger.handlers = [Forward()]
        logger.setLevel(logging.DEBUG if verbose else logging.INFO)
        logger.propagate = False
        return logger

    return progress


def run_pipeline(
    data_dir: str | Path,
    warehouse_path: str | Path,
    as_of_date: str | None = None,
    emit: Callable[[str], None] | None = None,
    *,
    memory_limit: str | None = None,
    verbose: bool = False,
    instance: dg.DagsterInstance | None = None,
    full_refresh: bool = False,
    target: str | None = None,
) -> RunSummary:
    """Load `data_dir` into `warehouse_path` and build every model, in this process, on
    `target` (default LEDGERLENS_TARGET, else duckdb): on another engine than DuckDB the
    loaded tables are published there, and dbt and the Python steps run there."""
    data = Path(data_dir).expanduser().resolve()
    if not data.is_dir():
        raise PipelineError(f"--data {data_dir}: no such folder")
    defaults = Warehouse.from_env()
    target = target or defaults.target
    if target not in TARGETS:
        raise PipelineError(f"--target {target!r}: one of {', '.join(TARGETS)}")
    warehouse = Warehouse(
        path=absolute(warehouse_path),
        memory_limit=memory_limit or defaults.memory_limit,
        target=target,
    )
    as_of_date = validate_as_of(as_of_date)
    emit = emit or (lambda _line: None)
    try:
        safe_run.check_not_busy(Path(warehouse.path))
        safe_run.check_readable(Path(warehouse.path))
        target_lock = warehouse.take_target_lock()
        if target_lock:
            target_lock.close()
    except (safe_run.WarehouseBusy, safe_run.WarehouseUnreadable) as error:
        raise PipelineError(str(error)) from None
    existed = Path(warehouse.path).exists()

    started = time.perf_counter()
    emit("preparing the dbt project")
    from orchestration.definitions import JOB_NAME, build_definitions

    defs = build_definitions(
        warehouse=warehouse,
        raw_files=RawFiles(data_dir=str(data)),
        loggers={"progress": _progress_logger(emit, verbose)},
    )
    run_config = {
        "loggers": {"progress": {}},
        "resources": {
            "run_options": {"config": {"as_of_date": as_of_date, "full_refresh": full_refresh}}
        },
    }
    instance = instance or dagster_instance()
    # dagster-dbt echoes dbt's own log to stdout: keep it in the warehouse's side files.
    log_path = warehouse.side_files / "run.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # On Spark, the Python steps and the summary share a JVM between dbt's steps instead
    # of starting one each (ledgerlens.engines.spark.sessions_kept); all stop by the end.
    kept = contextlib.nullcontext()
    if target == "spark":
        from ledgerlens.engines.spark import sessions_kept

        kept = sessions_kept()
    with kept:
        # dbt's two steps fork from one process that imports dbt while the files load
        # (orchestration/dbt_server.py), instead of two dbt start-ups.
        with log_path.open("w") as log, contextlib.redirect_stdout(log), dbt_server.serving():
            result = defs.resolve_job_def(JOB_NAME).execute_in_process(
                run_config=run_config,
                instance=instance,
                raise_on_error=False,
                tags={"ledgerlens/data": str(data)},
            )
        summary = _summarise(result, time.perf_counter() - started, as_of_date)
        if summary.success and target == "duckdb" and Path(warehouse.path).exists():
            # Read from the published mart: is_export_stale is decided there.
            summary.problems += [
                f"warning: {line}" for line in stale_export_warnings(warehouse.path)
            ]
        elif summary.success and target != "duckdb":
            with warehouse.engine() as engine:
                rows = engine.arrow(STALE_EXPORTS_SQL).to_pylist()
            summary.problems += [f"warning: {line}" for line in stale_export_lines(rows)]
    summary.warehouse = warehouse.path
    summary.target = target
    summary.warehouse_existed = existed
    summary.log_file = str(log_path) if log_path.stat().st_size else None
    summary.dagster_home = str(instance.root_directory) if instance.is_persistent else None
    summary.run_id = result.run_id
    return summary


def _check_problem(evaluation) -> str:
    """One line for a failed or warning check: which table, what broke, where to look."""
    table = ".".join(evaluation.asset_key.path)
    metadata = {key: getattr(value, "value", value) for key, value in evaluation.metadata.items()}
    if evaluation.check_name == "no_rows_quarantined":
        rules = ", ".join(f"{rule} {n:,}" for rule, n in metadata.get("by_rule", {}).items())
        quarantine = "quarantine." + evaluation.asset_key.path[-1]
        return (
            f"{table}: {metadata.get('rows_quarantined', 0):,} rows quarantined ({rules}); "
            f"each is in {quarantine} with its file, line and rule: fix them in the export "
            "and run again"
        )
    if evaluation.check_name == "great_expectations":
        failed = metadata.get("failed_expectations") or {}
        broken = "; ".join(
            f"{outcome.get('unexpected', '?'):,} rows break '{outcome.get('why', name)}'"
            if isinstance(outcome.get("unexpected"), int)
            else f"'{outcome.get('why', name)}'"
            for name, outcome in failed.items()
        )
        docs = metadata.get("data_docs")
        return f"{table}: Great Expectations: {broken}" + (
            f" (examples in the Data Docs: {docs})" if docs else ""
        )
    return f"{table}: dbt test {evaluation.check_name} failed; `dbt test --select " + (
        f"{evaluation.check_name}` shows the rows"
    )


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
            continue
        if evaluation.severity == dg.AssetCheckSeverity.WARN:
            summary.checks_warned.append(name)
            summary.problems.append("warning: " + _check_problem(evaluation))
        else:
            summary.checks_failed.append(name)
            summary.problems.append("failed: " + _check_problem(evaluation))
    # A failed blocking check stops what follows without failing a step.
    summary.success = summary.success and not summary.checks_failed
    for event in result.all_events:
        if event.event_type_value == "STEP_SUCCESS":
            summary.step_seconds[event.step_key] = round(
                event.event_specific_data.duration_ms / 1000, 2
            )
        if event.event_type_value == "STEP_FAILURE":
            summary.failures.append(f"{event.step_key}: {_failure_text(event)}")
    return summary


def _failure_text(event: dg.DagsterEvent) -> str:
    data = event.step_failure_data
    if data.user_failure_data and data.user_failure_data.description:
        return data.user_failure_data.description
    error = data.error
    # The innermost cause says what went wrong; the outer ones only where.
    while error is not None and error.cause is not None:
        error = error.cause
    return error.message.strip() if error else "failed"
