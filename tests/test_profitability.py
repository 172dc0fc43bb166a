"""Customer profitability on a hand-made export where every figure is worked out by hand.

tests/data/profitability, as of 2025-12-31 (S). Windows (inclusive days):
- TTM: S-364 .. S = 2025-01-01 .. 2025-12-31 (financing: the days 2025-01-01 .. 2025-12-31);
- prior TTM: S-729 .. S-365 = 2024-01-02 .. 2024-12-31 (financing likewise);
- all time: every date <= S. Later sales, costs and settlements are in the files and ignored.
Financing cost = amount x days x 0.08 / 365; the amounts are chosen so that a day costs a
round sum: 4,562.50 -> 1.00 a day, 3,650.00 -> 0.80, 1,825.00 -> 0.40, 912.50 -> 0.20.

Business `biz` (USD, terms 30 days), 19 customers, 17 on the mart, 15 active:
- KEY1: rank 1, half the business's TTM contribution for a quarter of its hours (protect, on
  the effort boundary); its invoice is prepaid (settled before its date: no financing cost).
- KEY2: rank 2 = the key cut-off; costs in every category, rework rising; an invoice with a
  discount settled by a tied credit note (incl. tax), a payment, and a payment after S.
- NEXT: rank 3, one cent below KEY2: not key. A EUR receipt with a line of unknown cost.
- LATEPAY: a partly paid and an open invoice; profitable before financing (tighten terms).
- EXIT: unprofitable in both years (improve or exit); an invoice paid across the TTM start.
- REPRICE: unprofitable this year only, no financing cost (reprice).
- ZERO: contribution exactly 0.00 (core); MINUS: -0.01 (unprofitable, reprice).
- REFA refers REFB, REFB refers REFA (a loop in the data) and REFC: REFA and REFB are key by
  their referrals only (own contribution + chain = exactly the cut-off).
- PARENT with subsidiaries SUB1, SUB2: one account.
- OLDDEBT: nothing in the TTM but an invoice of 2024 still unpaid: active by the money it
  owes, unprofitable by its financing cost alone (tighten terms, on the boundary).
- DORMANT (an invoice of 2024-01-01 paid on 2024-12-31, the night before the TTM, and an
  acquisition cost in the TTM: inactive, core), PROSPECT (an acquisition cost only: on the
  mart, inactive), FUTURE (only facts after S) and NOBODY (nothing): not on the mart, though
  both name REFC as their referrer.
Business `other` (EUR) reuses ids of `biz` (KEY1, REFC referred by a REFB it does not have,
SUB1 under a PARENT it does not have) and has a parent loop LOOPA <-> LOOPB: nothing of one
business reaches the other.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from tests.conftest import query
from tests.mart_comparison import assert_same_rows
from tests.test_postgres import (  # noqa: F401 (postgres: the fixture, used by name)
    PROFITABILITY_MARTS,
    build_and_read,
    postgres,
)

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "profitability"
AS_OF = "2025-12-31"
S = dt.date(2025, 12, 31)
TTM_START = dt.date(2025, 1, 1)  # S - 364
PREV_TTM_START = dt.date(2024, 1, 2)  # S - 729
D = Decimal
CENT = D("0.01")
CATEGORIES = [
    "acquisition",
    "onboarding",
    "support",
    "delivery",
    "rework",
    "reimbursement",
    "other",
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This module's copy of the session's run of the export (tests/conftest.py,
    shared_run): the PostgreSQL test below, in the engine tests' step of scripts/test.sh,
    reads the run the suite's step made instead of making it again."""
    from tests.conftest import shared_run

    _, warehouse = shared_run(tmp_path_factory, DATA, as_of_date=AS_OF)
    return warehouse


