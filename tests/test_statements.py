"""Customer accounting (issue 15) on a hand-made export where every line is worked out by hand.

tests/data/statements, one business `biz` (USD, terms 30 days), as of 2025-06-30 (a month
end: the statement months are the 24 month ends 2023-06-30 .. 2025-05-31 and 2025-06-30).
The story is told in 2025-01 .. 2025-06; older purchases (2023, 2024) make the segments.
Financing cost = amount x nights x 0.08 / 365, with amounts chosen so that a night costs a
round sum: 9,125.00 -> 2.00 a night, 4,562.50 -> 1.00, 2,737.50 -> 0.60, 912.50 -> 0.20.

- STEADY: buys 3,000.00 every four months since 2023-09-15 (30 x 100.00 at a unit cost of
  60.00: 40% margin; sales receipts until 2024): Good all through 2025. Invoice I-S4
  (2025-01-15, 3,400.00 + 250.00 tax = 3,650.00) with a credit note tied to it (CN-S4,
  2025-01-25, 850.00 + 62.50 tax = 912.50) and a payment that pays 100.00 too much
  (P-S4, 2025-02-14, 2,837.50 of which 2,737.50 applied), an untied credit note (CN-S9,
  2025-03-20, 200.00 + 15.00 tax): credit on account 100.00 + 215.00 = 315.00. Its May
  invoice I-S5 (2025-05-20, 3,000.00) is prepaid on 2025-04-25 (P-S5): on 2025-04-30 the
  3,000.00 is the customer's credit, from 2025-05-20 a settlement of I-S5.
- SLEEPER: three sales receipts of 1,500.00 (cost 600.00) 122 days apart, the last on
  2024-03-31: Good until 2025-03-31 and Hibernating from 2025-04-30 (more than 365 days
  and more than 3 of its 122-day cycles since its last purchase). A rework cost in 2025-02.
- NEWCO: acquisition 1,000.00 on 2025-01-20 ('No purchase' in January and February), one
  invoice I-N1 of 9,125.00 on 2025-03-01 (cost 8,125.00, unpaid at 2025-03-31: segment New),
  onboarding 500.00 on 2025-03-10, half paid on 2025-04-15 (P-N1 4,562.50: Promising from
  2025-04-30), the other half open at the as-of date; a reimbursement in 2025-04.
- PROSPECT: acquisition 300.00 on 2025-05-10 and no purchase: 'No purchase'.

Customer value and expected cost to serve depend on the CLV model. The test reads ONE model
input: `expected_sales_36m` from `intermediate.customer_value_history` (the CLV step's
discounted expected sales of the next 36 months with the history cut at each month end);
the two shares it is multiplied by (expected contribution margin and expected cost-to-serve
share) are worked out by hand below from spec15's rule, and everything else (receivables,
credit, unearned investment, equity, roll-forward) is hand-worked from the files.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from tests.conftest import query

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "statements"
AS_OF = "2025-06-30"
D = Decimal
Z = D("0.00")
CENT = D("0.01")

DEC24 = dt.date(2024, 12, 31)
JAN = dt.date(2025, 1, 31)
FEB = dt.date(2025, 2, 28)
MAR = dt.date(2025, 3, 31)
APR = dt.date(2025, 4, 30)
MAY = dt.date(2025, 5, 31)
JUN = dt.date(2025, 6, 30)
# The months of the story, and the month end before the first of them.
STORY = [JAN, FEB, MAR, APR, MAY, JUN]
BOOK = [DEC24, *STORY]


def month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month end from `first` to `last` (both month ends)."""
    out, year, month = [], first.year, first.month
    while True:
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        day = following - dt.timedelta(days=1)
        if day > last:
            return out
        out.append(day)
        year, month = following.year, following.month


STATEMENT_MONTHS = month_ends(dt.date(2023, 6, 30), JUN)
assert len(STATEMENT_MONTHS) == 25  # 24 before the as-of date + the as-of date itself

PLAIN = ["STEADY", "SLEEPER", "NEWCO", "PROSPECT"]

# ---------------------------------------------------------------------------------------
# Segments (seeds/segment_rules.csv, dbt_project.yml vars), worked out from the rules.
#
# SLEEPER (purchases 2023-07-31, 2023-11-30, 2024-03-31: a typical gap of 244 / 2 = 122.0
# days; first purchase 2023-07-31):
#   2023-07 .. 2023-09 Promising (first purchase at most 365 days ago);
#   2023-10-31 Possible Mismatch (1 purchase, LTV 1,500.00 below the median of 1,500.00 and
#     STEADY's 3,000.00 = 2,250.00, first purchase 92 days ago > 90);
#   2023-11, 2023-12 Promising (2 purchases, LTV 3,000.00 = the median, not below);
#   2024-01, 2024-02 Possible Mismatch (2 purchases, 3,000.00 < median(3,000, 6,000) = 4,500);
#   2024-03 .. 2024-06 Promising (3 purchases: no longer a possible mismatch);
#   2024-07-31 .. 2025-03-31 Good (first purchase more than 365 days ago; never a Champion:
#     with two buyers in the TTM neither reaches 3x the median; R score 3 or better: on
#     2025-03-31 365 days since 2024-03-31 = 2.99 cycles <= 3, and not more than 365 days);
#   2025-04-30 .. 2025-06-30 Hibernating (395 days = 3.24 cycles > 3: R score 2, and > 365
#     days without a purchase; Hibernating (priority 4) comes before Don't Lose Them (5)).
# STEADY (purchases 2023-09-15, then every four months): Promising to 2024-08-31 (351 days
#   after its first purchase), Good from 2024-09-30 (381 days); 4+ purchases from 2024-05
#   (no mismatch), R score 4-5, steady frequency, never 3x the median TTM sales.
# NEWCO: no purchase in 2025-01 and 2025-02 ('No purchase'); 2025-03-31 New (first purchase
#   30 days ago, nothing paid yet); from 2025-04-30 Promising (paid 2025-04-15; on 2025-05-31
#   and 2025-06-30 its first purchase is 91 and 121 days ago, but its LTV 9,125.00 is the
#   median of 4,500.00, 9,125.00 and 17,350.00, not below it: no mismatch).
# PROSPECT: 'No purchase'.


def _segments() -> dict[tuple[str, dt.date], str]:
    out = {}
    for month in month_ends(dt.date(2023, 7, 31), JUN):
        if month in (dt.date(2023, 10, 31), dt.date(2024, 1, 31), dt.date(2024, 2, 29)):
            out["SLEEPER", month] = "Possible Mismatch"
        elif month <= dt.date(2024, 6, 30):
            out["SLEEPER", month] = "Promising"
        elif month <= MAR:
            out["SLEEPER", month] = "Good"
        else:
            out["SLEEPER", month] = "Hibernating"
    for month in month_ends(dt.date(2023, 9, 30), JUN):
        out["STEADY", month] = "Promising" if month <= dt.date(2024, 8, 31) else "Good"
    out.update({("NEWCO", JAN): "No purchase", ("NEWCO", FEB): "No purchase"})
    out["NEWCO", MAR] = "New"
    out.update({("NEWCO", month): "Promising" for month in (APR, MAY, JUN)})
    out.update({("PROSPECT", MAY): "No purchase", ("PROSPECT", JUN): "No purchase"})
    return out


