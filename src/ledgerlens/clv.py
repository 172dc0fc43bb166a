"""Customer lifetime value: what each customer will bring from the as-of date on.

Reads `intermediate.int_customer_purchase_days_netted` (one row per purchase day) and
`intermediate.int_customers_clv_prepared` (one row per customer: its purchase history,
margin, days to cash and uncollected share, all computed in SQL) and writes
`intermediate.customer_clv_scores` (one row per customer) and
`intermediate.clv_model_fits` (one row per business), which dbt reads as the source `clv`
for marts.customer_clv and marts.clv_model_fit.

Per business: BG/NBD or Pareto/NBD, whichever predicts the business's own last year (or
last half of its history, if shorter than two years) better from the years before, fitted
on everything up to the as-of date, and Gamma-Gamma for the value of a purchase. A
business with fewer than `clv_min_repeat_buyers` repeat buyers, or whose fit does not
converge, is scored by the same model fitted over every business (time is in weeks for
all, so their histories pool); when that fails too, by an empirical estimate (the last
twelve months again). A business's spend is never pooled with another's (their money is
in other currencies and scales): without its own Gamma-Gamma fit, a purchase is worth the
customer's own mean purchase. `clv_model` and `spend_model` say which served each row.

The rules (discount rate, margin shrinkage, default days) are dbt vars
(ledgerlens.dbt_vars); the constants below are the method's own settings.
"""

from __future__ import annotations

import datetime as dt
import time
import zlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ledgerlens import dbt_vars
from ledgerlens.clv_models import (
    BGNBD,
    PARETO_NBD,
    Fit,
    Histories,
    discounted_value_draws,
    expected_purchases,
    expected_spend,
    fit_gamma_gamma,
    fit_purchases,
    p_alive,
    parameter_draws,
    weighted_quantiles,
)
from ledgerlens.engines import Engine, as_engine
from ledgerlens.model_inputs import (
    exact_floats,
    numpy_columns,
    sql_list,
    table_row_count,
    text_values,
)

PURCHASES_TABLE = "intermediate.int_customer_purchase_days_netted"
PREPARED_TABLE = "intermediate.int_customers_clv_prepared"
SCORES_SCHEMA = "intermediate"
SCORES_TABLE = "customer_clv_scores"
FITS_TABLE = "clv_model_fits"
HISTORY_TABLE = "customer_value_history"
SNAPSHOTS_TABLE = "intermediate.int_snapshot_dates_spined"

WEEK_DAYS = 7.0
YEAR_DAYS = 365.25
MONTH_WEEKS = YEAR_DAYS / 12 / WEEK_DAYS
# The interval: the 10th and 90th percentiles of 200 draws (an 80% interval).
DRAWS = 200
INTERVAL = (0.10, 0.90)
# Model choice: the business's own last year is held out (half its history when that is
# shorter than two years, none below 90 days of hold-out: BG/NBD is then the choice).
SELECTION_HOLDOUT_DAYS = 365
MIN_SELECTION_HOLDOUT_DAYS = 90
LAST_PERIOD = "last_period"


@dataclass
class PurchaseDays:
    """The purchase days of one or more businesses (arrays of equal length)."""

    business_id: np.ndarray
    customer_id: np.ndarray
    day: np.ndarray  # days since 1970-01-01
    sales: np.ndarray  # the day's net sales, home currency (float: a model input)

    def of_business(self, business_id: str) -> PurchaseDays:
        keep = self.business_id == business_id
        return PurchaseDays(
            self.business_id[keep], self.customer_id[keep], self.day[keep], self.sales[keep]
        )


