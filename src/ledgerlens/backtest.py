"""`ledgerlens backtest`: does the late-payment model beat the baseline, after the fact?

For each generator seed: generate demo data, cut the export as it stood at T (13 weeks
before the data ends: `cut_export`), run the whole pipeline on the cut as of T, so that the
model trains only on what was known at T, and run it on the whole export as of the data's
end for what happened afterwards. Then compare the scores of the invoices open at T with
what happened:
- AUC, Brier score and calibration (by risk band and by tenth of the predicted
  probability) for each candidate method and for the baseline, the customer's own share
  of invoices paid late in the same sense (more than `late_days_beyond_terms` days after
  due, shrunk to the business's rate: ledgerlens.risk.baseline_late_share), all on the
  same invoices and the same event (`compare`);
- the 13-week cash forecast (marts.cash_forecast) against the collections that came in,
  per week (MAPE).
A report, not a test: the numbers depend on the data and are recorded in DECISIONLOG.md.

The horizon (`cash_forecast_weeks`), the late threshold (`late_days_beyond_terms`) and
the risk bands (`risk_band_bounds`) are the dbt vars the run used (ledgerlens.dbt_vars).
The loop over seeds (generate, cut, run, evaluate) is the run driver's
(`orchestration.backtest`); this module only cuts and measures.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import numpy as np

from ledgerlens import contract, dbt_vars

# The date of the event that makes each row exist: a row dated after T was not in the
# books at T. Payment allocations and invoice lines carry no date: they go with their
# payment / invoice (an allocation also needs its invoice: a payment received by T
# cannot have been applied to an invoice issued after T).
EVENT_DATES = {
    "customers": "created_date",
    "invoices": "invoice_date",
    "payments": "payment_date",
    "credit_notes": "credit_note_date",
    "customer_costs": "cost_date",
}
# Dates that are terms, not events: the row existed before them.
NOT_EVENT_DATES = {("invoices", "due_date")}
# Dates that state how far the export reaches: the export as it stood at T reached T at
# most, so a later date is clipped to T (left as it is, it would make the cut claim to be
# complete to a day after T).
EXPORT_REACH_DATES = {("businesses", "export_complete_to_date")}


def cut_export(source: Path, target: Path, as_of: date | str) -> dict[str, int]:
    """Write to `target` the CSV export in `source` as it stood at the end of `as_of`.

    Every dated row after `as_of` is left out (EVENT_DATES), with the rows that hang on
    it; a business's stated completeness date after `as_of` becomes `as_of`
    (EXPORT_REACH_DATES). A customer created after `as_of` is kept when a document kept
    refers to it (the document proves it existed; its created date is the error). A cell
    that is not a date is kept, so that the loader quarantines the row as it would in the
    full export.
    What it cannot do: the contract has no void date, so an invoice voided after
    `as_of` is void in the cut too (it was still open then), and a status of `paid` set
    later stays (the pipeline reads payments, not that status). Returns rows kept per
    table.
    """
    unknown = [
        f"{table.name}.{column.name}"
        for table in contract.TABLES
        for column in table.columns
        if column.kind == "date"
        and EVENT_DATES.get(table.name) != column.name
        and (table.name, column.name) not in NOT_EVENT_DATES | EXPORT_REACH_DATES
    ]
    if unknown:
        raise ValueError(
            f"the back-test's cut does not know what {', '.join(unknown)} mean(s): add each"
            " to EVENT_DATES, NOT_EVENT_DATES or EXPORT_REACH_DATES in ledgerlens.backtest"
        )
    source, target = Path(source), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    as_of = date.fromisoformat(str(as_of))

    def kept(table: str) -> str:
        column = EVENT_DATES[table]
        return f"(try_cast({column} as date) is null or try_cast({column} as date) <= $as_of)"

    counts = {}
    with duckdb.connect() as con:
        for table in contract.TABLES:
            con.execute(
                f"create table {table.name} as select * from read_csv("
                f"'{source}/{table.name}.csv', all_varchar = true, header = true)"
            )
        for table, column in EXPORT_REACH_DATES:
            # The column is optional in the contract: an export may leave it out.
            present = [row[0] for row in con.execute(f"describe {table}").fetchall()]
            if column not in present:
                continue
            con.execute(
                f"update {table} set {column} = cast($as_of as varchar)"
                f" where try_cast({column} as date) > $as_of",
                {"as_of": as_of},
            )
        for table in ("invoices", "payments", "credit_notes", "customer_costs"):
            con.execute(f"delete from {table} where not {kept(table)}", {"as_of": as_of})
        con.execute(
            "delete from invoice_lines where (business_id, invoice_id) not in"
            " (select (business_id, invoice_id) from invoices)"
        )
        con.execute(
            "delete from payment_allocations where (business_id, payment_id) not in"
            " (select (business_id, payment_id) from payments)"
            " or (business_id, invoice_id) not in"
            " (select (business_id, invoice_id) from invoices)"
        )
        con.execute(
            f"delete from customers where not {kept('customers')}"
            " and (business_id, customer_id) not in ("
            " select (business_id, customer_id) from invoices union all"
            " select (business_id, customer_id) from payments union all"
            " select (business_id, customer_id) from credit_notes union all"
            " select (business_id, customer_id) from customer_costs)",
            {"as_of": as_of},
        )
        for table in contract.TABLES:
            counts[table.name] = con.execute(f"select count(*) from {table.name}").fetchone()[0]
            con.execute(f"copy {table.name} to '{target}/{table.name}.csv' (header)")
    return counts


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


CALIBRATION_BINS = 10


def _calibration_bins(y: np.ndarray, p: np.ndarray) -> list[dict]:
    """Predicted vs actual late share per tenth of the probability (0-0.1, ..., 0.9-1]:
    the same bins for every method, so the tables compare."""
    index = np.minimum((p * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)
    out = []
    for i in range(CALIBRATION_BINS):
        mask = index == i
        out.append(
            {
                "bin": f"{i / CALIBRATION_BINS:.1f}-{(i + 1) / CALIBRATION_BINS:.1f}",
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
        "calibration_bins": _calibration_bins(y, p),
    }


def compare(late: np.ndarray, predictions: dict[str, np.ndarray], band_bounds: list[float]) -> dict:
    """Every candidate scored on the same invoices against the same outcome `late` (1 =
    paid more than the threshold after due); the winner has the lowest Brier score."""
    y = np.asarray(late, dtype=float)
    result = {
        name: _metrics(y, np.asarray(p, dtype=float), band_bounds)
        for name, p in predictions.items()
    }
    result["winner"] = min(predictions, key=lambda name: result[name]["brier"])
    return result


# What happened to each invoice, read from the run on the whole export as of its end:
# invoice_payments.is_late_beyond_threshold is the model's event (macros/late_payment.sql),
# null while an invoice could still be paid in time.
OUTCOMES_SQL = """
    select business_id, invoice_id, is_late_beyond_threshold
    from marts.invoice_payments
