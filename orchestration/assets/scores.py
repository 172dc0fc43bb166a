"""The Python models between the two dbt steps, side by side in one step: the late-payment
model (orchestration.assets.risk) and the CLV fit (orchestration.assets.clv).

Each is a single core's work for most of its time (a gradient-boosting fit; the CLV
optimiser, held to one BLAS thread), and Dagster's in-process executor, which the run
needs because DuckDB has one writer per file, runs its steps one after the other. As two
steps they took 33.0 and 36.1 s one after the other at 10 million invoice lines; in two
threads of one step they overlap (DECISIONLOG.md, "The Python models side by side").
Each thread opens its own engine: on DuckDB a connection to the same database in this
process, on PostgreSQL a connection of its own. On Spark they run one after the other:
the two would share the process's one session, and the first to finish would stop it.
"""

# No `from __future__ import annotations`: Dagster reads these annotations at import.

from concurrent.futures import ThreadPoolExecutor

import dagster as dg

from ledgerlens.incremental import night_changes, record_scores
from orchestration.assets.clv import CLV_KEYS, CLV_SPECS, score_clv
from orchestration.assets.risk import RISK_SCORES_KEY, RISK_SPEC, score_risk
from orchestration.resources import RunOptions, Warehouse


@dg.multi_asset(specs=[RISK_SPEC, *CLV_SPECS], name="model_scores", can_subset=True)
def model_scores(context: dg.AssetExecutionContext, warehouse: Warehouse, run_options: RunOptions):
    selected = context.selected_asset_keys
    # On this run's incremental night (DuckDB only), the changed businesses: each model
    # rescores them alone when that gives the rows a full scoring would (every business
    # fitted alone: ledgerlens.risk, ledgerlens.clv), else every business.
    changed = None
    if warehouse.target == "duckdb":
        with warehouse.connect() as con:
            changed = night_changes(con, context.run.run_id)
    models = []
    if RISK_SCORES_KEY in selected:
        models.append(lambda: score_risk(warehouse, changed))
    if selected & CLV_KEYS:
        # The CLV fit writes its three tables together: a subset of them is all three.
        models.append(lambda: score_clv(warehouse, run_options, changed))
    workers = 1 if warehouse.target == "spark" else max(len(models), 1)
    import sklearn.ensemble  # noqa: F401  (loads OpenMP, so that the limit below applies)
    from threadpoolctl import threadpool_limits

    # One BLAS and OpenMP thread for the whole step: each model also limits the threads
    # its fit uses, but the limits are the process's, so one model leaving its block
    # would lift the other's while it still runs (a result's last bits then depend on
    # which finished first). Each is a single core's work anyway (the module's doc).
    with (
        threadpool_limits(limits=1),
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="model_scores") as pool,
    ):
        # In the order submitted; an error in either is raised here, after both ended.
        futures = [pool.submit(model) for model in models]
    modes = []
    for future in futures:
        line, results, incremental = future.result()
        modes.append(incremental)
        context.log.info(line)
        for result in results:
            if result.asset_key in selected:
                yield result
    if warehouse.target == "duckdb":
        # The models on the scores (dbt's second step) build incrementally only if both
        # models ran and rescored the changed businesses alone; a run that scored with
        # both lets the next night rescore its changed businesses alone.
        with warehouse.connect() as con:
            both = len(modes) == 2
            record_scores(con, context.run.run_id, both and all(modes), complete=both)
