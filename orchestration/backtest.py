"""`ledgerlens backtest`: for each seed, generate demo data, run the pipeline as of 13 weeks
before the data ends, and measure the late-payment model and the cash forecast against what
happened afterwards (ledgerlens.backtest)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from ledgerlens.backtest import data_end_of, evaluate_warehouse, horizon_days
from orchestration.run import run_pipeline


def run_backtest(
    seeds: list[int],
    lines: int,
    workdir: str | Path,
    methods: list[str] | None = None,
    emit: Callable[[str], None] | None = None,
) -> dict:
    from ledgerlens.demo import generate
    from ledgerlens.risk import METHODS

    work = Path(workdir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    emit = emit or (lambda _line: None)
    methods = methods or list(METHODS)
    horizon = horizon_days()
    results = []
    for seed in seeds:
        data = work / f"data-{lines}-{seed}"
        emit(f"seed {seed}: generating ~{lines:,} invoice lines")
        generate(data, seed=seed, lines=lines)
        data_end = data_end_of(data)
        as_of = data_end - timedelta(days=horizon)
        warehouse = work / f"warehouse-{lines}-{seed}.duckdb"
        warehouse.unlink(missing_ok=True)
        emit(f"seed {seed}: running the pipeline as of {as_of} (data ends {data_end})")
        summary = run_pipeline(data, warehouse, as_of_date=as_of.isoformat())
        if not summary.success:
            raise RuntimeError(f"pipeline failed for seed {seed}: {summary.failures}")
        results.append(evaluate_warehouse(warehouse, seed, as_of, data_end, methods))
    report = {"lines": lines, "horizon_days": horizon, "methods": methods, "seeds": results}
    (work / "backtest.json").write_text(json.dumps(report, indent=2))
    return report