SEGMENT = _segments()
# A customer is on the statement from the month end of its first dated fact: SLEEPER
# 2023-07-31 (SR-Z0), STEADY 2023-09-30 (SR-S0), NEWCO 2025-01-31 (N-ACQ 2025-01-20),
# PROSPECT 2025-05-31 (P-ACQ 2025-05-10): 24 + 22 + 6 + 2 = 54 rows.
assert len(SEGMENT) == 54

# customer_type: new in the month of the first purchase, returning after, 'no purchase'
# before. purchase_pattern: purchases (non-void invoices and sales receipts) to date.
# margin_band: TTM gross margin % at M against the business's median over the customers
# with TTM net sales > 0 (TTM = the 365 days ending at M):
#   STEADY, to 2024-12-31: every sale at 40%. 2025-01-31 and 2025-02-28 (TTM from 2024-02-02
#     and 2024-03-01): SR-S2 + SR-S3 + I-S4 - CN-S4 = 3,000 + 3,000 + 3,400 - 850 = 8,550.00
#     at 1,800 + 1,800 + 2,040 = 5,640.00: 2,910 / 8,550 = 34.04%. From 2025-03-31: - CN-S9
#     200.00: 8,350.00, 2,710 / 8,350 = 32.46% (to 2025-05-31 SR-S2 of 2024-05-15 leaves the
#     TTM as I-S5 of 2025-05-20 enters it: the same sums).
#   SLEEPER 60% (900 / 1,500) while SR-Z2 (2024-03-31) is in the TTM, i.e. to 2025-02-28
#     (TTM from 2024-03-01); from 2025-03-31 (TTM from 2024-04-01) no TTM sales: unknown.
#   NEWCO from 2025-03-31: 1,000 / 9,125 = 10.96%; before: unknown. PROSPECT: unknown.
#   To 2025-02-28 the median of STEADY and SLEEPER (50%, 47.02%) puts STEADY low, SLEEPER
#   high; from 2025-03-31 the median of STEADY and NEWCO (21.71%) puts STEADY high, NEWCO low.
# (customer_type, margin_band, purchase_pattern) by customer and month:
CUTS: dict[tuple[str, dt.date], tuple[str, str, str]] = {}
# (from 2024-01-31: STEADY's second purchase, SR-S1 2024-01-15, makes it recurring)
for _month in month_ends(dt.date(2024, 1, 31), JUN):
    CUTS["STEADY", _month] = ("returning", "low" if _month <= FEB else "high", "recurring")
    CUTS["SLEEPER", _month] = ("returning", "high" if _month <= FEB else "unknown", "recurring")
CUTS.update(
    {
        ("NEWCO", JAN): ("no purchase", "unknown", "no purchase"),
        ("NEWCO", FEB): ("no purchase", "unknown", "no purchase"),
        ("NEWCO", MAR): ("new", "low", "one-off"),
        ("NEWCO", APR): ("returning", "low", "one-off"),
        ("NEWCO", MAY): ("returning", "low", "one-off"),
        ("NEWCO", JUN): ("returning", "low", "one-off"),
        ("PROSPECT", MAY): ("no purchase", "unknown", "no purchase"),
        ("PROSPECT", JUN): ("no purchase", "unknown", "no purchase"),
    }
)

# ---------------------------------------------------------------------------------------
# The income statement of each customer: the month's flows, by hand.

FLOW_COLUMNS = [
    "net_sales",
    "cost_of_goods",
    "gross_margin",
    "onboarding_cost",
    "support_cost",
    "delivery_cost",
    "rework_cost",
    "reimbursement_cost",
    "other_cost",
    "cost_to_serve",
    "financing_cost",
    "contribution",
    "acquisition_cost",
]


def flow(**amounts: str) -> dict[str, Decimal]:
    """One month's income statement: the lines given, every other line 0.00."""
    unknown = set(amounts) - set(FLOW_COLUMNS)
    assert not unknown, unknown
    return {column: D(amounts.get(column, "0.00")) for column in FLOW_COLUMNS}


NOTHING = flow()
FLOWS: dict[tuple[str, dt.date], dict[str, Decimal]] = {
    # STEADY
    ("STEADY", DEC24): NOTHING,
    # I-S4 34 x 100.00 = 3,400.00 (excl. its 250.00 tax) - CN-S4 850.00 (excl. its 62.50
    # tax) = 2,550.00; cost 34 x 60.00 = 2,040.00; margin 2,550.00 - 2,040.00 = 510.00.
    # Financing: I-S4 3,650.00 from 2025-01-15 cut by settlement into CN-S4's 912.50
    # (settled 2025-01-25: 10 nights x 0.20 = 2.00) and P-S4's 2,737.50 (open on 01-31:
    # 16 nights x 0.60 = 9.60): 11.60. Contribution 510.00 - 0 - 11.60 = 498.40.
    ("STEADY", JAN): flow(
        net_sales="2550.00",
        cost_of_goods="2040.00",
        gross_margin="510.00",
        financing_cost="11.60",
        contribution="498.40",
    ),
    # Support 300.00. Financing to 02-28: 2.00 + P-S4's 2,737.50 settled 2025-02-14 after
    # 30 nights x 0.60 = 18.00: 20.00 - 11.60 = 8.40. Contribution -300.00 - 8.40 = -308.40.
    ("STEADY", FEB): flow(
        support_cost="300.00", cost_to_serve="300.00", financing_cost="8.40", contribution="-308.40"
    ),
    # CN-S9 (untied) 200.00 excl. its 15.00 tax: net sales and margin -200.00
    ("STEADY", MAR): flow(net_sales="-200.00", gross_margin="-200.00", contribution="-200.00"),
    ("STEADY", APR): flow(other_cost="25.00", cost_to_serve="25.00", contribution="-25.00"),
    # I-S5 30 x 100.00 = 3,000.00 at 30 x 60.00 = 1,800.00; prepaid (P-S5 2025-04-25):
    # outstanding no night, no financing cost
    ("STEADY", MAY): flow(
        net_sales="3000.00", cost_of_goods="1800.00", gross_margin="1200.00", contribution="1200.00"
    ),
    ("STEADY", JUN): flow(delivery_cost="100.00", cost_to_serve="100.00", contribution="-100.00"),
    # SLEEPER: only a rework cost in 2025
    ("SLEEPER", DEC24): NOTHING,
    ("SLEEPER", JAN): NOTHING,
    ("SLEEPER", FEB): flow(rework_cost="200.00", cost_to_serve="200.00", contribution="-200.00"),
    ("SLEEPER", MAR): NOTHING,
    ("SLEEPER", APR): NOTHING,
    ("SLEEPER", MAY): NOTHING,
    ("SLEEPER", JUN): NOTHING,
    # NEWCO: acquisition is not in contribution
    ("NEWCO", JAN): flow(acquisition_cost="1000.00"),
    ("NEWCO", FEB): NOTHING,
    # I-N1 9,125.00 at 8,125.00: margin 1,000.00; onboarding 500.00; I-N1 open 30 nights
    # (03-01 .. 03-31) x 2.00 = 60.00; contribution 1,000.00 - 500.00 - 60.00 = 440.00
    ("NEWCO", MAR): flow(
        net_sales="9125.00",
        cost_of_goods="8125.00",
        gross_margin="1000.00",
        onboarding_cost="500.00",
        cost_to_serve="500.00",
        financing_cost="60.00",
        contribution="440.00",
    ),
    # Financing to 04-30: P-N1's 4,562.50 settled 04-15 after 45 nights x 1.00 = 45.00 +
    # the open 4,562.50 60 nights x 1.00 = 60.00: 105.00 - 60.00 = 45.00.
    # Contribution -50.00 (reimbursement) - 45.00 = -95.00.
    ("NEWCO", APR): flow(
        reimbursement_cost="50.00",
        cost_to_serve="50.00",
        financing_cost="45.00",
        contribution="-95.00",
    ),
    # the open 4,562.50: 31 nights in May (1.00 a night), 30 in June
    ("NEWCO", MAY): flow(financing_cost="31.00", contribution="-31.00"),
    ("NEWCO", JUN): flow(financing_cost="30.00", contribution="-30.00"),
    # PROSPECT
    ("PROSPECT", MAY): flow(acquisition_cost="300.00"),
    ("PROSPECT", JUN): NOTHING,
}
# The months of a year before, for the change vs the same month a year before: in
# 2024-01 .. 2024-06 only three sales (no cost, no invoice).
for _month in month_ends(dt.date(2024, 1, 31), dt.date(2024, 6, 30)):
    FLOWS["STEADY", _month] = NOTHING
    FLOWS["SLEEPER", _month] = NOTHING
