"""`ledgerlens backtest`: for each seed, generate demo data, cut it as it stood 13 weeks before
the data ends and run the pipeline on the cut as of then, run it on the whole export as of its
end, and measure the late-payment model and the cash forecast of the first run against what
the second saw happen (ledgerlens.backtest)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from ledgerlens.backtest import cut_export, data_end_of, evaluate_warehouse, horizon_days
from orchestration.run import run_pipeline


def run_backtest(
    seeds: list[int],
    lines: int,
    workdir: str | Path,
    methods: list[str] | None = None,
    emit: Callable[[str], None] | None = None,
) -> dict:
    from ledgerlens.risk import METHODS

    work = Path(workdir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    emit = emit or (lambda _line: None)
    methods = methods or list(METHODS)
    horizon = horizon_days()
    results = []
    for seed in seeds:
        data, data_end = _generated(work, seed, lines, emit)
        as_of = data_end - timedelta(days=horizon)
        cut = work / f"data-{lines}-{seed}-at-{as_of}"
        shutil.rmtree(cut, ignore_errors=True)
        cut_export(data, cut, as_of)
        warehouses = {}
        for name, folder, run_as_of in (("at_t", cut, as_of), ("at_end", data, data_end)):
            warehouse = work / f"warehouse-{lines}-{seed}-{name}.duckdb"
            warehouse.unlink(missing_ok=True)
            emit(f"seed {seed}: running the pipeline on {folder.name} as of {run_as_of}")
            summary = run_pipeline(folder, warehouse, as_of_date=run_as_of.isoformat())
            if not summary.success:
                raise RuntimeError(f"pipeline failed for seed {seed}: {summary.failures}")
            warehouses[name] = warehouse
        results.append(
            evaluate_warehouse(
                warehouses["at_t"], warehouses["at_end"], seed, as_of, data_end, methods
            )
        )
    report = {"lines": lines, "horizon_days": horizon, "methods": methods, "seeds": results}
    (work / "backtest.json").write_text(json.dumps(report, indent=2))
    return report


def run_clv_backtest(
    seeds: list[int],
    lines: int,
    workdir: str | Path,
    emit: Callable[[str], None] | None = None,
) -> dict:
    """For each seed: generate, run the pipeline as of a year before the data ends, and
    measure the CLV model and the "next year = last year" baseline against that year
    (ledgerlens.clv_backtest)."""
    from ledgerlens.clv_backtest import HORIZON_DAYS, evaluate

    work = Path(workdir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    emit = emit or (lambda _line: None)
    results = []
    for seed in seeds:
        data, data_end = _generated(work, seed, lines, emit)
        as_of = data_end - timedelta(days=HORIZON_DAYS)
        warehouse = work / f"warehouse-{lines}-{seed}-clv.duckdb"
        warehouse.unlink(missing_ok=True)
        emit(f"seed {seed}: running the pipeline as of {as_of}")
        summary = run_pipeline(data, warehouse, as_of_date=as_of.isoformat())
        if not summary.success:
            raise RuntimeError(f"pipeline failed for seed {seed}: {summary.failures}")
        results.append(
            {
                "seed": seed,
                "as_of_date": str(as_of),
                "data_end": str(data_end),
                "businesses": evaluate(warehouse, as_of),
            }
        )
    report = {"lines": lines, "horizon_days": HORIZON_DAYS, "seeds": results}
    (work / "clv_backtest.json").write_text(json.dumps(report, indent=2))
    return report


def _generated(work: Path, seed: int, lines: int, emit: Callable[[str], None]):
    """The demo export of `seed` in `work`, and the date its data ends."""
    from ledgerlens.demo import generate

    data = work / f"data-{lines}-{seed}"
    emit(f"seed {seed}: generating ~{lines:,} invoice lines")
    generate(data, seed=seed, lines=lines)
    return data, data_end_of(data)
