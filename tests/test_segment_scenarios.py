"""Segment scenarios (issue 16) on the hand-made export of tests/test_statements.py.

tests/data/statements, one business `biz` (USD), as of 2025-06-30, a month end: the
segment scenarios scale the segments of the 2025-06-30 balance sheet. Its docstring and
figures tell the story; the ones used here, from that file (its hand-worked tables):

- Segments on 2025-06-30: Good = STEADY, Hibernating = SLEEPER, Promising = NEWCO,
  No purchase = PROSPECT; nobody is a Champion or Don't Lose Them.
- TTM = the twelve statement months 2024-07-31 .. 2025-06-30 (2024-06-30 is twelve
  month ends before and outside):
  - STEADY: net sales SR-S3 (2024-09-15) 3,000.00 + January 2,550.00 - March 200.00 +
    May 3,000.00 = 8,350.00 (SR-S2 of 2024-05-15 is before the window); contribution
    1,200.00 + 498.40 - 308.40 - 200.00 - 25.00 + 1,200.00 - 100.00 = 2,265.00 (= its
    all-time 5,865.00 less SR-S0, SR-S1 and SR-S2's 3 x 1,200.00).
  - SLEEPER: no sale since 2024-03-31: 0.00; contribution the February rework -200.00.
  - NEWCO: 9,125.00; contribution 440.00 - 95.00 - 31.00 - 30.00 = 284.00.
  - PROSPECT: nothing. The business: 8,350.00 + 9,125.00 = 17,475.00.
- Customer equity on 2025-06-30: each customer's balance sheet as test_statements works it
  out, whose one model input is expected_sales_36m (intermediate.customer_value_history);
  PROSPECT 0.00 - 300.00 unearned acquisition = -300.00.

The shipped seed's segment rows (champions_plus_10, dont_lose_them_minus_50,
hibernating_lost) are read from the shared run; three rows of our own, for the segments
this business has, are added to a copy of its warehouse and the mart rebuilt by dbt.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.conftest import query, run_dbt, shared_run
from tests.test_statements import (
    AS_OF,
    CREDIT,
    DATA,
    MARGIN_SHARE,
    RECEIVABLE,
    SERVE_SHARE,
    UNEARNED,
    money,
    q6,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
D = Decimal
Z = D("0.00")
JUN = dt.date(2025, 6, 30)
MEMBERS = {"Good": "STEADY", "Hibernating": "SLEEPER", "Promising": "NEWCO"}
# TTM net sales and contribution, 2024-07-31 .. 2025-06-30 (the docstring's arithmetic)
TTM = {
    "STEADY": (D("8350.00"), D("2265.00")),
    "SLEEPER": (Z, D("-200.00")),
    "NEWCO": (D("9125.00"), D("284.00")),
    "PROSPECT": (Z, Z),
}
BUSINESS_TTM_NET_SALES = D("17475.00")  # 8,350.00 + 0 + 9,125.00 + 0
assert sum((sales for sales, _ in TTM.values()), start=Z) == BUSINESS_TTM_NET_SALES

COLUMNS = [
    "segment",
    "month_end_date",
    "segment_change",
    "customers",
    "ttm_net_sales",
    "ttm_contribution",
    "customer_value",
    "customer_equity",
    "ttm_net_sales_per_customer",
    "ttm_contribution_per_customer",
    "customer_equity_per_customer",
    "customers_change",
    "ttm_net_sales_change",
    "ttm_contribution_change",
    "customer_equity_change",
    "business_ttm_net_sales",
    "business_ttm_net_sales_after",
    "ttm_net_sales_change_share",
    "business_customer_equity",
    "business_customer_equity_after",
    "customer_equity_change_share",
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The session's one run of tests/data/statements, shared with tests/test_statements.py.
    _, target = shared_run(tmp_path_factory, DATA, as_of_date=AS_OF)
    return target


@pytest.fixture(scope="module")
def june_sheet(warehouse: Path) -> dict[str, tuple[Decimal, Decimal]]:
    """(customer value, customer equity) of each customer on 2025-06-30, by hand as in
    tests/test_statements.py: value = expected sales x (margin share + cost-to-serve
    share), equity = receivable + value - credit - expected cost to serve - unearned
    acquisition investment. The one model input: expected_sales_36m."""
    sales = {
        customer: money(D(str(amount)))
        for customer, amount in query(
            warehouse,
            "select customer_id, expected_sales_36m from intermediate.customer_value_history"
            " where business_id = 'biz' and month_end_date = ?",
            [JUN],
        )
    }
    out = {}
    for customer in ("STEADY", "SLEEPER", "NEWCO", "PROSPECT"):
        expected = sales.get(customer, Z)
        margin, serve_share = MARGIN_SHARE.get(customer, Z), SERVE_SHARE.get(customer, Z)
        value = money(expected * (margin + serve_share))
        serve = money(expected * serve_share)
        key = (customer, JUN)
        equity = RECEIVABLE.get(key, Z) + value - CREDIT.get(key, Z) - serve - UNEARNED.get(key, Z)
        out[customer] = (value, equity)
    # NEWCO: receivable 4,562.50 and 716.00 not yet earned back; STEADY: credit 315.00;
    # PROSPECT: no purchase, no value: 0.00 - 300.00
    assert out["PROSPECT"] == (Z, D("-300.00"))
    return out


def expected_row(june_sheet: dict[str, tuple[Decimal, Decimal]], segment: str, change: str) -> dict:
    """A scenario's row worked out from the hand-worked figures: the segment's one member
    (or nobody), every amount x the change rounded to the cent half away from zero, the
    business plus the change."""
    rate = max(D(change), D("-1"))  # a segment cannot lose more than all its customers
    member = MEMBERS.get(segment)
    sales, contribution = TTM[member] if member else (Z, Z)
    value, equity = june_sheet[member] if member else (Z, Z)
    customers = 1 if member else 0
    business_equity = sum((e for _, e in june_sheet.values()), start=Z)
    equity_change = money(equity * rate)
    sales_change = money(sales * rate)
    return {
        "segment": segment,
        "month_end_date": JUN,
        "segment_change": q6(rate),
        "customers": customers,
        "ttm_net_sales": sales,
        "ttm_contribution": contribution,
        "customer_value": value,
        "customer_equity": equity,
        # one customer: the average is the segment's own figure
        "ttm_net_sales_per_customer": sales if member else None,
        "ttm_contribution_per_customer": contribution if member else None,
        "customer_equity_per_customer": equity if member else None,
        "customers_change": money(customers * rate),
        "ttm_net_sales_change": sales_change,
        "ttm_contribution_change": money(contribution * rate),
        "customer_equity_change": equity_change,
        "business_ttm_net_sales": BUSINESS_TTM_NET_SALES,
        "business_ttm_net_sales_after": BUSINESS_TTM_NET_SALES + sales_change,
        "ttm_net_sales_change_share": q6(sales_change / BUSINESS_TTM_NET_SALES),
        "business_customer_equity": business_equity,
        "business_customer_equity_after": business_equity + equity_change,
        "customer_equity_change_share": (
            q6(equity_change / business_equity) if business_equity > 0 else None
        ),
    }


def read_scenarios(warehouse: Path) -> dict[str, dict]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(
            f"select scenario_name, {', '.join(COLUMNS)} from marts.segment_scenarios"
            " where business_id = 'biz'"
        )
        rows = cursor.fetchall()
    out = {row[0]: dict(zip(COLUMNS, row[1:], strict=True)) for row in rows}
    assert len(out) == len(rows), "one row per business and scenario"
    return out


def test_the_shipped_segment_scenarios_by_hand(warehouse, june_sheet):
    seed = list(csv.DictReader((ROOT / "seeds" / "scenarios.csv").open()))
    shipped = {row["scenario_name"]: row for row in seed if row["segment_key"]}
    assert {name: (row["segment_key"], row["segment_change"]) for name, row in shipped.items()} == {
        "champions_plus_10": ("champion", "0.10"),
        "dont_lose_them_minus_50": ("dont_lose_them", "-0.50"),
        "hibernating_lost": ("hibernating", "-1.00"),
    }
    got = read_scenarios(warehouse)
    assert set(got) == set(shipped)
    # Nobody is a Champion or Don't Lose Them on 2025-06-30: the rows are there, every
    # amount of the segment 0.00, no average, the business as it is.
    assert got["champions_plus_10"] == expected_row(june_sheet, "Champion", "0.10")
    assert got["dont_lose_them_minus_50"] == expected_row(june_sheet, "Don't Lose Them", "-0.50")
    assert got["champions_plus_10"]["business_ttm_net_sales_after"] == D("17475.00")
    # hibernating_lost: SLEEPER goes: -1.00 customer, no sales lost (none since
    # 2024-03-31), its -200.00 rework cost no longer borne: contribution +200.00; its
    # whole equity leaves the business's.
    row = got["hibernating_lost"]
    assert row == expected_row(june_sheet, "Hibernating", "-1.00")
    assert (row["customers_change"], row["ttm_net_sales_change"]) == (D("-1.00"), Z)
    assert row["ttm_contribution_change"] == D("200.00")
    assert row["customer_equity_change"] == -june_sheet["SLEEPER"][1]
    assert row["business_ttm_net_sales_after"] == D("17475.00")


def test_the_business_totals_tie_to_the_statements(warehouse, june_sheet):
    # An independent query: the business's TTM net sales straight from the monthly
    # segment income statement, and its equity from the balance sheet, of 2025-06-30.
    [(sales, equity)] = query(
        warehouse,
        """
        select
            (select sum(net_sales) from marts.segment_income_statement
             where cut = 'segment' and month_end_date between '2024-07-31' and '2025-06-30'),
            (select sum(customer_equity) from marts.segment_balance_sheet
             where month_end_date = '2025-06-30')
        """,
    )
    assert sales == BUSINESS_TTM_NET_SALES
    assert equity == sum((e for _, e in june_sheet.values()), start=Z)


def test_the_revenue_projection_leaves_segment_rows_out(warehouse):
    # seeds/scenarios.csv has six rows; the projection takes the three without a segment:
    # 3 scenarios x 5 years.
    assert query(
        warehouse,
        "select scenario_name, count(*) from marts.revenue_projection"
        " where business_id = 'biz' group by 1 order by 1",
    ) == [("measured", 5), ("nrr_minus_5", 5), ("nrr_plus_5", 5)]


# Scenarios of our own for the segments biz has, as a user would add them to the seed.
OWN_ROWS = [
    # (scenario_name, segment_key, segment_change)
    ("good_plus_25", "good", "0.25"),
    ("promising_minus_50", "promising", "-0.50"),
    ("good_lost_twice", "good", "-2.00"),  # below -1: counts as -1
]


@pytest.fixture(scope="module")
def own_scenarios(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The mart rebuilt by dbt on a copy of the run's warehouse whose scenarios seed holds
    three more segment rows (no new pipeline run: the statements are the run's)."""
    folder = tmp_path_factory.mktemp("own-scenarios")
    copy = folder / warehouse.name
    copy.write_bytes(warehouse.read_bytes())
    with duckdb.connect(str(copy)) as con:
        for name, key, change in OWN_ROWS:
            con.execute(
                "insert into marts.scenarios (scenario_name, is_base, segment_key,"
                " segment_change, description) values (?, false, ?, ?, 'test')",
                [name, key, D(change)],
            )
    run_dbt(copy, folder / "target", "run", "--select", "segment_scenarios")
    return read_scenarios(copy)