SALE_3000 = flow(
    net_sales="3000.00", cost_of_goods="1800.00", gross_margin="1200.00", contribution="1200.00"
)
FLOWS["STEADY", dt.date(2024, 1, 31)] = SALE_3000  # SR-S1 2024-01-15
FLOWS["STEADY", dt.date(2024, 5, 31)] = SALE_3000  # SR-S2 2024-05-15
FLOWS["SLEEPER", dt.date(2024, 3, 31)] = flow(  # SR-Z2 2024-03-31
    net_sales="1500.00", cost_of_goods="600.00", gross_margin="900.00", contribution="900.00"
)
# A purchase (non-void invoice or sales receipt) in the month:
PURCHASES = {
    ("STEADY", JAN),
    ("STEADY", MAY),
    ("NEWCO", MAR),
    ("STEADY", dt.date(2024, 1, 31)),
    ("STEADY", dt.date(2024, 5, 31)),
    ("SLEEPER", dt.date(2024, 3, 31)),
}

# ---------------------------------------------------------------------------------------
# The balance sheet of each customer, by hand but for the CLV model's expected sales.

# accounts_receivable at the month end (0.00 where not listed):
RECEIVABLE = {
    # I-S4 3,650.00 - CN-S4 (850.00 + 62.50) = 2,737.50 (P-S4 comes on 02-14);
    # on 02-28: 3,650.00 - 2,737.50 applied - 912.50 = 0.00
    ("STEADY", JAN): D("2737.50"),
    ("NEWCO", MAR): D("9125.00"),  # I-N1, nothing paid
    ("NEWCO", APR): D("4562.50"),  # 9,125.00 - P-N1 4,562.50
    ("NEWCO", MAY): D("4562.50"),
    ("NEWCO", JUN): D("4562.50"),
}
# customer_credit: unapplied cash + untied credit notes incl. tax
CREDIT = {
    ("STEADY", FEB): D("100.00"),  # P-S4 2,837.50 - 2,737.50 applied
    # + CN-S9 200.00 + 15.00 tax = 315.00
    **{("STEADY", month): D("315.00") for month in (MAR, MAY, JUN)},
    # + P-S5 3,000.00 paid on 04-25 for I-S5, an invoice dated 05-20: until then the
    # business owes the customer the money (spec15, changes): 315.00 + 3,000.00
    ("STEADY", APR): D("3315.00"),
}
# unearned_acquisition_investment: investment (acquisition + onboarding to M) less what the
# customer has earned (all-time contribution + onboarding to M, floored at 0, capped at the
# investment). NEWCO's all-time contribution: 440.00 to 03-31, 440.00 - 95.00 = 345.00 to
# 04-30, 345.00 - 31.00 = 314.00 to 05-31, 314.00 - 30.00 = 284.00 to 06-30.
UNEARNED = {
    ("NEWCO", JAN): D("1000.00"),  # 1,000.00 acquisition, nothing earned
    ("NEWCO", FEB): D("1000.00"),
    ("NEWCO", MAR): D("560.00"),  # 1,500.00 - (440.00 + 500.00)
    ("NEWCO", APR): D("655.00"),  # 1,500.00 - (345.00 + 500.00)
    ("NEWCO", MAY): D("686.00"),  # 1,500.00 - (314.00 + 500.00)
    ("NEWCO", JUN): D("716.00"),  # 1,500.00 - (284.00 + 500.00)
    ("PROSPECT", MAY): D("300.00"),  # 300.00 acquisition, nothing earned
    ("PROSPECT", JUN): D("300.00"),
}
# STEADY and SLEEPER have no acquisition or onboarding cost: nothing to earn back.


def q6(value: Decimal) -> Decimal:
    return value.quantize(D("0.000001"), rounding=ROUND_HALF_UP)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# The shares of expected sales (today's, all time to 2025-06-30; spec15): own share shrunk
# toward the business's as if the business were 5 purchase days of evidence.
# All time to 2025-06-30 (net sales, contribution = margin - cost to serve - financing):
#   STEADY  17,350.00 = 5 x 3,000.00 + 3,400.00 - 850.00 - 200.00; margin 17,350.00 -
#           (5 x 1,800.00 + 2,040.00) = 6,310.00; cost to serve 300 + 25 + 100 = 425.00;
#           financing 20.00; contribution 6,310 - 425 - 20 = 5,865.00; 6 purchase days
#   SLEEPER  4,500.00; margin 2,700.00; cost to serve 200.00; contribution 2,500.00; 3 days
#   NEWCO    9,125.00; margin 1,000.00; cost to serve 550.00; financing 166.00 (60 + 45 + 31
#           + 30); contribution 284.00; 1 day
#   business 30,975.00; contribution 8,649.00; cost to serve 1,175.00 (PROSPECT: 0, 0)
BUSINESS_MARGIN = D("8649.00") / D("30975.00")  # 0.279225
BUSINESS_SERVE = D("1175.00") / D("30975.00")  # 0.037934
OWN = {  # purchase days, contribution, cost to serve, net sales
    "STEADY": (6, D("5865.00"), D("425.00"), D("17350.00")),
    "SLEEPER": (3, D("2500.00"), D("200.00"), D("4500.00")),
    "NEWCO": (1, D("284.00"), D("550.00"), D("9125.00")),
}


def shrunk(days: int, own: Decimal, business: Decimal) -> Decimal:
    return q6((days * own + 5 * business) / (days + 5))


# STEADY  (6 x 0.338040 + 5 x 0.279225) / 11 = 0.311306; (6 x 0.024496 + 5 x 0.037934) / 11
#         = 0.030604
# SLEEPER (3 x 0.555556 + 5 x 0.279225) / 8 = 0.382849;  (3 x 0.044444 + 5 x 0.037934) / 8
#         = 0.040375
# NEWCO   (0.031123 + 5 x 0.279225) / 6 = 0.237875;      (0.060274 + 5 x 0.037934) / 6
#         = 0.041657
MARGIN_SHARE = {c: shrunk(n, k / s, BUSINESS_MARGIN) for c, (n, k, _, s) in OWN.items()}
SERVE_SHARE = {c: shrunk(n, t / s, BUSINESS_SERVE) for c, (n, _, t, s) in OWN.items()}
assert MARGIN_SHARE == {"STEADY": D("0.311306"), "SLEEPER": D("0.382849"), "NEWCO": D("0.237875")}
assert SERVE_SHARE == {"STEADY": D("0.030604"), "SLEEPER": D("0.040375"), "NEWCO": D("0.041657")}

