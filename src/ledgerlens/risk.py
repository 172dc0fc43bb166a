"""Late-payment risk of open invoices: fit on what was known, score what is open.

Reads `intermediate.int_invoices_risk_featured` (features computed in SQL, one row per
snapshot date and invoice open on it) and `intermediate.int_payment_delays_counted` (how
the business's settled invoices were paid, each once) and writes
`intermediate.invoice_risk_scores`
(one row per invoice open at the as-of date), which dbt reads as a source for
`marts.open_invoice_risk` and `marts.cash_forecast`.

Training rows are month-end snapshots whose outcome the as-of date settles (see the
model's doc); invoices that can only be paid late (`is_already_late`, decided in SQL by
the macro of macros/late_payment.sql) are neither trained on nor predicted (probability
1). One model per business with enough history, else one pooled model over every
business. Everything is vectorised.

The threshold ("late" = paid more than `late_days_beyond_terms` days beyond terms) is the
dbt var the SQL uses (ledgerlens.dbt_vars); the constants below are the model's own
hyper-parameters, not business rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ledgerlens import dbt_vars
from ledgerlens.engines import Engine, as_engine
from ledgerlens.model_inputs import numpy_columns, sql_list, table_row_count

FEATURES_TABLE = "intermediate.int_invoices_risk_featured"
DELAYS_TABLE = "intermediate.int_payment_delays_counted"
SCORES_SCHEMA = "intermediate"
SCORES_TABLE = "invoice_risk_scores"

METHODS = ("logistic", "gradient_boosting", "late_rate")
# Chosen by the back-test (`ledgerlens backtest`, DECISIONLOG.md): lowest Brier score and
# best-calibrated bands on both seeds, AUC at least the logistic model's.
DEFAULT_METHOD = "gradient_boosting"

# A business gets its own model from this many training rows with both outcomes well
# represented; below that its invoices are scored by the pooled model.
MIN_BUSINESS_ROWS = 300
MIN_BUSINESS_CLASS_ROWS = 30

# Feature scaling: days past due below this are clipped (far-future due dates would
# dominate a linear model); average days beyond terms are clipped to [0, this cap].
DAYS_PAST_DUE_FLOOR = -90
DAYS_BEYOND_TERMS_CAP = 120
# The late-rate method: the customer's recent invoices (the SQL's "last ten" paid
# invoices, int_invoices_risk_featured) shrunk to the business rate with this many
# pseudo-invoices; the baseline shrinks the customer's whole history the same way.
LATE_RATE_RECENT_INVOICES = 10
LATE_RATE_PRIOR_INVOICES = 4.0
# A feature group is named as a reason when it raises the standardised logistic score
# by more than this.
REASON_MIN_CONTRIBUTION = 0.05
# Expected days after due when late and the business has no later payment on record:
# this many days after the threshold (or after today, if later).
LATE_FALLBACK_EXTRA_DAYS = 30

# Each model input, and the reason code (feature group) it counts towards; the codes are
# put into words by marts.open_invoice_risk.
FEATURE_GROUPS = {
    "days_past_due": "past_due",
    "customer_share_paid_late": "late_history",
    "has_no_history": "short_history",
    "customer_recent_late_share": "recent_late",
    "customer_avg_days_beyond_terms": "days_beyond_terms",
    "customer_recent_days_beyond_terms": "days_beyond_terms",
    "customer_overdue_share": "overdue_balance",
    "log_total_amount_home": "invoice_amount",
    "payment_terms_days": "payment_terms",
    "log_customer_paid_invoices": "short_history",
}
FEATURE_NAMES = tuple(FEATURE_GROUPS)


@dataclass
class Scores:
    """Per open invoice, aligned with the rows passed to `score`."""

    late_probability: np.ndarray
    baseline_late_share: np.ndarray  # the same event, from the customer's history alone
    model_scope: np.ndarray  # "business", "pooled" or "already_late"
    reasons: np.ndarray  # (rows, 3) of reason codes, "" when fewer apply
    expected_on_time_days_after_due: np.ndarray
    expected_late_days_after_due: np.ndarray


def _col(table: dict[str, np.ndarray], name: str) -> np.ndarray:
    return np.asarray(table[name], dtype=float)


def feature_matrix(rows: dict[str, np.ndarray], late_days: int) -> np.ndarray:
    """The model's inputs from the SQL features; nulls (no history yet) filled neutrally."""
    paid = np.nan_to_num(_col(rows, "customer_paid_invoices"))
    share_late = _col(rows, "customer_share_paid_late")
    recent_paid = np.nan_to_num(_col(rows, "customer_last_paid_invoices"))
    recent_late = np.nan_to_num(_col(rows, "customer_last_paid_late"))
    open_balance = np.nan_to_num(_col(rows, "customer_open_balance_home"))
    overdue = np.nan_to_num(_col(rows, "customer_overdue_balance_home"))
    columns = {
        # Open invoices in training are fewer than `late_days` past due (the others are
        # already late: macros/late_payment.sql); the clip keeps far-future due dates
        # from dominating a linear model.
        "days_past_due": np.clip(_col(rows, "days_past_due"), DAYS_PAST_DUE_FLOOR, late_days),
        "customer_share_paid_late": np.nan_to_num(share_late, nan=0.0),
        "has_no_history": (paid == 0).astype(float),
        "customer_recent_late_share": np.divide(
            recent_late, recent_paid, out=np.zeros_like(recent_late), where=recent_paid > 0
        ),
        "customer_avg_days_beyond_terms": np.clip(
            np.nan_to_num(_col(rows, "customer_avg_days_beyond_terms")), 0, DAYS_BEYOND_TERMS_CAP
        ),
        "customer_recent_days_beyond_terms": np.clip(
            np.nan_to_num(_col(rows, "customer_last_avg_days_beyond_terms")),
            0,
            DAYS_BEYOND_TERMS_CAP,
        ),
        "customer_overdue_share": np.divide(
            overdue, open_balance, out=np.zeros_like(overdue), where=open_balance > 0
        ),
        "log_total_amount_home": np.log1p(np.clip(_col(rows, "total_amount_home"), 0, None)),
        "payment_terms_days": np.nan_to_num(_col(rows, "payment_terms_days")),
        "log_customer_paid_invoices": np.log1p(paid),
    }
    return np.column_stack([columns[name] for name in FEATURE_NAMES])