def summarise(days: PurchaseDays, end_day: int) -> tuple[np.ndarray, Histories, np.ndarray]:
    """Each customer's history at `end_day` (days after it are ignored), in weeks:
    (customer ids, histories, mean purchase value over all its days)."""
    keep = days.day <= end_day
    customers, index = np.unique(days.customer_id[keep], return_inverse=True)
    day = days.day[keep].astype(float)
    sales = days.sales[keep]
    count = np.bincount(index, minlength=len(customers)).astype(float)
    first = np.full(len(customers), np.inf)
    np.minimum.at(first, index, day)
    last = np.full(len(customers), -np.inf)
    np.maximum.at(last, index, day)
    total = np.bincount(index, weights=sales, minlength=len(customers))
    is_first = day == first[index]
    first_sales = np.bincount(
        index, weights=np.where(is_first, sales, 0.0), minlength=len(customers)
    )
    x = count - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        m_x = np.where(x > 0, (total - first_sales) / x, np.nan)
        mean_all = total / count
    histories = Histories(
        x=x,
        t_x=(last - first) / WEEK_DAYS,
        T=(end_day - first) / WEEK_DAYS,
        m_x=np.where(m_x > 0, m_x, np.nan),
    )
    return customers, histories, mean_all


def purchases_between(days: PurchaseDays, customers: np.ndarray, start_day: int, end_day: int):
    """Purchase days and their sales in (start_day, end_day] for each of `customers`."""
    keep = (days.day > start_day) & (days.day <= end_day)
    count = np.zeros(len(customers))
    sales = np.zeros(len(customers))
    if not len(customers):
        return count, sales
    order = np.argsort(customers)
    ids = days.customer_id[keep]
    at = np.minimum(np.searchsorted(customers[order], ids), len(customers) - 1)
    found = customers[order][at] == ids
    position = order[at[found]]
    count += np.bincount(position, minlength=len(customers))
    sales += np.bincount(position, weights=days.sales[keep][found], minlength=len(customers))
    return count, sales


