"""The sales-rep scorecard (issue 16) on a hand-made export, every figure worked out by hand.

tests/data/growth (businesses biz and solo; the business acq is
tests/test_acquisition_scorecard.py's), as of 2026-06-30, their export_complete_to_date (a
month end: the complete months run to 2026-06).
Every sale is a sales receipt on the 1st of a month (paid at sale: no financing cost) with a
unit cost of 60% of its price, so contribution = 40% of net sales - cost to serve.

Business `biz` (its data starts 2024-01-01, the first sale):
- rep ann: A1 1,000.00 a month 2024-01 .. 2025-06, then 1,500.00 a month to 2026-06 (expands;
  support 100.00 on 2025-11-10); A2 500.00 a month 2024-01 .. 2025-02 (lost); A3 won late:
  acquisition 500.00 on 2026-02-20 (not in contribution), 2,000.00 a month 2026-03 .. 06.
- rep bob: B1 2,000.00 a month 2024-01 .. 2025-06, then 1,200.00 to 2026-06 (contracts;
  delivery 250.00 on 2026-05-05); B2 3,000.00 each Jan, Apr, Jul and Oct 2024-01 .. 2026-04.
- rep cy: C1 900.00 on 2026-05-01 and 2026-06-01 (a book with nothing to retain yet).
- no rep (blank): U1 6,000.00 on 2024-06-01 and 2025-06-01, 7,200.00 on 2026-03-01; U2
  400.00 a month 2025-09 .. 2026-06 (support 80.00 on 2026-01-10).
Business `solo` (one rep, sam; data starts 2024-07-01): S1 1,000.00 a month 2024-07 .. 2025-06,
then 1,100.00; S2 600.00 then 300.00 from 2025-07; S3 500.00 a month 2024-07 .. 2024-12; S4
700.00 a month 2026-01 .. 2026-06.

TTM = the 12 months ending with the month; "before" = the 12 months before those.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import query, shared_run

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "growth"
AS_OF = "2026-06-30"
D = Decimal

NOV25 = dt.date(2025, 11, 30)
DEC25 = dt.date(2025, 12, 31)
MAY26 = dt.date(2026, 5, 31)
JUN26 = dt.date(2026, 6, 30)

COLUMNS = [
    "active_customers",
    "won_customers",
    "lost_customers",
    "retained_customers",
    "expanded_customers",
    "repeat_purchases",
    "ttm_net_sales",
    "average_monthly_net_sales",
    "ttm_contribution",
    "starting_revenue",
    "repeat_purchase_frequency",
    "upsell_rate",
    "nrr",
    "grr",
    "quarter_net_sales",
    "quarter_net_sales_year_before",
    "quarter_sales_change",
    "is_quarter_at_odds_with_nrr",
]


def row(*values) -> dict:
    assert len(values) == len(COLUMNS)
    return dict(zip(COLUMNS, values, strict=True))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # No as-of var: each business is as of its own export_complete_to_date (AS_OF here),
    # so that one run serves the acquisition test's business, as of another date.
    _, copy = shared_run(tmp_path_factory, DATA)
    return copy


@pytest.fixture(scope="module")
def scorecard(warehouse: Path) -> dict[tuple[str, str, dt.date], dict]:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(
            "select * from marts.sales_rep_scorecard where business_id in ('biz', 'solo')"
        )
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    by_key = {(r["business_id"], r["sales_rep"], r["month_end_date"]): r for r in rows}
    assert len(by_key) == len(rows), "one row per business, rep and month"
    return by_key


def picked(scorecard: dict, business: str, rep: str, month: dt.date) -> dict:
    return {column: scorecard[business, rep, month][column] for column in COLUMNS}


def test_one_row_per_rep_and_complete_month_with_an_unknown_rep(scorecard):
    months: dict[tuple[str, str], set[dt.date]] = {}
    for business, rep, month in scorecard:
        months.setdefault((business, rep), set()).add(month)
    # Blank reps (U1, U2) are `unknown`; no other rep appears. Each book runs from the month
    # of its customers' first fact to 2026-06 (complete: the as-of date is its last day):
    # ann and bob from 2024-01 (30 months), unknown from U1's 2024-06 (25), cy from C1's
    # 2026-05 (2), sam from 2024-07 (24).
    assert {key: (min(value), max(value), len(value)) for key, value in months.items()} == {
        ("biz", "ann"): (dt.date(2024, 1, 31), JUN26, 30),
        ("biz", "bob"): (dt.date(2024, 1, 31), JUN26, 30),
        ("biz", "unknown"): (dt.date(2024, 6, 30), JUN26, 25),
        ("biz", "cy"): (MAY26, JUN26, 2),
        ("solo", "sam"): (dt.date(2024, 7, 31), JUN26, 24),
    }


def test_ann_book(scorecard):
    # 2025-12: TTM 2025-01..12, before 2024-01..12.
    #   A1: TTM 6 x 1,000 + 6 x 1,500 = 15,000 > before 12 x 1,000 = 12,000: expansion +3,000.
    #   A2: TTM Jan + Feb 2025 = 1,000 < before 12 x 500 = 6,000: contraction 5,000.
    #   active 2, retained 2, expanded 1 (upsell 1 / 2 = 0.5), won 0, lost 0.
    #   repeat purchases 12 (A1) + 2 (A2), no first purchase in the TTM: 14 / 2 = 7.0.
    #   TTM 16,000.00 / 12 = 1,333.33; contribution 16,000 x 0.4 - 100 support = 6,300.00.
    #   starting 12,000 + 6,000 = 18,000: NRR (18,000 + 3,000 - 5,000) / 18,000 = 0.888889,
    #   GRR (18,000 - 5,000) / 18,000 = 0.722222.
    #   quarter 2025-10..12: A1 3 x 1,500 = 4,500; a year before A1 3,000 + A2 1,500 = 4,500.
    assert picked(scorecard, "biz", "ann", DEC25) == row(
        2, 0, 0, 2, 1, 14,
        D("16000.00"), D("1333.33"), D("6300.00"), D("18000.00"),
        D("7.000000"), D("0.500000"), D("0.888889"), D("0.722222"),
        D("4500.00"), D("4500.00"), D("0.00"), False,
    )  # fmt: skip
    # 2026-06: TTM 2025-07..2026-06, before 2024-07..2025-06.
    #   A1: 12 x 1,500 = 18,000 against 12 x 1,000 = 12,000: expansion +6,000.
    #   A2: nothing against 2024-07..2025-02 = 8 x 500 = 4,000: lost (churn 4,000).
    #   A3: first purchase 2026-03 (won): 4 x 2,000 = 8,000, 4 purchases of which 1 is its first.
    #   active 2 (A1, A3), retained 1 (A1), expanded 1: upsell 1.0.
    #   repeat purchases 12 + (4 - 1) = 15; 15 / 2 = 7.5.
    #   TTM 18,000 + 8,000 = 26,000.00 / 12 = 2,166.67; contribution 26,000 x 0.4 - 100
    #   (A1's support of 2025-11) = 10,300.00 (A3's acquisition 500 is not in it).
    #   starting 12,000 + 4,000 = 16,000: NRR (16,000 + 6,000 - 4,000) / 16,000 = 1.125,
    #   GRR (16,000 - 4,000) / 16,000 = 0.75.
    #   quarter 2026-04..06: A1 4,500 + A3 6,000 = 10,500; a year before A1 3,000 (+7,500):
    #   up, and NRR above 1: the views agree.
    assert picked(scorecard, "biz", "ann", JUN26) == row(
        2, 1, 1, 1, 1, 15,
        D("26000.00"), D("2166.67"), D("10300.00"), D("16000.00"),
        D("7.500000"), D("1.000000"), D("1.125000"), D("0.750000"),
        D("10500.00"), D("3000.00"), D("7500.00"), False,
    )  # fmt: skip


def test_bob_book(scorecard):
    # 2025-12: B1 6 x 2,000 + 6 x 1,200 = 19,200 against 24,000: contraction 4,800.
    #   B2 Jan, Apr, Jul, Oct 2025 = 12,000 against 12,000 in 2024: unchanged.
    #   retained 2, expanded 0: upsell 0 / 2 = 0 (a real zero, not null).
    #   repeat purchases 12 + 4 = 16; 16 / 2 = 8.0.
    #   TTM 31,200.00 / 12 = 2,600.00; contribution 31,200 x 0.4 = 12,480.00.
    #   starting 36,000: NRR = GRR = (36,000 - 4,800) / 36,000 = 0.866667.
    #   quarter 2025-10..12: B1 3 x 1,200 + B2 3,000 = 6,600; a year before 6,000 + 3,000
    #   = 9,000 (-2,400): down, and NRR below 1: the views agree.
    assert picked(scorecard, "biz", "bob", DEC25) == row(
        2, 0, 0, 2, 0, 16,
        D("31200.00"), D("2600.00"), D("12480.00"), D("36000.00"),
        D("8.000000"), D("0.000000"), D("0.866667"), D("0.866667"),
        D("6600.00"), D("9000.00"), D("-2400.00"), False,
    )  # fmt: skip
    # 2026-06: B1 12 x 1,200 = 14,400 against 12 x 2,000 = 24,000: contraction 9,600.
    #   B2 12,000 against 12,000. TTM 26,400.00 / 12 = 2,200.00; contribution 26,400 x 0.4
    #   - 250 delivery = 10,310.00. NRR = GRR = (36,000 - 9,600) / 36,000 = 0.733333.
    #   quarter 2026-04..06: 3,600 + 3,000 (April) = 6,600; a year before 6,000 + 3,000.
    assert picked(scorecard, "biz", "bob", JUN26) == row(
        2, 0, 0, 2, 0, 16,
        D("26400.00"), D("2200.00"), D("10310.00"), D("36000.00"),
        D("8.000000"), D("0.000000"), D("0.733333"), D("0.733333"),
        D("6600.00"), D("9000.00"), D("-2400.00"), False,
    )  # fmt: skip


def test_customers_without_a_rep_are_the_unknown_book(scorecard):
    # 2025-12: U1 6,000 (2025-06) against 6,000 (2024-06): unchanged, retained, not expanded.
    #   U2 won 2025-09: 4 x 400 = 1,600, 4 purchases of which 1 is its first.
    #   repeat purchases 1 (U1's 2025-06; its first was 2024-06) + 3 = 4; 4 / 2 = 2.0.
    #   TTM 7,600.00 / 12 = 633.33; contribution 7,600 x 0.4 = 3,040.00.
    #   NRR = GRR = 6,000 / 6,000 = 1. quarter 2025-10..12 U2 1,200 against 0: up, NRR not
    #   below 1: agree.
    assert picked(scorecard, "biz", "unknown", DEC25) == row(
        2, 1, 0, 1, 0, 4,
        D("7600.00"), D("633.33"), D("3040.00"), D("6000.00"),
        D("2.000000"), D("0.000000"), D("1.000000"), D("1.000000"),
        D("1200.00"), D("0.00"), D("1200.00"), False,
    )  # fmt: skip
    # 2026-06: U1 7,200 (2026-03) against 6,000 (2025-06): expansion +1,200. U2 10 x 400 =
    #   4,000, won 2025-09 (in the TTM). repeat 1 + (10 - 1) = 10; 10 / 2 = 5.0.
    #   TTM 11,200.00 / 12 = 933.33; contribution 11,200 x 0.4 - 80 support = 4,400.00.
    #   NRR 7,200 / 6,000 = 1.2, GRR 1. quarter 2026-04..06: U2 1,200 against U1's 6,000 of
    #   2025-06 (-4,800): the quarter is down while the book grows: at odds.
    assert picked(scorecard, "biz", "unknown", JUN26) == row(
        2, 1, 0, 1, 1, 10,
        D("11200.00"), D("933.33"), D("4400.00"), D("6000.00"),
        D("5.000000"), D("1.000000"), D("1.200000"), D("1.000000"),
        D("1200.00"), D("6000.00"), D("-4800.00"), True,
    )  # fmt: skip


def test_ratios_with_no_base_are_null(scorecard):
    # cy's book is C1 alone, won 2026-05: nobody bought in the 12 months before, so there
    # is nothing to retain (starting 0: NRR, GRR null) and nobody retained (upsell null),
    # and the quarter has no NRR to disagree with. 2026-05: one purchase, its first: a
    # repeat frequency of 0 / 1 = 0 (measured, not null). 2026-06: (2 - 1) / 1 = 1.
    # TTM 900.00 and 1,800.00 (/ 12 = 75.00, 150.00), contribution 40%: 360.00, 720.00.
    assert picked(scorecard, "biz", "cy", MAY26) == row(
        1, 1, 0, 0, 0, 0,
        D("900.00"), D("75.00"), D("360.00"), D("0.00"),
        D("0.000000"), None, None, None,
        D("900.00"), D("0.00"), D("900.00"), None,
    )  # fmt: skip
    assert picked(scorecard, "biz", "cy", JUN26) == row(
        1, 1, 0, 0, 0, 1,
        D("1800.00"), D("150.00"), D("720.00"), D("0.00"),
        D("1.000000"), None, None, None,
        D("1800.00"), D("0.00"), D("1800.00"), None,
    )  # fmt: skip


def test_ratios_wait_until_the_data_covers_the_24_months_they_compare(scorecard):
    # biz's data starts 2024-01-01. At 2025-11 the 12 months before the TTM are 2023-12 ..
    # 2024-11, a month before the data: NRR, GRR and the upsell rate are null (as
    # revenue_retention's), so is the flag; at 2025-12 they are measured (tests above). The
    # TTM 2024-12 .. 2025-11 is covered: ann's repeat frequency is (12 + 3) / 2 = 7.5 (A2
    # bought 2024-12, 2025-01, 2025-02).
    for rep in ("ann", "bob", "unknown"):
        got = scorecard["biz", rep, NOV25]
        assert (got["nrr"], got["grr"], got["upsell_rate"]) == (None, None, None), rep
        assert got["is_quarter_at_odds_with_nrr"] is None, rep
    assert scorecard["biz", "ann", NOV25]["repeat_purchase_frequency"] == D("7.500000")


def test_one_rep_nrr_and_grr_equal_revenue_retention(warehouse, scorecard):
    # solo has one rep, and 2026-06-30 is a month end, so sam's book at 2026-06 is the whole
    # business over revenue_retention's ttm windows (2025-07-01 .. 2026-06-30 and 2024-07-01
    # .. 2025-06-30: 365 days each, no 29 February).
    #   S1 13,200 against 12,000: +1,200; S2 3,600 against 7,200: -3,600; S3 0 against
    #   3,000: churn; S4 new (4,200). starting 22,200:
    #   NRR (22,200 + 1,200 - 3,600 - 3,000) / 22,200 = 16,800 / 22,200 = 0.756757;
    #   GRR (22,200 - 3,600 - 3,000) / 22,200 = 15,600 / 22,200 = 0.702703.
    retention = query(
        warehouse,
        "select nrr, grr from marts.revenue_retention where business_id = 'solo'"
        " and period_grain = 'ttm' and period_end_date = ?",
        [JUN26],
    )
    assert retention == [(D("0.756757"), D("0.702703"))]
    got = scorecard["solo", "sam", JUN26]
    assert (got["nrr"], got["grr"]) == retention[0]
    # The rest of the row: active 3 (S1, S2, S4), won 1 (S4), lost 1 (S3), retained 2,
    # expanded 1 (upsell 0.5); repeat 12 + 12 + (6 - 1) = 29, / 3 = 9.666667; TTM 21,000.00
    # / 12 = 1,750.00, contribution 40% = 8,400.00; quarter 2026-04..06 3,300 + 900 + 2,100
    # = 6,300 against 3,000 + 1,800 = 4,800 (+1,500) while NRR is below 1: at odds.
    assert picked(scorecard, "solo", "sam", JUN26) == row(
        3, 1, 1, 2, 1, 29,
        D("21000.00"), D("1750.00"), D("8400.00"), D("22200.00"),
        D("9.666667"), D("0.500000"), D("0.756757"), D("0.702703"),
        D("6300.00"), D("4800.00"), D("1500.00"), True,
    )  # fmt: skip
