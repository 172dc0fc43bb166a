"""The late-payment model (ledgerlens.risk): its arithmetic, and that it never looks ahead."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pytest

from ledgerlens import backtest, risk
from tests.conftest import query


def test_conditional_means_average_the_history_inside_each_window():
    history = np.array([-5.0, 0.0, 3.0, 10.0, 20.0, 40.0])
    low = np.array([-10.0, 0.0, 15.0, 40.0])
    high = np.array([15.0, 15.0, np.inf, np.inf])
    fallback = np.array([-1.0, -2.0, -3.0, -4.0])
    got = risk._conditional_means(history, low, high, fallback)
    # (-5 + 0 + 3 + 10) / 4 = 2.0; (3 + 10) / 2 = 6.5 (0 itself is not after 0);
    # (20 + 40) / 2 = 30.0; nothing after 40 -> the fallback -4.0
    assert got.tolist() == [2.0, 6.5, 30.0, -4.0]


def _rows(n: int, rng: np.random.Generator, business: str) -> dict[str, np.ndarray]:
    share = rng.uniform(0, 1, n)
    paid = rng.integers(0, 30, n).astype(float)
    return {
        "business_id": np.full(n, business, dtype=object),
        "invoice_id": np.array([f"{business}-{i}" for i in range(n)], dtype=object),
        "days_past_due": rng.integers(-30, 15, n).astype(float),
        "customer_paid_invoices": paid,
        "customer_share_paid_late": np.where(paid > 0, share, np.nan),
        "customer_last_paid_invoices": np.minimum(paid, 10),
        "customer_last_paid_late": np.round(np.minimum(paid, 10) * share),
        "customer_open_balance_home": rng.uniform(0, 1000, n),
        "customer_overdue_balance_home": rng.uniform(0, 100, n),
        "customer_avg_days_beyond_terms": share * 40,
        "customer_last_avg_days_beyond_terms": share * 40,
        "customer_paid_beyond_threshold": np.round(paid * share * 0.5),
        "total_amount_home": rng.uniform(100, 5000, n),
        "payment_terms_days": np.full(n, 30.0),
        "is_already_late": np.zeros(n, dtype=bool),
    }


# A payment history for _rows' businesses: one invoice paid 5 days after due each.
DELAYS = {
    "business_id": np.array(["b", "big", "small"], dtype=object),
    "days_after_due": np.array([5, 5, 5]),
    "paid_invoices": np.array([1, 1, 1]),
}


@pytest.mark.parametrize("method", risk.METHODS)
def test_every_method_ranks_habitual_late_payers_first(method):
    """Customers who paid most invoices late go on paying late; every method sees it."""
    rng = np.random.default_rng(0)
    train = _rows(2000, rng, "b")
    has_history = train["customer_paid_invoices"] > 0
    habitual = np.nan_to_num(train["customer_share_paid_late"]) > 0.6
    train["is_paid_beyond_threshold"] = (
        has_history & habitual & (rng.uniform(0, 1, 2000) < 0.9)
    ).astype(int)
    current = _rows(400, rng, "b")
    current["is_already_late"][:5] = True
    current["days_past_due"][:5] = 40
    scores = risk.score(train, current, late_days=15, method=method, delays=DELAYS)
    p = scores.late_probability
    assert np.all((p >= 0) & (p <= 1))
    assert (p[:5] == 1).all() and (scores.model_scope[:5] == "already_late").all()
    assert (scores.reasons[:5, 0] == "past_threshold").all()
    later = slice(5, None)
    share = np.nan_to_num(current["customer_share_paid_late"][later])
    paid = current["customer_paid_invoices"][later]
    late_customers = (share > 0.7) & (paid > 0)
    on_time_customers = (share < 0.3) & (paid > 0)
    assert p[later][late_customers].mean() > p[later][on_time_customers].mean() + 0.3
    # 2000 rows with ~28% late is enough for the business's own model.
    assert (scores.model_scope[later] == "business").all()


def test_small_business_falls_back_to_the_pooled_model():
    rng = np.random.default_rng(1)
    big, small = _rows(1000, rng, "big"), _rows(50, rng, "small")
    train = {key: np.concatenate([big[key], small[key]]) for key in big}
    train["is_paid_beyond_threshold"] = (
        np.nan_to_num(train["customer_share_paid_late"]) > 0.5
    ).astype(int)
    current = {key: np.concatenate([value[:10], small[key][:10]]) for key, value in big.items()}
    scores = risk.score(train, current, late_days=15, method="logistic", delays=DELAYS)
    assert scores.model_scope.tolist() == ["business"] * 10 + ["pooled"] * 10


def test_a_business_with_its_own_model_is_scored_from_its_own_rows_alone():
    """Probability, reasons, baseline and expected days of a business fitted alone are
    the same whether another business's rows are scored beside it or not: what lets an
    incremental night rescore only the businesses whose books changed. Its reasons come
    from its own explainer, not one fitted over both businesses, whose ranking differs."""
    rng = np.random.default_rng(2)
    mine, other = _rows(1500, rng, "big"), _rows(1500, rng, "b")
    # Late follows the customer's history in one business and the days past due in the
    # other: an explainer over both would weigh the features differently.
    mine["is_paid_beyond_threshold"] = (
        np.nan_to_num(mine["customer_share_paid_late"]) > 0.6
    ).astype(int)
    other["is_paid_beyond_threshold"] = (other["days_past_due"] > 0).astype(int)
    both = {key: np.concatenate([mine[key], other[key]]) for key in mine}
    now_mine, now_other = _rows(200, rng, "big"), _rows(200, rng, "b")
    now_both = {key: np.concatenate([now_mine[key], now_other[key]]) for key in now_mine}
    for method in risk.METHODS:
        alone = risk.score(mine, now_mine, late_days=15, method=method, delays=DELAYS)
        together = risk.score(both, now_both, late_days=15, method=method, delays=DELAYS)
        assert (together.model_scope == "business").all()
        first = slice(0, 200)
        assert together.late_probability[first].tolist() == alone.late_probability.tolist()
        assert together.reasons[first].tolist() == alone.reasons.tolist()
        assert together.baseline_late_share[first].tolist() == alone.baseline_late_share.tolist()
        assert np.array_equal(
            together.expected_late_days_after_due[first], alone.expected_late_days_after_due
        )
    # One explainer over both businesses would name other reasons for some invoices.
    x_train = risk.feature_matrix(both, 15)
    pooled = risk._reason_codes(
        risk.feature_matrix(now_mine, 15),
        risk._explainer(x_train, both["is_paid_beyond_threshold"]),
    )
    assert pooled.tolist() != alone.reasons.tolist()


SCORES = (
    "select business_id, invoice_id, model_scope, late_probability,"
    " expected_on_time_days_after_due, expected_late_days_after_due,"
    " reason_1, reason_2, reason_3"
    " from intermediate.invoice_risk_scores order by 1, 2"
)


@pytest.mark.slow
def test_scores_as_of_a_date_ignore_everything_after_it(tmp_path_factory, tmp_path):
    """A run as of T on the full export scores exactly like a run on the export cut at T.

    The run on the cut is the back-test's (`ledgerlens backtest` cuts its demo export at T,
    13 weeks before the data ends, with `backtest.cut_export` and runs on the cut as of T:
    tests/conftest.py's shared_backtest, which tests/test_cli.py runs); this test adds the
    run on the whole export as of the same T."""
    from tests.conftest import run_pipeline, shared_backtest

    shared = shared_backtest(tmp_path_factory)
    assert shared.returncode == 0, shared.stdout + shared.stderr
    (seed,) = json.loads((shared.workdir / "backtest.json").read_text())["seeds"]
    as_of = seed["as_of_date"]
    cut = shared.warehouse("at_t")
    full = tmp_path / "full"
    shutil.copytree(shared.data, full)  # the export the back-test cut, whole
    # The comparison is not an empty one: the whole export has invoices after T (the
    # cut has none), and the run on the cut was as of T.
    later = f"select count(*) from read_csv('{full}/invoices.csv') where invoice_date > ?::date"
    with duckdb.connect() as con:  # not the module-level one: leave nothing open there
        assert con.execute(later, [as_of]).fetchone()[0] > 100
    assert query(
        cut, "select count(*) from raw.invoices where invoice_date > ?::date", [as_of]
    ) == [(0,)]
    assert query(cut, "select distinct cast(as_of_date as varchar) from marts.customer_sheet") == [
        (as_of,)
    ]
    warehouse = tmp_path / "full" / "ledgerlens.duckdb"
    summary = run_pipeline(full, warehouse, as_of_date=as_of)
    assert summary.success, summary.failures
    full_scores, cut_scores = query(warehouse, SCORES), query(cut, SCORES)
    assert len(full_scores) > 100
    assert {row[2] for row in full_scores} >= {"business", "already_late"}
    assert full_scores == cut_scores


# The payment features counted the slow way: every paid invoice joined to every snapshot
# on or after its paid date, the ten paid last picked by rank, and every credit invoice
# and payment summed per snapshot. The models read each customer's invoices once, in date
# order, with the snapshots placed among them (DECISIONLOG.md, "Payment features read in
# date order"); this is the count they must equal.
SLOW_LAST_TEN = """
    with ranked as (
        select s.as_of_date, i.business_id, i.customer_id, i.is_paid_late,
            i.days_beyond_terms,
            date_diff('day', i.due_date, i.paid_date) > 15 as beyond,
            row_number() over (
                partition by s.as_of_date, i.business_id, i.customer_id
                order by i.paid_date desc, i.invoice_id desc
            ) as recency_rank
        from intermediate.int_invoices_settled i
        join intermediate.int_snapshot_dates_spined s
            on i.business_id = s.business_id and i.paid_date <= s.as_of_date
    ),
    per_snapshot as (
        select as_of_date, business_id, customer_id,
            count(*) filter (where recency_rank <= 10) as last_paid,
            sum(case when is_paid_late then 1 else 0 end)
                filter (where recency_rank <= 10) as last_late,
            avg(days_beyond_terms) filter (where recency_rank <= 10) as last_avg,
            sum(case when beyond then 1 else 0 end) as beyond
        from ranked group by all
    )
    select f.as_of_date, f.business_id, f.invoice_id,
        coalesce(p.last_paid, 0), coalesce(p.last_late, 0), p.last_avg, coalesce(p.beyond, 0)
    from intermediate.int_invoices_risk_featured f
    left join per_snapshot p using (as_of_date, business_id, customer_id)