@pytest.fixture(scope="module")
def mart(warehouse: Path) -> dict[tuple[str, str], dict]:
    """marts.customer_profitability, one dict per (business_id, customer_id)."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute("select * from marts.customer_profitability")
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    by_key = {(row["business_id"], row["customer_id"]): row for row in rows}
    assert len(by_key) == len(rows), "one row per business and customer"
    return by_key


def biz(mart: dict, customer_id: str) -> dict:
    return mart[("biz", customer_id)]


def close(actual, expected, tolerance: float = 0.00005) -> bool:
    """A ratio equals its hand-worked value to 4 decimals (the SQL may round or divide in
    floating point); None only where None is expected."""
    if expected is None or actual is None:
        return actual is expected
    return abs(float(actual) - float(expected)) <= tolerance


def pick(row: dict, columns: list[str]) -> dict:
    return {column: row[column] for column in columns}


# ---------------------------------------------------------------------------------------
# Who is on the mart, and who is active


def test_every_customer_with_a_sale_or_a_cost_by_the_date_is_on_the_mart(mart):
    assert set(mart) == {
        ("biz", customer)
        for customer in [
            "KEY1",
            "KEY2",
            "NEXT",
            "LATEPAY",
            "EXIT",
            "REPRICE",
            "ZERO",
            "MINUS",
            "REFA",
            "REFB",
            "REFC",
            "PARENT",
            "SUB1",
            "SUB2",
            "DORMANT",
            "PROSPECT",
            "OLDDEBT",
        ]
    } | {("other", customer) for customer in ["KEY1", "REFC", "SUB1", "LOOPA", "LOOPB"]}
    # FUTURE: its only sale (2026-01-10) and cost (2026-01-05) are after S; NOBODY: nothing.
    inactive = {key for key, row in mart.items() if not row["is_active"]}
    # DORMANT: last sale 2024-01-01, paid 2024-12-31 (owed no night of the TTM), only an
    # acquisition cost in the TTM (2025-05-01); PROSPECT: an acquisition cost only.
    # Acquisition is no activity. OLDDEBT is active: it owes I-OD every night of the TTM.
    assert inactive == {("biz", "DORMANT"), ("biz", "PROSPECT")}
    for row in mart.values():
        assert row["as_of_date"] == S
    assert {row["home_currency"] for key, row in mart.items() if key[0] == "biz"} == {"USD"}
    assert {row["home_currency"] for key, row in mart.items() if key[0] == "other"} == {"EUR"}
    assert biz(mart, "KEY1")["customer_name"] == "Key account one"
    assert mart[("other", "KEY1")]["customer_name"] == "Other key"


# ---------------------------------------------------------------------------------------
# Sales, cost of goods, gross margin


def test_cost_of_goods_leaves_a_line_of_unknown_cost_out_and_shows_its_share(mart):
    row = biz(mart, "NEXT")
    # SR-N1 (EUR at 1.10): line 1 10 x 100.00 = 1,000.00 EUR = 1,100.00, cost
    # round(10 x 45.55 x 1.10, 2) = 501.05; line 2 500.00 EUR = 550.00, unit_cost blank.
    # SR-N2 (USD): 3,850.00, cost 1 x 1,000.00.
    # net sales 1,100.00 + 550.00 + 3,850.00 = 5,500.00; cost of goods 501.05 + 1,000.00
    # = 1,501.05; gross margin 5,500.00 - 1,501.05 = 3,998.95. All in the TTM.
    for prefix, sales in [("", "net_sales"), ("ttm_", "ttm_sales")]:
        assert row[sales] == D("5500.00")
        assert row[prefix + "cost_of_goods"] == D("1501.05")
        assert row[prefix + "gross_margin"] == D("3998.95")
        # unknown: 550.00 / 5,500.00 = 0.1
        assert close(row[prefix + "unknown_cost_share"], D("0.1"))
        # 3,998.95 / 5,500.00 = 0.727082
        assert close(row[prefix + "gross_margin_pct"], D("3998.95") / D("5500.00"))
    # known-cost lines only: (1,100.00 + 3,850.00 - 1,501.05) / (1,100.00 + 3,850.00)
    # = 3,448.95 / 4,950.00 = 0.696758
    assert close(row["gross_margin_pct_known_cost"], D("3448.95") / D("4950.00"))
    # nothing unknown: a share of 0, not null
    assert close(biz(mart, "KEY1")["unknown_cost_share"], D("0"))


def test_net_sales_and_gross_margin_per_window(mart):
    got = {
        customer: (
            row["net_sales"],
            row["cost_of_goods"],
            row["gross_margin"],
            row["ttm_sales"],
            row["ttm_cost_of_goods"],
            row["ttm_gross_margin"],
            row["prev_ttm_sales"],
            row["prev_ttm_gross_margin"],
        )
        for (business, customer), row in mart.items()
        if business == "biz" and customer != "PROSPECT"
    }
    # fmt: off
    z = D("0.00")
    assert got == {
        # I-K1-1 100 x 50.00 = 5,000.00 at cost 100 x 20.00 = 2,000.00; SR-K1 10 x 1,000.00
        # = 10,000.00 at 10 x 300.00 = 3,000.00 (I-K1-3 of 2026-01-05 is after S)
        "KEY1": (D("15000.00"), D("5000.00"), D("10000.00"),
                 D("15000.00"), D("5000.00"), D("10000.00"), z, z),
        # prior: SR-K2-0 2,000.00 at 1,000.00. TTM: I-K2-1 90 x 100.00 - 500.00 discount
        # = 8,500.00 at 90 x 40.00 = 3,600.00, CN-K2 -850.00: 7,650.00, margin 4,050.00.
        # All time 2,000.00 + 7,650.00 = 9,650.00 at 4,600.00: 5,050.00
        "KEY2": (D("9650.00"), D("4600.00"), D("5050.00"),
                 D("7650.00"), D("3600.00"), D("4050.00"), D("2000.00"), D("1000.00")),
        "NEXT": (D("5500.00"), D("1501.05"), D("3998.95"),
                 D("5500.00"), D("1501.05"), D("3998.95"), z, z),
        # I-LP-1 3,375.00 at 3,000.00; I-LP-2 1,625.00 at 1,675.00 (tax not sales)
        "LATEPAY": (D("5000.00"), D("4675.00"), D("325.00"),
                    D("5000.00"), D("4675.00"), D("325.00"), z, z),
        # prior: I-EX-1 (2024-11-01) 1,825.00 at 1,200.00; TTM: SR-EX-2 1,000.00 at 600.00
        "EXIT": (D("2825.00"), D("1800.00"), D("1025.00"),
                 D("1000.00"), D("600.00"), D("400.00"), D("1825.00"), D("625.00")),
        # prior: 500.00 at 200.00; TTM: 1,000.00 at 500.00
        "REPRICE": (D("1500.00"), D("700.00"), D("800.00"),
                    D("1000.00"), D("500.00"), D("500.00"), D("500.00"), D("300.00")),
        "ZERO": (D("800.00"), D("500.00"), D("300.00"),
                 D("800.00"), D("500.00"), D("300.00"), z, z),
        "MINUS": (D("100.00"), D("60.00"), D("40.00"),
                  D("100.00"), D("60.00"), D("40.00"), z, z),
        "REFA": (D("2000.00"), D("800.00"), D("1200.00"),
                 D("2000.00"), D("800.00"), D("1200.00"), z, z),
        "REFB": (D("1000.00"), D("600.00"), D("400.00"),
                 D("1000.00"), D("600.00"), D("400.00"), z, z),
        # prior: 500.00 at 200.00 (2024-06-15); TTM: 3,000.00 at 800.00
        "REFC": (D("3500.00"), D("1000.00"), D("2500.00"),
                 D("3000.00"), D("800.00"), D("2200.00"), D("500.00"), D("300.00")),
        # SR-P on 2025-01-01, the first day of the TTM
        "PARENT": (D("1000.00"), D("500.00"), D("500.00"),
                   D("1000.00"), D("500.00"), D("500.00"), z, z),
        "SUB1": (D("600.00"), D("300.00"), D("300.00"),
                 D("600.00"), D("300.00"), D("300.00"), z, z),
        # prior: 300.00 at 100.00; TTM: 400.00 at 200.00
        "SUB2": (D("700.00"), D("300.00"), D("400.00"),
                 D("400.00"), D("200.00"), D("200.00"), D("300.00"), D("200.00")),
        # I-D on 2024-01-01: one day before the prior TTM (2024-01-02): all time only
        "DORMANT": (D("400.00"), D("100.00"), D("300.00"), z, z, z, z, z),
        # I-OD 2024-07-01: 912.50 at 500.00, nothing in the TTM
        "OLDDEBT": (D("912.50"), D("500.00"), D("412.50"),
                    z, z, z, D("912.50"), D("412.50")),
    }
    # fmt: on


def test_net_sales_are_the_customer_sheets(warehouse, mart):
    # all time = customer_sheet.ltv, TTM = customer_sheet.ttm_sales, for every buyer
    sheet = query(
        warehouse,
        "select business_id, customer_id, ltv, ttm_sales from marts.customer_sheet",
    )
    assert len(sheet) == 21  # the 22 on the mart but PROSPECT, who bought nothing
    for business, customer, ltv, ttm_sales in sheet:
        row = mart[(business, customer)]
        assert (row["net_sales"], row["ttm_sales"]) == (ltv, ttm_sales), customer


def test_a_customer_without_a_sale_has_no_sales_and_no_margin_percent(mart):
    row = biz(mart, "PROSPECT")
    # nothing sold: net sales 0 (or null), no percentage on zero sales
    assert row["net_sales"] in (D("0"), None)
    assert row["ttm_sales"] in (D("0"), None)
    assert row["gross_margin_pct"] is None
    assert row["ttm_gross_margin_pct"] is None
    assert row["contribution_margin"] is None
    assert row["unknown_cost_share"] is None


# ---------------------------------------------------------------------------------------
# Costs to serve


def test_costs_in_every_category_with_acquisition_kept_apart(mart):
    row = biz(mart, "KEY2")
    # all time: acquisition 300.00 (2023-06-01, 5 h); rework 100.00 (2024-07-01, 2 h) +
    # 336.80 (6 h); onboarding 100.00 (3 h); support 150.00 (4 h); delivery 100.00 (2 h);
    # reimbursement 50.00 (hours blank = 0); other 100.00 (2 h)
    assert pick(row, [c + "_cost" for c in CATEGORIES]) == {
        "acquisition_cost": D("300.00"),
        "onboarding_cost": D("100.00"),
        "support_cost": D("150.00"),
        "delivery_cost": D("100.00"),
        "rework_cost": D("436.80"),
        "reimbursement_cost": D("50.00"),
        "other_cost": D("100.00"),
    }
    # cost to serve excludes acquisition: 100 + 150 + 100 + 436.80 + 50 + 100 = 936.80;
    # hours 3 + 4 + 2 + 2 + 6 + 0 + 2 = 19 (acquisition's 5 h left out)
    assert row["cost_to_serve"] == D("936.80")
    assert row["service_hours"] == 19
    # TTM: the same less the 2023 acquisition and the 2024 rework
    assert pick(row, ["ttm_" + c + "_cost" for c in CATEGORIES]) == {
        "ttm_acquisition_cost": D("0.00"),
        "ttm_onboarding_cost": D("100.00"),
        "ttm_support_cost": D("150.00"),
        "ttm_delivery_cost": D("100.00"),
        "ttm_rework_cost": D("336.80"),
        "ttm_reimbursement_cost": D("50.00"),
        "ttm_other_cost": D("100.00"),
    }
    # 836.80 = 936.80 - 100.00; 17 h = 19 - 2
    assert row["ttm_cost_to_serve"] == D("836.80")
    assert row["ttm_service_hours"] == 17
    assert (
        row["prev_ttm_cost_to_serve"],
        row["prev_ttm_rework_cost"],
        row["prev_ttm_support_cost"],
    ) == (D("100.00"), D("100.00"), D("0.00"))


def test_acquisition_alone_is_sunk_and_neither_cost_to_serve_nor_hours(mart):
    # PROSPECT: acquisition 300.00, 5 h on 2025-11-01; DORMANT: 50.00, 1 h on 2025-05-01
    for customer, amount in [("PROSPECT", D("300.00")), ("DORMANT", D("50.00"))]:
        row = biz(mart, customer)
        assert (row["acquisition_cost"], row["ttm_acquisition_cost"]) == (amount, amount)
        assert (row["cost_to_serve"], row["ttm_cost_to_serve"]) == (D("0.00"), D("0.00"))
        assert (row["service_hours"], row["ttm_service_hours"]) == (0, 0)
        assert row["ttm_contribution"] == D("0.00")
        assert row["ttm_contribution_per_hour"] is None


def test_costs_and_hours_dated_after_the_date_are_ignored(mart):
    row = biz(mart, "KEY1")
    # K1-SUP 800.00 (40 h) + K1-DEL 200.00 (10 h); K1-LATE 500.00 (10 h) on 2026-01-10 is not
    assert (row["support_cost"], row["delivery_cost"], row["cost_to_serve"]) == (
        D("800.00"),
        D("200.00"),
        D("1000.00"),
    )
    assert (row["service_hours"], row["ttm_service_hours"]) == (50, 50)


# ---------------------------------------------------------------------------------------
# Financing cost and credits given


def test_financing_cost_of_each_tranche_by_window(mart):
    got = {
        key: (row["financing_cost"], row["ttm_financing_cost"], row["prev_ttm_financing_cost"])
        for key, row in mart.items()
        if key
        in {
            ("biz", "KEY1"),
            ("biz", "KEY2"),
            ("biz", "LATEPAY"),
            ("biz", "EXIT"),
            ("biz", "NEXT"),
            ("biz", "DORMANT"),
            ("biz", "OLDDEBT"),
            ("other", "KEY1"),
        }
    }
    z = D("0.00")
    assert got == {
        # I-K1-1 (2025-03-01) paid in full by P-K1-1 on 2025-02-20, before the invoice
        # date: a prepayment, 0 days
        ("biz", "KEY1"): (z, z, z),
        # I-K2-1 of 2025-06-30, 9,125.00 incl. 625.00 tax:
        #   CN-K2 2025-07-30, 850.00 + 62.50 tax = 912.50 x 30 days x 0.08 / 365 = 6.00
        #   P-K2-1 2025-08-29, 4,562.50 x 60 days x 0.08 / 365 = 60.00
        #   P-K2-2 2026-01-20 is after S: 3,650.00 open to S, 184 days (Jul 31 + Aug 31 +
        #   Sep 30 + Oct 31 + Nov 30 + Dec 31): 3,650.00 x 184 x 0.08 / 365 = 147.20
        #   6.00 + 60.00 + 147.20 = 213.20, all in the TTM
        ("biz", "KEY2"): (D("213.20"), D("213.20"), z),
        # I-LP-1 2025-01-31, 3,650.00 incl. 275.00 tax:
        #   P-LP-1 2025-07-30 pays 1,825.00 after 180 days: 1,825.00 x 180 x 0.08/365 = 72.00
        #   the other 1,825.00 open to S, 334 days: 1,825.00 x 334 x 0.08 / 365 = 133.60
        # I-LP-2 2025-10-02, 1,825.00 incl. 200.00 tax, open 90 days: 36.00
        # 72.00 + 133.60 + 36.00 = 241.60
        ("biz", "LATEPAY"): (D("241.60"), D("241.60"), z),
        # I-EX-1 2024-11-01, 1,825.00, paid 2025-03-01: 120 days, 0.40 a day = 48.00;
        # prior TTM (2024-01-01, 2024-12-31]: 60 days = 24.00; TTM (2024-12-31, 2025-12-31]:
        # 2025-03-01 - 2024-12-31 = 60 days = 24.00
        ("biz", "EXIT"): (D("48.00"), D("24.00"), D("24.00")),
        # sales receipts only: paid at sale
        ("biz", "NEXT"): (z, z, z),
        # I-D 2024-01-01, 400.00, paid 2024-12-31: 365 days x 400.00 x 0.08 / 365 = 32.00,
        # all in the prior TTM (2024-01-01, 2024-12-31]; none in the TTM
        ("biz", "DORMANT"): (D("32.00"), z, D("32.00")),
        # I-OD 2024-07-01, 912.50 (0.20 a day), open: prior TTM 183 nights (Jul 30 + Aug 31
        # + Sep 30 + Oct 31 + Nov 30 + Dec 31) = 36.60; TTM 365 = 73.00; all 548 = 109.60
        ("biz", "OLDDEBT"): (D("109.60"), D("73.00"), D("36.60")),
        # I-O1 and I-O2, 1,000.00 each, each paid 5 days later: 1,000.00 x 5 x 0.08 / 365
        # = 1.0958904 each, 2.1917808 together = 2.19 (rounded per customer, not per
        # tranche: 1.10 + 1.10 would be 2.20)
        ("other", "KEY1"): (D("2.19"), D("2.19"), z),
    }


def test_credits_given_are_credit_notes_and_discounts_over_sales_at_list_price(mart):
    row = biz(mart, "KEY2")
    # CN-K2 850.00 (excl. tax) + I-K2-1's discount 500.00 = 1,350.00
    assert (row["credits_given"], row["ttm_credits_given"]) == (D("1350.00"), D("1350.00"))
    # TTM: 1,350.00 / (8,500.00 + 500.00) = 0.15
    assert close(row["ttm_credits_given_share"], D("0.15"))
    # all time: 1,350.00 / (2,000.00 + 8,500.00 + 500.00) = 0.122727
    assert close(row["credits_given_share"], D("1350") / D("11000"))
    # no credit given: a share of 0 (or null); no sales at list price at all: null
    assert biz(mart, "KEY1")["credits_given_share"] in (0, None)
    assert biz(mart, "PROSPECT")["credits_given_share"] is None
    assert biz(mart, "PROSPECT")["ttm_credits_given_share"] is None


# ---------------------------------------------------------------------------------------
# Contribution


# TTM contributions of `biz` = ttm gross margin - ttm cost to serve - ttm financing cost:
TTM_CONTRIBUTION = {
    "KEY1": D("9000.00"),  # 10,000.00 - 1,000.00 - 0
    "KEY2": D("3000.00"),  # 4,050.00 - 836.80 - 213.20
    "NEXT": D("2999.99"),  # 3,998.95 - 998.96 - 0
    "LATEPAY": D("-50.00"),  # 325.00 - 133.40 - 241.60
    "EXIT": D("-300.00"),  # 400.00 - (rework 576.00 + support 100.00) - 24.00
    "REPRICE": D("-250.00"),  # 500.00 - (delivery 450.00 + rework 300.00) - 0
    "ZERO": D("0.00"),  # 300.00 - 300.00
    "MINUS": D("-0.01"),  # 40.00 - 40.01
    "REFA": D("1000.00"),  # 1,200.00 - onboarding 200.00
    "REFB": D("0.00"),  # 400.00 - 400.00
    "REFC": D("2000.00"),  # 2,200.00 - 200.00
    "PARENT": D("373.00"),  # 500.00 - 127.00
    "SUB1": D("200.01"),  # 300.00 - 99.99
    "SUB2": D("100.01"),  # 200.00 - 99.99
    "OLDDEBT": D("-73.00"),  # 0 - 0 - 73.00 financing
    "DORMANT": D("0.00"),  # nothing in the TTM but acquisition
    "PROSPECT": D("0.00"),
}
# Sum over the 15 active customers: 9,000.00 + 3,000.00 + 2,999.99 - 50.00 - 300.00
# - 250.00 + 0 - 0.01 + 1,000.00 + 0 + 2,000.00 + 373.00 + 200.01 + 100.01 - 73.00
# = 18,000.00
TTM_CONTRIBUTION_TOTAL = D("18000.00")
# TTM service hours (acquisition excluded): KEY1 50, KEY2 17, NEXT 8, LATEPAY 18, EXIT 34,
# REPRICE 46, ZERO 10, MINUS 1, REFA 0, REFB 5, REFC 4, PARENT 3, SUB1 2, SUB2 2 = 200
# fmt: off
TTM_HOURS = {
    "KEY1": 50, "KEY2": 17, "NEXT": 8, "LATEPAY": 18, "EXIT": 34, "REPRICE": 46,
    "ZERO": 10, "MINUS": 1, "REFA": 0, "REFB": 5, "REFC": 4, "PARENT": 3, "SUB1": 2,
    "SUB2": 2, "OLDDEBT": 0, "DORMANT": 0, "PROSPECT": 0,
}
# fmt: on


def test_contribution_per_customer_and_window(mart):
    assert sum(TTM_CONTRIBUTION.values()) == TTM_CONTRIBUTION_TOTAL
    assert sum(TTM_HOURS.values()) == 200
    got = {
        customer: (row["ttm_contribution"], row["prev_ttm_contribution"], row["contribution"])
        for (business, customer), row in mart.items()
        if business == "biz"
    }
    z = D("0.00")
    prev = {
        "KEY2": D("900.00"),  # 1,000.00 margin - rework 100.00
        "EXIT": D("-99.00"),  # 625.00 - support 700.00 (2024-12-31) - 24.00 financing
        "REPRICE": D("300.00"),  # 500.00 - 200.00
        "REFC": D("300.00"),  # 500.00 - 200.00
        "SUB2": D("200.00"),  # 300.00 - 100.00
        "OLDDEBT": D("375.90"),  # 412.50 - 36.60 financing
        "DORMANT": D("-32.00"),  # its sale is before the window, its financing in it
    }
    all_time = {
        # TTM + prior TTM, plus DORMANT's sale of 2024-01-01 (before the prior TTM)
        "KEY2": D("3900.00"),  # 5,050.00 - 936.80 - 213.20
        "EXIT": D("-399.00"),  # 1,025.00 - 1,376.00 - 48.00
        "REPRICE": D("50.00"),  # 800.00 - 750.00
        "REFC": D("2300.00"),  # 2,500.00 - 200.00
        "SUB2": D("300.01"),  # 400.00 - 99.99
        "DORMANT": D("268.00"),  # 400.00 - 100.00 - 32.00 (acquisition 50.00 excluded)
        "OLDDEBT": D("302.90"),  # 412.50 - 109.60
    }
    assert got == {
        customer: (ttm, prev.get(customer, z), all_time.get(customer, ttm))
        for customer, ttm in TTM_CONTRIBUTION.items()
    }
    assert mart[("other", "KEY1")]["ttm_contribution"] == D("187.81")  # 200.00 - 10.00 - 2.19


def test_contribution_margin_and_per_hour(mart):
    key1, key2, refa = biz(mart, "KEY1"), biz(mart, "KEY2"), biz(mart, "REFA")
    # 9,000.00 / 15,000.00 = 0.6; 9,000.00 / 50 h = 180.00
    assert close(key1["ttm_contribution_margin"], D("0.6"))
    assert close(key1["contribution_margin"], D("0.6"))
    assert close(key1["ttm_contribution_per_hour"], D("180"), 0.005)
    # 3,000.00 / 7,650.00 = 0.392157; 3,000.00 / 17 h = 176.47; all time 3,900.00 / 19 h
    # = 205.26, 3,900.00 / 9,650.00 = 0.404145
    assert close(key2["ttm_contribution_margin"], D("3000") / D("7650"))
    assert close(key2["ttm_contribution_per_hour"], D("3000") / 17, 0.005)
    assert close(key2["contribution_per_hour"], D("3900") / 19, 0.005)
    assert close(key2["contribution_margin"], D("3900") / D("9650"))
    # REFA: no hours (blank): null per hour
    assert refa["ttm_contribution_per_hour"] is None


def test_trend_shows_the_rising_cost_category(mart):
    got = {
        customer: (
            biz(mart, customer)["ttm_contribution_change"],
            biz(mart, customer)["ttm_cost_to_serve_change"],
            biz(mart, customer)["rising_cost_category"],
            biz(mart, customer)["rising_cost_amount"],
        )
        for customer in ["KEY2", "EXIT", "REPRICE", "ZERO"]
    }
    assert got == {
        # 3,000.00 - 900.00; 836.80 - 100.00; rework 336.80 - 100.00 = 236.80 beats
        # support +150.00, onboarding +100.00, delivery +100.00, other +100.00, reimb. +50.00
        "KEY2": (D("2100.00"), D("736.80"), "rework", D("236.80")),
        # -300.00 - -99.00; 676.00 - 700.00; rework +576.00, support 100.00 - 700.00 fell
        "EXIT": (D("-201.00"), D("-24.00"), "rework", D("576.00")),
        # -250.00 - 300.00; 750.00 - 0; delivery +450.00 beats rework +300.00
        "REPRICE": (D("-550.00"), D("750.00"), "delivery", D("450.00")),
        # support +300.00 (nothing before)
        "ZERO": (D("0.00"), D("300.00"), "support", D("300.00")),
    }
    # no cost rose: null
    other_key1 = mart[("other", "KEY1")]
    assert other_key1["rising_cost_category"] == "support"  # +10.00
    dormant = biz(mart, "DORMANT")
    assert (dormant["rising_cost_category"], dormant["rising_cost_amount"]) == (None, None)


# ---------------------------------------------------------------------------------------
# Shares, ranks, value classes, suggested actions


def test_ranks_and_top_percent_among_active_customers(mart):
    got = {
        customer: (row["ttm_contribution_rank"], row["ttm_contribution_top_percent"])
        for (business, customer), row in mart.items()
        if business == "biz"
    }
    # N = 15 active; top percent = ceil(100 x rank / 15); ZERO and REFB tie at 0.00 (rank 9)
    assert got == {
        "KEY1": (1, 7),  # 6.67
        "KEY2": (2, 14),  # 13.33
        "NEXT": (3, 20),  # 20 exactly
        "REFC": (4, 27),  # 26.67
        "REFA": (5, 34),  # 33.33
        "PARENT": (6, 40),  # 40 exactly
        "SUB1": (7, 47),  # 46.67
        "SUB2": (8, 54),  # 53.33
        "ZERO": (9, 60),  # 60 exactly
        "REFB": (9, 60),
        "MINUS": (11, 74),  # 73.33
        "LATEPAY": (12, 80),  # 80 exactly
        "OLDDEBT": (13, 87),  # 86.67
        "REPRICE": (14, 94),  # 93.33
        "EXIT": (15, 100),
        "DORMANT": (None, None),  # inactive: not ranked
        "PROSPECT": (None, None),
    }


def test_contribution_and_effort_shares(mart):
    for customer, contribution in TTM_CONTRIBUTION.items():
        row = biz(mart, customer)
        if not row["is_active"]:
            continue
        # ttm_contribution / 18,000.00 and hours / 200
        assert close(row["ttm_contribution_share"], contribution / TTM_CONTRIBUTION_TOTAL), customer
        assert close(row["ttm_effort_share"], D(TTM_HOURS[customer]) / 200), customer
    # KEY1: 9,000.00 / 18,000.00 = 0.5 of the contribution, 50 / 200 = 0.25 of the effort
    assert close(biz(mart, "KEY1")["ttm_contribution_share"], D("0.5"), 1e-12)
    assert close(biz(mart, "KEY1")["ttm_effort_share"], D("0.25"), 1e-12)


def test_value_classes_at_each_rule_boundary(mart):
    got = {
        customer: row["value_class"]
        for (business, customer), row in mart.items()
        if business == "biz"
    }
    assert got == {
        # key cut-off: ceil(15 x 0.10) = 2 ranks; the cut-off contribution is KEY2's 3,000.00
        "KEY1": "key_account",
        "KEY2": "key_account",  # rank 2 = ceil(N x 0.10) exactly
        "NEXT": "core",  # rank 3, 2,999.99: one past the cut-off
        # REFA: own 1,000.00 >= 0, chain {REFB, REFC} TTM 0.00 + 2,000.00 = 2,000.00 > 0,
        # 1,000.00 + 2,000.00 = 3,000.00 >= the cut-off 3,000.00
        "REFA": "key_account",
        # REFB: own 0.00 (>= 0), chain {REFA, REFC} 1,000.00 + 2,000.00 = 3,000.00: key by
        # its referrals only
        "REFB": "key_account",
        "REFC": "core",  # 2,000.00, rank 4, refers no one
        "ZERO": "core",  # 0.00 is not below unprofitable_max_contribution 0
        "MINUS": "unprofitable",  # -0.01
        "LATEPAY": "unprofitable",
        "EXIT": "unprofitable",
        "REPRICE": "unprofitable",
        "OLDDEBT": "unprofitable",  # active by its debt alone
        "PARENT": "core",
        "SUB1": "core",
        "SUB2": "core",
        "DORMANT": "core",  # inactive: core whatever it did before
        "PROSPECT": "core",
    }
    got_other = {
        customer: row["value_class"]
        for (business, customer), row in mart.items()
        if business == "other"
    }
    # other: 5 active, ceil(5 x 0.10) = 1: KEY1 (187.81) only; LOOPA 30.00, REFC 20.00,
    # SUB1 10.00, LOOPB 5.00
    assert got_other == {
        "KEY1": "key_account",
        "LOOPA": "core",
        "REFC": "core",
        "SUB1": "core",
        "LOOPB": "core",
    }
    for row in mart.values():
        if row["value_class"] != "core":
            assert row["value_reason"], row["customer_id"]


def test_suggested_actions_and_break_even_surcharge(mart):
    got = {
        customer: (row["suggested_action_code"], row["break_even_surcharge_pct"])
        for (business, customer), row in mart.items()
        if business == "biz"
    }
    expected = {
        # key, pays well (T score 5: prepaid), effort 0.25 <= 0.5 x 0.5 = 0.25: on the
        # protect_max_effort_ratio boundary
        "KEY1": ("protect", None),
        # key, nothing paid on credit yet (I-K2-1 fully settled only after S), effort
        # 17 / 200 = 0.085 > 0.5 x 3,000.00 / 18,000.00 = 0.0833
        "KEY2": ("maintain", None),
        # key, no credit invoice, effort 0 <= 0.5 x 1,000.00 / 18,000.00
        "REFA": ("protect", None),
        # key, effort 5 / 200 = 0.025 > 0.5 x 0 / 18,000.00 = 0
        "REFB": ("maintain", None),
        # unprofitable; -50.00 + financing 241.60 >= 0: tighten terms; 50.00 / 5,000.00
        "LATEPAY": ("tighten_terms", D("0.01")),
        # -300.00 + 24.00 < 0; prior TTM -99.00 < 0: improve or exit; 300.00 / 1,000.00
        "EXIT": ("improve_or_exit", D("0.30")),
        # -250.00 + 0 < 0; prior TTM 300.00: reprice; 250.00 / 1,000.00
        "REPRICE": ("reprice", D("0.25")),
        # -0.01 + 0 < 0; no prior TTM: reprice; 0.01 / 100.00
        "MINUS": ("reprice", D("0.0001")),
        # -73.00 + 73.00 = 0 >= 0: tighten terms; no TTM sales: no surcharge
        "OLDDEBT": ("tighten_terms", None),
    }
    for customer, (code, _) in list(got.items()):
        assert code == expected.get(customer, ("maintain", None))[0], customer
    for customer, (_, surcharge) in got.items():
        want = expected.get(customer, ("maintain", None))[1]
        assert close(surcharge, want, 0.000001), customer
    for row in mart.values():
        assert row["suggested_action"], row["customer_id"]


def test_the_words_keep_small_losses_and_say_what_the_share_is_of(mart):
    # MINUS loses 0.01 on 100.00 of TTM sales: written in cents, not rounded to "0", and
    # a surcharge of 0.01 / 100.00 = 0.01%, not "0.0%".
    minus = mart[("biz", "MINUS")]
    assert "contribution -0.01 USD in 12 months" in minus["value_reason"]
    assert "a surcharge of 0.01% on its TTM sales" in minus["suggested_action"]
    # KEY1 holds 9,000.00 of the 18,000.00 TTM contribution of biz's active customers.
    key1 = mart[("biz", "KEY1")]
    assert key1["value_reason"].startswith("top ")
    assert "50.0% of the business's contribution" in key1["value_reason"]


# ---------------------------------------------------------------------------------------
# Referrals and accounts


def test_referrals_one_level_and_the_whole_chain_without_looping(mart):
    columns = [
        "referred_customers",
        "referred_net_sales",
        "referred_contribution",
        "referral_chain_customers",
        "referral_chain_net_sales",
        "referral_chain_contribution",
        "referral_chain_ttm_contribution",
    ]
    # all time: REFA 2,000.00 sales, 1,000.00 contribution; REFB 1,000.00, 0.00;
    # REFC 3,500.00, 2,300.00 (TTM 2,000.00)
    # fmt: off
    assert pick(biz(mart, "REFA"), columns) == dict(zip(columns, [
        1, D("1000.00"), D("0.00"),  # named by REFB
        # REFB, then REFB's REFC (REFB's REFA is REFA itself: left out)
        2, D("4500.00"), D("2300.00"), D("2000.00"),  # 1,000 + 3,500; 0 + 2,300; 0 + 2,000
    ], strict=True))
    assert pick(biz(mart, "REFB"), columns) == dict(zip(columns, [
        # named by REFA and REFC (not by `other`'s REFC, another business)
        2, D("5500.00"), D("3300.00"),  # 2,000 + 3,500; 1,000 + 2,300
        2, D("5500.00"), D("3300.00"), D("3000.00"),  # the same two; TTM 1,000 + 2,000
    ], strict=True))
    # fmt: on
    # REFC is named by FUTURE and NOBODY, who have nothing by S: they count for nothing
    for customer in ["REFC", "KEY1"]:
        row = biz(mart, customer)
        assert (row["referred_customers"], row["referral_chain_customers"]) == (0, 0)
        for column in columns:
            assert row[column] in (0, None), (customer, column)
    other_refc = mart[("other", "REFC")]
    assert (other_refc["referred_customers"], other_refc["referral_chain_customers"]) == (0, 0)


def test_account_id_rolls_subsidiaries_up_and_breaks_loops(mart):
    accounts = {key: row["account_id"] for key, row in mart.items()}
    assert accounts[("biz", "PARENT")] == "PARENT"
    assert accounts[("biz", "SUB1")] == "PARENT"
    assert accounts[("biz", "SUB2")] == "PARENT"
    assert accounts[("biz", "KEY1")] == "KEY1"  # no parent: its own account
    # other: SUB1's parent PARENT is no customer of `other`: SUB1 is the top
    assert accounts[("other", "SUB1")] == "SUB1"
    # LOOPA <-> LOOPB: the smallest id of the loop
    assert accounts[("other", "LOOPA")] == "LOOPA"
    assert accounts[("other", "LOOPB")] == "LOOPA"


def test_account_sheet_sums_its_member_customers(warehouse):
    rows = query(
        warehouse,
        "select business_id, account_id, member_customers, ltv, ttm_sales, ttm_contribution"
        " from marts.account_sheet order by business_id, account_id",
    )
    by_key = {(business, account): rest for business, account, *rest in rows}
    assert len(by_key) == len(rows)
    # PARENT + SUB1 + SUB2: ltv 1,000.00 + 600.00 + 700.00 = 2,300.00; TTM sales 1,000.00
    # + 600.00 + 400.00 = 2,000.00; TTM contribution 373.00 + 200.01 + 100.01 = 673.02
    assert by_key[("biz", "PARENT")] == [3, D("2300.00"), D("2000.00"), D("673.02")]
    assert by_key[("biz", "KEY1")] == [1, D("15000.00"), D("15000.00"), D("9000.00")]
    # LOOPA + LOOPB: 100.00 + 20.00; contribution 30.00 + 5.00
    assert by_key[("other", "LOOPA")] == [2, D("120.00"), D("120.00"), D("35.00")]
    assert by_key[("other", "SUB1")] == [1, D("50.00"), D("50.00"), D("10.00")]
    assert {account for business, account in by_key if business == "biz"} - {"PROSPECT"} == {
        "KEY1",
        "KEY2",
        "NEXT",
        "LATEPAY",
        "EXIT",
        "REPRICE",
        "ZERO",
        "MINUS",
        "REFA",
        "REFB",
        "REFC",
        "PARENT",
        "DORMANT",
        "OLDDEBT",
    }
    assert {account for business, account in by_key if business == "other"} == {
        "KEY1",
        "REFC",
        "SUB1",
        "LOOPA",
    }


def test_profitability_summary_counts_the_value_classes(warehouse):
    rows = query(
        warehouse,
        "select business_id, key_accounts, unprofitable_accounts, core_accounts"
        " from marts.profitability_summary where is_current order by business_id",
    )
    assert rows == [
        # key KEY1, KEY2, REFA, REFB; unprofitable LATEPAY, EXIT, REPRICE, MINUS, OLDDEBT;
        # core the other 8 on the mart, DORMANT and PROSPECT (inactive) included
        ("biz", 4, 5, 8),
        ("other", 1, 0, 4),
    ]


def _summary_dates(warehouse: Path) -> list[tuple]:
    return query(
        warehouse,
        "select business_id, count(*), count(distinct as_of_date),"
        " sum(case when is_current then 1 else 0 end),"
        " max(case when is_current then as_of_date end)"
        " from marts.profitability_summary group by business_id order by business_id",
    )


def test_profitability_summary_is_point_in_time_at_each_month_end(warehouse):
    # `biz` has a customer on its books from 2023-06-01 (KEY2's acquisition cost): a row at
    # the as-of date and at each of the 24 month ends before it (2023-12-31 .. 2025-11-30)
    assert _summary_dates(warehouse)[0] == ("biz", 25, 25, 1, S)
    # As of 2024-12-31 (TTM 2024-01-02 .. 2024-12-31, financing nights 2024-01-02 ..
    # 2024-12-31), `biz` had on its books KEY2, EXIT, REPRICE, REFC, SUB2, DORMANT and
    # OLDDEBT (LATEPAY existed, with nothing yet), all 7 active:
    #   KEY2 1,000.00 - rework 100.00 = 900.00: rank 1 of 7, ceil(7 x 0.10) = 1: key;
    #   EXIT 625.00 - 700.00 - I-EX-1 open 60 nights x 0.40 = 24.00: -99.00, unprofitable;
    #   DORMANT: its sale of 2024-01-01 is one day before that TTM, I-D was owed all 365
    #   nights: -32.00, unprofitable (active by its debt);
    #   REPRICE 300.00, REFC 300.00, SUB2 200.00, OLDDEBT 412.50 - 36.60 = 375.90: core.
    rows = query(
        warehouse,
        "select key_accounts, unprofitable_accounts, core_accounts"
        " from marts.profitability_summary"
        " where business_id = 'biz' and as_of_date = date '2024-12-31'",
    )
    assert rows == [(1, 2, 4)]


def test_profitability_summary_has_a_row_at_every_month_end_even_before_the_first_fact(
    warehouse,
):
    # `other`'s first fact is 2025-03-01: the month ends 2023-12-31 .. 2025-02-28 would
    # show zero customers of every class
    assert _summary_dates(warehouse)[1] == ("other", 25, 25, 1, S)


# ---------------------------------------------------------------------------------------
# Integrity against the raw files


def _read_csv(table: str) -> str:
    return f"read_csv('{DATA / (table + '.csv')}', all_varchar = true)"


def _independent_totals() -> dict[str, dict[str, Decimal]]:
    """Per business: gross margin - cost to serve - financing cost, all time and TTM,
    straight from the CSV files (DuckDB over the files, the tranches walked in Python)."""
    import duckdb

    s, ttm = f"date '{AS_OF}'", f"date '{TTM_START}'"
    with duckdb.connect() as con:
        margin = dict()
        for window, since in [("all", "date '1900-01-01'"), ("ttm", ttm)]:
            for business, amount in con.execute(f"""
                with invoices as (
                    select business_id, invoice_id, cast(invoice_date as date) as day,
                        cast(exchange_rate as decimal(18, 6)) as rate
                    from {_read_csv("invoices")} where lower(status) <> 'void'
                ),
                lines as (
                    select invoices.business_id, invoices.day,
                        round(cast(line_amount as decimal(18, 2)) * rate, 2) as sales,
                        coalesce(round(cast(quantity as decimal(18, 4))
                            * cast(unit_cost as decimal(18, 4)) * rate, 2), 0) as cost
                    from {_read_csv("invoice_lines")} as l
                    join invoices using (business_id, invoice_id)
                ),
                credits as (
                    select business_id, cast(credit_note_date as date) as day,
                        -round(cast(amount as decimal(18, 2))
                            * cast(exchange_rate as decimal(18, 6)), 2) as sales
                    from {_read_csv("credit_notes")}
                ),
                costs as (
                    select business_id, cast(cost_date as date) as day,
                        -cast(amount as decimal(18, 2)) as amount
                    from {_read_csv("customer_costs")} where category <> 'acquisition'
                ),
                signed as (
                    select business_id, day, sales - cost as amount from lines
                    union all select business_id, day, sales from credits
                    union all select business_id, day, amount from costs
                )
                select business_id, sum(amount) from signed
                where day between {since} and {s} group by business_id
            """).fetchall():
                margin[(business, window)] = amount
        invoices = con.execute(f"""
            select business_id, invoice_id, customer_id, cast(invoice_date as date),
                cast(total_amount as decimal(18, 2)), cast(exchange_rate as decimal(18, 6))
            from {_read_csv("invoices")}
            where lower(status) <> 'void' and document_type = 'invoice'
        """).fetchall()
        settlements = con.execute(f"""
            select a.business_id, a.invoice_id, cast(p.payment_date as date), a.payment_id,
                cast(a.amount_applied as decimal(18, 2))
            from {_read_csv("payment_allocations")} as a
            join {_read_csv("payments")} as p using (business_id, payment_id)
            union all
            select business_id, invoice_id, cast(credit_note_date as date), credit_note_id,
                cast(amount as decimal(18, 2)) + cast(tax_amount as decimal(18, 2))
            from {_read_csv("credit_notes")} where invoice_id is not null
        """).fetchall()
    windows = {
        "all": (dt.date(1900, 1, 1), S),
        "ttm": (S - dt.timedelta(days=365), S),
    }
    financing: dict[tuple[str, str, str], Decimal] = {}
    for business, invoice_id, customer, invoice_date, total, rate in invoices:
        if invoice_date > S:
            continue
        # tranches in the invoice's currency, in date then id order, clamped to the total;
        # a settlement after S leaves its tranche open at S
        tranches, covered = [], D(0)
        for _, _, day, _, amount in sorted(
            row for row in settlements if row[:2] == (business, invoice_id)
        ):
            amount = min(amount, total - covered)
            if amount > 0:
                tranches.append((amount, min(day, S)))
                covered += amount
        if covered < total:
            tranches.append((total - covered, S))
        # home currency at the invoice's rate
        tranches = [
            ((amount * rate).quantize(CENT, ROUND_HALF_UP), end) for amount, end in tranches
        ]
        for window, (start, end) in windows.items():
            for amount, settled in tranches:
                days = max(0, (min(settled, end) - max(invoice_date, start)).days)
                key = (business, customer, window)
                financing[key] = financing.get(key, D(0)) + amount * days * D("0.08") / 365
    totals: dict[str, dict[str, Decimal]] = {}
    for (business, window), amount in margin.items():
        cost = sum(
            (
                value.quantize(CENT, ROUND_HALF_UP)
                for (b, _, w), value in financing.items()
                if (b, w) == (business, window)
            ),
            D(0),
        )
        totals.setdefault(business, {})[window] = amount - cost
    return totals


def test_contribution_adds_up_to_the_business_margin_less_costs_from_the_raw_files(mart):
    expected = _independent_totals()
    for business in ["biz", "other"]:
        rows = [row for key, row in mart.items() if key[0] == business]
        assert sum(row["contribution"] for row in rows) == expected[business]["all"], business
        assert sum(row["ttm_contribution"] for row in rows) == expected[business]["ttm"], business
    # and by hand: TTM 18,000.00 (above); all time 18,000.00 + prior-year and older
    # contributions KEY2 900.00, EXIT -99.00, REPRICE 300.00, REFC 300.00, SUB2 200.00,
    # OLDDEBT 412.50 - 36.60 (prior) - 0 = 375.90 and its TTM -73.00 is in the 18,000.00,
    # DORMANT 300.00 - 32.00 = 268.00: 18,000.00 + 900.00 - 99.00 + 300.00 + 300.00
    # + 200.00 + 375.90 + 268.00 = 20,244.90; other 187.81 + 20.00 + 10.00 + 30.00 + 5.00
    # = 252.81
    assert expected == {
        "biz": {"all": D("20244.90"), "ttm": D("18000.00")},
        "other": {"all": D("252.81"), "ttm": D("252.81")},
    }


def test_effort_and_contribution_shares_add_up_to_one(mart):
    for business in ["biz", "other"]:
        for column in ["ttm_effort_share", "ttm_contribution_share"]:
            shares = [
                row[column]
                for key, row in mart.items()
                if key[0] == business and row[column] is not None
            ]
            # effort shares are exact here (hours / 200); contribution shares may be rounded
            # to 6 decimals each (18 customers x 0.0000005)
            assert close(sum(float(share) for share in shares), 1, 0.00001), (business, column)


def test_every_cost_by_the_date_lands_in_exactly_one_category_column(mart):
    import duckdb

    with duckdb.connect() as con:
        csv_costs = con.execute(f"""
            select business_id, customer_id, category,
                sum(cast(amount as decimal(18, 2))),
                sum(case when cast(cost_date as date) >= date '{TTM_START}'
                    then cast(amount as decimal(18, 2)) else 0 end)
            from {_read_csv("customer_costs")}
            where cast(cost_date as date) <= date '{AS_OF}'
            group by all
        """).fetchall()
    expected: dict[tuple[str, str], dict[str, Decimal]] = {}
    for business, customer, category, amount, ttm_amount in csv_costs:
        row = expected.setdefault((business, customer), {})
        row[category + "_cost"] = amount
        row["ttm_" + category + "_cost"] = ttm_amount
    for key, row in mart.items():
        want = expected.get(key, {})
        for category in CATEGORIES:
            for column in [category + "_cost", "ttm_" + category + "_cost"]:
                assert row[column] == want.get(column, D("0.00")), (key, column)
        # cost to serve = every category but acquisition
        assert row["cost_to_serve"] == sum(
            row[c + "_cost"] for c in CATEGORIES if c != "acquisition"
        ), key
    # every customer with a cost by the date is on the mart
    assert set(expected) <= set(mart)
    # in all: the CSV's costs dated by S (all but K1-LATE 500.00 and F-SUP 20.00)
    total_csv = sum(amount for *_, amount, _ in csv_costs)
    total_mart = sum(row[c + "_cost"] for row in mart.values() for c in CATEGORIES)
    assert total_mart == total_csv


# ---------------------------------------------------------------------------------------
# The same marts on PostgreSQL


@pytest.fixture(scope="module")
def on_postgres(postgres, warehouse, tmp_path_factory):  # noqa: F811
    """This export's raw tables on a PostgreSQL server, `dbt build` there: partly paid,
    prepaid and years-open invoices and loops of referrals and parents on both engines."""
    return build_and_read(
        postgres,
        warehouse,
        tmp_path_factory.mktemp("pg_target"),
        PROFITABILITY_MARTS,
        dbt_vars=f"{{as_of_date: '{AS_OF}'}}",
    )


@pytest.mark.postgres
@pytest.mark.parametrize("mart", PROFITABILITY_MARTS)
def test_mart_on_postgres_equals_duckdb_row_for_row(on_postgres, mart):
    build = on_postgres["build"]
    assert build.returncode == 0, build.stdout[-4000:]
    assert_same_rows(on_postgres["pg"], on_postgres["duckdb"], mart, "PostgreSQL")