BALANCE_COLUMNS = [
    "accounts_receivable",
    "customer_value",
    "total_assets",
    "customer_credit",
    "expected_cost_to_serve",
    "unearned_acquisition_investment",
    "total_liabilities",
    "customer_equity",
]


# ---------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The session's one run of this dataset, shared with tests/test_segment_scenarios.py.
    from tests.conftest import shared_run

    _, target = shared_run(tmp_path_factory, DATA, as_of_date=AS_OF)
    return target


def read(warehouse: Path, table: str) -> list[dict]:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(f"select * from {table}")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def statement(warehouse: Path) -> dict[tuple[str, dt.date], dict]:
    rows = read(warehouse, "marts.customer_statement")
    by_key = {(row["customer_id"], row["month_end_date"]): row for row in rows}
    assert len(by_key) == len(rows), "one row per business, customer and month end"
    assert {row["business_id"] for row in rows} == {"biz"}
    return by_key


@pytest.fixture(scope="module")
def expected_sales(warehouse: Path) -> dict[tuple[str, dt.date], Decimal]:
    """The one model input: expected_sales_36m by customer and month end (the CLV step)."""
    rows = query(
        warehouse,
        "select customer_id, month_end_date, expected_sales_36m"
        " from intermediate.customer_value_history where business_id = 'biz'",
    )
    out = {(customer, month): money(D(str(sales))) for customer, month, sales in rows}
    assert len(out) == len(rows)
    return out


@pytest.fixture(scope="module")
def balances(expected_sales) -> dict[tuple[str, dt.date], dict[str, Decimal]]:
    """Each customer's balance sheet at each month end of the story (and 2024-12-31)."""
    out = {}
    for key in FLOWS:
        customer, month = key
        if month not in BOOK:
            continue
        receivable = RECEIVABLE.get(key, Z)
        sales = expected_sales.get(key, Z) if customer in OWN else Z
        value = money(sales * (MARGIN_SHARE.get(customer, Z) + SERVE_SHARE.get(customer, Z)))
        serve = money(sales * SERVE_SHARE.get(customer, Z))
        credit = CREDIT.get(key, Z)
        unearned = UNEARNED.get(key, Z)
        assets = receivable + value
        liabilities = credit + serve + unearned
        out[key] = {
            "accounts_receivable": receivable,
            "customer_value": value,
            "total_assets": assets,
            "customer_credit": credit,
            "expected_cost_to_serve": serve,
            "unearned_acquisition_investment": unearned,
            "total_liabilities": liabilities,
            "customer_equity": assets - liabilities,
        }
    return out


def equity(balances, customer: str, month: dt.date) -> Decimal:
    return balances[customer, month]["customer_equity"]


# ---------------------------------------------------------------------------------------
# customer_statement


def test_each_customer_is_on_the_statement_from_its_first_dated_fact(statement):
    assert set(statement) == set(SEGMENT)
    for (customer, month), row in statement.items():
        assert row["month_start_date"] == month.replace(day=1), (customer, month)
        assert row["home_currency"] == "USD"
    assert statement["NEWCO", JAN]["customer_name"] == "New this year"


def test_the_segment_of_each_customer_at_each_month_end(statement, warehouse):
    got = {key: row["segment"] for key, row in statement.items()}
    assert got == SEGMENT
    # the buyers' segments are segment_history's (PROSPECT and NEWCO before its first
    # purchase have none there)
    history = {
        (customer, month): segment
        for customer, month, segment in query(
            warehouse,
            "select customer_id, month_end_date, segment from marts.segment_history",
        )
    }
    assert history == {key: s for key, s in SEGMENT.items() if s != "No purchase"}


def test_customer_type_margin_band_and_purchase_pattern(statement):
    got = {
        key: (row["customer_type"], row["margin_band"], row["purchase_pattern"])
        for key, row in statement.items()
        if key in CUTS
    }
    assert got == CUTS


def test_every_income_statement_line_of_each_customer_and_month(statement):
    for key, expected in FLOWS.items():
        row = statement[key]
        assert {column: row[column] for column in FLOW_COLUMNS} == expected, key
        # the month's purchases (non-void invoices and sales receipts): one at most here
        assert row["purchases"] == (1 if key in PURCHASES else 0), key


def test_the_months_add_up_to_each_customers_all_time_figures(statement):
    # Over all 25 months (older months included): all time to 2025-06-30.
    def total(customer: str, column: str) -> Decimal:
        return sum((row[column] for (c, _), row in statement.items() if c == customer), start=Z)

    # STEADY: 5 x 3,000.00 + 3,400.00 - 850.00 - 200.00 = 17,350.00; cost 5 x 1,800.00 +
    # 2,040.00 = 11,040.00; contribution 17,350.00 - 11,040.00 - 425.00 - 20.00 = 5,865.00
    assert total("STEADY", "net_sales") == D("17350.00")
    assert total("STEADY", "cost_of_goods") == D("11040.00")
    assert total("STEADY", "financing_cost") == D("20.00")
    assert total("STEADY", "contribution") == D("5865.00")
    # SLEEPER: 3 x 1,500.00 at 3 x 600.00, rework 200.00
    assert total("SLEEPER", "net_sales") == D("4500.00")
    assert total("SLEEPER", "contribution") == D("2500.00")
    # NEWCO: 1,000.00 - 550.00 - 166.00 = 284.00; acquisition 1,000.00
    assert total("NEWCO", "contribution") == D("284.00")
    assert total("NEWCO", "acquisition_cost") == D("1000.00")
    assert total("PROSPECT", "acquisition_cost") == D("300.00")


def test_the_shares_of_expected_sales_are_todays_worked_out_by_hand(warehouse):
    got = {
        customer: (margin, serve)
        for customer, margin, serve in query(
            warehouse,
            "select customer_id, expected_contribution_margin, expected_cost_to_serve_share"
            " from intermediate.int_customers_clv_prepared where business_id = 'biz'",
        )
    }
    assert got == {c: (MARGIN_SHARE[c], SERVE_SHARE[c]) for c in OWN}


def test_expected_sales_exist_once_a_customer_has_bought(expected_sales):
    # the model input is there for the buyers at every month end from their first
    # purchase, and for no one before it
    for customer, month in SEGMENT:
        if month not in BOOK:
            continue
        bought = customer in ("STEADY", "SLEEPER") or (customer == "NEWCO" and month >= MAR)
        assert ((customer, month) in expected_sales) == bought, (customer, month)
        if bought:
            assert expected_sales[customer, month] >= 0


def test_every_balance_sheet_line_of_each_customer_and_month_end(
    statement, balances, expected_sales
):
    for key, expected in balances.items():
        row = statement[key]
        assert {column: row[column] for column in BALANCE_COLUMNS} == expected, key
        # the statement shows the model input it used (0 before a purchase)
        assert row["expected_sales_36m"] == expected_sales.get(key, Z), key


