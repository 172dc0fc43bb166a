"""`ledgerlens backtest`: does the late-payment model beat the baseline, after the fact?

For each generator seed: generate demo data, run the whole pipeline as of T (13 weeks
before the data ends), so that the model trains only on what was known at T, then
compare its scores for the invoices open at T with what happened after T:
- AUC, Brier score and calibration by risk band, for each candidate method and for the
  baseline "customer's historical late share";
- the 13-week cash forecast (marts.cash_forecast) against the collections that came in,
  per week (MAPE).
A report, not a test: the numbers depend on the data and are recorded in DECISIONLOG.md.

The horizon (`cash_forecast_weeks`), the late threshold (`late_days_beyond_terms`) and
the risk bands (`risk_band_bounds`) are the dbt vars the run used (ledgerlens.dbt_vars).
The loop over seeds (generate, run, evaluate) is the run driver's (`orchestration.backtest`);
this module only measures.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import numpy as np

from ledgerlens import dbt_vars


def _auc(y: np.ndarray, p: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None


def _calibration(y: np.ndarray, p: np.ndarray, band_bounds: list[float]) -> list[dict]:
    medium, high = band_bounds
    bands = np.where(p >= high, "high", np.where(p >= medium, "medium", "low"))
    out = []
    for band in ("low", "medium", "high"):
        mask = bands == band
        out.append(
            {
                "band": band,
                "invoices": int(mask.sum()),
                "mean_predicted": round(float(p[mask].mean()), 3) if mask.any() else None,
                "actual_late_share": round(float(y[mask].mean()), 3) if mask.any() else None,
            }
        )
    return out


def _metrics(y: np.ndarray, p: np.ndarray, band_bounds: list[float]) -> dict:
    auc = _auc(y, p)
    return {
        "auc": round(auc, 3) if auc is not None else None,
        "brier": round(float(np.mean((p - y) ** 2)), 4),
        "calibration": _calibration(y, p, band_bounds),
    }


OUTCOMES_SQL = """
    select
        features.business_id,
        features.invoice_id,
        -- Known when paid by the data's end, or unpaid more than the threshold past due;
        -- late when paid more than the threshold (late_days_beyond_terms) beyond terms.
        (settled.paid_date is not null and settled.paid_date <= $data_end)
            or datediff('day', settled.due_date, $data_end) > $late_days
            as is_known,
        not coalesce(
            settled.paid_date <= $data_end and settled.days_beyond_terms <= $late_days,
            false
        ) as is_late
    from intermediate.int_invoices_risk_featured as features
    join intermediate.int_invoices_settled as settled using (business_id, invoice_id)
    where features.is_current
"""

# Actual collections per week from the invoices open at T: every settlement (cash
# allocated, credit noted) dated in the week, at the invoice's rate, as forecast.
ACTUAL_SQL = """
    with open_at_t as (
        select business_id, invoice_id from marts.open_invoice_risk
    )
    select
        settlements.business_id,
        (datediff('day', $as_of::date, settlements.event_date) + 6) // 7 as week_number,
        sum(round(settlements.settled_amount * invoices.exchange_rate, 2)) as actual
    from intermediate.int_invoice_settlements_unioned as settlements
    join open_at_t using (business_id, invoice_id)
    join staging.stg_invoices as invoices using (business_id, invoice_id)
    where settlements.event_date > $as_of::date
        and settlements.event_date <= $as_of::date + cast($horizon_days as integer)
    group by all
"""


def data_end_of(data: Path):
    """The last date the export knows of: its latest invoice or payment."""
    with duckdb.connect() as con:
        return con.execute(
            f"select greatest((select max(invoice_date) from '{data}/invoices.csv'),"
            f" (select max(payment_date) from '{data}/payments.csv'))"
        ).fetchone()[0]


def horizon_days() -> int:
    """How far after the as-of date outcomes are read: the cash forecast's horizon."""
    return 7 * int(dbt_vars.load()["cash_forecast_weeks"])