class _LateRate:
    """Bayesian late-rate score: the customer's recent late count shrunk to the business rate."""

    def fit(self, x: np.ndarray, y: np.ndarray) -> _LateRate:
        self.rate = float(y.mean()) if len(y) else 0.5
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        index = FEATURE_NAMES.index
        paid = np.expm1(x[:, index("log_customer_paid_invoices")])
        recent_n = np.minimum(paid, LATE_RATE_RECENT_INVOICES)
        late = x[:, index("customer_recent_late_share")] * recent_n
        prior = LATE_RATE_PRIOR_INVOICES  # pseudo-invoices at the business's rate
        p = (late + prior * self.rate) / (recent_n + prior)
        return np.column_stack([1 - p, p])


def fits_alone(training_rows: int, late_rows: int) -> bool:
    """Whether a business with this many learnable training rows, `late_rows` of them
    paid late, gets a model of its own (else its invoices are scored by the pooled one)."""
    return (
        training_rows >= MIN_BUSINESS_ROWS
        and min(late_rows, training_rows - late_rows) >= MIN_BUSINESS_CLASS_ROWS
    )


def _make_model(method: str):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if method == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=500))
    if method == "gradient_boosting":
        return HistGradientBoostingClassifier(
            max_iter=200,
            learning_rate=0.05,
            max_leaf_nodes=15,
            l2_regularization=1.0,
            random_state=0,
        )
    if method == "late_rate":
        return _LateRate()
    raise ValueError(f"method must be one of {METHODS}, not {method!r}")


def _explainer(x: np.ndarray, y: np.ndarray):
    """A standardised logistic fit whose per-feature contributions name the reasons."""
    from sklearn.linear_model import LogisticRegression

    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1.0
    # Standardised in one copy of x, not two.
    standardised = x - mean
    standardised /= std
    model = LogisticRegression(C=1.0, max_iter=500).fit(standardised, y)
    return mean, std, model.coef_[0]


def _reason_codes(x: np.ndarray, explainer) -> np.ndarray:
    """The three groups pushing each row's risk up most (positive contributions only)."""
    mean, std, coef = explainer
    contributions = (x - mean) / std * coef
    groups = list(dict.fromkeys(FEATURE_GROUPS.values()))
    by_group = np.column_stack(
        [
            contributions[
                :, [i for i, n in enumerate(FEATURE_NAMES) if FEATURE_GROUPS[n] == g]
            ].sum(axis=1)
            for g in groups
        ]
    )
    order = np.argsort(-by_group, axis=1)[:, :3]
    top = np.take_along_axis(by_group, order, axis=1)
    names = np.array(groups, dtype=object)[order]
    names[top <= REASON_MIN_CONTRIBUTION] = ""
    return names