def test_the_hand_worked_receivables_credit_and_unearned_investment(statement):
    # The lines that do not depend on the CLV model, spelled out once more.
    assert [statement["STEADY", m]["accounts_receivable"] for m in BOOK] == [
        Z,
        D("2737.50"),
        Z,
        Z,
        Z,
        Z,
        Z,
    ]
    assert [statement["STEADY", m]["customer_credit"] for m in BOOK] == [
        Z,
        Z,
        D("100.00"),
        D("315.00"),
        D("3315.00"),
        D("315.00"),
        D("315.00"),
    ]
    assert [statement["NEWCO", m]["accounts_receivable"] for m in STORY] == [
        Z,
        Z,
        D("9125.00"),
        D("4562.50"),
        D("4562.50"),
        D("4562.50"),
    ]
    assert [statement["NEWCO", m]["unearned_acquisition_investment"] for m in STORY] == [
        D("1000.00"),
        D("1000.00"),
        D("560.00"),
        D("655.00"),
        D("686.00"),
        D("716.00"),
    ]
    # no purchase by the month end: no customer value; NEWCO in January: 0 - 1,000.00
    assert statement["NEWCO", JAN]["customer_value"] == Z
    assert statement["NEWCO", JAN]["customer_equity"] == D("-1000.00")
    assert statement["PROSPECT", MAY]["customer_equity"] == D("-300.00")
    assert statement["SLEEPER", JAN]["unearned_acquisition_investment"] == Z


def test_every_customer_row_balances_to_the_cent(statement):
    for key, row in statement.items():
        assert row["total_assets"] == row["accounts_receivable"] + row["customer_value"], key
        assert row["total_liabilities"] == (
            row["customer_credit"]
            + row["expected_cost_to_serve"]
            + row["unearned_acquisition_investment"]
        ), key
        assert row["customer_equity"] == row["total_assets"] - row["total_liabilities"], key


# ---------------------------------------------------------------------------------------
# segment_income_statement

CUT_INDEX = {"customer_type": 0, "margin_band": 1, "purchase_pattern": 2}
# Every value a cut has at any statement month end, at every month end:
CUT_VALUES = {
    "segment": {"Promising", "Possible Mismatch", "Good", "Hibernating", "New", "No purchase"},
    # 'new': SLEEPER in 2023-07, STEADY in 2023-09, NEWCO in 2025-03
    "customer_type": {"new", "returning", "no purchase"},
    "margin_band": {"high", "low", "unknown"},
    # one-off: SLEEPER 2023-07 .. 2023-10, STEADY 2023-09 .. 2023-12, NEWCO from 2025-03
    "purchase_pattern": {"recurring", "one-off", "no purchase"},
}
SEGMENT_PRIORITY = {
    "New": 1,
    "Possible Mismatch": 3,
    "Hibernating": 4,
    "Good": 9,
    "Promising": 8,
    "No purchase": None,
}


def cut_value(cut: str, customer: str, month: dt.date) -> str:
    if cut == "segment":
        return SEGMENT[customer, month]
    return CUTS[customer, month][CUT_INDEX[cut]]


def expected_cut_rows(month: dt.date) -> dict[tuple[str, str], dict]:
    """The hand-worked customers' flows of a month summed by cut value."""
    out = {}
    for cut, values in CUT_VALUES.items():
        for value in values:
            members = [
                c for c in PLAIN if (c, month) in SEGMENT and cut_value(cut, c, month) == value
            ]
            row = {
                column: sum((FLOWS[c, month][column] for c in members), start=Z)
                for column in FLOW_COLUMNS
            }
            row["customers"] = len(members)
            row["purchasing_customers"] = sum((c, month) in PURCHASES for c in members)
            out[cut, value] = row
    return out


@pytest.fixture(scope="module")
def income(warehouse: Path) -> dict[tuple[dt.date, str, str], dict]:
    rows = read(warehouse, "marts.segment_income_statement")
    by_key = {(r["month_end_date"], r["cut"], r["cut_value"]): r for r in rows}
    assert len(by_key) == len(rows), "one row per business, month end, cut and value"
    return by_key


def test_every_cut_value_at_every_statement_month_end(income):
    expected = {
        (month, cut, value)
        for month in STATEMENT_MONTHS
        for cut, values in CUT_VALUES.items()
        for value in values
    }
    assert set(income) == expected


def test_the_segment_income_statement_by_hand(income):
    # The segment cut, the main statement, spelled out (customers, purchasing customers,
    # net sales, cost of goods, cost to serve, financing, contribution, acquisition):
    def line(*values):
        customers, purchasing, *amounts = values
        return (customers, purchasing, *(D(a) for a in amounts))

    expected = {
        # Good = STEADY + SLEEPER: January STEADY's I-S4 and CN-S4
        (JAN, "Good"): line(2, 1, "2550.00", "2040.00", "0.00", "11.60", "498.40", "0.00"),
        (JAN, "No purchase"): line(1, 0, "0.00", "0.00", "0.00", "0.00", "0.00", "1000.00"),
        # February: STEADY support 300.00 + SLEEPER rework 200.00 = 500.00; financing 8.40;
        # contribution -308.40 - 200.00 = -508.40
        (FEB, "Good"): line(2, 0, "0.00", "0.00", "500.00", "8.40", "-508.40", "0.00"),
        (FEB, "No purchase"): line(1, 0, "0.00", "0.00", "0.00", "0.00", "0.00", "0.00"),
        (MAR, "Good"): line(2, 0, "-200.00", "0.00", "0.00", "0.00", "-200.00", "0.00"),
        (MAR, "New"): line(1, 1, "9125.00", "8125.00", "500.00", "60.00", "440.00", "0.00"),
        (MAR, "No purchase"): line(0, 0, "0.00", "0.00", "0.00", "0.00", "0.00", "0.00"),
        # April: SLEEPER has moved to Hibernating, NEWCO to Promising
        (APR, "Good"): line(1, 0, "0.00", "0.00", "25.00", "0.00", "-25.00", "0.00"),
        (APR, "Hibernating"): line(1, 0, "0.00", "0.00", "0.00", "0.00", "0.00", "0.00"),
        (APR, "Promising"): line(1, 0, "0.00", "0.00", "50.00", "45.00", "-95.00", "0.00"),
        (APR, "New"): line(0, 0, "0.00", "0.00", "0.00", "0.00", "0.00", "0.00"),
        (MAY, "Good"): line(1, 1, "3000.00", "1800.00", "0.00", "0.00", "1200.00", "0.00"),
        (MAY, "Promising"): line(1, 0, "0.00", "0.00", "0.00", "31.00", "-31.00", "0.00"),
        (MAY, "No purchase"): line(1, 0, "0.00", "0.00", "0.00", "0.00", "0.00", "300.00"),
        (JUN, "Good"): line(1, 0, "0.00", "0.00", "100.00", "0.00", "-100.00", "0.00"),
        (JUN, "Promising"): line(1, 0, "0.00", "0.00", "0.00", "30.00", "-30.00", "0.00"),
        (JUN, "Hibernating"): line(1, 0, "0.00", "0.00", "0.00", "0.00", "0.00", "0.00"),
    }
    columns = [
        "customers",
        "purchasing_customers",
        "net_sales",
        "cost_of_goods",
        "cost_to_serve",
        "financing_cost",
        "contribution",
        "acquisition_cost",
    ]
    for (month, segment), values in expected.items():
        row = income[month, "segment", segment]
        assert tuple(row[c] for c in columns) == values, (month, segment)