"""
MODEL_LAST_TEN = """
    select as_of_date, business_id, invoice_id, customer_last_paid_invoices,
        customer_last_paid_late, customer_last_avg_days_beyond_terms,
        customer_paid_beyond_threshold
    from intermediate.int_invoices_risk_featured
"""
SLOW_TIMELINESS = """
    with issued as (
        select s.as_of_date, i.business_id, i.customer_id, count(*) as credit_invoices
        from intermediate.int_invoices_settled i
        join intermediate.int_segment_dates_spined s
            on i.business_id = s.business_id and i.invoice_date <= s.as_of_date
        group by all
    ),
    paid as (
        select s.as_of_date, i.business_id, i.customer_id, count(*) as paid_invoices,
            avg(i.days_to_pay) as avg_days,
            sum(i.days_to_pay * i.total_amount_home) / nullif(sum(i.total_amount_home), 0)
                as weighted,
            avg(i.days_beyond_terms) as beyond,
            avg(case when i.is_paid_late then 1.0 else 0.0 end) as share_late
        from intermediate.int_invoices_settled i
        join intermediate.int_segment_dates_spined s
            on i.business_id = s.business_id and i.paid_date <= s.as_of_date
        group by all
    )
    select issued.as_of_date, issued.business_id, issued.customer_id,
        issued.credit_invoices, coalesce(paid.paid_invoices, 0), paid.avg_days,
        paid.weighted, paid.beyond, paid.share_late
    from issued left join paid using (as_of_date, business_id, customer_id)