def _conditional_means(
    history: np.ndarray, low: np.ndarray, high: np.ndarray, fallback: np.ndarray
) -> np.ndarray:
    """Mean of the sorted `history` values in (low, high] per row; fallback when none."""
    if len(history) == 0:
        return fallback
    cumulative = np.concatenate([[0.0], np.cumsum(history)])
    start = np.searchsorted(history, low, side="right")
    stop = np.searchsorted(history, high, side="right")
    count = stop - start
    total = cumulative[stop] - cumulative[start]
    return np.where(count > 0, total / np.maximum(count, 1), fallback)


def score(
    train: dict[str, np.ndarray],
    current: dict[str, np.ndarray],
    late_days: int,
    method: str,
    delays: dict[str, np.ndarray],
) -> Scores:
    """Fit on `train` (outcome-known snapshot rows) and score `current` (open now);
    `delays` is the payment history the expected days are drawn from (`_fetch_delays`)."""
    import sklearn.ensemble  # noqa: F401  (loads OpenMP, so that the limit below applies)
    from threadpoolctl import threadpool_limits

    # One OpenMP thread: the fits are small (1-2 s at 1M invoice lines), and on a busy
    # machine (dbt, DuckDB, other jobs) spin-waiting OpenMP threads made the same fit
    # 10-20 times slower.
    with threadpool_limits(limits=1, user_api="openmp"):
        return _score(train, current, late_days, method, delays)


def baseline_late_share(
    current: dict[str, np.ndarray], business_rate: dict[str, float]
) -> np.ndarray:
    """The model's rival: the share of the customer's paid invoices paid beyond the
    threshold (the label's event, each invoice once), shrunk to its business's late rate
    with LATE_RATE_PRIOR_INVOICES pseudo-invoices, so that a customer with one or no
    paid invoice gets about the business's rate, not 0 or 1."""
    paid = np.nan_to_num(_col(current, "customer_paid_invoices"))
    late = np.nan_to_num(_col(current, "customer_paid_beyond_threshold"))
    business = np.asarray(current["business_id"], dtype=object)
    rate = np.array([business_rate[b] for b in business], dtype=float)
    return (late + LATE_RATE_PRIOR_INVOICES * rate) / (paid + LATE_RATE_PRIOR_INVOICES)


def _score(
    train: dict[str, np.ndarray],
    current: dict[str, np.ndarray],
    late_days: int,
    method: str,
    delays: dict[str, np.ndarray],
) -> Scores:
    # Rows that could only be paid late at their snapshot are late by construction.
    learnable = ~np.asarray(train["is_already_late"], dtype=bool)
    # Masked at once: the whole matrix is not kept beside the learnable rows' copy.
    x_train = feature_matrix(train, late_days)[learnable]
    y_train = np.asarray(train["is_paid_beyond_threshold"], dtype=int)[learnable]
    business_train = np.asarray(train["business_id"], dtype=object)[learnable]
    x_now = feature_matrix(current, late_days)
    business_now = np.asarray(current["business_id"], dtype=object)
    rows = len(business_now)

    probability = np.full(rows, np.nan)
    scope = np.full(rows, "pooled", dtype=object)
    reasons = np.full((rows, 3), "", dtype=object)
    pooled_rate = float(y_train.mean()) if len(y_train) else 0.5
    can_pool = bool(len(y_train)) and y_train.min() != y_train.max()
    # Fitted on first use: not needed when every business has its own.
    pooled, pooled_explainer = None, None
    for business in np.unique(business_now):
        here = business_now == business
        mine = business_train == business
        y_mine = y_train[mine]
        if fits_alone(len(y_mine), int(y_mine.sum())):
            model = _make_model(method).fit(x_train[mine], y_mine)
            probability[here] = model.predict_proba(x_now[here])[:, 1]
            scope[here] = "business"
            # The reasons from the rows the probability came from: the business's own.
            # Its scores then depend on its own books alone, which lets a night rescore
            # only the businesses whose books changed (score_warehouse).
            reasons[here] = _reason_codes(x_now[here], _explainer(x_train[mine], y_mine))
        elif can_pool:
            pooled = pooled or _make_model(method).fit(x_train, y_train)
            probability[here] = pooled.predict_proba(x_now[here])[:, 1]
            pooled_explainer = pooled_explainer or _explainer(x_train, y_train)
            reasons[here] = _reason_codes(x_now[here], pooled_explainer)
        else:
            probability[here] = pooled_rate

    # The business's late rate among the invoices open at its past snapshots (the same
    # kind of row as those scored), else the pooled rate: the baseline's prior.
    business_rate = {
        b: float(y_train[business_train == b].mean())
        if (business_train == b).any()
        else pooled_rate
        for b in np.unique(business_now)
    }
    baseline = baseline_late_share(current, business_rate)

    already = np.asarray(current["is_already_late"], dtype=bool)
    probability[already] = 1.0
    scope[already] = "already_late"

    reasons[already] = np.array(["past_threshold", "", ""], dtype=object)

    on_time, late = _expected_days(delays, current, late_days)
    return Scores(probability, baseline, scope, reasons, on_time, late)