def test_every_line_of_every_cut_in_the_months_of_the_story(income):
    for month in STORY:
        for (cut, value), expected in expected_cut_rows(month).items():
            row = income[month, cut, value]
            got = {column: row[column] for column in expected}
            assert got == expected, (month, cut, value)
            # contribution / net sales, only on positive sales
            if expected["net_sales"] > 0:
                ratio = expected["contribution"] / expected["net_sales"]
                assert abs(D(str(row["contribution_margin"])) - ratio) < D("0.00005")
            else:
                assert row["contribution_margin"] is None, (month, cut, value)
            priority = SEGMENT_PRIORITY[value] if cut == "segment" else None
            assert row["segment_priority"] == priority, (month, cut, value)


def test_the_contribution_margin_of_the_month(income):
    # March, New: 440.00 / 9,125.00 = 0.048219; May, Good: 1,200.00 / 3,000.00 = 0.4;
    # January, Good: 498.40 / 2,550.00 = 0.195451; March, Good: net sales -200.00: none
    assert abs(D(str(income[MAR, "segment", "New"]["contribution_margin"])) - D("0.048219")) < D(
        "0.000001"
    )
    assert abs(D(str(income[MAY, "segment", "Good"]["contribution_margin"])) - D("0.4")) < D(
        "0.000001"
    )
    assert abs(D(str(income[JAN, "segment", "Good"]["contribution_margin"])) - D("0.195451")) < D(
        "0.000001"
    )
    assert income[MAR, "segment", "Good"]["contribution_margin"] is None


def test_changes_vs_the_previous_month_and_a_year_before(income):
    def value(month: dt.date, cut: str, cut_value: str, column: str) -> Decimal:
        return expected_cut_rows(month)[cut, cut_value][column]

    for month in STORY:
        previous = BOOK[BOOK.index(month) - 1]
        year_before = dt.date(month.year - 1, month.month, 1)
        year_before = month_ends(year_before, month)[0]
        for cut, values in CUT_VALUES.items():
            for cut_value_ in values:
                row = income[month, cut, cut_value_]
                for column in ("net_sales", "contribution"):
                    now = value(month, cut, cut_value_, column)
                    assert row[f"{column}_change_prev_month"] == now - value(
                        previous, cut, cut_value_, column
                    ), (month, cut, cut_value_, column)
                    assert row[f"{column}_change_prev_year"] == now - value(
                        year_before, cut, cut_value_, column
                    ), (month, cut, cut_value_, column)
    # Spelled out: January 2025, Good: 2,550.00 - December's 0.00; a year before (2024-01)
    # Good had no customer: +2,550.00. Promising: 0.00 now - STEADY's SR-S1 3,000.00 in
    # 2024-01 = -3,000.00, contribution 0.00 - 1,200.00 = -1,200.00.
    assert income[JAN, "segment", "Good"]["net_sales_change_prev_month"] == D("2550.00")
    assert income[JAN, "segment", "Good"]["net_sales_change_prev_year"] == D("2550.00")
    assert income[JAN, "segment", "Promising"]["net_sales_change_prev_year"] == D("-3000.00")
    assert income[JAN, "segment", "Promising"]["contribution_change_prev_year"] == D("-1200.00")
    # March 2025, Good: -200.00 - February's 0.00; contribution -200.00 - (-508.40) = 308.40.
    # Promising: 0 - SLEEPER's SR-Z2 1,500.00 (2024-03, Promising then) = -1,500.00.
    assert income[MAR, "segment", "Good"]["contribution_change_prev_month"] == D("308.40")
    assert income[MAR, "segment", "Promising"]["net_sales_change_prev_year"] == D("-1500.00")
    # May 2025, Promising: NEWCO -31.00 now, STEADY's SR-S2 1,200.00 in 2024-05:
    # -31.00 - 1,200.00 = -1,231.00
    assert income[MAY, "segment", "Promising"]["contribution_change_prev_year"] == D("-1231.00")


def test_changes_are_blank_without_a_statement_month_before(income):
    # 2023-06-30 is the first statement month end: no previous month; no year before
    # until 2024-06-30
    for (month, cut, value), row in income.items():
        if month == dt.date(2023, 6, 30):
            assert row["net_sales_change_prev_month"] is None, (cut, value)
        if month < dt.date(2024, 6, 30):
            assert row["net_sales_change_prev_year"] is None, (month, cut, value)
            assert row["contribution_change_prev_year"] is None, (month, cut, value)
        else:
            assert row["net_sales_change_prev_year"] is not None, (month, cut, value)


def test_each_cut_sums_to_the_whole_business(income, warehouse):
    # The business's figures of each month from the raw documents (an independent query):
    # line amounts of non-void sales documents less credit notes, line costs, customer costs.
    ledger = {
        month: (D(str(sales)), D(str(goods)), D(str(serve)))
        for month, sales, goods, serve in query(
            warehouse,
            """
            with months as (
                select distinct month_end_date from marts.segment_income_statement
            ),
            sales as (
                select i.invoice_date as day, l.line_amount as sales,
                    l.quantity * coalesce(l.unit_cost, 0) as goods, 0 as serve
                from raw.invoice_lines l join raw.invoices i using (business_id, invoice_id)
                where i.status <> 'void'
                union all
                select credit_note_date, -amount, 0, 0 from raw.credit_notes
                union all
                select cost_date, 0, 0, amount from raw.customer_costs
                where category <> 'acquisition'
            )
            select months.month_end_date, coalesce(sum(sales), 0), coalesce(sum(goods), 0),
                coalesce(sum(serve), 0)
            from months left join sales
                on date_trunc('month', sales.day) = date_trunc('month', months.month_end_date)
            group by 1
            """,
        )
    }
    for month in STATEMENT_MONTHS:
        for cut in CUT_VALUES:
            rows = [income[month, cut, value] for value in CUT_VALUES[cut]]
            summed = tuple(
                sum((r[c] for r in rows), start=Z)
                for c in ("net_sales", "cost_of_goods", "cost_to_serve")
            )
            assert summed == ledger[month], (month, cut)
            assert sum(r["customers"] for r in rows) == sum(
                1 for (_, m) in SEGMENT if m == month
            ), (month, cut)
    # Over the story, by hand: net sales 2,550.00 + 0 - 200.00 + 9,125.00 + 0 + 3,000.00
    # + 0 = 14,475.00; contribution 498.40 - 508.40 - 200.00 + 440.00 - 25.00 - 95.00
    # + 1,200.00 - 31.00 - 100.00 - 30.00 = 1,149.00; acquisition 1,000.00 + 300.00
    story = [income[m, "segment", v] for m in STORY for v in CUT_VALUES["segment"]]
    assert sum((r["net_sales"] for r in story), start=Z) == D("14475.00")
    assert sum((r["contribution"] for r in story), start=Z) == D("1149.00")
    assert sum((r["acquisition_cost"] for r in story), start=Z) == D("1300.00")
    # financing: 11.60 + 8.40 + 60.00 + 45.00 + 31.00 + 30.00 = 186.00
    assert sum((r["financing_cost"] for r in story), start=Z) == D("186.00")


