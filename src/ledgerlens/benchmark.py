"""`ledgerlens benchmark`: time and peak memory of each phase at a given data size.

Each phase runs in its own process so that its peak resident memory (including the dbt
subprocess it waits for) is measured on its own with wait4(2).
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
    peak_rss_mib: float
    exit_code: int


def _measure(name: str, args: list[str], log: Path) -> Phase:
    started = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ledgerlens.cli", *args], stdout=out, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return Phase(
        name=name,
        seconds=round(time.perf_counter() - started, 1),
        peak_rss_mib=round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
        exit_code=process.returncode,
    )


PROJECT_ROOT = Path(__file__).resolve().parents[2]
# dbt's log line for a built model: "... OK created sql table model marts.cohorts ... [OK in 0.52s]"
MODEL_LINE = re.compile(r"OK created sql \w+ model \w+\.(\w+) .*\[\S*OK\S* in ([0-9.]+)s\]")


def model_seconds_by_folder(dbt_log: Path) -> dict[str, float]:
    """Seconds dbt spent building the models of each models/ folder (e.g. marts/retention),
    read from the run's dbt log: which part of the project costs what."""
    folders = {
        path.stem: str(path.parent.relative_to(PROJECT_ROOT / "models"))
        for path in (PROJECT_ROOT / "models").rglob("*.sql")
    }
    seconds: dict[str, float] = {}
    for match in MODEL_LINE.finditer(dbt_log.read_text(errors="replace")):
        folder = folders.get(match.group(1), "other")
        seconds[folder] = round(seconds.get(folder, 0.0) + float(match.group(2)), 1)
    return dict(sorted(seconds.items()))


def run_benchmark(
    lines: int, seed: int, workdir: str | Path, fmt: str = "csv", as_of: str | None = None
) -> dict:
    work = Path(workdir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"data-{lines}-{seed}-{fmt}"
    warehouse = work / f"warehouse-{lines}-{seed}.duckdb"
    for stale in (warehouse, warehouse.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    phases = [
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
    ]
    summary_file = work / "run-summary.json"
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
    phases.append(_measure("pipeline (load + dbt build)", run_args, work / "run.log"))
    run_summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    steps = run_summary.get("step_seconds", {})
    dbt_log = Path(run_summary.get("log_file") or side_files(warehouse) / "run.log")
    models = model_seconds_by_folder(dbt_log) if dbt_log.exists() else {}
    invoice_lines = 0
    if warehouse.exists():
        import duckdb

        with duckdb.connect(str(warehouse), read_only=True) as con:
            invoice_lines = con.execute("select count(*) from raw.invoice_lines").fetchone()[0]
    result = {
        "lines_requested": lines,
        "invoice_lines_loaded": invoice_lines,
        "seed": seed,
        "format": fmt,
        "cpus": os.cpu_count(),
        "phases": [asdict(phase) for phase in phases],
        "pipeline_steps_seconds": steps,
        "dbt_model_seconds_by_folder": models,
        "warehouse_mib": round(warehouse.stat().st_size / 2**20, 1) if warehouse.exists() else None,
    }
    (work / "benchmark.json").write_text(json.dumps(result, indent=2))
    return result
