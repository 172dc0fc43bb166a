"""`ledgerlens clv-backtest`: does the CLV model predict next year better than last year?

For each generator seed: generate demo data, run the whole pipeline as of one year before
the data ends (the fit sees nothing later: every model reads the as-of date), and compare
each existing customer's predicted purchase days and net sales in the following 365 days
(marts.customer_clv: expected_purchases_365d, expected_sales_365d, undiscounted) with what
happened, and with the naive baseline "next year = last year" (the customer's purchase days
and their net sales in the 365 days up to the as-of date), on the same customers and the
same event (purchase days netted of tied credit notes, as the model counts them).

What happened is computed here from the staging tables with a query of its own, not from
the model that fed the fit (int_customer_purchase_days_netted), so that a fault in that
model shows up as an error instead of agreeing with itself.
A report, not a test: the numbers depend on the data and are recorded in DECISIONLOG.md.
The loop over seeds (generate, run, evaluate) is the run driver's (orchestration.backtest).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np

HORIZON_DAYS = 365

# Purchase days in (as_of, end]: non-void invoices and sales receipts, net of the credit
# notes tied to them dated by `end`; a day credited back to nothing or less is no purchase.
ACTUAL_SQL = """
with lines as (
    select business_id, invoice_id, sum(line_amount_home) as amount
    from staging.stg_invoice_lines group by all
),
credits as (
    select business_id, invoice_id, sum(amount_home) as credited
    from staging.stg_credit_notes
    where invoice_id is not null and credit_note_date <= $end
    group by all
),
documents as (
    select i.business_id, i.customer_id, i.invoice_date as day,
        coalesce(l.amount, 0) - coalesce(c.credited, 0) as kept,
        coalesce(c.credited, 0) > 0 as credited
    from staging.stg_invoices i
    left join lines l using (business_id, invoice_id)
    left join credits c using (business_id, invoice_id)
    where not i.is_void and i.invoice_date > $as_of and i.invoice_date <= $end
),
days as (
    select business_id, customer_id, day, sum(kept) as sales, bool_or(credited) as credited
    from documents group by all
)
select business_id, customer_id, count(*) as purchases, sum(sales) as sales
from days where not (credited and sales <= 0)
group by all
"""


def _errors(predicted: np.ndarray, actual: np.ndarray) -> dict:
    total_actual = float(actual.sum())
    return {
        "mae": float(np.mean(np.abs(predicted - actual))) if len(actual) else None,
        "predicted_total": float(predicted.sum()),
        "actual_total": total_actual,
        "aggregate_error": (float(predicted.sum()) - total_actual) / total_actual
        if total_actual
        else None,
    }


def evaluate(warehouse: Path | str, as_of: date, horizon_days: int = HORIZON_DAYS) -> list[dict]:
    """Per business (and `all` for purchases): model and baseline against what happened in
    the `horizon_days` after `as_of`, over the customers the run scored."""
    end = as_of + timedelta(days=horizon_days)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        predicted = con.sql(
            "select c.business_id, c.customer_id, c.clv_model,"
            " cast(c.expected_purchases_365d as double) as purchases,"
            " cast(c.expected_sales_365d as double) as sales,"
            " cast(p.ttm_purchase_days as double) as last_purchases,"
            " cast(p.ttm_purchase_sales as double) as last_sales"
            " from marts.customer_clv c"
            " join intermediate.int_customers_clv_prepared p using (business_id, customer_id)"
            " where c.clv_model <> 'no_purchase' order by 1, 2"
        ).fetchnumpy()
        actual_rows = con.execute(ACTUAL_SQL, {"as_of": as_of, "end": end}).fetchall()
    actual = {(b, c): (n, s) for b, c, n, s in actual_rows}
    keys = list(zip(predicted["business_id"], predicted["customer_id"], strict=True))
    actual_purchases = np.array([float(actual.get(key, (0, 0))[0]) for key in keys])
    actual_sales = np.array([float(actual.get(key, (0, 0))[1]) for key in keys])
    businesses = np.asarray(predicted["business_id"])
    results = []
    for business in [*sorted(set(businesses)), "all"]:
        rows = businesses == business if business != "all" else np.ones(len(keys), dtype=bool)
        result = {
            "business_id": business,
            "customers": int(rows.sum()),
            "models": sorted(set(np.asarray(predicted["clv_model"])[rows])),
            "purchases_model": _errors(predicted["purchases"][rows], actual_purchases[rows]),
            "purchases_baseline": _errors(
                predicted["last_purchases"][rows], actual_purchases[rows]
            ),
        }
        # Sales are in each business's own currency: no total over businesses.
        if business != "all":
            result["sales_model"] = _errors(predicted["sales"][rows], actual_sales[rows])
            result["sales_baseline"] = _errors(predicted["last_sales"][rows], actual_sales[rows])
        results.append(result)
    return results
