"""The portfolio overview and the customer alerts (issue 17), on hand-made exports with every
figure worked out by hand below.

tests/data/growth: three businesses, each as of its export_complete_to_date (the same run
as tests/test_sales_rep_scorecard.py and tests/test_acquisition_scorecard.py, whose
docstrings describe the sales). Every sale there is a sales receipt (nothing on credit
except acq's A5 invoice, paid by 2024-09-09), so there is no DSO, nothing open and no
late payment: those percentiles are null, the null case.

TTM = the 365 days ending at the as-of date; the TTM before = the 365 days before those.

Business `solo` (as of 2026-06-30; TTM 2025-07-01 .. 2026-06-30):
- S1 1,000 a month 2024-07 .. 2025-06, then 1,100: TTM 12 x 1,100 = 13,200, before 12,000;
- S2 600 a month, 300 from 2025-07: TTM 12 x 300 = 3,600, before 12 x 600 = 7,200;
- S3 500 a month 2024-07 .. 2024-12: TTM 0, before 6 x 500 = 3,000;
- S4 700 a month 2026-01 .. 2026-06: TTM 6 x 700 = 4,200, before 0.
TTM 13,200 + 3,600 + 4,200 = 21,000; before 12,000 + 7,200 + 3,000 = 22,200;
growth 21,000 / 22,200 - 1 = -0.054054. NRR: the before's customers S1, S2, S3 now
16,800 / 22,200 = 0.756757; GRR (S1's rise left out) (12,000 + 3,600) / 22,200 =
0.702703; logo retention 2 of 3 = 0.666667. Top customer S1 13,200 / 21,000 = 0.628571
(>= 0.25: concentration high), top 10 = all = 1.

Business `biz` (as of 2026-06-30):
- TTM: A1 12 x 1,500 = 18,000; A3 4 x 2,000 = 8,000; B1 12 x 1,200 = 14,400; B2 4 x
  3,000 = 12,000 (Jul, Oct 2025, Jan, Apr 2026); C1 2 x 900 = 1,800; U1 7,200; U2 10 x
  400 = 4,000: 65,400.
- Before (2024-07-01 .. 2025-06-30): A1 12,000; A2 8 x 500 = 4,000 (2024-07 .. 2025-02);
  B1 24,000; B2 12,000; U1 6,000 (2025-06-01): 58,000.
Growth 65,400 / 58,000 - 1 = 0.127586. NRR (A1 18,000 + A2 0 + B1 14,400 + B2 12,000 +
U1 7,200) / 58,000 = 51,600 / 58,000 = 0.889655; GRR (12,000 + 0 + 14,400 + 12,000 +
6,000) / 58,000 = 44,400 / 58,000 = 0.765517; logo retention 4 of 5 = 0.8. Top customer
A1 18,000 / 65,400 = 0.275229 (high), top 10 = all 7 with sales = 1.
Contribution margin: 40% of sales (unit cost 60%) less the TTM cost to serve, A1 support
100 + B1 delivery 250 + U2 support 80 (A3's acquisition cost is not in contribution):
(26,160 - 430) / 65,400 = 0.393425. solo has no costs: 0.4.

Business `acq` (as of 2025-06-30; TTM 2024-07-01 .. 2025-06-30):
- TTM: A1 1,000 (2025-02); A3 2,000; A4 800 (2024-08); A5 1,200 + 1,200; A6 700 + 700:
  7,600. Before (2023-07-01 .. 2024-06-30): A1 3 x 1,000 (2024-01, -03, -06); A2 500 -
  credit note 100 = 400 (A4's 2023-06 sale is before the window): 3,400.
Growth 7,600 / 3,400 - 1 = 1.235294. NRR: A1 1,000 + A2 0 on 3,400 = 0.294118; GRR the
same (no expansion: A1 fell); logo retention 1 of 2 = 0.5. Top customer A5 2,400 / 7,600
= 0.315789 (high).

Percentiles (percent_rank: (rank - 1) / (3 - 1), best = 1):
- TTM sales (all USD, more is better): acq 7,600 -> 0, solo 21,000 -> 0.5, biz -> 1.
- growth: solo -0.05 -> 0, biz 0.13 -> 0.5, acq 1.24 -> 1.
- NRR: acq 0.29 -> 0, solo 0.76 -> 0.5, biz 0.89 -> 1.
- top customer share (less is better): solo 0.63 -> 0, acq 0.32 -> 0.5, biz 0.28 -> 1.

tests/data/alerts (the one dataset of this file, business `pay`, terms 30 days, as of
2025-06-30; every invoice 1,000, dated the 1st, due 30 days later, paid in full):
- L1: Jan-Mar 2025 invoices paid on their due dates (0 days beyond terms), the April one
  (due 05-01) paid 06-30: 60 days. Mean days beyond terms at 05-31: 3 paid, 0; at 06-30:
  (0 + 0 + 0 + 60) / 4 = 15.0, up 15 >= 7: an alert; 1 of 4 late: share 0.25.
- L2: paid 10 days late (Jan), 7 (Apr, paid 05-08) and 20 (May, paid 06-20): mean 8.5 at
  05-31, (10 + 7 + 20) / 3 = 12.3 at 06-30: up 3.8 < 7, no late-payment alert.
- L3: March invoice paid on its due date, May one (due 05-31) paid 06-14, 14 days: mean 0
  at 05-31, (0 + 14) / 2 = 7.0 at 06-30: up exactly 7, the bound (inclusive): an alert.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import query, shared_run

pytestmark = pytest.mark.slow

GROWTH = Path(__file__).parent / "data" / "growth"
ALERTS = Path(__file__).parent / "data" / "alerts"
D = Decimal


@pytest.fixture(scope="module")
def growth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _, copy = shared_run(tmp_path_factory, GROWTH)
    return copy


@pytest.fixture(scope="module")
def alerts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _, copy = shared_run(tmp_path_factory, ALERTS)
    return copy


def overview(warehouse: Path, columns: str) -> dict[str, tuple]:
    rows = query(
        warehouse, f"select business_id, {columns} from marts.portfolio_overview order by 1"
    )
    return {row[0]: row[1:] for row in rows}


def test_portfolio_sales_and_retention_are_the_hand_computed_ones(growth: Path):
    got = overview(
        growth,
        "as_of_date, ttm_net_sales, prev_ttm_net_sales, ttm_sales_growth,"
        " retention_period_end_date, nrr, grr, logo_retention",
    )
    assert got == {
        "acq": (
            dt.date(2025, 6, 30), D("7600.00"), D("3400.00"), D("1.235294"),
            dt.date(2025, 6, 30), D("0.294118"), D("0.294118"), D("0.500000"),
        ),
        "biz": (
            dt.date(2026, 6, 30), D("65400.00"), D("58000.00"), D("0.127586"),
            dt.date(2026, 6, 30), D("0.889655"), D("0.765517"), D("0.800000"),
        ),
        "solo": (
            dt.date(2026, 6, 30), D("21000.00"), D("22200.00"), D("-0.054054"),
            dt.date(2026, 6, 30), D("0.756757"), D("0.702703"), D("0.666667"),
        ),
    }  # fmt: skip


def test_portfolio_concentration_receivables_and_margin(growth: Path):
    got = overview(
        growth,
        "top_customer_share, top_10_share, concentration_risk, dso, overdue_share,"
        " open_balance_home",
    )
    # Nothing on credit open at any as-of date: no overdue share; no credit sales in the
    # 90 days before: no DSO.
    assert got == {
        "acq": (D("0.315789"), D("1.000000"), "high", None, None, D("0.00")),
        "biz": (D("0.275229"), D("1.000000"), "high", None, None, D("0.00")),
        "solo": (D("0.628571"), D("1.000000"), "high", None, None, D("0.00")),
    }
    margins = overview(growth, "contribution_margin")
    assert margins["biz"] == (D("0.393425"),)
    assert margins["solo"] == (D("0.400000"),)


def test_portfolio_percentiles_run_best_to_1_and_are_null_without_a_figure(growth: Path):
    got = overview(
        growth,
        "ttm_net_sales_percentile, ttm_sales_growth_percentile, nrr_percentile,"
        " top_customer_share_percentile, dso_percentile, overdue_share_percentile",
    )
    assert got == {
        "acq": (D("0.000000"), D("1.000000"), D("0.000000"), D("0.500000"), None, None),
        "biz": (D("1.000000"), D("0.500000"), D("1.000000"), D("1.000000"), None, None),
        "solo": (D("0.500000"), D("0.000000"), D("0.500000"), D("0.000000"), None, None),
    }


def test_portfolio_segment_mix_reads_the_seed_flags(growth: Path):
    # The segments are the customer sheet's (read off it, worked out by its own tests):
    # solo has S1 Champion (TTM 13,200 >= 3 x the median customer's (3,600 + 4,200) / 2),
    # S2 Give Attention (a Good customer whose TTM fell to half), S3 Hibernating, S4
    # Promising; biz and acq have neither a Champion nor an at-risk customer.
    # solo: 1 of 4 at risk, 1 of 4 Champion; sales 3,600 / 21,000 = 0.171429 and
    # 13,200 / 21,000 = 0.628571.
    got = overview(
        growth,
        "at_risk_customer_share, at_risk_sales_share, champion_customer_share,"
        " champion_sales_share, at_risk_customer_share_percentile,"
        " champion_sales_share_percentile",
    )
    zero = D("0.000000")
    assert got == {
        # percent_rank = the share of the other businesses strictly worse. Less at risk
        # is better: solo is worst (0); acq and biz tie at 0, better than 1 of the 2
        # others: 0.5 each. More Champion sales is better: solo best (1), acq and biz
        # tie, worse than solo and better than none: 0.
        "acq": (zero, zero, zero, zero, D("0.500000"), zero),
        "biz": (zero, zero, zero, zero, D("0.500000"), zero),
        "solo": (
            D("0.250000"), D("0.171429"), D("0.250000"), D("0.628571"), zero,
            D("1.000000"),
        ),
    }  # fmt: skip
    sheet = query(
        growth,
        "select customer_id, segment from marts.customer_sheet"
        " where business_id = 'solo' order by 1",
    )
    assert sheet == [
        ("S1", "Champion"),
        ("S2", "Give Attention"),
        ("S3", "Hibernating"),
        ("S4", "Promising"),
    ]
    flagged = query(
        growth, "select segment_key from marts.segment_rules where is_at_risk order by 1"
    )
    assert flagged == [("dont_lose_them",), ("give_attention",)]


def test_portfolio_attention_reasons_in_words(growth: Path):
    got = overview(growth, "needs_attention, attention_reasons")
    assert got == {
        "acq": (
            True,
            "NRR 29.4% (below 100%: the customer base is shrinking);"
            " top customer 31.6% of TTM sales, top 10 100.0% (concentration risk high)",
        ),
        "biz": (
            True,
            "NRR 89.0% (below 100%: the customer base is shrinking);"
            " top customer 27.5% of TTM sales, top 10 100.0% (concentration risk high)",
        ),
        "solo": (
            True,
            "NRR 75.7% (below 100%: the customer base is shrinking);"
            " TTM sales down 5.4% on the previous TTM (21,000.00 USD against 22,200.00);"
            " top customer 62.9% of TTM sales, top 10 100.0% (concentration risk high)",
        ),
    }


def test_a_single_business_has_no_percentiles(alerts: Path):
    # One business: a rank among one is no benchmark.
    (row,) = query(
        alerts,
        "select ttm_net_sales, nrr_percentile, ttm_net_sales_percentile,"
        " top_customer_share_percentile from marts.portfolio_overview",
    )
    # 4 x 1,000 (L1) + 3 x 1,000 (L2) + 2 x 1,000 (L3), all in the TTM.
    assert row == (D("9000.00"), None, None, None)


def test_ttm_sales_drop_alerts_fire_once_when_the_fall_reaches_half(growth: Path):
    got = query(
        growth,
        """
        select business_id, customer_id, as_of_date, is_current, ttm_sales,
            ttm_sales_year_before, ttm_sales_change, alert_reason
        from marts.customer_alerts
        where is_sales_drop_alert and business_id in ('biz', 'solo')
        order by 1, 2, 3
        """,
    )
    assert got == [
        # A2 500 a month to 2025-02. At 2025-10-31: TTM Nov 2024 .. Feb 2025 = 2,000,
        # before Jan .. Oct 2024 = 5,000: -0.6 (at 2025-09-30: 2,500 / 4,500 - 1 = -0.44).
        (
            "biz", "A2", dt.date(2025, 10, 31), False, D("2000.00"), D("5000.00"),
            D("-0.600000"), "TTM sales 2,000.00 USD, down 60% on a year before",
        ),
        # S2 600 -> 300 from 2025-07: at 2026-06-30 3,600 / 7,200 - 1 = -0.5 exactly, the
        # bound (at 2026-05-31: 600 + 11 x 300 = 3,900 on 11 x 600 = 6,600: -0.41).
        (
            "solo", "S2", dt.date(2026, 6, 30), True, D("3600.00"), D("7200.00"),
            D("-0.500000"),
            "moved from Good to Give Attention; TTM sales 3,600.00 USD, down 50% on a year before",
        ),
        # S3 500 a month 2024-07 .. 12. At 2025-10-31: Nov, Dec 2024 = 1,000 on Jul .. Oct
        # 2024 = 2,000: -0.5 (at 2025-09-30: 1,500 on 1,500, 0). Listed once, not at the
        # month ends after, where it stays down.
        (
            "solo", "S3", dt.date(2025, 10, 31), False, D("1000.00"), D("2000.00"),
            D("-0.500000"), "TTM sales 1,000.00 USD, down 50% on a year before",
        ),
    ]  # fmt: skip


def test_segment_alerts_are_the_moves_into_at_risk_segments(growth: Path, alerts: Path):
    # Independent of the mart: consecutive month ends of segment_history, the customer
    # sheet for the as-of date against its previous_segment.
    moves = """
        with history as (
            select business_id, customer_id, month_end_date as as_of_date, segment
            from marts.segment_history
            union all
            select business_id, customer_id, as_of_date, segment from marts.customer_sheet
            where as_of_date not in (select month_end_date from marts.segment_history)
        ),
        paired as (
            select *, lag(segment) over (
                partition by business_id, customer_id order by as_of_date
            ) as before,
            lag(as_of_date) over (
                partition by business_id, customer_id order by as_of_date
            ) as before_date
            from history
        )
        select paired.business_id, paired.customer_id, paired.as_of_date,
            paired.before, paired.segment
        from paired
        join marts.segment_rules as now_rule on paired.segment = now_rule.segment
        join marts.segment_rules as before_rule on paired.before = before_rule.segment
        where now_rule.is_at_risk and not before_rule.is_at_risk
        order by 1, 2, 3
    """
    listed = """
        select business_id, customer_id, as_of_date, previous_segment, segment
        from marts.customer_alerts where is_segment_alert order by 1, 2, 3
    """
    for warehouse in (growth, alerts):
        assert query(warehouse, listed) == query(warehouse, moves)
    # The small dataset's one move, read off its output: L2 (one invoice by then)
    # Promising -> Give Attention at 2025-03-31.
    assert query(alerts, listed) == [
        ("pay", "L2", dt.date(2025, 3, 31), "Promising", "Give Attention")
    ]


def test_late_payment_alerts_compare_the_mean_days_beyond_terms(alerts: Path):
    got = query(
        alerts,
        """
        select customer_id, as_of_date, is_current, alert_kinds,
            previous_avg_days_beyond_terms, avg_days_beyond_terms, share_paid_late,
            ttm_sales, alert_reason
        from marts.customer_alerts where is_late_payment_alert order by 1, 2
        """,
    )
    assert got == [
        (
            "L1", dt.date(2025, 6, 30), True, "late_payment", D("0.0"), D("15.0"),
            D("0.250000"), D("4000.00"),
            "pays 15 days beyond terms on average, up from 0;"
            " TTM sales 4,000.00 USD, no sales the year before",
        ),
        (
            "L3", dt.date(2025, 6, 30), True, "late_payment", D("0.0"), D("7.0"),
            D("0.500000"), D("2000.00"),
            "pays 7 days beyond terms on average, up from 0;"
            " TTM sales 2,000.00 USD, no sales the year before",
        ),
    ]  # fmt: skip


def test_clv_only_on_the_as_of_dates_rows(growth: Path, alerts: Path):
    for warehouse in (growth, alerts):
        # Month-end rows have none; the as-of date's carry customer_clv's clv_12m.
        assert query(
            warehouse,
            "select count(*) from marts.customer_alerts"
            " where not is_current and clv_12m is not null",
        ) == [(0,)]
        assert query(
            warehouse,
            """
            select count(*) from marts.customer_alerts as alerts
            join marts.customer_clv as clv
                on alerts.business_id = clv.business_id
                and alerts.customer_id = clv.customer_id
            where alerts.is_current
                and alerts.clv_12m is distinct from clv.clv_12m
            """,
        ) == [(0,)]
    assert query(
        alerts, "select count(*) from marts.customer_alerts where is_current and clv_12m > 0"
    ) == [(2,)]