def _expected_days(
    delays: dict[str, np.ndarray], current: dict[str, np.ndarray], late_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Expected days from due date to payment, if paid within the threshold and if later.

    Drawn from how the business's settled invoices were actually paid (days after due,
    each invoice once: `delays`, int_payment_delays_counted, the history cash_forecast
    uses), conditioned on what is already known: an invoice 10 days past due will be
    paid more than 10 days after its due date.
    """
    delay_business = np.asarray(delays["business_id"], dtype=object)
    delay_days = np.asarray(delays["days_after_due"], dtype=float)
    delay_count = np.asarray(delays["paid_invoices"], dtype=int)
    business_now = np.asarray(current["business_id"], dtype=object)
    past_due = _col(current, "days_past_due")
    on_time = np.full(len(past_due), np.nan)
    late = np.full(len(past_due), np.nan)
    for business in np.unique(business_now):
        here = business_now == business
        mine = delay_business == business
        history = np.sort(np.repeat(delay_days[mine], delay_count[mine]))
        known = past_due[here]
        # Not paid yet, so it will be paid at least one day after today.
        on_time[here] = _conditional_means(
            history, known, np.full(known.shape, float(late_days)), np.maximum(known + 1, 0)
        )
        late_from = np.maximum(known, late_days)
        late[here] = _conditional_means(
            history, late_from, np.full(known.shape, np.inf), late_from + LATE_FALLBACK_EXTRA_DAYS
        )
    # An invoice that can only be paid late has no on-time scenario: the SQL's answer
    # (is_already_late), not a second copy of the rule.
    on_time = np.where(np.asarray(current["is_already_late"], dtype=bool), np.nan, on_time)
    return on_time, late


# The columns of FEATURES_TABLE read here: keys, model inputs and label.
COLUMNS_READ = (
    "as_of_date",
    "business_id",
    "invoice_id",
    "days_past_due",
    "total_amount_home",
    "payment_terms_days",
    "customer_paid_invoices",
    "customer_share_paid_late",
    "customer_avg_days_beyond_terms",
    "customer_open_balance_home",
    "customer_overdue_balance_home",
    "customer_last_paid_invoices",
    "customer_last_paid_late",
    "customer_last_avg_days_beyond_terms",
    "customer_paid_beyond_threshold",
    "is_already_late",
    "is_paid_beyond_threshold",
)


def _fetch(engine: Engine, where: str, keys: bool = True) -> dict[str, np.ndarray]:
    """COLUMNS_READ of the rows `where` selects; without the snapshot date and invoice id
    unless `keys` (the training rows need neither once sorted: at 10 million invoice
    lines their 1.8 million invoice ids took about 130 MiB as Python strings)."""
    # A fixed row order: the same rows always give the same fit, on every engine.
    table = engine.arrow_sorted(
        f"select {', '.join(COLUMNS_READ)} from {FEATURES_TABLE} where {where}",
        ["as_of_date", "business_id", "invoice_id"],
    )
    if not keys:
        table = table.drop_columns(["as_of_date", "invoice_id"])
    return numpy_columns(table)


def _fetch_delays(engine: Engine, only: str = "") -> dict[str, np.ndarray]:
    """The payment history of DELAYS_TABLE: business, days after due, invoices (`only`:
    a condition on business_id, "and ...")."""
    table = engine.arrow_sorted(
        f"select business_id, days_after_due, paid_invoices from {DELAYS_TABLE} where true{only}",
        ["business_id", "days_after_due"],
    )
    return {name: table[name].to_numpy(zero_copy_only=False) for name in table.column_names}


def businesses_pooled(engine: Engine) -> list[str]:
    """The businesses with invoices to score that have no model of their own (`fits_alone`
    over their learnable training rows): their scores depend on every business's books.
    One scan of the features table."""
    training = "not is_current and is_outcome_known and not is_already_late"
    counts = engine.arrow(
        f"""
        select
            business_id,
            cast(sum(case when {training} then 1 else 0 end) as bigint) as training_rows,
            cast(
                sum(case when {training} and is_paid_beyond_threshold then 1 else 0 end)
                as bigint
            ) as late_rows,
            cast(max(case when is_current then 1 else 0 end) as bigint) as has_current
        from {FEATURES_TABLE}
        group by business_id
        """
    ).to_pylist()
    return sorted(
        row["business_id"]
        for row in counts
        if row["has_current"] and not fits_alone(row["training_rows"], row["late_rows"])
    )


def score_warehouse(con, method: str = DEFAULT_METHOD, businesses: list[str] | None = None) -> dict:
    """Read the features, fit, and (re)write intermediate.invoice_risk_scores, on the
    engine `con` (a ledgerlens.engines.Engine, or a DuckDB connection).

    `businesses`: rescore these businesses only and keep the others' rows (an incremental
    night, orchestration.assets.scores). The same rows as scoring every business when
    every business with invoices to score has a model of its own (`businesses_pooled`
    is empty): its probability, reasons, baseline and expected days then come from its
    own rows alone. Otherwise every business is scored; the result's `incremental` says
    which."""
    engine = as_engine(con)
    if businesses is not None and businesses_pooled(engine):
        businesses = None
    if businesses == []:
        # Nothing changed: every business keeps its scores.
        return {
            "rows_scored": 0,
            "table_rows": table_row_count(engine, SCORES_SCHEMA, SCORES_TABLE),
            "training_rows": 0,
            "business_models": 0,
            "method": method,
            "incremental": True,
        }
    only = "" if businesses is None else f" and business_id in ({sql_list(businesses)})"
    train = _fetch(engine, f"not is_current and is_outcome_known{only}", keys=False)
    current = _fetch(engine, f"is_current{only}")
    late_days = int(dbt_vars.load()["late_days_beyond_terms"])
    scores = score(train, current, late_days, method, _fetch_delays(engine, only))
    result = pa.table(
        {
            "as_of_date": pa.array(current["as_of_date"], pa.date32()),
            "business_id": pa.array(current["business_id"], pa.string()),
            "invoice_id": pa.array(current["invoice_id"], pa.string()),
            "method": pa.array(np.full(len(scores.model_scope), method, dtype=object), pa.string()),
            "model_scope": pa.array(scores.model_scope, pa.string()),
            "late_probability": pa.array(scores.late_probability, pa.float64()),
            "baseline_late_share": pa.array(scores.baseline_late_share, pa.float64()),
            "expected_on_time_days_after_due": pa.array(
                scores.expected_on_time_days_after_due, pa.float64(), from_pandas=True
            ),
            "expected_late_days_after_due": pa.array(
                scores.expected_late_days_after_due, pa.float64(), from_pandas=True
            ),
            "reason_1": pa.array(scores.reasons[:, 0], pa.string()),
            "reason_2": pa.array(scores.reasons[:, 1], pa.string()),
            "reason_3": pa.array(scores.reasons[:, 2], pa.string()),
        }
    )
    table_rows = result.num_rows
    if businesses is None:
        engine.write_table(SCORES_SCHEMA, SCORES_TABLE, result)
    elif businesses:
        written = result if result.num_rows else None  # no invoice open now
        engine.replace_businesses(SCORES_SCHEMA, SCORES_TABLE, written, businesses)
        table_rows = table_row_count(engine, SCORES_SCHEMA, SCORES_TABLE)
    return {
        "rows_scored": len(result),
        "table_rows": table_rows,
        "training_rows": int(len(train["business_id"])),
        "business_models": int((scores.model_scope == "business").sum()),
        "method": method,
        "incremental": businesses is not None,
    }
