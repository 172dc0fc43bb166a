"""The monthly and weekly pulse (issue 17) on a hand-made export where every figure is
worked out by hand below.

tests/data/pulse, business `pulse` (USD, terms 30 days), as of 2026-03-11 (a Wednesday, its
export_complete_to_date): March 2026 and the week of Monday 2026-03-09 are under way.

| doc | customer | date       | kind             | home     | due        | paid       | late |
|-----|----------|------------|------------------|----------|------------|------------|------|
| A1  | A        | 2024-01-10 | invoice          | 1,200.00 | 2024-02-09 | 2024-02-09 | 0    |
| B1  | B        | 2024-03-05 | sales receipt    | 500.00   |            |            |      |
| A2  | A        | 2025-01-10 | invoice          | 1,200.00 | 2025-02-09 | 2025-02-19 | 10   |
| C1  | C        | 2025-09-01 | invoice in EUR   | 1,100.00 | 2025-10-01 | 2025-10-11 | 10   |
| D1  | D        | 2025-11-03 | invoice          | 2,000.00 | 2025-12-03 | 2025-12-23 | 20   |
| CN  | D        | 2025-11-20 | credit note, D1  | -200.00  |            |            |      |
| E1  | E        | 2025-12-15 | invoice          | 1,000.00 | 2026-01-14 | 2026-02-13 | 30   |
| A3  | A        | 2026-01-12 | invoice          | 2,400.00 | 2026-02-11 | 2026-02-11 | 0    |
| D2  | D        | 2026-02-02 | invoice          | 600.00   | 2026-03-04 | 2026-03-09 | 5    |

C1 is EUR 1,000 at its rate 1.10; B1 is paid at the sale (no payment row).
Payments, each paying its invoice in full on the paid date: 1,200 (A1), 1,200 (A2), EUR
1,000 at the payment's rate 1.12 = 1,120.00 (C1), 1,800 (D1, which the credit note of 200
settles the rest of), 2,400 (A3), 1,000 (E1), 600 (D2). Days beyond terms are weighted by
the invoice total in home currency (C1: 1,100.00, D1: 2,000.00).

Totals: net sales 1,200 + 500 + 1,200 + 1,100 + 2,000 - 200 + 1,000 + 2,400 + 600 = 9,800.00;
cash collected 1,200 + 1,200 + 1,120 + 1,800 + 2,400 + 1,000 + 600 = 9,320.00.

Weeks run Monday to Sunday. The weeks that matter, with the 26 weeks before each:
- 2026-02-09 (P-A3, P-E1): the 26 weeks 2025-08-11 .. 2026-02-08 hold sales C1, D1, CN, E1,
  A3, D2 = 6,900 and payments P-C1 1,120 + P-D1 1,800 = 2,920.
- 2026-02-16 (nothing at all): 2025-08-18 .. 2026-02-15, sales 6,900, payments 1,120 +
  1,800 + 2,400 + 1,000 = 6,320.
- 2026-03-09 (P-D2, the as-of week): 2025-09-08 .. 2026-03-08: C1 (2025-09-01) has left,
  sales 6,900 - 1,100 = 5,800; payments still 6,320 (P-C1 was on 2025-10-11).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import query, shared_run

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "pulse"
D = Decimal
DATE = dt.date.fromisoformat

MONTH_COLUMNS = (
    "is_complete_month, net_sales_home, cash_collected_home, sales_less_cash_collected_home,"
    " collections_to_sales, ttm_net_sales_home, is_full_ttm, ttm_net_sales_1_month_before_home,"
    " ttm_change_vs_1_month_before_home, ttm_growth_vs_1_month_before,"
    " ttm_net_sales_12_months_before_home, ttm_change_vs_12_months_before_home,"
    " ttm_growth_vs_12_months_before, new_customers, lost_customers, active_customers,"
    " days_beyond_terms_paid"
)
WEEK_COLUMNS = (
    "week_end_date, is_complete_week, net_sales_home, net_sales_26_week_avg_home,"
    " net_sales_to_26_week_avg, cash_collected_home, cash_collected_26_week_avg_home,"
    " cash_collected_to_26_week_avg, days_beyond_terms_paid,"
    " days_beyond_terms_paid_26_week_avg, days_beyond_terms_paid_vs_26_week_avg"
)


def _names(columns: str) -> list[str]:
    return [name.strip() for name in columns.split(",")]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _, copy = shared_run(tmp_path_factory, DATA)
    return copy


@pytest.fixture(scope="module")
def months(warehouse: Path) -> dict[dt.date, dict]:
    found = query(
        warehouse,
        f"select month_start_date, {MONTH_COLUMNS} from marts.monthly_pulse"
        " where business_id = 'pulse' order by month_start_date",
    )
    return {row[0]: dict(zip(_names(MONTH_COLUMNS), row[1:], strict=True)) for row in found}


@pytest.fixture(scope="module")
def weeks(warehouse: Path) -> dict[dt.date, dict]:
    found = query(
        warehouse,
        f"select week_start_date, {WEEK_COLUMNS} from marts.weekly_pulse"
        " where business_id = 'pulse' order by week_start_date",
    )
    return {row[0]: dict(zip(_names(WEEK_COLUMNS), row[1:], strict=True)) for row in found}


def month(complete, net, cash, ratio, ttm, full, ttm_1, ttm_12, new, lost, active, days):
    """A month's expected row; the changes and growth rates are derived from the TTMs here
    only when the test states those TTMs (the growth rates themselves are given below)."""
    net, cash, ttm = D(net), D(cash), D(ttm)
    ttm_1 = None if ttm_1 is None else D(ttm_1)
    ttm_12 = None if ttm_12 is None else D(ttm_12)
    return {
        "is_complete_month": complete,
        "net_sales_home": net,
        "cash_collected_home": cash,
        "sales_less_cash_collected_home": net - cash,
        "collections_to_sales": None if ratio is None else D(ratio),
        "ttm_net_sales_home": ttm,
        "is_full_ttm": full,
        "ttm_net_sales_1_month_before_home": ttm_1,
        "ttm_change_vs_1_month_before_home": None if ttm_1 is None else ttm - ttm_1,
        "ttm_net_sales_12_months_before_home": ttm_12,
        "ttm_change_vs_12_months_before_home": None if ttm_12 is None else ttm - ttm_12,
        "new_customers": new,
        "lost_customers": lost,
        "active_customers": active,
        "days_beyond_terms_paid": None if days is None else D(days),
    }


EXPECTED_MONTHS = {
    # The first month: A's invoice; nothing paid; a TTM of one month (not full), no trend.
    DATE("2024-01-01"): month(True, 1200, 0, "0", 1200, False, None, None, 1, 0, 1, None),
    # No sales: the share is null; A1 paid on its due date: 0 days beyond terms.
    DATE("2024-02-01"): month(True, 0, 1200, None, 1200, False, None, None, 0, 0, 0, "0.0"),
    # B's sales receipt: a sale with no payment (paid at the sale, not in cash collected).
    DATE("2024-03-01"): month(True, 500, 0, "0", 1700, False, None, None, 1, 0, 1, None),
    # The 12th month: the TTM is full (Jan..Dec 2024 = 1,200 + 500), but the one before
    # is not, so no trend yet.
    DATE("2024-12-01"): month(True, 0, 0, None, 1700, True, None, None, 0, 0, 0, None),
    # The 13th: Feb 2024..Jan 2025 = 500 + 1,200 = 1,700 against Jan..Dec 2024 = 1,700.
    DATE("2025-01-01"): month(True, 1200, 0, "0", 1700, True, 1700, None, 0, 0, 1, None),
    # A2 paid 10 days late.
    DATE("2025-02-01"): month(True, 0, 1200, None, 1700, True, 1700, None, 0, 0, 0, "10.0"),
    # B is lost: its TTM was 500 at the end of February 2025 (Mar 2024..Feb 2025) and is 0
    # at the end of March (Apr 2024..Mar 2025). TTM 1,700 - 500 = 1,200.
    DATE("2025-03-01"): month(True, 0, 0, None, 1200, True, 1700, None, 0, 1, 0, None),
    # C's EUR invoice: 1,000 x 1.10 = 1,100.00; new customer C.
    DATE("2025-09-01"): month(True, 1100, 0, "0", 2300, True, 1200, None, 1, 0, 1, None),
    # C's EUR payment at its own rate: 1,000 x 1.12 = 1,120.00; 10 days late.
    DATE("2025-10-01"): month(True, 0, 1120, None, 2300, True, 2300, None, 0, 0, 0, "10.0"),
    # D1 2,000 less the credit note 200 = 1,800; new customer D, active (1,800 > 0).
    # TTM Dec 2024..Nov 2025 = 1,200 + 1,100 + 1,800 = 4,100.
    DATE("2025-11-01"): month(True, 1800, 0, "0", 4100, True, 2300, None, 1, 0, 1, None),
    # E1 1,000; D pays 1,800 (D1 settled with the credit note, 20 days late).
    # 1,800 / 1,000 = 1.8. The 24th month, the first whose TTM a year before (Jan..Dec
    # 2024 = 1,700, the 12th month) is full: TTM Jan..Dec 2025 = 5,100.
    DATE("2025-12-01"): month(True, 1000, 1800, "1.8", 5100, True, 4100, 1700, 1, 0, 1, "20.0"),
    # A3 2,400; TTM Feb 2025..Jan 2026 = 1,100 + 1,800 + 1,000 + 2,400 = 6,300
    # (A2 of Jan 2025 has left). A is not lost: its TTM never reached zero.
    DATE("2026-01-01"): month(True, 2400, 0, "0", 6300, True, 5100, 1700, 0, 0, 1, None),
    # D2 600; cash 2,400 (A3) + 1,000 (E1) = 3,400; 3,400 / 600 = 5.666666.. -> 5.666667.
    # TTM Mar 2025..Feb 2026 = 6,300 + 600 = 6,900; a year before (Mar 2024..Feb 2025)
    # 500 + 1,200 = 1,700. Days beyond terms (0 x 2,400 + 30 x 1,000) / 3,400 = 8.82 -> 8.8.
    DATE("2026-02-01"): month(True, 600, 3400, "5.666667", 6900, True, 6300, 1700, 0, 0, 1, "8.8"),
    # The as-of month: to 2026-03-11 only; lost is null while incomplete. D2 paid 5 days
    # late. TTM Apr 2025..Mar 2026 = 6,900; a year before (Apr 2024..Mar 2025) 1,200.
    DATE("2026-03-01"): month(False, 0, 600, None, 6900, True, 6900, 1200, 0, None, 0, "5.0"),
}

# ttm_growth_vs_1_month_before / ttm_growth_vs_12_months_before, ratio - 1:
EXPECTED_GROWTH = {
    DATE("2024-12-01"): (None, None),
    DATE("2025-01-01"): (D("0"), None),  # 1,700 / 1,700 - 1
    DATE("2025-03-01"): (D("-0.294118"), None),  # 1,200 / 1,700 - 1 = -0.2941176..
    DATE("2025-11-01"): (D("0.782609"), None),  # 4,100 / 2,300 - 1; the 23rd month
    DATE("2025-12-01"): (D("0.243902"), D("2")),  # 5,100 / 4,100 - 1; 5,100 / 1,700 - 1
    DATE("2026-01-01"): (D("0.235294"), D("2.705882")),  # 6,300 / 5,100; 6,300 / 1,700
    DATE("2026-02-01"): (D("0.095238"), D("3.058824")),  # 6,900 / 6,300; 6,900 / 1,700
    DATE("2026-03-01"): (D("0"), D("4.75")),  # 6,900 / 6,900; 6,900 / 1,200 = 5.75 -> 4.75
}


@pytest.mark.parametrize("start", list(EXPECTED_MONTHS), ids=str)
def test_months_by_hand(months, start):
    expected = EXPECTED_MONTHS[start]
    assert {name: months[start][name] for name in expected} == expected


@pytest.mark.parametrize("start", list(EXPECTED_GROWTH), ids=str)
def test_ttm_growth_by_hand(months, start):
    row = months[start]
    growth = (row["ttm_growth_vs_1_month_before"], row["ttm_growth_vs_12_months_before"])
    assert growth == EXPECTED_GROWTH[start]


def test_months_run_from_the_first_activity_to_the_as_of_month(months):
    # January 2024 .. March 2026: 12 + 12 + 3 = 27 months, quiet ones included.
    assert list(months) == [
        DATE(f"{year}-{number:02d}-01")
        for year in (2024, 2025, 2026)
        for number in range(1, 13)
        if (year, number) <= (2026, 3)
    ]
    # New: A (2024-01), B (2024-03), C (2025-09), D (2025-11), E (2025-12); lost: B only.
    assert {
        start: row["new_customers"] for start, row in months.items() if row["new_customers"]
    } == {
        DATE("2024-01-01"): 1,
        DATE("2024-03-01"): 1,
        DATE("2025-09-01"): 1,
        DATE("2025-11-01"): 1,
        DATE("2025-12-01"): 1,
    }
    assert {start for start, row in months.items() if row["lost_customers"]} == {DATE("2025-03-01")}


def week(end, complete, net, net_avg, net_ratio, cash, cash_avg, cash_ratio, days, days_avg):
    days, days_avg = (None if x is None else D(x) for x in (days, days_avg))
    return {
        "week_end_date": DATE(end),
        "is_complete_week": complete,
        "net_sales_home": D(net),
        "net_sales_26_week_avg_home": None if net_avg is None else D(net_avg),
        "net_sales_to_26_week_avg": None if net_ratio is None else D(net_ratio),
        "cash_collected_home": D(cash),
        "cash_collected_26_week_avg_home": None if cash_avg is None else D(cash_avg),
        "cash_collected_to_26_week_avg": None if cash_ratio is None else D(cash_ratio),
        "days_beyond_terms_paid": days,
        "days_beyond_terms_paid_26_week_avg": days_avg,
    }


EXPECTED_WEEKS = {
    # The first week (A1); nothing before it: no averages.
    DATE("2024-01-08"): week("2024-01-14", True, 1200, None, None, 0, None, None, None, None),
    # The 26th week: only 25 weeks before it, still no average.
    DATE("2024-07-01"): week("2024-07-07", True, 0, None, None, 0, None, None, None, None),
    # The 27th: weeks 1..26 hold sales 1,200 + 500 = 1,700 (1,700 / 26 = 65.38) and cash
    # 1,200 (46.15); paid: A1 only, 0 days.
    DATE("2024-07-08"): week("2024-07-14", True, 0, "65.38", "0", 0, "46.15", "0", None, "0.0"),
    # P-A3 + P-E1 = 3,400 against 2,920 / 26 = 112.31: 3,400 x 26 / 2,920 = 30.2739.. ->
    # 30.273973; sales 6,900 / 26 = 265.38. Days (0 x 2,400 + 30 x 1,000) / 3,400 = 8.8;
    # before: C1 and D1, (10 x 1,100 + 20 x 2,000) / 3,100 = 16.45 -> 16.5.
    DATE("2026-02-09"): week(
        "2026-02-15", True, 0, "265.38", "0", 3400, "112.31", "30.273973", "8.8", "16.5"
    ),
    # A week with no activity: zero against 6,900 / 26 = 265.38 and 6,320 / 26 = 243.08.
    # Nothing paid: no days; before: C1, D1, A3, E1, (11,000 + 40,000 + 0 + 30,000) /
    # (1,100 + 2,000 + 2,400 + 1,000) = 81,000 / 6,500 = 12.46 -> 12.5.
    DATE("2026-02-16"): week("2026-02-22", True, 0, "265.38", "0", 0, "243.08", "0", None, "12.5"),
    # The as-of week (to Wednesday 2026-03-11): P-D2 600 against 6,320 / 26 = 243.08:
    # 600 x 26 / 6,320 = 2.468354..; sales 5,800 / 26 = 223.08. D2 5 days late against
    # the same 12.46.
    DATE("2026-03-09"): week(
        "2026-03-15", False, 0, "223.08", "0", 600, "243.08", "2.468354", "5.0", "12.5"
    ),
}

# days_beyond_terms_paid_vs_26_week_avg, from the unrounded averages:
EXPECTED_DAYS_VS = {
    DATE("2024-07-08"): None,  # nothing paid that week
    DATE("2026-02-09"): D("-7.6"),  # 8.8235 - 16.4516 = -7.628
    DATE("2026-02-16"): None,
    DATE("2026-03-09"): D("-7.5"),  # 5 - 12.4615 = -7.4615
}


@pytest.mark.parametrize("start", list(EXPECTED_WEEKS), ids=str)
def test_weeks_by_hand(weeks, start):
    expected = EXPECTED_WEEKS[start]
    assert {name: weeks[start][name] for name in expected} == expected


@pytest.mark.parametrize("start", list(EXPECTED_DAYS_VS), ids=str)
def test_days_beyond_terms_against_the_26_week_average(weeks, start):
    assert weeks[start]["days_beyond_terms_paid_vs_26_week_avg"] == EXPECTED_DAYS_VS[start]


def test_weeks_are_monday_to_sunday_from_the_first_activity_to_the_as_of_week(weeks):
    starts = list(weeks)
    # Monday 2024-01-08 (A1's week) .. Monday 2026-03-09 (the as-of week), every week.
    assert starts[0] == DATE("2024-01-08")
    assert starts[-1] == DATE("2026-03-09")
    assert len(starts) == (DATE("2026-03-09") - DATE("2024-01-08")).days // 7 + 1
    assert all(start.weekday() == 0 for start in starts)
    assert [start for start, row in weeks.items() if not row["is_complete_week"]] == [
        DATE("2026-03-09")
    ]


def test_months_and_weeks_add_up_to_the_documents(months, weeks):
    # The totals worked out in the module docstring.
    for periods in (months, weeks):
        assert sum(row["net_sales_home"] for row in periods.values()) == D("9800.00")
        assert sum(row["cash_collected_home"] for row in periods.values()) == D("9320.00")


def test_dso_is_dso_history_at_the_month_end(warehouse):
    # A join check, not a computation: the month's count-back DSO is dso_history's on the
    # month's last day (on the as-of date for March 2026), and null for the two months
    # before dso_history's 24 month ends (2024-03-31 .. 2026-02-28).
    found = query(
        warehouse,
        "select pulse.month_start_date, pulse.count_back_dso, history.count_back_dso"
        " from marts.monthly_pulse as pulse left join marts.dso_history as history"
        " on pulse.business_id = history.business_id"
        " and history.as_of_date = least(pulse.month_end_date, pulse.as_of_date)"
        " where pulse.business_id = 'pulse' order by 1",
    )
    assert [row[0] for row in found if row[2] is None] == [
        DATE("2024-01-01"),
        DATE("2024-02-01"),
    ]
    assert all(row[1] == row[2] for row in found)
    assert len(found) == 27
