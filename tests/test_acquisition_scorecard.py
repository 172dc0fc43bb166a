"""The acquisition scorecard (issue 16) on a hand-made export where every figure is worked
out by hand below.

tests/data/growth, business `acq` (USD), as of 2025-06-30, its export_complete_to_date (a month
end, so the month under way is July 2025). The dataset's other businesses are
tests/test_sales_rep_scorecard.py's: one pipeline run serves both files. Every sale is a
sales receipt (paid at once: no financing) except A5's first invoice. Cost of goods is the
lines' quantity x unit cost.

| customer | channel  | rep     | won        | sales (cost of goods)                              |
|----------|----------|---------|------------|----------------------------------------------------|
| A1       | web      | Ann     | 2024-01-10 | 1,000 (400) in 2024-01, -03, -06 and 2025-02       |
| A2       | web      | Bob     | 2024-05-20 | 500 (200); untied credit note 100 on 2024-06-01    |
| A3       | referral | Ann     | 2025-02-05 | 2,000 (1,000); referred by A1                      |
| A4       | (blank)  | (blank) | 2023-06-15 | 800 (300) in 2023-06 and 2024-08                   |
| A5       | outbound | Bob     | 2024-08-10 | invoice 1,200 (600) paid 2024-09-09; 1,200 (600) on |
|          |          |         |            | 2025-01-10                                         |
| A6       | partner  | Ann     | 2024-07-31 | 700 (350) on 2024-07-31 and on 2025-06-30          |
| P1       | web      | Bob     | never      | none: a prospect                                   |

Costs: A1 acquisition 1,300 (2023-12-20, before its first sale: earned nothing, counts in
month 1) and onboarding 100 (2024-01); A2 acquisition 300, support 50 (2024-07); A3
onboarding 150 (2025-02); A5 acquisition 1,000 (2024-07); P1 acquisition 120 (2025-03) and
999 on 2025-07-05, after the as-of date (not counted).

A5's invoice is outstanding 30 nights (2024-08-10 .. 2024-09-09): financing 1,200 x 30 x
0.08 / 365 = 7.890... -> 7.89 to date, of which to 2024-08-31 (21 nights) 5.523... -> 5.52
(August) and 7.89 - 5.52 = 2.37 (September).

What each customer earns (contribution before onboarding, month 1 = the month it was won):
- A1: 600 in months 1, 3, 6 and 14 (1,000 - 400): 2,400. Contribution 2,400 - 100 = 2,300.
- A2: 300 in month 1, -100 (credit note) in month 2, -50 (support) in month 3: 150.
- A3: 1,000 in month 1 (2,000 - 1,000); onboarding 150 is in the spend, not here.
- A4: 500 in months 1 and 15: 1,000.
- A5: 1,200 - 600 - 5.52 = 594.48 in month 1, -2.37 in month 2, 600 in month 6: 1,192.11.
- A6: 350 in month 1 (July 2024) and in month 12 (June 2025, on the as-of date): 700.

The boundaries: A6, won in July 2024, has a complete first year (July 2024 .. June 2025,
all before July 2025) but not a 13th month; A5, won a month later, has no complete first
year; A2's spend (300) is earned back exactly by the
end of its month 1 (300).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import query, shared_run

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "growth"
D = Decimal

COLUMNS = (
    "customers_won, prospects_not_won, acquisition_spend, onboarding_spend,"
    " acquisition_and_onboarding_spend, cac, first_year_customers, first_year_net_sales,"
    " first_year_contribution, earned_to_date, payback_months, second_year_customers,"
    " active_after_12_months, share_active_after_12_months, referred_customers_won"
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _, copy = shared_run(tmp_path_factory, DATA)
    return copy


@pytest.fixture(scope="module")
def rows(warehouse: Path) -> dict[tuple[str, str, str, str], dict]:
    names = [name.strip() for name in COLUMNS.split(",")]
    found = query(
        warehouse,
        f"select grouping_level, acquisition_channel, sales_rep, cohort, {COLUMNS}"
        " from marts.acquisition_scorecard where business_id = 'acq'",
    )
    return {tuple(row[:4]): dict(zip(names, row[4:], strict=True)) for row in found}


def row(
    won,
    prospects,
    acquisition,
    onboarding,
    cac,
    first_year,
    first_net,
    first_contrib,
    earned,
    payback,
    second_year,
    active,
    share,
    referred,
) -> dict:
    acquisition, onboarding = D(acquisition), D(onboarding)
    return {
        "customers_won": won,
        "prospects_not_won": prospects,
        "acquisition_spend": acquisition,
        "onboarding_spend": onboarding,
        "acquisition_and_onboarding_spend": acquisition + onboarding,
        "cac": None if cac is None else D(cac),
        "first_year_customers": first_year,
        "first_year_net_sales": D(first_net),
        "first_year_contribution": D(first_contrib),
        "earned_to_date": D(earned),
        "payback_months": payback,
        "second_year_customers": second_year,
        "active_after_12_months": active,
        "share_active_after_12_months": None if share is None else D(share),
        "referred_customers_won": referred,
    }


# First year (months 1..12 complete before July 2025: won in July 2024 or before): A1
# (2024-01: sales 3,000 in Jan, Mar, Jun 2024; contribution 1,800 - 100 onboarding =
# 1,700), A2 (2024-05: 500 - 100 = 400; 300 - 100 - 50 = 150), A4 (2023-06: 800; 500),
# A6 (2024-07: 1,400; 700).
# Second year (month 13 complete: won June 2024 or before): A1, A2, A4. Bought again in
# months 2..13: A1 (March and June 2024) yes; A2 never; A4's second purchase, 2024-08, is
# its month 15: no.
# Payback, the first month by whose end the group's earnings reach its spend:
# - web/Ann (A1, spend 1,400): 600, 600, 1,200, 1,200, 1,200, 1,800 -> month 6.
# - web/Bob (A2 + prospect P1, spend 420): 300, 200, 150, ... never -> null; its 2024
#   cohort (A2 alone, spend 300): 300 by the end of month 1 -> 1 (reached exactly).
# - outbound/Bob (A5, 1,000): 594.48, 592.11, 592.11, 592.11, 592.11, 1,192.11 -> 6.
# - referral/Ann (A3, 150): 1,000 -> 1. unknown/unknown (A4), partner/Ann (A6): no
#   spend -> null.
# - web (A1 + A2 + P1, 1,820): 900, 800, 1,350, 1,350, 1,350, 1,950 -> 6.
# - Ann (A1 + A3 + A6, 1,550): 600 + 1,000 + 350 = 1,950 -> 1. Bob (A2 + A5 + P1, 1,420):
#   894.48, 792.11, 742.11, 742.11, 742.11, 1,342.11, then nothing more (A2 and A5 have
#   no later sale) -> null.
# - business 2024 (A1 + A2 + A5 + A6, 2,700): 1,844.48, 1,742.11, 2,292.11, 2,292.11,
#   2,292.11, 3,492.11 -> 6; all time (2,970): 600 + 300 + 1,000 + 500 + 594.48 + 350 =
#   3,344.48 in month 1 -> 1.
EXPECTED = {
    # (grouping, channel, rep, cohort): row(won, prospects, acquisition, onboarding, cac,
    #   first-year customers, net sales, contribution, earned, payback, second-year
    #   customers, active, share, referred)
    ("channel_and_rep", "web", "Ann", "2024"): row(
        1, 0, "1300", "100", "1400.00", 1, "3000", "1700", "2400", 6, 1, 1, "1", 1
    ),
    ("channel_and_rep", "web", "Bob", "2024"): row(
        1, 0, "300", "0", "300.00", 1, "400", "150", "150", 1, 1, 0, "0", 0
    ),
    # The prospect's year is the year of its first spend; nothing won: CAC is null.
    ("channel_and_rep", "web", "Bob", "2025"): row(
        0, 1, "120", "0", None, 0, "0", "0", "0", None, 0, 0, None, 0
    ),
    # (300 + 120) / 1 won = 420.00: the spend on the prospect is part of the cost.
    ("channel_and_rep", "web", "Bob", "all"): row(
        1, 1, "420", "0", "420.00", 1, "400", "150", "150", None, 1, 0, "0", 0
    ),
    # No spend: CAC 0.00; a first year but no 13th month yet.
    ("channel_and_rep", "partner", "Ann", "all"): row(
        1, 0, "0", "0", "0.00", 1, "1400", "700", "700", None, 0, 0, None, 0
    ),
    ("channel_and_rep", "outbound", "Bob", "all"): row(
        1, 0, "1000", "0", "1000.00", 0, "0", "0", "1192.11", 6, 0, 0, None, 0
    ),
    ("channel_and_rep", "referral", "Ann", "all"): row(
        1, 0, "0", "150", "150.00", 0, "0", "0", "1000", 1, 0, 0, None, 0
    ),
    # Blank channel and rep: an explicit unknown.
    ("channel_and_rep", "unknown", "unknown", "all"): row(
        1, 0, "0", "0", "0.00", 1, "800", "500", "1000", None, 1, 0, "0", 0
    ),
    # web: 1,820 / 2 won = 910.00.
    ("channel", "web", "all", "all"): row(
        2, 1, "1720", "100", "910.00", 2, "3400", "1850", "2550", 6, 2, 1, "0.5", 1
    ),
    # Ann: 1,550 / 3 = 516.666.. -> 516.67. Bob: 1,420 / 2 = 710.00.
    ("sales_rep", "all", "Ann", "all"): row(
        3, 0, "1300", "250", "516.67", 2, "4400", "2400", "4100", 1, 1, 1, "1", 1
    ),
    ("sales_rep", "all", "Bob", "all"): row(
        2, 1, "1420", "0", "710.00", 1, "400", "150", "1342.11", None, 1, 0, "0", 0
    ),
    ("sales_rep", "all", "unknown", "all"): row(
        1, 0, "0", "0", "0.00", 1, "800", "500", "1000", None, 1, 0, "0", 0
    ),
    # 2024: A1, A2, A5, A6: 2,700 / 4 = 675.00.
    ("business", "all", "all", "2024"): row(
        4, 0, "2600", "100", "675.00", 3, "4800", "2550", "4442.11", 6, 2, 1, "0.5", 1
    ),
    # All time: 2,970 / 6 = 495.00; one of three a year on: 0.333333.
    ("business", "all", "all", "all"): row(
        6, 1, "2720", "250", "495.00", 4, "5600", "3050", "6442.11", 1, 3, 1, "0.333333", 1
    ),
}


@pytest.mark.parametrize("key", list(EXPECTED), ids=["/".join(key) for key in EXPECTED])
def test_every_figure_by_hand(rows, key):
    assert rows[key] == EXPECTED[key]


def test_every_row_there_is_and_no_more(rows):
    # Finest rows (channel, rep, cohort): web/Ann/2024, web/Bob/2024, web/Bob/2025,
    # outbound/Bob/2024, referral/Ann/2025, unknown/unknown/2023, partner/Ann/2024: 7,
    # and one `all` per channel and rep (6: web/Bob has two years) -> 13. Channels: web
    # (2024, 2025, all), outbound (2024, all), referral (2025, all), unknown (2023, all),
    # partner (2024, all) = 11. Reps: Ann (2024, 2025, all), Bob (2024, 2025, all),
    # unknown (2023, all) = 8. Business: 2023, 2024, 2025, all = 4. 13 + 11 + 8 + 4 = 36.
    assert len(rows) == 36
    assert {key[3] for key in rows} == {"2023", "2024", "2025", "all"}


def test_lifetime_value_and_ltv_to_cac_add_the_clv_to_what_was_earned(warehouse):
    # The one model input: each customer's expected contribution of the next 36 months.
    clv = dict(
        query(
            warehouse,
            "select customer_id, clv_contribution_36m from marts.customer_clv"
            " where business_id = 'acq'",
        )
    )
    found = {
        (level, channel, rep): (lifetime, ratio)
        for level, channel, rep, lifetime, ratio in query(
            warehouse,
            "select grouping_level, acquisition_channel, sales_rep, lifetime_value,"
            " ltv_to_cac from marts.acquisition_scorecard"
            " where business_id = 'acq' and cohort = 'all'",
        )
    }
    six = D("0.000001")
    # web: earned 2,400 (A1) + 150 (A2), spend 1,820.
    web = D("2550") + clv["A1"] + clv["A2"]
    assert found[("channel", "web", "all")] == (web, (web / D("1820")).quantize(six))
    # Bob: 150 (A2) + 1,192.11 (A5), spend 1,420.
    bob = D("1342.11") + clv["A2"] + clv["A5"]
    assert found[("sales_rep", "all", "Bob")] == (bob, (bob / D("1420")).quantize(six))
    # No spend, no ratio (A4).
    assert found[("channel_and_rep", "unknown", "unknown")] == (D("1000") + clv["A4"], None)


def test_the_totals_are_the_sums_of_their_rows(rows):
    sums = [
        "customers_won",
        "prospects_not_won",
        "acquisition_spend",
        "onboarding_spend",
        "first_year_net_sales",
        "first_year_contribution",
        "earned_to_date",
    ]
    business = rows[("business", "all", "all", "all")]
    for level in ("channel_and_rep", "channel", "sales_rep"):
        for measure in sums:
            total = sum(
                values[measure]
                for key, values in rows.items()
                if key[0] == level and key[3] != "all"
            )
            assert total == business[measure], (level, measure)