"""
MODEL_TIMELINESS = """
    select as_of_date, business_id, customer_id, credit_invoices, paid_invoices,
        avg_days_to_pay, avg_days_to_pay_weighted, avg_days_beyond_terms, share_paid_late
    from intermediate.int_customers_timeliness_measured
"""


@pytest.mark.slow
def test_payment_features_equal_the_count_over_every_snapshot(tmp_path_factory):
    from tests.conftest import shared_backtest

    shared = shared_backtest(tmp_path_factory)
    assert shared.returncode == 0, shared.stdout + shared.stderr
    warehouse = shared.warehouse("at_end")
    # The cases the date-ordered reading has to get right are in these books: customers
    # with more than ten invoices paid by a snapshot, invoices paid on a snapshot date
    # (paid by it), and one customer's invoices paid on the same day (ordered by id).
    cases = query(
        warehouse,
        """
        select
            (select count(*) from intermediate.int_customers_timeliness_measured
                where paid_invoices > 10),
            (select count(*) from intermediate.int_invoices_settled i
                join intermediate.int_snapshot_dates_spined s
                    on i.business_id = s.business_id and i.paid_date = s.as_of_date),
            (select count(*) from (
                select business_id, customer_id, paid_date
                from intermediate.int_invoices_settled where paid_date is not null
                group by all having count(*) > 1))
        from intermediate.int_invoices_risk_featured
        """,
    )[0]
    assert min(cases) > 0, cases
    for slow, model in ((SLOW_LAST_TEN, MODEL_LAST_TEN), (SLOW_TIMELINESS, MODEL_TIMELINESS)):
        expected, actual = query(warehouse, slow), query(warehouse, model)
        assert len(actual) > 1000
        assert sorted(actual, key=repr) == sorted(expected, key=repr)


# ---------- the late line, on tests/data/late_boundary (one business `edge`, as of 06-30)
#
# "Late" = paid more than 15 days after the due date. An invoice open at the end of a
# date is paid the next day at the earliest, so open at 14 days past due it can still be
# paid on day 15 (on time), open at 15 or 16 days it can only be paid late.
#   B14 due 06-16 (100.00), B15 due 06-15 (200.00), B16 due 06-14 (400.00): open on 06-30,
#   14, 15 and 16 days past due.
#   Paid (days after due): H1 01-31 -> 02-05 5; H2 12-31 -> 04-10 31 + 29 + 31 + 10 = 101;
#   H3 03-02 -> 03-12 10; H4 02-14 -> 03-20 15 + 20 = 35; E15 05-01 -> 05-16 15 (on
#   time); E16 05-02 -> 05-18 16 (late).
LATE_BOUNDARY = Path(__file__).parent / "data" / "late_boundary"


@pytest.fixture(scope="module")
def boundary_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import run_pipeline

    warehouse = tmp_path_factory.mktemp("late_boundary") / "ledgerlens.duckdb"
    summary = run_pipeline(LATE_BOUNDARY, warehouse, as_of_date="2024-06-30")
    assert summary.success, summary.failures
    return warehouse


def _rows_of(warehouse: Path, sql: str) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {row[0]: row[1:] for row in con.execute(sql).fetchall()}


@pytest.mark.slow
def test_invoices_14_15_16_days_past_due_fall_on_either_side_of_the_late_line(boundary_run):
    features = _rows_of(
        boundary_run,
        "select invoice_id, days_past_due, is_already_late"
        " from intermediate.int_invoices_risk_featured where is_current",
    )
    assert features == {"B14": (14, False), "B15": (15, True), "B16": (16, True)}
    risk_rows = _rows_of(
        boundary_run,
        "select invoice_id, model_scope, late_probability, top_reasons"
        " from marts.open_invoice_risk",
    )
    # Only B14 is left to the model; B15 and B16 are late for certain.
    assert risk_rows["B14"][0] == "pooled" and 0 < risk_rows["B14"][1] < 1
    for invoice, days in (("B15", 15), ("B16", 16)):
        assert risk_rows[invoice] == (
            "already_late",
            1,
            f"already {days} days past due, so paid more than 15 days late",
        )
    # The mart states the same event: E15 paid exactly 15 days after due is on time,
    # E16 (16 days) late; H2 (101) and H4 (35) late, H1 (5) and H3 (10) on time.
    late = _rows_of(
        boundary_run, "select invoice_id, is_late_beyond_threshold from marts.invoice_payments"
    )
    assert {invoice: value[0] for invoice, value in late.items()} == {
        "H1": False,
        "H2": True,
        "H3": False,
        "H4": True,
        "E15": False,
        "E16": True,
        "B14": None,
        "B15": True,
        "B16": True,
    }


@pytest.mark.slow
def test_training_rows_stop_at_the_late_line(boundary_run):
    rows = _rows_of(
        boundary_run,
        "select invoice_id || ' ' || cast(as_of_date as varchar), days_past_due,"
        " is_already_late, is_outcome_known, is_paid_beyond_threshold"
        " from intermediate.int_invoices_risk_featured"
        " where invoice_id in ('H4', 'B15', 'B14') and not is_current",
    )
    assert rows == {
        # H4 due 02-14: 14 days before it on 01-31; 15 days past due on 02-29 (2024 is
        # a leap year), so only payable late: not a training row for the model.
        "H4 2024-01-31": (-14, False, True, 1),
        "H4 2024-02-29": (15, True, True, 1),
        # On 05-31 B15 and B14 were not due yet; on 06-30 B15 (due 06-15) is 15 days
        # past due and unpaid: its answer (late) is known, B14's (14 days) is not.
        "B15 2024-05-31": (-15, False, True, 1),
        "B14 2024-05-31": (-16, False, False, 1),
    }


@pytest.mark.slow
def test_expected_days_count_each_settled_invoice_once(boundary_run):
    """H2 stayed open at four month ends and H4 at two: each still counts once."""
    scores = _rows_of(
        boundary_run,
        "select invoice_id, expected_on_time_days_after_due, expected_late_days_after_due"
        " from intermediate.invoice_risk_scores",
    )
    # History window: issued 2023-04-02 .. 2024-03-31 and paid by 06-30: H1 5, H2 101,
    # H3 10, H4 35 days after due (E15, E16 issued in April are too recent).
    # Late: beyond max(days past due, 15): H2 and H4, (101 + 35) / 2 = 68 for all three.
    # On time for B14 (14 days): in (14, 15], none: the fallback, 14 + 1 = 15.
    # (Counted per snapshot row, H2 x4 and H4 x2 gave (404 + 70 + 16) / 7 = 70.)
    assert scores == {"B14": (15.0, 68.0), "B15": (None, 68.0), "B16": (None, 68.0)}


@pytest.mark.slow
def test_cash_forecast_collects_each_open_invoice_in_full(boundary_run):
    # Every scenario date of B14, B15 and B16 falls in the 13 weeks (the latest: B14
    # paid 101 days after its due date 06-16, 09-25 = day 87 of 91), so the weeks add up
    # to 100.00 + 200.00 + 400.00 = 700.00, give or take each week's rounding (13 x 0.005).
    weeks = _rows_of(
        boundary_run, "select week_number, expected_collections_home from marts.cash_forecast"
    )
    total = sum(value[0] for value in weeks.values())
    assert abs(total - 700) <= 0.065, total


@pytest.mark.slow
def test_baseline_predicts_the_same_event_as_the_model(boundary_run):
    baseline = _rows_of(
        boundary_run,
        "select invoice_id, baseline_late_share, customer_paid_beyond_threshold"
        " from intermediate.invoice_risk_scores"
        " join intermediate.int_invoices_risk_featured using (business_id, invoice_id,"
        " as_of_date)",
    )
    # K1 paid 6 invoices by 06-30, all after their due date, 3 more than 15 days after
    # (H2, H4, E16). The business's late rate over its training rows (snapshot rows
    # decided by 06-30 that could still be paid in time): H1 0, H2 on 12-31 1, H3 0, H4
    # on 01-31 1, E15 0, E16 1, B15 and B16 on 05-31 1 = 5 / 8 = 0.625. Shrunk with 4
    # pseudo-invoices: (3 + 4 x 0.625) / (6 + 4) = 5.5 / 10 = 0.55. (Late = one day
    # after due would say 6 / 6 = 1.0.)
    assert {invoice: row for invoice, row in baseline.items()} == {
        "B14": (pytest.approx(0.55), 3),
        "B15": (pytest.approx(0.55), 3),
        "B16": (pytest.approx(0.55), 3),
    }


# ---------- the back-test: the export as it stood at T, and a comparison on one event


def test_cut_export_keeps_what_the_books_held_at_the_end_of_the_date(tmp_path):
    source = tmp_path / "full"
    shutil.copytree(LATE_BOUNDARY, source)
    # The books a quarter later: B14 paid on 07-01 (P7) with a payment whose remainder
    # is applied to an invoice issued after the cut (N1), a credit note and a cost after
    # it, a customer created after it (K2, with N1) and one created after it whose
    # document is before it (K3: its created date is wrong, the document is not).
    with open(source / "invoices.csv", "a") as f:
        f.write("edge,N1,K2,invoice,2024-07-02,2024-08-01,USD,1,open,50.00,0.00\n")
        f.write("edge,N2,K3,invoice,2024-06-30,2024-07-30,USD,1,open,60.00,0.00\n")
    with open(source / "invoice_lines.csv", "a") as f:
        f.write("edge,N1,1,FLR,Flour,1,50.00,0,50.00,\n")
        f.write("edge,N2,1,FLR,Flour,1,60.00,0,60.00,\n")
    with open(source / "customers.csv", "a") as f:
        f.write("edge,K2,Kite Cafe,2024-07-01,,,,,\n")
        f.write("edge,K3,Koi Bar,2024-07-01,,,,,\n")
    with open(source / "payments.csv", "a") as f:
        f.write("edge,P7,K1,2024-07-01,USD,1,150.00\n")
        f.write("edge,P8,K1,2024-06-30,USD,1,10.00\n")
    with open(source / "payment_allocations.csv", "a") as f:
        f.write("edge,P7,B14,100.00\nedge,P8,N1,10.00\n")
    with open(source / "credit_notes.csv", "a") as f:
        f.write("edge,CN1,K1,B16,2024-07-01,USD,1,10.00,0.00,\n")
    with open(source / "customer_costs.csv", "a") as f:
        f.write("edge,X1,K1,2024-06-30,other,5.00,\nedge,X2,K1,2024-07-01,other,5.00,\n")
    # The full export says it is complete to 09-30; the export at 06-30 reached 06-30.
    (source / "businesses.csv").write_text(
        "business_id,business_name,home_currency,fiscal_year_start_month,"
        "default_payment_terms_days,export_complete_to_date\n"
        "edge,Edge Supplies LLC,USD,1,30,2024-09-30\n"
    )
    counts = backtest.cut_export(source, tmp_path / "cut", "2024-06-30")
    assert counts == {
        "businesses": 1,
        "customers": 2,  # K1, and K3 for N2; K2 (created 07-01, only N1) is left out
        "invoices": 10,  # the 9 of late_boundary + N2 (dated 06-30 itself); not N1
        "invoice_lines": 10,
        "payments": 7,  # P1-P6 and P8 (06-30); not P7 (07-01)
        "payment_allocations": 6,  # P1-P6's; P7's went with P7, P8's to N1 with N1
        "credit_notes": 0,
        "customer_costs": 1,  # X1
    }
    with duckdb.connect() as con:
        kept = con.execute(
            f"select payment_id, amount from '{tmp_path}/cut/payments.csv' where payment_id = 'P8'"
        ).fetchall()
        reach = con.execute(
            f"select export_complete_to_date from '{tmp_path}/cut/businesses.csv'"
        ).fetchall()
    # P8 was received by 06-30: its 10.00 stays, unapplied (customer credit at T).
    assert [(p, str(a)) for p, a in kept] == [("P8", "10.0")]
    assert [str(d) for (d,) in reach] == ["2024-06-30"]


def test_cut_export_knows_every_dated_column_of_the_contract():
    """A new dated column (a void date, say) must be taught to the cut, not ignored."""
    from ledgerlens import contract

    dated = {
        (table.name, column.name)
        for table in contract.TABLES
        for column in table.columns
        if column.kind == "date"
    }
    assert dated == (
        set(backtest.EVENT_DATES.items()) | backtest.NOT_EVENT_DATES | backtest.EXPORT_REACH_DATES
    )


def test_model_and_baseline_are_scored_on_the_same_invoices_and_event():
    # Six invoices open at T, 1 = paid more than 15 days after due.
    late = np.array([1, 1, 0, 0, 0, 0])
    model = np.array([0.9, 0.6, 0.7, 0.1, 0.1, 0.0])
    baseline = np.array([0.5, 0.5, 0.5, 0.5, 0.2, 0.2])
    got = backtest.compare(late, {"model": model, "baseline": baseline}, [0.2, 0.5])
    # Brier, model: (0.01 + 0.16 + 0.49 + 0.01 + 0.01 + 0) / 6 = 0.68 / 6 = 0.1133;
    # baseline: (0.25 + 0.25 + 0.25 + 0.25 + 0.04 + 0.04) / 6 = 1.08 / 6 = 0.18.
    assert (got["model"]["brier"], got["baseline"]["brier"]) == (0.1133, 0.18)
    # AUC = share of (late, on-time) pairs ranked right, ties half: model 0.9 beats all
    # 4; 0.6 beats 3 of 4 (not 0.7): 7 / 8 = 0.875. Baseline: 0.5 vs 0.5, 0.5 (ties)
    # and 0.2, 0.2 (wins), for each late one: (1 + 2) x 2 / 8 = 0.75.
    assert (got["model"]["auc"], got["baseline"]["auc"]) == (0.875, 0.75)
    assert got["winner"] == "model"
    # Calibration by tenth, baseline: 0.2-0.3 holds two on-time invoices (0 / 2 late),
    # 0.5-0.6 two late of four.
    bins = {row["bin"]: row for row in got["baseline"]["calibration_bins"] if row["invoices"]}
    assert {b: (r["invoices"], r["actual_late_share"]) for b, r in bins.items()} == {
        "0.2-0.3": (2, 0.0),
        "0.5-0.6": (4, 0.5),
    }
