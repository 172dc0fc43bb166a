"""Receivables marts against numbers worked out by hand from tests/data/receivables.

The dataset (one business `shop`, USD, default terms 30 days) holds one case per
settlement rule, as of 2024-06-30:
- A1: partial payments across two payments (P1 400.00 + P2 600.00);
- A2, A3: one payment (P3 500.00) allocated to two invoices;
- A4: an overpayment (P4 650.00, 500.00 allocated: 150.00 is K2's credit);
- A5: a payment (300.00) and a credit note settling the rest (122.22 + 9.78 tax);
- A6: a CAD invoice at 0.73 paid at 0.74: settled in full, +10.00 FX gain;
- A7: void, counts for nothing;
- B1-B8: open at the as-of date, one per aging bucket (B6 is paid on 07-05, after it).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.conftest import RECEIVABLES, query, shared_run

pytestmark = pytest.mark.slow

AS_OF = "2024-06-30"
D = Decimal


@pytest.fixture(scope="module")
def receivables_run(tmp_path_factory: pytest.TempPathFactory):
    """The session's run as of 2024-06-30, made by `ledgerlens run` (tests/conftest.py,
    CLI_RUNS: tests/test_cli.py reads what it printed): its summary and a copy of its
    warehouse."""
    return shared_run(tmp_path_factory, RECEIVABLES, as_of_date=AS_OF)


def test_run_succeeds_with_every_check_passing(receivables_run):
    summary, _ = receivables_run
    assert summary.success, summary.failures
    assert not summary.checks_failed
    assert all(load.rows_quarantined == 0 for load in summary.loads)
    for mart in ("invoice_payments", "ar_aging", "dso_history", "open_invoice_risk"):
        assert f"marts.{mart}" in summary.models_built
    assert "marts.cash_forecast" in summary.models_built
    assert "intermediate.invoice_risk_scores" in summary.models_built
    # The Python step runs between the two dbt steps.
    assert set(summary.step_seconds) >= {
        "dbt_models",
        "model_scores",
        "dbt_risk_models",
    }


# (customer, terms, total, allocated, credited, open, open home, fx, due, paid,
#  days to pay, days beyond terms, late, open?, days past due)
# fmt: off
INVOICES = {
    # 400.00 on 03-20 leaves 600.00; + 600.00 on 04-10 = 1000.00 -> paid 04-10.
    # 03-01 -> 04-10 = 30 + 10 = 40 days; due 03-31 -> 10 days beyond terms.
    "A1": ("K1", 30, "1000.00", "1000.00", "0.00", "0.00", "0.00", "0.00",
           "2024-03-31", "2024-04-10", 40, 10, True, False, None),
    # P3 500.00 = 300.00 to A2 + 200.00 to A3, both on 04-25: 04-01 -> 04-25 = 24 days,
    # 04-05 -> 04-25 = 20 days, both before their due dates.
    "A2": ("K1", 30, "300.00", "300.00", "0.00", "0.00", "0.00", "0.00",
           "2024-05-01", "2024-04-25", 24, 0, False, False, None),
    "A3": ("K1", 30, "200.00", "200.00", "0.00", "0.00", "0.00", "0.00",
           "2024-05-05", "2024-04-25", 20, 0, False, False, None),
    # Blank due date: K2's 15 days -> 05-16. P4 650.00, only 500.00 applied: paid 05-10.
    "A4": ("K2", 15, "500.00", "500.00", "0.00", "0.00", "0.00", "0.00",
           "2024-05-16", "2024-05-10", 9, 0, False, False, None),
    # 432.00 incl. 32.00 tax, due 05-20 + 15 = 06-04. 300.00 on 06-01 + CN1 122.22 + 9.78
    # tax = 132.00 on 06-10: 300.00 + 132.00 = 432.00 -> paid 06-10, 21 days, 6 beyond.
    "A5": ("K2", 15, "432.00", "300.00", "132.00", "0.00", "0.00", "0.00",
           "2024-06-04", "2024-06-10", 21, 6, True, False, None),
    # 1000.00 CAD booked at 0.73 = 730.00 USD; paid 1000.00 CAD at 0.74 = 740.00 USD.
    # Settled in CAD exactly, so 0.00 open; 740.00 - 730.00 = +10.00 FX gain.
    "A6": ("K3", 45, "1000.00", "1000.00", "0.00", "0.00", "0.00", "10.00",
           "2024-05-30", "2024-05-25", 40, 0, False, False, None),
    # Open on 06-30. B1 due 07-20: not yet due.
    "B1": ("K1", 30, "250.00", "0.00", "0.00", "250.00", "250.00", "0.00",
           "2024-07-20", None, None, None, None, True, 0),
    # 400.00 - P7 100.00 = 300.00 open; due 06-14 -> 16 days past due.
    "B2": ("K1", 30, "400.00", "100.00", "0.00", "300.00", "300.00", "0.00",
           "2024-06-14", None, None, None, None, True, 16),
    # due 05-01 -> 30 (May) + 30 (June) = 60 days past due.
    "B3": ("K4", 30, "800.00", "0.00", "0.00", "800.00", "800.00", "0.00",
           "2024-05-01", None, None, None, None, True, 60),
    # due 04-14 -> 16 + 31 + 30 = 77 days.
    "B4": ("K4", 30, "120.00", "0.00", "0.00", "120.00", "120.00", "0.00",
           "2024-04-14", None, None, None, None, True, 77),
    # due 02-09 -> 20 (Feb 2024 has 29 days) + 31 + 30 + 31 + 30 = 142 days.
    "B5": ("K4", 30, "90.00", "0.00", "0.00", "90.00", "90.00", "0.00",
           "2024-02-09", None, None, None, None, True, 142),
    # P8 pays it on 07-05, after the as-of date: still open on 06-30. Due 06-25 + 15.
    "B6": ("K2", 15, "50.00", "0.00", "0.00", "50.00", "50.00", "0.00",
           "2024-07-10", None, None, None, None, True, 0),
    # due 05-16 + 15 = 05-31 -> exactly 30 days past due (the 1-30 bucket's edge).
    "B8": ("K2", 15, "75.00", "0.00", "0.00", "75.00", "75.00", "0.00",
           "2024-05-31", None, None, None, None, True, 30),
}
# fmt: on


def _as_expected(row: tuple) -> tuple:
    out = []
    for index, value in enumerate(row):
        if index in (2, 3, 4, 5, 6, 7) and value is not None:
            out.append(D(value))
        elif index in (8, 9) and value is not None:
            out.append(date.fromisoformat(value))
        else:
            out.append(value)
    return tuple(out)


def test_invoice_payments_match_hand_computed_settlements(receivables_run):
    _, warehouse = receivables_run
    rows = query(
        warehouse,
        "select invoice_id, customer_id, payment_terms_days, total_amount, settled_amount"
        " - credited_amount, credited_amount, open_amount, open_amount_home,"
        " fx_gain_loss_home, due_date, paid_date, days_to_pay, days_beyond_terms,"
        " is_paid_late, is_open, days_past_due from marts.invoice_payments",
    )
    got = {row[0]: tuple(row[1:]) for row in rows}
    assert got == {key: _as_expected(value) for key, value in INVOICES.items()}


def test_void_invoice_counts_for_nothing(receivables_run):
    _, warehouse = receivables_run
    assert query(warehouse, "select count(*) from marts.invoice_payments where invoice_id = 'A7'")[
        0
    ] == (0,)


# (current, 1-30, 31-60, 61-90, 90+, open, unapplied cash, untied credit notes, net)
AGING = {
    # B1 250.00 not yet due; B2 300.00 16 days past due.
    "K1": ("250.00", "300.00", "0.00", "0.00", "0.00", "550.00", "0.00", "0.00", "550.00"),
    # B6 50.00 not yet due; B8 75.00 30 days; P4's unapplied 650.00 - 500.00 = 150.00 is
    # credit: 125.00 - 150.00 = -25.00 net (the business owes K2).
    "K2": ("50.00", "75.00", "0.00", "0.00", "0.00", "125.00", "150.00", "0.00", "-25.00"),
    # B3 800.00 at 60 days, B4 120.00 at 77, B5 90.00 at 142.
    "K4": ("0.00", "0.00", "800.00", "120.00", "90.00", "1010.00", "0.00", "0.00", "1010.00"),
    # K3 (the CAD customer) owes nothing and holds no credit: no row.
}


def test_aging_buckets_match_hand_computed_values(receivables_run):
    _, warehouse = receivables_run
    rows = query(
        warehouse,
        "select customer_id, current_home, past_due_1_30_home, past_due_31_60_home,"
        " past_due_61_90_home, past_due_over_90_home, open_balance_home,"
        " unapplied_payments_home, untied_credit_notes_home, net_balance_home,"
        " business_open_balance_home from marts.ar_aging",
    )
    got = {row[0]: tuple(row[1:10]) for row in rows}
    assert got == {key: tuple(D(v) for v in value) for key, value in AGING.items()}
    # 550.00 + 125.00 + 1010.00 = 1685.00 on every row
    assert {row[10] for row in rows} == {D("1685.00")}


def test_aging_ties_to_documents_and_to_customer_sheet(receivables_run):
    """Independent of the receivables models: straight from the raw tables."""
    _, warehouse = receivables_run
    owed = query(
        warehouse,
        """
        with allocated as (
            select a.invoice_id, sum(a.amount_applied) as amount
            from raw.payment_allocations as a
            join raw.payments as p using (business_id, payment_id)
            where p.payment_date <= date '2024-06-30' group by 1
        ), credited as (
            select invoice_id, sum(amount + tax_amount) as amount from raw.credit_notes
            where invoice_id is not null and credit_note_date <= date '2024-06-30' group by 1
        )
        select sum(round((i.total_amount - coalesce(a.amount, 0) - coalesce(c.amount, 0))
            * i.exchange_rate, 2))
        from raw.invoices as i
        left join allocated as a using (invoice_id)
        left join credited as c using (invoice_id)
        where i.status <> 'void' and i.document_type = 'invoice'
        """,
    )[0][0]
    assert owed == D("1685.00")
    pairs = query(
        warehouse,
        "select sheet.customer_id, sheet.open_balance, coalesce(aging.open_balance_home, 0)"
        " from marts.customer_sheet as sheet left join marts.ar_aging as aging"
        " using (business_id, customer_id) order by 1",
    )
    assert pairs and all(row[1] == row[2] for row in pairs)


def test_dso_matches_hand_computed_values(receivables_run):
    _, warehouse = receivables_run
    row = query(
        warehouse,
        "select receivables_home, current_receivables_home, credit_sales_90_days_home,"
        " count_back_dso, simple_dso, best_possible_dso, days_beyond_terms,"
        " avg_days_to_pay_weighted from marts.dso_history"
        " where as_of_date = date '2024-06-30'",
    )
    assert len(row) == 1
    # Receivables 1685.00; not yet due: B1 250.00 + B6 50.00 = 300.00.
    # Credit sales dated 04-02..06-30 (90 days): A3 200 + A4 500 + A5 432 + A6 730
    # (1000 CAD x 0.73) + B1 250 + B2 400 + B6 50 + B8 75 = 2637.00 (A2 and B3 are 04-01).
    simple = 1685 * 90 / 2637  # 57.51
    best = 300 * 90 / 2637  # 10.24
    # Count back: June sales 250 + 50 = 300 -> all 30 days, 1385.00 left; May sales
    # 500 + 432 + 400 + 75 = 1407 -> 31 x 1385 / 1407 of its days.
    count_back = 30 + 31 * 1385 / 1407  # 60.51
    # Paid by 06-30, days x total: A1 40 x 1000 + A2 24 x 300 + A3 20 x 200 + A4 9 x 500
    # + A5 21 x 432 + A6 40 x 730 = 93972 over 3162.00.
    weighted = 93972 / 3162  # 29.72

    def one(value: float) -> Decimal:
        return D(str(round(value, 1)))

    assert row[0] == (
        D("1685.00"),
        D("300.00"),
        D("2637.00"),
        one(count_back),
        one(simple),
        one(best),
        one(simple - best),
        one(weighted),
    )


def test_dso_history_has_every_month_end(receivables_run):
    _, warehouse = receivables_run
    dates = [
        row[0] for row in query(warehouse, "select as_of_date from marts.dso_history order by 1")
    ]
    assert len(dates) == 25 and dates[-1] == date(2024, 6, 30)
    # At 2024-02-29 only B5 (90.00, due 02-09) and A1? no: A1 is dated 03-01. B5 alone.
    feb = query(
        warehouse,
        "select receivables_home, current_receivables_home from marts.dso_history"
        " where as_of_date = date '2024-02-29'",
    )
    assert feb == [(D("90.00"), D("0.00"))]


def test_open_invoice_risk_scores_exactly_the_open_invoices(receivables_run):
    _, warehouse = receivables_run
    rows = query(
        warehouse,
        "select invoice_id, open_amount_home, days_past_due, late_probability, risk_band,"
        " model_scope, top_reasons, expected_paid_date, expected_late_paid_date"
        " from marts.open_invoice_risk",
    )
    got = {row[0]: row[1:] for row in rows}
    assert set(got) == {"B1", "B2", "B3", "B4", "B5", "B6", "B8"}
    for invoice, (amount, past_due, probability, band, scope, reasons, paid, late) in got.items():
        assert amount == D(INVOICES[invoice][6])
        assert past_due == INVOICES[invoice][14]
        assert D("0") <= probability <= D("1")
        assert paid > date(2024, 6, 30) and late > date(2024, 6, 30)
        # 15 or more days past due and unpaid (paid on day 16 at the earliest): late
        # for certain, no model needed.
        if past_due >= 15:
            assert (probability, band, scope) == (D("1.0000"), "high", "already_late")
            assert reasons == f"already {past_due} days past due, so paid more than 15 days late"


def test_cash_forecast_spreads_open_amounts_by_probability(receivables_run):
    """Week totals recomputed from open_invoice_risk and the payment history, by hand."""
    _, warehouse = receivables_run
    # The history the forecast draws paid dates from: invoices issued 2023-04-02 ..
    # 2024-03-31 and paid by 06-30. Only A1 (03-01, due 03-31, paid 04-10): 10 days after.
    history = {10: 1}
    risk = query(
        warehouse,
        "select open_amount_home, late_probability, due_date, expected_on_time_paid_date,"
        " expected_late_paid_date from marts.open_invoice_risk",
    )
    expected = {week: D("0") for week in range(1, 14)}
    as_of = date(2024, 6, 30)
    for amount, probability, due, on_time_date, late_date in risk:
        past_due = (as_of - due).days
        # Not paid yet: only delays beyond today's days past due remain possible.
        possible = {days: n for days, n in history.items() if days > past_due}
        scenarios = []
        for is_late, weight, fallback in (
            (False, 1 - probability, on_time_date),
            (True, probability, late_date),
        ):
            window = {d: n for d, n in possible.items() if (d > 15) == is_late}
            if window:
                total = sum(window.values())
                scenarios += [
                    (due + timedelta(days=d), weight * n / total) for d, n in window.items()
                ]
            elif weight > 0:
                scenarios.append((fallback, weight))
        # e.g. B1 (due 07-20, 20 days to go): paid 10 days after due, 07-30, with 1 - p;
        # the late scenario has no history beyond 15 days: its expected date, with p.
        for when, weight in scenarios:
            week = ((when - as_of).days + 6) // 7
            if 1 <= week <= 13:
                expected[week] += amount * weight
    rows = query(
        warehouse,
        "select week_number, week_start_date, week_end_date, expected_collections_home,"
        " low_collections_home, high_collections_home from marts.cash_forecast order by 1",
    )
    assert [row[0] for row in rows] == list(range(1, 14))
    for week, start, end, value, low, high in rows:
        assert start == as_of + timedelta(days=7 * week - 6)
        assert end == as_of + timedelta(days=7 * week)
        assert value == expected[week].quantize(D("0.01"), rounding=ROUND_HALF_UP)
        assert low <= value <= high
    # Nothing beyond what is open: 250 + 300 + 800 + 120 + 90 + 50 + 75 = 1685.00, give
    # or take each week's rounding to the cent (13 x 0.005).
    assert sum(row[3] for row in rows) <= D("1685.00") + D("0.065")
