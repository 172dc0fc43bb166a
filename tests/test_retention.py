"""Revenue retention, movements, cohorts and concentration against figures worked out by hand.

tests/data/retention has two businesses, as of 2025-12-31:

north (USD, fiscal year = calendar year), net sales per customer:
    customer            2023    2024    2025
    A churns              -    2,000      -     (1,000 in March and in September 2024)
    B expands             -    2,000   3,000    (2,000 May 2025 + 1,000 Nov 2025)
    C contracts           -    4,000   2,500    (3,000 June 2025, credit note 500 Dec 2025)
    D new                 -       -      800    (Oct 2025; a 5,000 void invoice too)
    E reactivated        600      -      700    (Apr 2023, Aug 2025)
    F annual prepayer     -    1,200   1,200    (every 1 February)
  B also has an invoice dated 2026-01-15, after the as-of date: it counts nowhere.

south (GBP, fiscal year from April): FY ending 2024-03-31 -> FY ending 2025-03-31
    G expands 500 -> 900, H contracts 1,000 -> 600, J churns 300 -> 0, K new 0 -> 400.

Where the data starts (each business's first document): north on 2023-04-01 (E's
invoice: the first day of a month and a quarter, not of north's calendar fiscal year),
south on 2023-06-10 (G's invoice: in the middle of a month, a quarter and a fiscal year).
A period the data covers only partly is marked (data_coverage) and no ratio is given on
it as a base.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import query, run_pipeline, shared_demo_run, shared_run

RETENTION = Path(__file__).parent / "data" / "retention"
D = Decimal


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Shared with tests/test_safe_runs.py's runs that start from the same books.
    _, target = shared_run(tmp_path_factory, RETENTION, as_of_date="2025-12-31")
    return target


BRIDGE = (
    "starting_customers, retained_customers, churned_customers, new_customers,"
    " reactivated_customers, starting_revenue, expansion_revenue, contraction_revenue,"
    " churned_revenue, new_revenue, reactivated_revenue, revenue,"
    " inactive_customer_net_sales, net_sales, logo_retention, nrr, grr, data_coverage"
)


def bridge(warehouse: Path, business: str, grain: str, period_end: str) -> dict:
    rows = query(
        warehouse,
        f"select {BRIDGE} from marts.revenue_retention"
        " where business_id = ? and period_grain = ? and period_end_date = ?",
        [business, grain, period_end],
    )
    assert len(rows) == 1, rows
    return dict(zip([c.strip() for c in BRIDGE.split(",")], rows[0], strict=True))


def test_fiscal_year_bridge_north(warehouse):
    # Starting: A 2,000 + B 2,000 + C 4,000 + F 1,200 = 9,200 (4 customers).
    # B +1,000 expansion; C -1,500 contraction (3,000 - 500 credit note); A churns 2,000;
    # F flat; D new 800; E reactivated 700. Revenue 3,000 + 2,500 + 1,200 + 800 + 700.
    got = bridge(warehouse, "north", "fiscal_year", "2025-12-31")
    assert got == {
        "starting_customers": 4,
        "retained_customers": 3,
        "churned_customers": 1,
        "new_customers": 1,
        "reactivated_customers": 1,
        "starting_revenue": D("9200.00"),
        "expansion_revenue": D("1000.00"),
        "contraction_revenue": D("1500.00"),
        "churned_revenue": D("2000.00"),
        "new_revenue": D("800.00"),
        "reactivated_revenue": D("700.00"),
        "revenue": D("8200.00"),
        "inactive_customer_net_sales": D("0.00"),
        "net_sales": D("8200.00"),
        "logo_retention": D("0.750000"),
        "nrr": D("0.728261"),  # (9,200 + 1,000 - 1,500 - 2,000) / 9,200
        "grr": D("0.619565"),  # (9,200 - 1,500 - 2,000) / 9,200
        "data_coverage": D("1.000000"),
    }


def test_ttm_windows_are_365_days_back_from_the_as_of_date(warehouse):
    rows = query(
        warehouse,
        "select period_start_date::varchar, period_end_date::varchar, revenue, nrr,"
        " data_coverage from marts.revenue_retention where business_id = 'north'"
        " and period_grain = 'ttm' order by period_end_date",
    )
    # At least three windows; 2024 is a leap year, so the window before 2025 starts on
    # 2 January 2024 and the one before that ends on 1 January 2024. north's data starts
    # on 2023-04-01: the first window holds 2023-04-01 .. 2024-01-01 of its 365 days,
    # 30 + 31 + 30 + 31 + 31 + 30 + 31 + 30 + 31 + 1 = 276 -> 276 / 365 = 0.756164, so the
    # second window's NRR (E's 600 lost: it would read 0%) is not given.
    assert rows == [
        ("2023-01-02", "2024-01-01", D("600.00"), None, D("0.756164")),
        ("2024-01-02", "2024-12-31", D("9200.00"), None, D("1.000000")),
        ("2025-01-01", "2025-12-31", D("8200.00"), D("0.728261"), D("1.000000")),
    ]


def test_fiscal_year_follows_the_business_fiscal_start(warehouse):
    # south's fiscal year runs April to March. Starting G 500 + H 1,000 + J 300 = 1,800;
    # G +400, H -400, J churns 300, K new 400. Revenue 900 + 600 + 400 = 1,900.
    got = bridge(warehouse, "south", "fiscal_year", "2025-03-31")
    assert (got["starting_customers"], got["retained_customers"], got["new_customers"]) == (3, 2, 1)
    assert (got["expansion_revenue"], got["contraction_revenue"], got["churned_revenue"]) == (
        D("400.00"),
        D("400.00"),
        D("300.00"),
    )
    assert got["revenue"] == D("1900.00")
    # The base year (April 2023 - March 2024) holds south's data only from 2023-06-10:
    # NRR would be 1,500 / 1,800 = 0.833333 on 296 of its 366 days, so no ratio.
    assert (got["nrr"], got["grr"], got["logo_retention"]) == (None, None, None)
    # The fiscal year under way (April 2025 - March 2026) is not complete: not shown.
    ends = query(
        warehouse,
        "select period_end_date::varchar from marts.revenue_retention"
        " where business_id = 'south' and period_grain = 'fiscal_year' order by 1",
    )
    assert ends == [("2024-03-31",), ("2025-03-31",)]


def test_credit_note_in_a_later_quarter_without_sales_is_kept_outside_the_base(warehouse):
    # Q4 2025: Q3 had only E (700), who buys nothing in Q4 -> churned. B comes back
    # (1,000, reactivated), D is new (800). C's only Q4 document is the 500 credit note:
    # C is not active, and the 500 stays visible in inactive_customer_net_sales.
    got = bridge(warehouse, "north", "quarter", "2025-12-31")
    assert (got["starting_revenue"], got["churned_revenue"]) == (D("700.00"), D("700.00"))
    assert (got["new_revenue"], got["reactivated_revenue"]) == (D("800.00"), D("1000.00"))
    assert got["revenue"] == D("1800.00")
    assert got["inactive_customer_net_sales"] == D("-500.00")
    assert got["net_sales"] == D("1300.00")
    assert got["nrr"] == D("0.000000")


def test_month_grain_and_the_bridge_identity_everywhere(warehouse):
    got = bridge(warehouse, "north", "month", "2025-12-31")
    # November had B's 1,000 only; December only C's credit note.
    assert (got["starting_revenue"], got["churned_revenue"], got["revenue"]) == (
        D("1000.00"),
        D("1000.00"),
        D("0.00"),
    )
    assert got["net_sales"] == D("-500.00")
    assert got["data_coverage"] == D("1.000000")
    broken = query(
        warehouse,
        "select * from marts.revenue_retention where starting_revenue + expansion_revenue"
        " - contraction_revenue - churned_revenue + new_revenue + reactivated_revenue"
        " <> revenue",
    )
    assert broken == []
    # 33 months for north (April 2023 - December 2025), 11 quarters, 3 + 3 years.
    counts = query(
        warehouse,
        "select period_grain, count(*) from marts.revenue_retention"
        " where business_id = 'north' group by 1 order by 1",
    )
    assert counts == [("fiscal_year", 3), ("month", 33), ("quarter", 11), ("ttm", 3)]


def test_annual_prepayer_is_never_churned_on_ttm_movements(warehouse):
    movements = query(
        warehouse,
        "select customer_id, month_end_date::varchar, movement_type, ttm_revenue,"
        " revenue_change from marts.revenue_movements where business_id = 'north'"
        " and movement_type <> 'unchanged' order by customer_id, month_end_date",
    )
    assert movements == [
        # A: 1,000 in March 2024, 2,000 from September, March 2025's window drops the
        # first sale, September 2025's the second.
        ("A", "2024-03-31", "new", D("1000.00"), D("1000.00")),
        ("A", "2024-09-30", "expansion", D("2000.00"), D("1000.00")),
        ("A", "2025-03-31", "contraction", D("1000.00"), D("-1000.00")),
        ("A", "2025-09-30", "churn", D("0.00"), D("-1000.00")),
        ("B", "2024-05-31", "new", D("2000.00"), D("2000.00")),
        ("B", "2025-11-30", "expansion", D("3000.00"), D("1000.00")),
        ("C", "2024-06-30", "new", D("4000.00"), D("4000.00")),
        ("C", "2025-06-30", "contraction", D("3000.00"), D("-1000.00")),
        ("C", "2025-12-31", "contraction", D("2500.00"), D("-500.00")),
        ("D", "2025-10-31", "new", D("800.00"), D("800.00")),
        ("E", "2023-04-30", "new", D("600.00"), D("600.00")),
        ("E", "2024-04-30", "churn", D("0.00"), D("-600.00")),
        ("E", "2025-08-31", "reactivation", D("700.00"), D("700.00")),
        # F, invoiced every 1 February, is new once and unchanged ever after.
        ("F", "2024-02-29", "new", D("1200.00"), D("1200.00")),
    ]
    prepayer = query(
        warehouse,
        "select count(*), min(ttm_revenue), max(ttm_revenue),"
        " sum(case when month_net_sales = 0 then 1 else 0 end)"
        " from marts.revenue_movements where business_id = 'north' and customer_id = 'F'",
    )
    # 23 month ends, every one at 1,200 TTM, though 21 of those months had no invoice.
    assert prepayer == [(23, D("1200.00"), D("1200.00"), 21)]


def test_cohorts_by_year(warehouse):
    rows = query(
        warehouse,
        "select cohort_start_date::varchar, period_offset, cohort_customers,"
        " active_customers, revenue, cumulative_net_sales_per_customer,"
        " customer_retention, revenue_retention, data_coverage from marts.cohorts"
        " where business_id = 'north' and cohort_grain = 'year'"
        " order by cohort_start_date, period_offset",
    )
    one = D("1.000000")
    assert rows == [
        # 2023 holds north's data from 2023-04-01 only: 275 of 365 days = 0.753425, so
        # the 2023 cohort (E) has no retention ratios, whatever E did later.
        ("2023-01-01", 0, 1, 1, D("600.00"), D("600.00"), None, None, D("0.753425")),
        ("2023-01-01", 1, 1, 0, D("0.00"), D("600.00"), None, None, one),
        ("2023-01-01", 2, 1, 1, D("700.00"), D("1300.00"), None, None, one),
        # A, B, C, F: 9,200 then 6,700 (A gone); (9,200 + 6,700) / 4 = 3,975.
        ("2024-01-01", 0, 4, 4, D("9200.00"), D("2300.00"), one, one, one),
        ("2024-01-01", 1, 4, 3, D("6700.00"), D("3975.00"), D("0.750000"), D("0.728261"), one),
        ("2025-01-01", 0, 1, 1, D("800.00"), D("800.00"), one, one, one),
    ]


def test_cohort_revenue_means_what_revenue_retention_revenue_means(warehouse):
    # C (first bought June 2024) has only the 500 credit note in December 2025: not
    # active. Its cohort's revenue that month is 0.00, as in revenue_retention, and the
    # -500.00 is inactive_customer_net_sales; net_sales holds both.
    rows = query(
        warehouse,
        "select cohort_grain, cohort_start_date::varchar, period_offset, active_customers,"
        " revenue, inactive_customer_net_sales, net_sales, cumulative_net_sales"
        " from marts.cohorts where business_id = 'north'"
        " and period_end_date = '2025-12-31' and cohort_start_date = case cohort_grain"
        " when 'month' then date '2024-06-01' when 'quarter' then date '2024-04-01' end"
        " order by 1",
    )
    assert rows == [
        # June 2024 -> December 2025 is offset 18; cumulative 4,000 + 3,000 - 500.
        ("month", "2024-06-01", 18, 0, D("0.00"), D("-500.00"), D("-500.00"), D("6500.00")),
        # Q2 2024 -> Q4 2025 is offset 6; B (May 2024) is in this cohort too and bought
        # 1,000 in November: B 2,000 + 2,000 + 1,000, C 4,000 + 3,000 - 500 = 11,500.
        ("quarter", "2024-04-01", 6, 1, D("1000.00"), D("-500.00"), D("500.00"), D("11500.00")),
    ]
    # Month by month and quarter by quarter the cohorts add up to revenue_retention:
    # each customer is in exactly one cohort, and a word means the same sum in both.
    # (No credit note here predates its customer's first purchase: cohorts leave those
    # out.)
    differing = query(
        warehouse,
        """
        with cohort_sums as (
            select business_id, cohort_grain, period_end_date, sum(revenue) as revenue,
                sum(inactive_customer_net_sales) as inactive, sum(net_sales) as net_sales
            from marts.cohorts where cohort_grain in ('month', 'quarter')
            group by all
        )
        select retention.business_id, retention.period_grain, retention.period_end_date
        from marts.revenue_retention as retention
        join cohort_sums
            on retention.business_id = cohort_sums.business_id
            and retention.period_grain = cohort_sums.cohort_grain
            and retention.period_end_date = cohort_sums.period_end_date
        where retention.revenue <> cohort_sums.revenue
            or retention.inactive_customer_net_sales <> cohort_sums.inactive
            or retention.net_sales <> cohort_sums.net_sales
        """,
    )
    assert differing == []


def test_periods_the_data_covers_only_partly_are_marked_and_give_no_ratio(warehouse):
    # south's data starts on 2023-06-10 (G's 500). Its first period at each grain holds
    # only part of what a whole period would: June 2023 21 of 30 days (10-30 June) =
    # 0.7; Q2 2023 21 of 91 = 0.230769; the fiscal year April 2023 - March 2024
    # 21 + 31 + 31 + 30 + 31 + 30 + 31 + 31 + 29 + 31 = 296 of 366 days = 0.808743; the
    # ttm window 2023-01-02 .. 2024-01-01 21 + 31 + 31 + 30 + 31 + 30 + 31 + 1 = 206 of
    # 365 = 0.564384. The period after each has that fragment as its base: G bought its
    # 500 in the first 21 days and nothing in July or Q3 (H's first invoice, 1 July, is
    # new), so logo retention, NRR and GRR would all read 0%, and the ttm window to
    # 2024-12-31 NRR 900 / 1,500 = 60% (H's 1,000 of 2023-07-01 lost): none is given.
    # The amounts stay: they are what the data holds.
    rows = query(
        warehouse,
        "select period_grain, period_end_date::varchar, data_coverage, starting_customers,"
        " starting_revenue, logo_retention, logo_churn, nrr, grr"
        " from marts.revenue_retention where business_id = 'south' and ("
        " data_coverage < 1"
        " or (period_grain in ('month', 'quarter') and period_end_date = '2023-07-31')"
        " or (period_grain = 'quarter' and period_end_date = '2023-09-30')"
        " or (period_grain = 'ttm' and period_end_date = '2024-12-31'))"
        " order by period_grain, period_end_date",
    )
    one = D("1.000000")
    assert rows == [
        ("fiscal_year", "2024-03-31", D("0.808743"), 0, D("0.00"), None, None, None, None),
        ("month", "2023-06-30", D("0.700000"), 0, D("0.00"), None, None, None, None),
        ("month", "2023-07-31", one, 1, D("500.00"), None, None, None, None),
        ("quarter", "2023-06-30", D("0.230769"), 0, D("0.00"), None, None, None, None),
        ("quarter", "2023-09-30", one, 1, D("500.00"), None, None, None, None),
        ("ttm", "2024-01-01", D("0.564384"), 0, D("0.00"), None, None, None, None),
        ("ttm", "2024-12-31", one, 2, D("1500.00"), None, None, None, None),
    ]
    # A fully covered base gives ratios again: August 2023 on July's H (1,000, nothing
    # in August: lost), and the ttm window to 2025-12-31 on 2024's G 900, J 300 and
    # K 400, none of whom bought in 2025 (H, reactivated, does not count): 0% each.
    later = query(
        warehouse,
        "select period_grain, period_end_date::varchar, starting_revenue, logo_retention,"
        " nrr, grr from marts.revenue_retention where business_id = 'south'"
        " and ((period_grain = 'month' and period_end_date = '2023-08-31')"
        " or (period_grain = 'ttm' and period_end_date = '2025-12-31'))"
        " order by 1",
    )
    zero = D("0.000000")
    assert later == [
        ("month", "2023-08-31", D("1000.00"), zero, zero, zero),
        ("ttm", "2025-12-31", D("1600.00"), zero, zero, zero),
    ]
    # north's data starts on 2023-04-01, the first day of a month and a quarter: those
    # grains are covered from their first period; its calendar fiscal year 2023 is not
    # (275 of 365 days = 0.753425), so FY 2024's ratios (E's 600 lost: 0%) are not given.
    north = query(
        warehouse,
        "select period_grain, min(period_end_date)::varchar, min(data_coverage)"
        " from marts.revenue_retention where business_id = 'north'"
        " group by 1 order by 1",
    )
    assert north == [
        ("fiscal_year", "2023-12-31", D("0.753425")),
        ("month", "2023-04-30", one),
        ("quarter", "2023-06-30", one),
        ("ttm", "2024-01-01", D("0.756164")),
    ]
    assert bridge(warehouse, "north", "fiscal_year", "2024-12-31")["nrr"] is None


def test_concentration_at_the_as_of_month_end(warehouse):
    row = query(
        warehouse,
        "select customers_with_sales, ttm_revenue, top_customer_id,"
        " revenue_drop_if_top_customer_lost, top_1_share, top_5_share,"
        " top_20_percent_share, hhi, gini, concentration_risk"
        " from marts.concentration where business_id = 'north'"
        " and month_end_date = '2025-12-31'",
    )
    # TTM: B 3,000, C 2,500, F 1,200, D 800, E 700 = 8,200.
    # HHI = (3,000^2 + 2,500^2 + 1,200^2 + 800^2 + 700^2) / 8,200^2 x 10,000
    #     = 17,820,000 / 67,240,000 x 10,000 = 2,650.21.
    # Gini, ranked from the smallest: 2 x (1x700 + 2x800 + 3x1,200 + 4x2,500 + 5x3,000)
    #     / (5 x 8,200) - 6/5 = 61,800 / 41,000 - 1.2 = 0.307317.
    assert row == [
        (
            5,
            D("8200.00"),
            "B",
            D("3000.00"),
            D("0.365854"),
            D("1.000000"),
            D("0.365854"),
            D("2650.21"),
            D("0.307317"),
            "high",
        )
    ]
    # The same top customer and share as customer_sheet (TTM there is 365 days, which in
    # 2025 is the calendar year).
    sheet = query(
        warehouse,
        "select customer_id, revenue_share from marts.customer_sheet"
        " where business_id = 'north' and revenue_rank = 1",
    )
    assert sheet == [("B", D("0.365854"))]


PROJECTION = (
    "select scenario_name, projection_year, nrr, new_revenue_share, starting_revenue,"
    " revenue_kept, new_revenue, ending_revenue, cumulative_difference_to_base"
    " from marts.revenue_projection where business_id = ? and projection_year <= ?"
    " order by scenario_name, projection_year"
)


def test_revenue_projection_defaults_come_from_the_measured_ttm_figures(warehouse):
    # seeds/scenarios.csv as shipped: `measured` (the base), `nrr_plus_5`, `nrr_minus_5`.
    # north's ttm window to the as-of date 2025-12-31 (test_fiscal_year_bridge_north: the
    # same 2025): NRR (9,200 + 1,000 - 1,500 - 2,000) / 9,200 = 0.728261; new-revenue
    # share = D's 800 / starting 9,200 = 0.0869565 -> 0.086957 (E's reactivated 700 is
    # not new); year 1 starts from TTM revenue 3,000 + 2,500 + 1,200 + 800 + 700 = 8,200.
    # Kept and new rounded to the cent each year:
    #   measured    y1 8,200 x 0.728261 = 5,971.7402 -> 5,971.74;
    #                  8,200 x 0.086957 = 713.0474 -> 713.05; end 6,684.79
    #               y2 6,684.79 x 0.728261 = 4,868.2719 -> 4,868.27;
    #                  6,684.79 x 0.086957 = 581.2893 -> 581.29; end 5,449.56
    #   nrr_plus_5  (0.778261) y1 8,200 x 0.778261 = 6,381.7402 -> 6,381.74; new 713.05;
    #                  end 7,094.79, 410.00 above the base
    #               y2 7,094.79 x 0.778261 = 5,521.5984 -> 5,521.60;
    #                  7,094.79 x 0.086957 = 616.9417 -> 616.94; end 6,138.54;
    #                  cumulative 410.00 + (6,138.54 - 5,449.56 = 688.98) = 1,098.98
    #   nrr_minus_5 (0.678261) y1 8,200 x 0.678261 = 5,561.7402 -> 5,561.74; new 713.05;
    #                  end 6,274.79, 410.00 below the base
    #               y2 6,274.79 x 0.678261 = 4,255.9453 -> 4,255.95;
    #                  6,274.79 x 0.086957 = 545.6369 -> 545.64; end 4,801.59;
    #                  cumulative -410.00 + (4,801.59 - 5,449.56 = -647.97) = -1,057.97
    rate, plus, minus, share = D("0.728261"), D("0.778261"), D("0.678261"), D("0.086957")
    assert query(warehouse, PROJECTION, ["north", 2]) == [
        ("measured", 1, rate, share, D("8200.00"), D("5971.74"), D("713.05"),
         D("6684.79"), D("0.00")),
        ("measured", 2, rate, share, D("6684.79"), D("4868.27"), D("581.29"),
         D("5449.56"), D("0.00")),
        ("nrr_minus_5", 1, minus, share, D("8200.00"), D("5561.74"), D("713.05"),
         D("6274.79"), D("-410.00")),
        ("nrr_minus_5", 2, minus, share, D("6274.79"), D("4255.95"), D("545.64"),
         D("4801.59"), D("-1057.97")),
        ("nrr_plus_5", 1, plus, share, D("8200.00"), D("6381.74"), D("713.05"),
         D("7094.79"), D("410.00")),
        ("nrr_plus_5", 2, plus, share, D("7094.79"), D("5521.60"), D("616.94"),
         D("6138.54"), D("1098.98")),
    ]  # fmt: skip
    # south's ttm window to 2025-12-31 (test_periods_the_data_covers_only_partly...):
    # starting 1,600 (G 900, J 300, K 400 of 2024), none bought in 2025: NRR 0; no new
    # customer (H's 600 of February 2025 is a reactivation): share 0; TTM revenue 600.
    # nrr_minus_5 would be 0 - 0.05: NRR does not go below 0, so it keeps nothing, as
    # measured does. nrr_plus_5 keeps 5%: 600 x 0.05 = 30.00; 30 x 0.05 = 1.50;
    # 1.50 x 0.05 = 0.075 -> 0.08 (half away from zero); 0.08 x 0.05 = 0.004 -> 0.00.
    zero, none = D("0.000000"), D("0.00")
    south = query(warehouse, PROJECTION, ["south", 5])
    assert [row for row in south if row[0] != "nrr_plus_5" and row[1] <= 2] == [
        ("measured", 1, zero, zero, D("600.00"), none, none, none, none),
        ("measured", 2, zero, zero, none, none, none, none, none),
        ("nrr_minus_5", 1, zero, zero, D("600.00"), none, none, none, none),
        ("nrr_minus_5", 2, zero, zero, none, none, none, none, none),
    ]
    assert [(row[1], row[2], row[7], row[8]) for row in south if row[0] == "nrr_plus_5"] == [
        (1, D("0.050000"), D("30.00"), D("30.00")),
        (2, D("0.050000"), D("1.50"), D("31.50")),
        (3, D("0.050000"), D("0.08"), D("31.58")),
        (4, D("0.050000"), none, D("31.58")),
        (5, D("0.050000"), none, D("31.58")),
    ]


def test_a_past_as_of_date_reproduces_the_periods_it_had_complete(warehouse, tmp_path):
    past = tmp_path / "past" / "ledgerlens.duckdb"
    assert run_pipeline(RETENTION, past, as_of_date="2025-09-30").success
    calendar = (
        "select * from marts.revenue_retention where period_grain <> 'ttm'"
        " and period_end_date <= '2025-09-30' order by all"
    )
    then, now = query(past, calendar), query(warehouse, calendar)
    # north: 30 months (April 2023 - September 2025), 10 quarters, 2 fiscal years;
    # south: 28 months (from June 2023), 10 quarters, 2 fiscal years (to March 2025).
    assert then == now and len(then) == 30 + 10 + 2 + 28 + 10 + 2
    # Nothing after its as-of date: the last month and quarter end in September, and so
    # does the TTM window; the last complete fiscal year is south's, to March 2025.
    assert query(
        past,
        "select period_grain, max(period_end_date)::varchar from marts.revenue_retention"
        " group by period_grain order by 1",
    ) == [
        ("fiscal_year", "2025-03-31"),
        ("month", "2025-09-30"),
        ("quarter", "2025-09-30"),
        ("ttm", "2025-09-30"),
    ]


# ---------------------------------------------------------------------------------------
# Demo data: NRR and logo retention recomputed from the raw tables by another route.
# ---------------------------------------------------------------------------------------

DEMO_EVENTS_SQL = """
    select invoices.business_id, invoices.customer_id, invoices.invoice_date as day,
        round(lines.line_amount * invoices.exchange_rate, 2) as amount
    from raw.invoice_lines as lines
    join raw.invoices as invoices using (business_id, invoice_id)
    where invoices.status <> 'void'
    union all
    select business_id, customer_id, credit_note_date,
        -round(amount * exchange_rate, 2)
    from raw.credit_notes