# ---------------------------------------------------------------------------------------
# segment_balance_sheet


@pytest.fixture(scope="module")
def balance_sheet(warehouse: Path) -> dict[tuple[dt.date, str], dict]:
    rows = read(warehouse, "marts.segment_balance_sheet")
    by_key = {(r["month_end_date"], r["segment"]): r for r in rows}
    assert len(by_key) == len(rows), "one row per business, month end and segment"
    return by_key


# Which customers make up each segment at each month end of the book:
MEMBERS = {
    (DEC24, "Good"): ["STEADY", "SLEEPER"],
    (JAN, "Good"): ["STEADY", "SLEEPER"],
    (JAN, "No purchase"): ["NEWCO"],
    (FEB, "Good"): ["STEADY", "SLEEPER"],
    (FEB, "No purchase"): ["NEWCO"],
    (MAR, "Good"): ["STEADY", "SLEEPER"],
    (MAR, "New"): ["NEWCO"],
    (APR, "Good"): ["STEADY"],
    (APR, "Hibernating"): ["SLEEPER"],
    (APR, "Promising"): ["NEWCO"],
    (MAY, "Good"): ["STEADY"],
    (MAY, "Hibernating"): ["SLEEPER"],
    (MAY, "Promising"): ["NEWCO"],
    (MAY, "No purchase"): ["PROSPECT"],
    (JUN, "Good"): ["STEADY"],
    (JUN, "Hibernating"): ["SLEEPER"],
    (JUN, "Promising"): ["NEWCO"],
    (JUN, "No purchase"): ["PROSPECT"],
}
assert sorted((m, c) for (m, _), cs in MEMBERS.items() for c in cs) == sorted(
    (m, c) for (c, m) in SEGMENT if m in BOOK
)


def test_every_segment_balance_sheet_line(balance_sheet, balances):
    for (month, segment), members in MEMBERS.items():
        row = balance_sheet[month, segment]
        assert row["customers"] == len(members), (month, segment)
        assert row["segment_priority"] == SEGMENT_PRIORITY[segment], (month, segment)
        for column in BALANCE_COLUMNS:
            expected = sum((balances[c, month][column] for c in members), start=Z)
            assert row[column] == expected, (month, segment, column)
    # A segment without a customer at a month end has nothing on its balance sheet.
    for (month, segment), row in balance_sheet.items():
        if month in BOOK and (month, segment) not in MEMBERS:
            assert row["customers"] == 0, (month, segment)
            assert all(row[c] == 0 for c in BALANCE_COLUMNS), (month, segment)


def test_the_segment_balance_sheet_without_the_clv_model(balance_sheet):
    # the lines that need no model, spelled out: Good in January holds STEADY's 2,737.50
    # receivable; New in March NEWCO's 9,125.00, Promising from April 4,562.50; Good's
    # credit 100.00 in February and 315.00 after; the unearned investment sits in
    # No purchase (NEWCO 1,000.00), then New (560.00), then Promising (655.00, 686.00,
    # 716.00), and PROSPECT's 300.00 in No purchase.
    def line(month, segment, column):
        return balance_sheet[month, segment][column]

    assert line(JAN, "Good", "accounts_receivable") == D("2737.50")
    assert line(MAR, "New", "accounts_receivable") == D("9125.00")
    assert line(APR, "Promising", "accounts_receivable") == D("4562.50")
    assert line(FEB, "Good", "customer_credit") == D("100.00")
    assert line(APR, "Good", "customer_credit") == D("3315.00")  # with the prepayment
    # the prepaid I-S5 is no receivable in May: 3,000.00 - 3,000.00 applied
    assert line(MAY, "Good", "accounts_receivable") == Z
    assert line(JUN, "Good", "customer_credit") == D("315.00")
    assert line(JAN, "No purchase", "unearned_acquisition_investment") == D("1000.00")
    assert line(MAR, "New", "unearned_acquisition_investment") == D("560.00")
    assert line(JUN, "Promising", "unearned_acquisition_investment") == D("716.00")
    assert line(JUN, "No purchase", "unearned_acquisition_investment") == D("300.00")
    # no purchase, no customer value: 0 - 1,000.00 and 0 - 300.00
    assert line(JAN, "No purchase", "customer_equity") == D("-1000.00")
    assert line(MAY, "No purchase", "customer_equity") == D("-300.00")


def test_every_segment_row_balances_and_the_segments_sum_to_the_business(
    balance_sheet, statement, warehouse
):
    for key, row in balance_sheet.items():
        assert row["total_assets"] == row["accounts_receivable"] + row["customer_value"], key
        assert row["total_liabilities"] == (
            row["customer_credit"]
            + row["expected_cost_to_serve"]
            + row["unearned_acquisition_investment"]
        ), key
        assert row["customer_equity"] == row["total_assets"] - row["total_liabilities"], key
    # receivables at each month end from the raw documents (an independent query): credit
    # invoices to date less payments applied and tied credit notes (incl. tax) to date
    open_at = dict(
        query(
            warehouse,
            """
            with months as (
                select distinct month_end_date from marts.segment_balance_sheet
            )
            select months.month_end_date, coalesce(sum(
                i.total_amount
                - coalesce((select sum(a.amount_applied) from raw.payment_allocations a
                            join raw.payments p using (business_id, payment_id)
                            where a.invoice_id = i.invoice_id
                              and p.payment_date <= months.month_end_date), 0)
                - coalesce((select sum(c.amount + c.tax_amount) from raw.credit_notes c
                            where c.invoice_id = i.invoice_id
                              and c.credit_note_date <= months.month_end_date), 0)
            ), 0)
            from months left join raw.invoices i
                on i.document_type = 'invoice' and i.status <> 'void'
                and i.invoice_date <= months.month_end_date
            group by 1
            """,
        )
    )
    # a row for every segment with a customer: from 2023-07-31 (SLEEPER's first receipt)
    months = {month for month, _ in balance_sheet}
    assert months == set(STATEMENT_MONTHS[1:])
    for month in months:
        rows = [row for (m, _), row in balance_sheet.items() if m == month]
        assert sum(r["customers"] for r in rows) == sum(1 for (_, m) in SEGMENT if m == month)
        assert sum((r["accounts_receivable"] for r in rows), start=Z) == D(str(open_at[month]))
        for column in BALANCE_COLUMNS:
            assert sum((r[column] for r in rows), start=Z) == sum(
                (row[column] for (_, m), row in statement.items() if m == month), start=Z
            ), (month, column)


# ---------------------------------------------------------------------------------------
# customer_equity_rollforward

MOVEMENTS = [
    "acquired_equity",
    "moved_in_equity",
    "moved_out_equity",
    "lost_equity",
    "revaluation",
]
COUNTS = [
    "opening_customers",
    "acquired_customers",
    "moved_in_customers",
    "moved_out_customers",
    "lost_customers",
    "closing_customers",
]


@pytest.fixture(scope="module")
def rollforward(warehouse: Path) -> dict[tuple[dt.date, str], dict]:
    rows = read(warehouse, "marts.customer_equity_rollforward")
    by_key = {(r["month_end_date"], r["segment"]): r for r in rows}
    assert len(by_key) == len(rows), "one row per business, month end and segment"
    return by_key