def choose_model(days: PurchaseDays, end_day: int) -> tuple[str, dict]:
    """BG/NBD or Pareto/NBD: whichever predicts the held-out purchases better (mean
    absolute error per customer), both calibrated on the days before the hold-out."""
    span = end_day - int(days.day.min()) if len(days.day) else 0
    holdout = min(SELECTION_HOLDOUT_DAYS, span // 2)
    result = {"holdout_days": holdout, BGNBD: np.nan, PARETO_NBD: np.nan, LAST_PERIOD: np.nan}
    if holdout < MIN_SELECTION_HOLDOUT_DAYS:
        return BGNBD, result
    cut = end_day - holdout
    customers, histories, _ = summarise(days, cut)
    actual, _ = purchases_between(days, customers, cut, end_day)
    # The naive baseline on the same customers and event: the period before, again.
    before, _ = purchases_between(days, customers, cut - holdout, cut)
    result[LAST_PERIOD] = float(np.mean(np.abs(before - actual)))
    for model in (BGNBD, PARETO_NBD):
        fit = fit_purchases(model, histories)
        if fit.converged:
            predicted = expected_purchases(
                model, fit.values, holdout / WEEK_DAYS, histories.x, histories.t_x, histories.T
            )
            result[model] = float(np.mean(np.abs(predicted - actual)))
    chosen = PARETO_NBD if result[PARETO_NBD] < result[BGNBD] else BGNBD
    if np.isnan(result[BGNBD]) and not np.isnan(result[PARETO_NBD]):
        chosen = PARETO_NBD
    return chosen, result


@dataclass
class Money:
    """Per customer: what turns an expected purchase into money."""

    days_to_cash: np.ndarray  # expected days from sale to cash
    uncollected_share: np.ndarray  # expected share of sales never collected
    margin: np.ndarray  # expected contribution margin (NaN: unknown)


def _monthly_value(
    model: str, params, histories: Histories, months: int, weekly_rate: float, delay_weeks
):
    """Expected discounted purchases over the next `months` months: each month's expected
    purchases (closed form, at the fitted parameters) discounted from mid-month plus the
    customer's days to cash. All months in one call (months x customers)."""
    month = np.arange(1, months + 1, dtype=float)[:, None]
    cumulative = expected_purchases(
        model, params, month * MONTH_WEEKS, histories.x, histories.t_x, histories.T
    )
    increments = np.diff(cumulative, axis=0, prepend=0.0)
    discount = np.exp(-weekly_rate * ((month - 0.5) * MONTH_WEEKS + delay_weeks))
    return np.sum(increments * discount, axis=0)


def point_scores(
    histories: Histories,
    mean_purchase: np.ndarray,
    ttm_purchases: np.ndarray,
    money: Money,
    purchase_fit: Fit | None,
    spend_fit: Fit | None,
    scope: str,
    discount_rate: float,
    horizons: tuple[int, ...] = (12, 36),
) -> dict[str, np.ndarray]:
    """The point estimates for customers' histories (all at one date): the model's
    columns, p_alive, expected purchases and value per purchase, and `clv_{months}m` (the
    discounted, collected sales of the next months) for each horizon."""
    n = len(histories)
    weekly_rate = np.log1p(discount_rate) / (YEAR_DAYS / WEEK_DAYS)
    delay = money.days_to_cash / WEEK_DAYS
    keep_share = 1.0 - money.uncollected_share
    out: dict[str, np.ndarray] = {}
    # Spend per purchase: Gamma-Gamma when the business has its own fit, else the
    # customer's own mean purchase.
    if spend_fit is not None and spend_fit.converged:
        spend = expected_spend(spend_fit.values, histories.x, histories.m_x)
        out["spend_model"] = np.full(n, "gamma_gamma/business", dtype=object)
    else:
        spend = mean_purchase
        out["spend_model"] = np.full(n, "empirical", dtype=object)
    out["expected_purchase_value"] = spend
    if purchase_fit is not None and purchase_fit.converged:
        model, params = purchase_fit.model, purchase_fit.values
        out["clv_model"] = np.full(n, f"{model}/{scope}", dtype=object)
        out["p_alive"] = p_alive(model, params, histories.x, histories.t_x, histories.T)
        for days in (90, 365):
            out[f"expected_purchases_{days}d"] = expected_purchases(
                model, params, days / WEEK_DAYS, histories.x, histories.t_x, histories.T
            )
        for months in horizons:
            out[f"clv_{months}m"] = (
                _monthly_value(model, params, histories, months, weekly_rate, delay)
                * spend
                * keep_share
            )
    else:
        # Empirical: the last twelve months again, every year, for as long as asked.
        cash_factor = np.exp(-weekly_rate * delay) * keep_share
        out["clv_model"] = np.full(n, "empirical", dtype=object)
        out["p_alive"] = np.full(n, np.nan)
        weekly = ttm_purchases / (YEAR_DAYS / WEEK_DAYS)
        out["expected_purchases_90d"] = weekly * 90 / WEEK_DAYS
        out["expected_purchases_365d"] = weekly * 365 / WEEK_DAYS
        for months in horizons:
            horizon = months * MONTH_WEEKS
            annuity = (1 - np.exp(-weekly_rate * horizon)) / weekly_rate
            out[f"clv_{months}m"] = weekly * annuity * spend * cash_factor
    return out


def score_business(
    business_id: str,
    histories: Histories,
    mean_purchase: np.ndarray,
    ttm_purchases: np.ndarray,
    money: Money,
    purchase_fit: Fit | None,
    spend_fit: Fit | None,
    scope: str,
    discount_rate: float,
) -> dict[str, np.ndarray]:
    """Every score column for one business's customers."""
    n = len(histories)
    out = point_scores(
        histories,
        mean_purchase,
        ttm_purchases,
        money,
        purchase_fit,
        spend_fit,
        scope,
        discount_rate,
    )
    interval = {}
    if purchase_fit is not None and purchase_fit.converged:
        model = purchase_fit.model
        weekly_rate = np.log1p(discount_rate) / (YEAR_DAYS / WEEK_DAYS)
        cash_factor = np.exp(-weekly_rate * money.days_to_cash / WEEK_DAYS) * (
            1.0 - money.uncollected_share
        )
        spend = out["expected_purchase_value"]
        # The interval: draws of the population parameters (the fit's asymptotic normal)
        # and, given each, of the customer's own rates and spend from their posterior.
        rng = np.random.default_rng(zlib.crc32(business_id.encode()))
        purchase_draws = parameter_draws(purchase_fit, DRAWS, rng)
        spend_draws = (
            parameter_draws(spend_fit, DRAWS, rng)
            if spend_fit is not None and spend_fit.converged
            else None
        )
        horizons = (12, 36)
        values, weights = discounted_value_draws(
            model,
            purchase_draws,
            spend_draws,
            histories,
            [months * MONTH_WEEKS for months in horizons],
            weekly_rate,
            rng,
        )
        for months, horizon_values in zip(horizons, values, strict=True):
            # In place: each horizon's draws are customers x draws, and used once.
            if spend_draws is None:
                horizon_values *= spend[:, None]
            horizon_values *= cash_factor[:, None]
            interval[months] = weighted_quantiles(horizon_values, weights, INTERVAL)
    out["expected_sales_365d"] = out["expected_purchases_365d"] * out["expected_purchase_value"]
    for months in (12, 36):
        low, high = (
            (interval[months][:, 0], interval[months][:, 1])
            if months in interval
            else (np.full(n, np.nan), np.full(n, np.nan))
        )
        out[f"clv_{months}m_low"] = low
        out[f"clv_{months}m_high"] = high
        margin = money.margin
        point = out[f"clv_{months}m"] * margin
        ends = np.stack([low * margin, high * margin])
        out[f"clv_contribution_{months}m"] = point
        out[f"clv_contribution_{months}m_low"] = np.min(ends, axis=0)
        out[f"clv_contribution_{months}m_high"] = np.max(ends, axis=0)
    return out


def _fit_row(business_id, as_of_date, scope, purchase_fit, spend_fit, histories, choice, seconds):
    params = purchase_fit.params if purchase_fit is not None else {}
    spend = spend_fit.params if spend_fit is not None else {}
    return {
        "business_id": business_id,
        "as_of_date": as_of_date,
        "purchase_model": purchase_fit.model if purchase_fit is not None else "empirical",
        "fit_scope": scope,
        "converged": bool(purchase_fit is not None and purchase_fit.converged),
        "r": params.get("r"),
        "alpha": params.get("alpha"),
        "a": params.get("a"),
        "b": params.get("b"),
        "s": params.get("s"),
        "beta": params.get("beta"),
        "log_likelihood": purchase_fit.log_likelihood if purchase_fit is not None else None,
        "spend_model": "gamma_gamma"
        if spend_fit is not None and spend_fit.converged
        else "empirical",
        "p": spend.get("p"),
        "q": spend.get("q"),
        "gamma": spend.get("gamma"),
        "spend_log_likelihood": spend_fit.log_likelihood if spend_fit is not None else None,
        "customers": len(histories),
        "repeat_buyers": int((histories.x > 0).sum()),
        "selection_holdout_days": choice.get("holdout_days"),
        "selection_mae_bg_nbd": choice.get(BGNBD),
        "selection_mae_pareto_nbd": choice.get(PARETO_NBD),
        "selection_mae_last_period": choice.get(LAST_PERIOD),
        "fit_seconds": seconds,
    }


def _nan_to_none(values):
    return [None if (isinstance(v, float) and np.isnan(v)) else _portable(v) for v in values]


def _portable(value):
    """A float rounded to 12 decimals and 14 significant digits, so that marts.clv_model_fit
    casts it to DECIMAL(38, 12) to the same digits on every engine: PostgreSQL converts a
    double to numeric through its first 15 significant digits, DuckDB through its exact
    binary value, and the two differed in the 16th (r 4135.737843743030 against ...034)."""
    if not isinstance(value, float) or not np.isfinite(value):
        return value
    return float(f"{round(value, 12):.14g}")


def score(
    prepared: dict[str, np.ndarray],
    days: PurchaseDays,
    settings: dict,
    month_ends: dict[str, list] | None = None,
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """The scores and fits for every business in `prepared` (columns of PREPARED_TABLE),
    and each customer's value at each of its business's `month_ends` (dates) by the same
    fit (the balance sheets' customer value: value_history)."""
    month_ends = month_ends or {}
    history_parts: list[dict] = []
    min_repeat = int(settings["clv_min_repeat_buyers"])
    discount_rate = float(settings["clv_discount_rate"])
    businesses = sorted(set(prepared["business_id"]))
    score_parts, fit_rows = [], []
    pooled: dict[str, Fit] = {}

    def pooled_fit() -> Fit | None:
        if "fit" not in pooled:
            every = Histories(
                x=prepared["repeat_purchase_days"],
                t_x=prepared["last_purchase_day"] / WEEK_DAYS,
                T=prepared["as_of_day"] / WEEK_DAYS,
            )
            end = {
                b: int(prepared["as_of_epoch_day"][prepared["business_id"] == b][0])
                for b in businesses
            }
            maes = {BGNBD: [], PARETO_NBD: []}
            for business_id in businesses:
                _, choice = choose_model(days.of_business(business_id), end[business_id])
                for model in maes:
                    if not np.isnan(choice[model]):
                        maes[model].append(choice[model])
            model = (
                PARETO_NBD
                if maes[PARETO_NBD]
                and maes[BGNBD]
                and np.mean(maes[PARETO_NBD]) < np.mean(maes[BGNBD])
                else BGNBD
            )
            fit = fit_purchases(model, every)
            pooled["fit"] = fit if fit.converged else None
        return pooled["fit"]

    for business_id in businesses:
        started = time.perf_counter()
        rows = prepared["business_id"] == business_id
        histories = Histories(
            x=prepared["repeat_purchase_days"][rows],
            t_x=prepared["last_purchase_day"][rows] / WEEK_DAYS,
            T=prepared["as_of_day"][rows] / WEEK_DAYS,
            m_x=np.where(
                prepared["repeat_purchase_mean"][rows] > 0,
                prepared["repeat_purchase_mean"][rows],
                np.nan,
            ),
        )
        end_day = int(prepared["as_of_epoch_day"][rows][0])
        own_days = days.of_business(business_id)
        customers, _, mean_by_customer = summarise(own_days, end_day)
        mean_purchase = dict(zip(customers, mean_by_customer, strict=True))
        mean_purchase = np.array(
            [mean_purchase.get(c, np.nan) for c in prepared["customer_id"][rows]]
        )
        repeat_buyers = int((histories.x > 0).sum())
        purchase_fit, scope, choice = None, "none", {}
        if repeat_buyers >= min_repeat:
            model, choice = choose_model(own_days, end_day)
            purchase_fit = fit_purchases(model, histories)
            scope = "business"
            if not purchase_fit.converged:
                purchase_fit = None
        if purchase_fit is None:
            purchase_fit = pooled_fit()
            scope = "pooled" if purchase_fit is not None else "none"
        spend_fit = None
        if int(((histories.x > 0) & np.isfinite(histories.m_x)).sum()) >= min_repeat:
            spend_fit = fit_gamma_gamma(histories.x, histories.m_x)
        money = Money(
            days_to_cash=prepared["expected_days_to_cash"][rows],
            uncollected_share=prepared["expected_uncollected_share"][rows],
            margin=prepared["expected_contribution_margin"][rows],
        )
        arguments = (business_id, histories, mean_purchase, prepared["ttm_purchase_days"][rows])
        columns = score_business(*arguments, money, purchase_fit, spend_fit, scope, discount_rate)
        if purchase_fit is not None and not _all_finite(columns):
            # A fit can converge where its predictions overflow (a pooled fit over a
            # handful of customers, r = 1,176: the hypergeometric term is infinite): such a
            # business is scored by the empirical estimate, and clv_model says so.
            purchase_fit, scope = None, "none"
            columns = score_business(*arguments, money, None, spend_fit, scope, discount_rate)
        columns["business_id"] = prepared["business_id"][rows]
        columns["customer_id"] = prepared["customer_id"][rows]
        columns["as_of_date"] = prepared["as_of_date"][rows]
        score_parts.append(columns)
        # Customer ids as integer codes for the month-end summaries: sorting strings 25
        # times per business cost more than the models.
        ids, codes = np.unique(own_days.customer_id, return_inverse=True)
        coded_days = PurchaseDays(own_days.business_id, codes, own_days.day, own_days.sales)
        for month_end in month_ends.get(business_id, []):
            history = value_at(
                coded_days,
                ids,
                prepared["customer_id"][rows],
                money,
                _epoch_day(month_end),
                purchase_fit,
                spend_fit,
                scope,
                discount_rate,
            )
            if history is not None:
                history["business_id"] = np.full(len(history["customer_id"]), business_id)
                history["month_end_date"] = np.full(
                    len(history["customer_id"]), month_end, dtype=object
                )
                history_parts.append(history)
        fit_rows.append(
            _fit_row(
                business_id,
                prepared["as_of_date"][rows][0],
                scope,
                purchase_fit,
                spend_fit,
                histories,
                choice,
                round(time.perf_counter() - started, 3),
            )
        )
    return _scores_table(score_parts), _fits_table(fit_rows), _history_table(history_parts)


def _epoch_day(day) -> int:
    return (day - dt.date(1970, 1, 1)).days


def value_at(
    days: PurchaseDays,
    ids: np.ndarray,
    customer_ids: np.ndarray,
    money: Money,
    end_day: int,
    purchase_fit: Fit | None,
    spend_fit: Fit | None,
    scope: str,
    discount_rate: float,
) -> dict[str, np.ndarray] | None:
    """The point value of one business's customers as their histories stood on `end_day`
    (days after it ignored), by today's fits: the customers with a purchase day by then.
    `days` carries integer codes for customer ids, `ids[code]` being the id;
    `customer_ids` (sorted, as PREPARED_TABLE is within a business) and `money` are
    today's rows: a customer's margin and cash timing are today's estimates."""
    codes, histories, mean_purchase = summarise(days, end_day)
    if not len(codes):
        return None
    ttm, _ = purchases_between(days, codes, end_day - 365, end_day)
    customers = ids[codes]
    index = np.minimum(np.searchsorted(customer_ids, customers), len(customer_ids) - 1)
    on_file = customer_ids[index] == customers
    if not on_file.all():
        raise ValueError("a customer has a purchase day by a month end but none by the as-of date")
    money_then = Money(
        days_to_cash=money.days_to_cash[index],
        uncollected_share=money.uncollected_share[index],
        margin=money.margin[index],
    )
    arguments = (histories, mean_purchase, ttm, money_then)
    out = point_scores(*arguments, purchase_fit, spend_fit, scope, discount_rate, (36,))
    if purchase_fit is not None and not _all_finite(out, ("expected_purchases_365d", "clv_36m")):
        out = point_scores(*arguments, None, spend_fit, "none", discount_rate, (36,))
    return {
        "customer_id": customers,
        "clv_model": out["clv_model"],
        "p_alive": out["p_alive"],
        "expected_purchases_365d": out["expected_purchases_365d"],
        "expected_sales_36m": out["clv_36m"],
    }


def _all_finite(
    columns: dict[str, np.ndarray],
    names=("expected_purchases_90d", "expected_purchases_365d", "clv_12m", "clv_36m"),
) -> bool:
    """True when every prediction the purchase model made is a finite number."""
    return all(np.all(np.isfinite(columns[name])) for name in names) and np.all(
        np.isfinite(columns["p_alive"])
    )


SCORE_COLUMNS = (
    "p_alive",
    "expected_purchases_90d",
    "expected_purchases_365d",
    "expected_purchase_value",
    "expected_sales_365d",
    "clv_12m",
    "clv_12m_low",
    "clv_12m_high",
    "clv_36m",
    "clv_36m_low",
    "clv_36m_high",
    "clv_contribution_12m",
    "clv_contribution_12m_low",
    "clv_contribution_12m_high",
    "clv_contribution_36m",
    "clv_contribution_36m_low",
    "clv_contribution_36m_high",
)


# Decimals of each score in marts.customer_clv (money: 2).
SCORE_DECIMALS = {
    "p_alive": 6,
    "expected_purchases_90d": 4,
    "expected_purchases_365d": 4,
}


def _scores_table(parts: list[dict]) -> pa.Table:
    def joined(name):
        return np.concatenate([part[name] for part in parts]) if parts else np.array([])

    columns = {
        "as_of_date": pa.array(joined("as_of_date"), pa.date32()),
        "business_id": pa.array(joined("business_id"), pa.string()),
        "customer_id": pa.array(joined("customer_id"), pa.string()),
        "clv_model": pa.array(joined("clv_model"), pa.string()),
        "spend_model": pa.array(joined("spend_model"), pa.string()),
    }
    for name in SCORE_COLUMNS:
        # Rounded here to the scale the mart casts to (DECIMAL): a double on a rounding
        # tie (100.015) rounds one way from its exact binary value (DuckDB) and the other
        # from its 15-digit text (PostgreSQL); an already-rounded double does not.
        values = np.round(joined(name).astype(float), SCORE_DECIMALS.get(name, 2))
        columns[name] = pa.array(values, pa.float64(), from_pandas=True)
    return pa.table(columns)


def _history_table(parts: list[dict]) -> pa.Table:
    def joined(name):
        # No month end at all (no snapshot yet): empty columns of the right type.
        empty = np.array([], dtype=float if name in ("p_alive",) or "expected" in name else object)
        return np.concatenate([part[name] for part in parts]) if parts else empty

    return pa.table(
        {
            "business_id": pa.array(joined("business_id"), pa.string()),
            "customer_id": pa.array(joined("customer_id"), pa.string()),
            "month_end_date": pa.array(joined("month_end_date"), pa.date32()),
            "clv_model": pa.array(joined("clv_model"), pa.string()),
            # Rounded to the mart's scale here, as in _scores_table.
            "p_alive": pa.array(
                np.round(joined("p_alive").astype(float), 6), pa.float64(), from_pandas=True
            ),
            "expected_purchases_365d": pa.array(
                np.round(joined("expected_purchases_365d").astype(float), 4),
                pa.float64(),
                from_pandas=True,
            ),
            "expected_sales_36m": pa.array(
                np.round(joined("expected_sales_36m").astype(float), 2),
                pa.float64(),
                from_pandas=True,
            ),
        }
    )


def _fits_table(rows: list[dict]) -> pa.Table:
    if not rows:
        rows = []
    names = list(_fit_row("", None, "none", None, None, Histories([], [], []), {}, 0.0))
    data = {name: [row[name] for row in rows] for name in names}
    types = {
        "business_id": pa.string(),
        "as_of_date": pa.date32(),
        "purchase_model": pa.string(),
        "fit_scope": pa.string(),
        "converged": pa.bool_(),
        "spend_model": pa.string(),
        "customers": pa.int64(),
        "repeat_buyers": pa.int64(),
        "selection_holdout_days": pa.int64(),
    }
    return pa.table(
        {
            name: pa.array(
                _nan_to_none(values) if types.get(name, pa.float64()) == pa.float64() else values,
                types.get(name, pa.float64()),
            )
            for name, values in data.items()
        }
    )


PREPARED_COLUMNS = (
    "business_id",
    "customer_id",
    "as_of_date",
    "repeat_purchase_days",
    "last_purchase_day",
    "as_of_day",
    "repeat_purchase_mean",
    "ttm_purchase_days",
    "expected_contribution_margin",
    "expected_days_to_cash",
    "expected_uncollected_share",
)


def _epoch_days(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Dates as days since 1970-01-01 (Arrow's date32 is that count)."""
    return pc.cast(column, pa.int32())


def read_inputs(
    engine: Engine, businesses: list[str] | None = None
) -> tuple[dict[str, np.ndarray], PurchaseDays]:
    """The prepared customers and their purchase days, of `businesses` only if given."""
    engine = as_engine(engine)
    where = "" if businesses is None else f" where business_id in ({sql_list(businesses)})"
    # A fixed row order: the same rows always give the same fit, on every engine.
    table = engine.arrow_sorted(
        f"select {', '.join(PREPARED_COLUMNS)} from {PREPARED_TABLE}{where}",
        ["business_id", "customer_id"],
    )
    table = table.append_column("as_of_epoch_day", _epoch_days(table["as_of_date"]))
    prepared = numpy_columns(table)
    # Dates as datetime.date (numpy's datetime64 scalars do not convert back to Arrow).
    prepared["as_of_date"] = prepared["as_of_date"].astype(object)
    days_table = engine.arrow_sorted(
        "select business_id, customer_id, purchase_date, purchase_sales"
        f" from {PURCHASES_TABLE}{where}",
        ["business_id", "customer_id", "purchase_date"],
    )
    sales = days_table["purchase_sales"]
    days = PurchaseDays(
        text_values(days_table["business_id"]),
        text_values(days_table["customer_id"]),
        _epoch_days(days_table["purchase_date"]).to_numpy(zero_copy_only=False),
        exact_floats(sales)
        if pa.types.is_decimal(sales.type)
        else pc.cast(sales, pa.float64()).to_numpy(zero_copy_only=False),
    )
    return prepared, days


def _fitted_alone_elsewhere(engine: Engine, businesses: list[str]) -> bool:
    """Whether every business but `businesses` was fitted alone by the last run
    (FITS_TABLE): then none of them depends on the pooled fit."""
    others = f" where business_id not in ({sql_list(businesses)})" if businesses else ""
    try:
        scopes = engine.arrow(f"select fit_scope from {SCORES_SCHEMA}.{FITS_TABLE}{others}")[
            "fit_scope"
        ].to_pylist()
    except engine.errors:  # no fits yet
        return False
    return all(scope == "business" for scope in scopes)


def score_warehouse(con, overrides=None, businesses: list[str] | None = None) -> dict:
    """Read the inputs, fit, and (re)write the scores and fits tables, on the engine `con`
    (a ledgerlens.engines.Engine, or a DuckDB connection).

    `businesses`: rescore these businesses only and keep the others' rows (an incremental
    night, orchestration.assets.scores), when that gives the rows scoring every business
    would: every other business was fitted alone by the last run and every one of these
    is fitted alone now (a business's own fits read its own rows only; the pooled fit
    reads every business's). Otherwise every business is scored; the result's
    `incremental` says which."""
    from threadpoolctl import threadpool_limits

    started = time.perf_counter()
    engine = as_engine(con)
    if businesses is not None and not _fitted_alone_elsewhere(engine, businesses):
        businesses = None
    if businesses is not None and not businesses:
        # Nothing changed: every business keeps its scores.
        return _result(engine, 0, 0, 0, 0, True, started)
    prepared, days = read_inputs(engine, businesses)
    where = "" if businesses is None else f" and business_id in ({sql_list(businesses)})"
    month_ends: dict[str, list] = {}
    snapshots = engine.arrow_sorted(
        f"select business_id, as_of_date from {SNAPSHOTS_TABLE} where is_month_end{where}",
        ["business_id", "as_of_date"],
    )
    for row in snapshots.to_pylist():
        month_ends.setdefault(row["business_id"], []).append(row["as_of_date"])
    # One BLAS thread: the optimiser's vectors have four entries, and OpenBLAS's threads
    # spinning up for each of its thousands of tiny calls made the step 5x slower on a
    # busy two-core machine (9.4 s against 1.8 s for the 200,000-line demo).
    with threadpool_limits(limits=1):
        scores, fits, history = score(prepared, days, dbt_vars.load(overrides), month_ends)
    if businesses is not None:
        if any(scope != "business" for scope in fits["fit_scope"].to_pylist()):
            # One of them needs the pooled fit now: every business, as a full night.
            return score_warehouse(con, overrides)
        for name, table in ((SCORES_TABLE, scores), (FITS_TABLE, fits), (HISTORY_TABLE, history)):
            # A business without customers now (gone from the export) keeps none.
            written = table if table.num_rows else None
            engine.replace_businesses(SCORES_SCHEMA, name, written, businesses)
    else:
        for name, table in ((SCORES_TABLE, scores), (FITS_TABLE, fits), (HISTORY_TABLE, history)):
            engine.write_table(SCORES_SCHEMA, name, table)
    business_fits = sum(1 for scope in fits["fit_scope"].to_pylist() if scope == "business")
    return _result(
        engine if businesses is not None else None,
        scores.num_rows,
        history.num_rows,
        fits.num_rows,
        business_fits,
        businesses is not None,
        started,
    )


def _result(
    engine: Engine | None,
    customers: int,
    history: int,
    businesses: int,
    fits: int,
    incremental: bool,
    started: float,
) -> dict:
    """The step's figures; `engine` given (the tables kept other businesses' rows): the
    rows each table holds, counted, else those written."""
    written = {SCORES_TABLE: customers, FITS_TABLE: businesses, HISTORY_TABLE: history}
    table_rows = {
        name: table_row_count(engine, SCORES_SCHEMA, name) if engine else rows
        for name, rows in written.items()
    }
    return {
        "table_rows": table_rows,
        "customers_scored": customers,
        "value_history_rows": history,
        "businesses": businesses,
        "business_fits": fits,
        "incremental": incremental,
        "seconds": round(time.perf_counter() - started, 2),
    }