def test_scenarios_of_the_segments_the_business_has(own_scenarios, june_sheet):
    assert set(own_scenarios) >= {name for name, _, _ in OWN_ROWS}
    for name, key, change in OWN_ROWS:
        segment = {"good": "Good", "promising": "Promising"}[key]
        assert own_scenarios[name] == expected_row(june_sheet, segment, change), name
    # Spelled out: Good (STEADY) + 25%: 0.25 customers, 8,350.00 x 0.25 = 2,087.50 more
    # net sales (17,475.00 -> 19,562.50, 2,087.50 / 17,475.00 = +0.119456), 2,265.00 x
    # 0.25 = 566.25 more contribution.
    good = own_scenarios["good_plus_25"]
    assert (good["customers_change"], good["ttm_net_sales_change"]) == (D("0.25"), D("2087.50"))
    assert good["ttm_contribution_change"] == D("566.25")
    assert good["business_ttm_net_sales_after"] == D("19562.50")
    assert good["ttm_net_sales_change_share"] == D("0.119456")
    # Promising (NEWCO) - 50%: 9,125.00 x -0.50 = -4,562.50 (17,475.00 -> 12,912.50,
    # -0.261087), 284.00 x -0.50 = -142.00.
    promising = own_scenarios["promising_minus_50"]
    assert promising["ttm_net_sales_change"] == D("-4562.50")
    assert promising["ttm_contribution_change"] == D("-142.00")
    assert promising["business_ttm_net_sales_after"] == D("12912.50")
    assert promising["ttm_net_sales_change_share"] == D("-0.261087")
    # -2.00 counts as -1: all of Good's 8,350.00 and its whole equity go, no more.
    twice = own_scenarios["good_lost_twice"]
    assert twice["segment_change"] == D("-1.000000")
    assert twice["ttm_net_sales_change"] == D("-8350.00")
    assert twice["customer_equity_change"] == -june_sheet["STEADY"][1]