"""


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's run on the seed-7 demo of 100,000 lines, all four businesses, as of
    their default dates (tests/conftest.py, shared_demo_run: tests/test_segments.py's
    planted-behaviour run), to read only."""
    _, warehouse = shared_demo_run(tmp_path_factory, 7, 100_000)
    return warehouse


DEMO_DATA_STARTS_SQL = """
    select business_id, min(day) from (
        select business_id, invoice_date as day from raw.invoices
        union all select business_id, credit_note_date from raw.credit_notes
        union all select business_id, payment_date from raw.payments
    ) as documents
    where day <= ?
    group by business_id
"""


def _ratios(events, start, end, previous_start, previous_end, data_start):
    """NRR and logo retention by their shortest definitions: what the starting customers
    spend now (nothing for those not active), over what they spent before. None when the
    period before begins before the business's first document: the data holds only part
    of it."""
    if previous_start < data_start:
        return None, None
    now: dict = {}
    before: dict = {}
    for customer, day, amount in events:
        if start <= day <= end:
            now[customer] = now.get(customer, 0) + amount
        elif previous_start <= day <= previous_end:
            before[customer] = before.get(customer, 0) + amount
    starting = {c: v for c, v in before.items() if v > 0}
    kept = [c for c in starting if now.get(c, 0) > 0]
    if not starting:
        return None, None
    nrr = sum(now[c] for c in kept) / sum(starting.values())
    return (
        Decimal(nrr).quantize(Decimal("0.000001")),
        (Decimal(len(kept)) / len(starting)).quantize(Decimal("0.000001")),
    )