@pytest.fixture(scope="module")
def expected_rollforward(balances) -> dict[tuple[dt.date, str], dict]:
    """The bridge of each month of the story, segment by segment, by hand."""

    def e(customer: str, month: dt.date) -> Decimal:
        return equity(balances, customer, month)

    def row(counts: tuple[int, ...], opening=Z, **movements: Decimal) -> dict:
        out = {"opening_equity": opening}
        out.update({m: movements.get(m, Z) for m in MOVEMENTS})
        out["closing_equity"] = opening + sum((out[m] for m in MOVEMENTS), start=Z)
        out.update(dict(zip(COUNTS, counts, strict=True)))
        return out

    def stay(previous: dt.date, month: dt.date, *customers: str) -> dict:
        """Segment whose customers all stay: equity moves by revaluation only."""
        return row(
            (len(customers), 0, 0, 0, 0, len(customers)),
            opening=sum((e(c, previous) for c in customers), start=Z),
            revaluation=sum((e(c, month) - e(c, previous) for c in customers), start=Z),
        )

    return {
        # January: STEADY and SLEEPER stay Good; NEWCO appears (N-ACQ 2025-01-20) in
        # No purchase: acquired at its equity 0.00 - 1,000.00 = -1,000.00.
        (JAN, "Good"): stay(DEC24, JAN, "STEADY", "SLEEPER"),
        (JAN, "No purchase"): row((0, 1, 0, 0, 0, 1), acquired_equity=e("NEWCO", JAN)),
        (FEB, "Good"): stay(JAN, FEB, "STEADY", "SLEEPER"),
        # NEWCO stays in No purchase: -1,000.00 to -1,000.00, no revaluation
        (FEB, "No purchase"): stay(JAN, FEB, "NEWCO"),
        (MAR, "Good"): stay(FEB, MAR, "STEADY", "SLEEPER"),
        # NEWCO's first purchase: acquired into New at its March equity, and it leaves
        # No purchase with its February equity: moved out -(-1,000.00) = +1,000.00.
        (MAR, "No purchase"): row(
            (1, 0, 0, 1, 0, 0), opening=e("NEWCO", FEB), moved_out_equity=-e("NEWCO", FEB)
        ),
        (MAR, "New"): row((0, 1, 0, 0, 0, 1), acquired_equity=e("NEWCO", MAR)),
        # April: SLEEPER falls asleep: lost from Good at its March equity, moved into
        # Hibernating at the same, revalued there; NEWCO moves New -> Promising.
        (APR, "Good"): row(
            (2, 0, 0, 0, 1, 1),
            opening=e("STEADY", MAR) + e("SLEEPER", MAR),
            lost_equity=-e("SLEEPER", MAR),
            revaluation=e("STEADY", APR) - e("STEADY", MAR),
        ),
        (APR, "Hibernating"): row(
            (0, 0, 1, 0, 0, 1),
            moved_in_equity=e("SLEEPER", MAR),
            revaluation=e("SLEEPER", APR) - e("SLEEPER", MAR),
        ),
        (APR, "New"): row(
            (1, 0, 0, 1, 0, 0), opening=e("NEWCO", MAR), moved_out_equity=-e("NEWCO", MAR)
        ),
        (APR, "Promising"): row(
            (0, 0, 1, 0, 0, 1),
            moved_in_equity=e("NEWCO", MAR),
            revaluation=e("NEWCO", APR) - e("NEWCO", MAR),
        ),
        (MAY, "Good"): stay(APR, MAY, "STEADY"),
        (MAY, "Hibernating"): stay(APR, MAY, "SLEEPER"),
        (MAY, "Promising"): stay(APR, MAY, "NEWCO"),
        # PROSPECT appears (P-ACQ 2025-05-10): acquired at 0.00 - 300.00 = -300.00
        (MAY, "No purchase"): row((0, 1, 0, 0, 0, 1), acquired_equity=e("PROSPECT", MAY)),
        (JUN, "Good"): stay(MAY, JUN, "STEADY"),
        (JUN, "Hibernating"): stay(MAY, JUN, "SLEEPER"),
        (JUN, "Promising"): stay(MAY, JUN, "NEWCO"),
        (JUN, "No purchase"): stay(MAY, JUN, "PROSPECT"),
    }


def test_the_hand_worked_movements_without_the_clv_model(expected_rollforward):
    # the movements of customers without customer value, in figures. NEWCO leaves
    # No purchase in March with a negative equity (its unearned acquisition spend): its
    # moved-out line is -(-1,000.00) = +1,000.00, so moved_out_equity is not always <= 0.
    assert expected_rollforward[JAN, "No purchase"]["acquired_equity"] == D("-1000.00")
    assert expected_rollforward[FEB, "No purchase"]["revaluation"] == Z
    assert expected_rollforward[MAR, "No purchase"]["moved_out_equity"] == D("1000.00")
    assert expected_rollforward[MAR, "No purchase"]["closing_equity"] == Z
    assert expected_rollforward[MAY, "No purchase"]["acquired_equity"] == D("-300.00")


def test_every_rollforward_line_of_the_story(rollforward, expected_rollforward):
    got = {key: row for key, row in rollforward.items() if key[0] in STORY}
    assert set(got) == set(expected_rollforward)
    for key, expected in expected_rollforward.items():
        row = got[key]
        assert {column: row[column] for column in expected} == expected, key
        assert row["segment_priority"] == SEGMENT_PRIORITY[key[1]], key


def test_the_rollforward_closes_to_the_balance_sheet(rollforward, balance_sheet):
    def equity_at(month: dt.date, segment: str) -> Decimal:
        row = balance_sheet.get((month, segment))
        return row["customer_equity"] if row else Z

    for (month, segment), row in rollforward.items():
        previous = STATEMENT_MONTHS[STATEMENT_MONTHS.index(month) - 1]
        movements = sum((row[m] for m in MOVEMENTS), start=Z)
        assert row["closing_equity"] == row["opening_equity"] + movements, (month, segment)
        assert row["opening_equity"] == equity_at(previous, segment), (month, segment)
        assert row["closing_equity"] == equity_at(month, segment), (month, segment)
        assert (
            row["closing_customers"]
            == row["opening_customers"]
            + row["acquired_customers"]
            + row["moved_in_customers"]
            - row["moved_out_customers"]
            - row["lost_customers"]
        )


def test_the_rollforward_bridges_every_month_whose_previous_is_a_statement_month(
    rollforward, statement
):
    # spec15: the months whose P is a statement month end: 2023-07-31 .. 2025-06-30 (P =
    # 2023-06-30 is the oldest statement month end, though no customer is on it yet).
    assert sorted({month for month, _ in rollforward}) == STATEMENT_MONTHS[1:]
    # 2023-07-31: SLEEPER's first receipt (SR-Z0) brings it from nowhere into Promising:
    # acquired at its equity that day, opening 0.00
    first = dt.date(2023, 7, 31)
    assert set(key for key in rollforward if key[0] == first) == {(first, "Promising")}
    row = rollforward[first, "Promising"]
    equity_then = statement["SLEEPER", first]["customer_equity"]
    assert (row["opening_equity"], row["acquired_equity"], row["closing_equity"]) == (
        Z,
        equity_then,
        equity_then,
    )
    assert (row["acquired_customers"], row["closing_customers"]) == (1, 1)
