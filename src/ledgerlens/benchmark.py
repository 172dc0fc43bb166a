"""`ledgerlens benchmark`: time and peak memory of each phase at a given data size.

Each phase runs in its own process so that its peak resident memory and CPU time
(including the dbt subprocess it waits for) are measured on their own with wait4(2). The
floor (ledgerlens.floor) runs after the pipeline on the same files, one process per query.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ledgerlens.safe_run import side_files


@dataclass
class Phase:
    name: str
    seconds: float
    # User + system CPU of the process and the children it waited for (dbt): on a shared
    # machine the figure that does not depend on what else runs.
    cpu_seconds: float
    peak_rss_mib: float
    exit_code: int


def _measure(name: str, args: list[str], log: Path, module: str = "ledgerlens.cli") -> Phase:
    started = time.perf_counter()
    # The run starts its own dbt server (orchestration/dbt_server.py), never a caller's
    # (a test session's): dbt's processes are then its descendants, in its CPU and RSS.
    env = {name: value for name, value in os.environ.items() if name != "LEDGERLENS_DBT_SERVER"}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args], stdout=out, stderr=subprocess.STDOUT, env=env
        )
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return Phase(
        name=name,
        seconds=round(time.perf_counter() - started, 1),
        cpu_seconds=round(usage.ru_utime + usage.ru_stime, 1),
        peak_rss_mib=round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
        exit_code=process.returncode,
    )


PROJECT_ROOT = Path(__file__).resolve().parents[2]
# dbt's log line for a built model: "... OK created sql table model marts.cohorts ... [OK in
# 0.52s]" on DuckDB and Spark; dbt-postgres puts the server's status there instead ("[SELECT
# 10569 in 1.20s]", "[INSERT 0 12 in 0.31s]"), and colours it in a terminal.
MODEL_LINE = re.compile(r"OK created sql \w+ model \w+\.(\w+) .*\[[^\]]* in ([0-9.]+)s\]")
# dbt's log line for a data test: "... PASS not_null_x ... [PASS in 0.12s]" (or WARN, FAIL).
TEST_LINE = re.compile(r"\d+ of \d+ (?:PASS|WARN|FAIL|ERROR) (\S+) .*\[\S* in ([0-9.]+)s\]")
# The run's progress line for the publish (orchestration.resources.Warehouse).
PUBLISH_LINE = re.compile(r"published the build to .* \(([0-9.]+)s\)")
DBT_FINISHED = re.compile(r"Finished running .* \(([0-9.]+)s\)\.")
REF = re.compile(r"""ref\(\s*['"](\w+)['"]\s*\)""")
RAW_SOURCE = re.compile(r"""source\(\s*['"]raw['"]\s*,\s*['"](\w+)['"]\s*\)""")
# The marts whose core the floor queries compute (ledgerlens.floor).
FLOOR_MARTS = {"customer_sheet": "customer_sheet", "retention_bridge": "revenue_retention"}


def _model_files() -> dict[str, Path]:
    return {path.stem: path for path in (PROJECT_ROOT / "models").rglob("*.sql")}


def model_seconds(dbt_log: Path) -> dict[str, float]:
    """Seconds dbt spent building each model, read from the run's dbt log."""
    seconds: dict[str, float] = {}
    for match in MODEL_LINE.finditer(dbt_log.read_text(errors="replace")):
        seconds[match.group(1)] = round(seconds.get(match.group(1), 0.0) + float(match.group(2)), 2)
    return seconds


def model_seconds_by_folder(dbt_log: Path) -> dict[str, float]:
    """Seconds dbt spent building the models of each models/ folder (e.g. marts/retention),
    read from the run's dbt log: which part of the project costs what."""
    files = _model_files()
    seconds: dict[str, float] = {}
    for model, spent in model_seconds(dbt_log).items():
        folder = (
            str(files[model].parent.relative_to(PROJECT_ROOT / "models"))
            if model in files
            else "other"
        )
        seconds[folder] = round(seconds.get(folder, 0.0) + spent, 1)
    return dict(sorted(seconds.items()))


def dbt_test_seconds(dbt_log: Path) -> float:
    """Seconds dbt spent on data tests (dbt's tests are the run's other checks), summed
    over dbt's threads: more than the wall time they took when they ran side by side."""
    return round(
        sum(float(m.group(2)) for m in TEST_LINE.finditer(dbt_log.read_text(errors="replace"))),
        1,
    )


def lineage(model: str) -> tuple[set[str], set[str]]:
    """The models `model` is built from (itself included) and the raw tables they read,
    from the ref() and source('raw', ...) calls in the models' SQL."""
    files = _model_files()
    models: set[str] = set()
    raw: set[str] = set()
    pending = [model]
    while pending:
        name = pending.pop()
        if name in models or name not in files:
            continue
        models.add(name)
        sql = files[name].read_text()
        pending += REF.findall(sql)
        raw.update(RAW_SOURCE.findall(sql))
    return models, raw


def pipeline_stages(steps: dict[str, float], run_log_text: str, total: float) -> dict[str, float]:
    """Wall seconds per stage of the run: load, checks (Great Expectations steps; dbt's
    tests run inside the dbt steps and are reported apart), each dbt step, each Python
    asset, publish, and what is left (Dagster, process start)."""
    stages: dict[str, float] = {}
    stages["load"] = round(sum(v for k, v in steps.items() if k.startswith("load_")), 2)
    stages["checks (Great Expectations)"] = round(
        sum(v for k, v in steps.items() if k.endswith("_great_expectations")), 2
    )
    for step, seconds in steps.items():
        if step.startswith("load_") or step.endswith("_great_expectations"):
            continue
        stages[f"step {step}"] = seconds
    publish = PUBLISH_LINE.search(run_log_text)
    stages["publish"] = float(publish.group(1)) if publish else 0.0
    stages["other (Dagster, start-up)"] = round(total - sum(stages.values()), 2)
    return stages


def _floor_ratio(
    floor_seconds: float, mart: str, steps: dict[str, float], models_seconds: dict[str, float]
) -> dict:
    """The pipeline's stages that make `mart`: the loads of the raw tables it reads
    and the dbt seconds of the models it is built from, against the floor query."""
    models, raw = lineage(mart)
    load = round(sum(steps.get(f"load_{table}", 0.0) for table in raw), 2)
    dbt = round(sum(models_seconds.get(model, 0.0) for model in models), 2)
    return {
        "mart": mart,
        "raw_tables": sorted(raw),
        "models": len(models),
        "load_seconds": load,
        "dbt_model_seconds": dbt,
        "pipeline_seconds": round(load + dbt, 2),
        "floor_seconds": floor_seconds,
        "ratio": round((load + dbt) / floor_seconds, 1) if floor_seconds else None,
    }


def run_benchmark(
    lines: int,
    seed: int,
    workdir: str | Path,
    fmt: str = "csv",
    as_of: str | None = None,
    data_dir: str | Path | None = None,
    target: str = "duckdb",
) -> dict:
    """Generate (unless `data_dir` names existing files, read and never written), run the
    pipeline, then the floor queries on the same files, each phase in its own process."""
    work = Path(workdir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    phases = []
    if data_dir is not None:
        data = Path(data_dir).resolve()
    else:
        data = work / f"data-{lines}-{seed}-{fmt}"
        phases.append(
            _measure(
                "generate",
                [
                    "generate",
                    "--out",
                    str(data),
                    "--lines",
                    str(lines),
                    "--seed",
                    str(seed),
                    "--format",
                    fmt,
                ],
                work / "generate.log",
            )
        )
    # Named as a user's warehouse is by default, so the run starts from the project's dbt
    # parse state as a user's run does (a new catalog name costs one full parse: about 13
    # CPU-s, DECISIONLOG.md, a run's fixed cost); one folder per data set.
    warehouse = work / f"warehouse-{data.name}" / "ledgerlens.duckdb"
    warehouse.parent.mkdir(exist_ok=True)
    for stale in (warehouse, warehouse.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    summary_file = work / "run-summary.json"
    summary_file.unlink(missing_ok=True)
    run_args = [
        "run",
        "--data",
        str(data),
        "--warehouse",
        str(warehouse),
        "--summary-json",
        str(summary_file),
    ]
    if as_of:
        run_args += ["--as-of", as_of]
    run_args += ["--target", target]
    pipeline = _measure("pipeline (load + dbt build)", run_args, work / "run.log")
    phases.append(pipeline)
    floors = {}
    for query in FLOOR_MARTS:
        log = work / f"floor-{query}.log"
        args = ["--data", str(data), "--query", query] + (["--as-of", as_of] if as_of else [])
        phase = _measure(f"floor: {query}", args, log, module="ledgerlens.floor")
        phases.append(phase)
        lines_out = log.read_text().strip().splitlines()
        floors[query] = json.loads(lines_out[-1]) if phase.exit_code == 0 else {}
    run_summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    steps = run_summary.get("step_seconds", {})
    dbt_log = Path(run_summary.get("log_file") or side_files(warehouse) / "run.log")
    dbt_text = dbt_log.read_text(errors="replace") if dbt_log.exists() else ""
    per_model = model_seconds(dbt_log) if dbt_log.exists() else {}
    invoice_lines = 0
    if warehouse.exists():
        import duckdb

        with duckdb.connect(str(warehouse), read_only=True) as con:
            invoice_lines = con.execute("select count(*) from raw.invoice_lines").fetchone()[0]
    result = {
        "lines_requested": lines if data_dir is None else None,
        "data": str(data),
        "invoice_lines_loaded": invoice_lines,
        "seed": seed if data_dir is None else None,
        "format": fmt,
        "target": target,
        "cpus": os.cpu_count(),
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        "phases": [asdict(phase) for phase in phases],
        "pipeline_stages_seconds": pipeline_stages(
            steps, (work / "run.log").read_text(errors="replace"), pipeline.seconds
        ),
        # What dbt itself reports per invocation (its nodes, without its start-up, parse
        # and what dagster-dbt does with its events): the rest of a dbt step is overhead.
        "dbt_invocation_seconds": [float(s) for s in DBT_FINISHED.findall(dbt_text)],
        "pipeline_steps_seconds": steps,
        "dbt_model_seconds_by_folder": model_seconds_by_folder(dbt_log) if dbt_log.exists() else {},
        "dbt_test_seconds": dbt_test_seconds(dbt_log) if dbt_log.exists() else None,
        "invoice_lines_per_second": round(invoice_lines / pipeline.seconds)
        if pipeline.seconds
        else None,
        "floor": {
            query: {
                **floors[query],
                **_floor_ratio(floors[query].get("seconds", 0.0), mart, steps, per_model),
            }
            for query, mart in FLOOR_MARTS.items()
        },
        "warehouse_mib": round(warehouse.stat().st_size / 2**20, 1) if warehouse.exists() else None,
    }
    (work / "benchmark.json").write_text(json.dumps(result, indent=2))
    return result