"""

# Actual collections per week from the invoices open at T (the run on the cut, attached
# as `at_t`): every settlement (cash allocated, credit noted) dated in the week, at the
# invoice's rate, as forecast.
ACTUAL_SQL = """
    with open_at_t as (
        select business_id, invoice_id from at_t.marts.open_invoice_risk
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
    warehouse_at_t: Path,
    warehouse_at_end: Path,
    seed: int,
    as_of: date,
    data_end: date,
    methods: list[str],
) -> dict:
    """Score `warehouse_at_t` (the export cut at `as_of`, run as of it) against what
    happened until `data_end` (`warehouse_at_end`: the whole export, run as of its end)."""
    from ledgerlens.engines import as_engine
    from ledgerlens.risk import _fetch, _fetch_delays, score

    # The vars the run's dbt build used: the project's, with its --vars on top.
    run_vars = dbt_vars.load({"as_of_date": as_of.isoformat()})
    late_days = int(run_vars["late_days_beyond_terms"])
    band_bounds = [float(bound) for bound in run_vars["risk_band_bounds"]]

    result: dict = {"seed": seed, "as_of_date": str(as_of), "data_end": str(data_end)}
    with duckdb.connect(str(warehouse_at_t), read_only=True) as con:
        engine = as_engine(con)
        train = _fetch(engine, "not is_current and is_outcome_known")
        current = _fetch(engine, "is_current")
        delays = _fetch_delays(engine)
    with duckdb.connect(str(warehouse_at_end), read_only=True) as con:
        outcome = {(row[0], row[1]): row[2] for row in con.execute(OUTCOMES_SQL).fetchall()}
    keys = list(zip(current["business_id"], current["invoice_id"], strict=True))
    decided = [outcome.get(key) for key in keys]
    known = np.array([value is not None for value in decided])
    late = np.array([bool(value) for value in decided], dtype=float)
    already = np.asarray(current["is_already_late"], dtype=bool)
    # The question the model answers: invoices that could still be paid in time at T.
    to_predict = known & ~already
    result["open_invoices"] = len(keys)
    result["already_late"] = int(already.sum())
    result["evaluated"] = int(to_predict.sum())
    result["unknown_outcome"] = int((~known).sum())
    result["late_share"] = round(float(late[to_predict].mean()), 3)
    predictions = {}
    baseline = None
    for method in methods:
        scores = score(train, current, late_days, method, delays)
        predictions[method] = scores.late_probability[to_predict]
        baseline = scores.baseline_late_share[to_predict]
    predictions["baseline"] = baseline
    comparison = compare(late[to_predict], predictions, band_bounds)
    result["winner"] = comparison.pop("winner")
    result.update(comparison)

    with duckdb.connect(str(warehouse_at_end), read_only=True) as con:
        con.execute(f"attach '{warehouse_at_t}' as at_t (read_only)")
        forecast = con.execute(
            "select business_id, week_number, expected_collections_home, low_collections_home,"
            " high_collections_home from at_t.marts.cash_forecast"
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