@pytest.mark.slow
def test_demo_nrr_and_logo_retention_match_an_independent_computation(demo_warehouse):
    from datetime import date, timedelta

    # Each business is as of its own latest non-void sale (int_snapshot_dates_spined).
    as_of_dates = dict(
        query(
            demo_warehouse,
            "select business_id, max(invoice_date) from raw.invoices"
            " where status <> 'void' group by business_id",
        )
    )
    businesses = query(
        demo_warehouse, "select business_id, fiscal_year_start_month from raw.businesses"
    )
    checked = 0
    data_starts = {}
    for business_id, fiscal_start in businesses:
        as_of = as_of_dates[business_id]
        # The business's first document on or before its own as-of date.
        data_starts[business_id] = dict(query(demo_warehouse, DEMO_DATA_STARTS_SQL, [as_of]))[
            business_id
        ]
        events = [
            (customer, day, Decimal(amount))
            for business, customer, day, amount in query(demo_warehouse, DEMO_EVENTS_SQL)
            if business == business_id and day <= as_of
        ]
        first_day = min(day for _, day, _ in events)
        expected = {}
        # ttm: 365-day windows back from the as-of date, to the one holding the first
        # sale, and at least three.
        for k in range(max(3, (as_of - first_day).days // 365 + 1)):
            end = as_of - timedelta(days=365 * k)
            start = end - timedelta(days=364)
            expected[("ttm", end)] = _ratios(
                events,
                start,
                end,
                start - timedelta(days=365),
                start - timedelta(days=1),
                data_starts[business_id],
            )
        # fiscal years: complete ones, from the one holding the first sale.
        year = first_day.year if first_day.month >= fiscal_start else first_day.year - 1
        while True:
            start = date(year, fiscal_start, 1)
            end = date(year + 1, fiscal_start, 1) - timedelta(days=1)
            if end > as_of:
                break
            previous_start = date(year - 1, fiscal_start, 1)
            expected[("fiscal_year", end)] = _ratios(
                events,
                start,
                end,
                previous_start,
                start - timedelta(days=1),
                data_starts[business_id],
            )
            year += 1
        got = {
            (grain, end): (nrr, logo)
            for grain, end, nrr, logo in query(
                demo_warehouse,
                "select period_grain, period_end_date, nrr, logo_retention"
                " from marts.revenue_retention where business_id = ?"
                " and period_grain in ('ttm', 'fiscal_year')",
                [business_id],
            )
        }
        assert got == expected, business_id
        checked += sum(1 for value in expected.values() if value[0] is not None)
    assert checked >= 16  # four businesses, several periods each with a customer base