def evaluate_warehouse(
    warehouse: Path, seed: int, as_of: date, data_end: date, methods: list[str]
) -> dict:
    """Score a warehouse built as of `as_of` against what happened until `data_end`."""
    from ledgerlens.risk import _fetch, score

    # The vars the run's dbt build used: the project's, with its --vars on top.
    run_vars = dbt_vars.load({"as_of_date": as_of.isoformat()})
    late_days = int(run_vars["late_days_beyond_terms"])
    band_bounds = [float(bound) for bound in run_vars["risk_band_bounds"]]

    result: dict = {"seed": seed, "as_of_date": str(as_of), "data_end": str(data_end)}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        train = _fetch(con, "not is_current and is_outcome_known")
        current = _fetch(con, "is_current")
        outcomes = con.execute(
            OUTCOMES_SQL, {"data_end": data_end, "late_days": late_days}
        ).fetchall()
        outcome = {(row[0], row[1]): row[2:] for row in outcomes}
        keys = list(zip(current["business_id"], current["invoice_id"], strict=True))
        known = np.array([bool(outcome[key][0]) for key in keys])
        late = np.array([bool(outcome[key][1]) for key in keys], dtype=float)
        already = np.asarray(current["is_already_late"], dtype=bool)
        # The question the model answers: invoices not yet past the threshold at T.
        to_predict = known & ~already
        result["open_invoices"] = len(keys)
        result["already_late"] = int(already.sum())
        result["evaluated"] = int(to_predict.sum())
        result["unknown_outcome"] = int((~known).sum())
        result["late_share"] = round(float(late[to_predict].mean()), 3)
        baseline = None
        for method in methods:
            scores = score(train, current, late_days, method)
            result[method] = _metrics(
                late[to_predict], scores.late_probability[to_predict], band_bounds
            )
            baseline = scores.baseline_late_share
        result["baseline"] = _metrics(late[to_predict], baseline[to_predict], band_bounds)

        forecast = con.execute(
            "select business_id, week_number, expected_collections_home, low_collections_home,"
            " high_collections_home from marts.cash_forecast"
        ).fetchall()
        actual_rows = con.execute(
            ACTUAL_SQL, {"as_of": as_of, "horizon_days": horizon_days()}
        ).fetchall()
    actual = {(row[0], int(row[1])): float(row[2]) for row in actual_rows}
    per_business: dict[str, dict] = {}
    for business, week, expected, low, high in forecast:
        entry = per_business.setdefault(business, {"errors": [], "inside": 0, "weeks": 0})
        came_in = actual.get((business, week), 0.0)
        if came_in > 0:
            entry["errors"].append(abs(float(expected) - came_in) / came_in)
        entry["weeks"] += 1
        entry["inside"] += int(float(low) <= came_in <= float(high))
        entry.setdefault("forecast_total", 0.0)
        entry.setdefault("actual_total", 0.0)
        entry["forecast_total"] += float(expected)
        entry["abs_error"] = entry.get("abs_error", 0.0) + abs(float(expected) - came_in)
        entry["actual_total"] += came_in
    result["cash_forecast"] = {
        business: {
            "mape": round(float(np.mean(entry["errors"])), 3) if entry["errors"] else None,
            # Weighted (sum of absolute errors / sum of actuals): not blown up by weeks
            # in which almost nothing came in.
            "wape": round(entry["abs_error"] / entry["actual_total"], 3)
            if entry["actual_total"]
            else None,
            "weeks_inside_range": f"{entry['inside']}/{entry['weeks']}",
            "forecast_13_weeks": round(entry["forecast_total"], 2),
            "actual_13_weeks": round(entry["actual_total"], 2),
        }
        for business, entry in sorted(per_business.items())
    }
    mapes = [v["mape"] for v in result["cash_forecast"].values() if v["mape"] is not None]
    result["cash_forecast_mape_mean"] = round(float(np.mean(mapes)), 3) if mapes else None
    wapes = [v["wape"] for v in result["cash_forecast"].values() if v["wape"] is not None]
    result["cash_forecast_wape_mean"] = round(float(np.mean(wapes)), 3) if wapes else None
    return result
