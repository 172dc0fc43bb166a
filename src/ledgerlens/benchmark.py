"""`ledgerlens benchmark`: time and peak memory of each phase at a given data size.

Each phase runs in its own process so that its peak resident memory (including the dbt
subprocess it waits for) is measured on its own with wait4(2).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path


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
    steps = json.loads(summary_file.read_text())["step_seconds"] if summary_file.exists() else {}
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
        "warehouse_mib": round(warehouse.stat().st_size / 2**20, 1) if warehouse.exists() else None,
    }
    (work / "benchmark.json").write_text(json.dumps(result, indent=2))
    return result
