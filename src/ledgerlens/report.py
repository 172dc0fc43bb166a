"""Read-only queries the command line prints after a run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

# Every query reads a public mart with a plain select: totals live in the marts, where
# dbt tests them (marts.business_overview ties to the documents), not in this module.

# The highest-LTV customers of each business; the business's name is added from
# marts.business_overview.
TOP_CUSTOMERS_SQL = """
    select business_id, customer_id, customer_name, ltv, home_currency, purchases,
        first_purchase_date, last_purchase_date
    from marts.customer_sheet
    qualify row_number() over (partition by business_id order by ltv desc, customer_id) <= ?
    order by business_id, ltv desc, customer_id
"""


BUSINESS_OVERVIEW_SQL = """
    select business_id, business_name, home_currency, customers, net_sales_home as net_sales,
        purchases, first_purchase_date, last_purchase_date, as_of_date
    from marts.business_overview
    order by business_id
"""


# Businesses whose export stops well before their as-of date (the mart decides:
# is_export_stale, from the stale_export_days var).
STALE_EXPORTS_SQL = """
    select business_id, as_of_date, as_of_date_source, latest_document_date,
        days_since_latest_document
    from marts.business_overview
    where is_export_stale
    order by business_id
"""


SEGMENT_SUMMARY_SQL = """
    select business_id, segment, customers, avg_ltv, avg_purchases, total_ttm_sales,
        share_of_ttm_sales, avg_days_to_pay, home_currency
    from marts.segment_summary
    order by business_id, segment_priority
"""


# The three-year scorecard: the last three 365-day windows of each business.
RETENTION_SQL = """
    select business_id, period_start_date, period_end_date, starting_customers,
        retained_customers, logo_retention, new_customers, reactivated_customers,
        starting_revenue, expansion_revenue, contraction_revenue, churned_revenue,
        new_revenue + reactivated_revenue as new_and_reactivated_revenue, revenue, nrr, grr,
        home_currency
    from marts.revenue_retention
    where period_grain = 'ttm'
    qualify row_number() over (partition by business_id order by period_end_date desc) <= 3
    order by business_id, period_end_date
"""


CONCENTRATION_SQL = """
    select business_id, month_end_date, customers_with_sales, ttm_revenue, top_customer_id,
        revenue_drop_if_top_customer_lost, top_1_share, top_10_share, top_20_percent_share,
        hhi, gini, concentration_risk, home_currency
    from marts.concentration
    qualify row_number() over (partition by business_id order by month_end_date desc) = 1
    order by business_id
"""


DATA_QUALITY_SQL = """
    select business_id, table_name, rule, rows_quarantined, amount_column, amount_quarantined,
        rows_with_unreadable_amount, source_file, first_source_row
    from marts.data_quality_report
    order by business_id, table_name, rule
"""


AGING_SQL = """
    select business_id, business_name, home_currency, customers_owing, current_home,
        past_due_1_30_home, past_due_31_60_home, past_due_61_90_home, past_due_over_90_home,
        open_balance_home, customer_credit_home
    from marts.business_overview
    order by business_id
"""


DSO_SQL = """
    select business_id, count_back_dso, simple_dso, best_possible_dso, days_beyond_terms
    from marts.dso_history
    where is_current
"""


# Two lists a person acts on, from marts.open_invoice_risk. Not yet due: the invoices
# most money is expected to be paid late from, expected late amount = P(late) x open
# amount (a 100% chance on a small invoice ranks below a 60% chance on a large one).
# Overdue: the largest open amounts past their due date, the oldest first among equals.
NOT_YET_DUE_SQL = """
    select business_id, invoice_id, customer_name, open_amount_home, home_currency,
        due_date, late_probability,
        cast(late_probability * open_amount_home as decimal(18, 2)) as expected_late_home,
        expected_paid_date, top_reasons
    from marts.open_invoice_risk
    where days_past_due = 0
    qualify row_number() over (
        partition by business_id
        order by late_probability * open_amount_home desc, open_amount_home desc, invoice_id
    ) <= ?
    order by business_id, late_probability * open_amount_home desc, open_amount_home desc,
        invoice_id
"""

OVERDUE_SQL = """
    select business_id, invoice_id, customer_name, open_amount_home, home_currency,
        due_date, days_past_due, late_probability, expected_paid_date, top_reasons
    from marts.open_invoice_risk
    where days_past_due > 0
    qualify row_number() over (
        partition by business_id
        order by open_amount_home desc, days_past_due desc, invoice_id
    ) <= ?
    order by business_id, open_amount_home desc, days_past_due desc, invoice_id
"""


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def stale_export_warnings(warehouse: str | Path) -> list[str]:
    """One line per business whose export looks stale or partial (marts.business_overview
    .is_export_stale): what was found, and what to do."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return stale_export_lines(_rows(con, STALE_EXPORTS_SQL))


def stale_export_lines(rows: list[dict]) -> list[str]:
    """The lines of `stale_export_warnings` for the rows of STALE_EXPORTS_SQL, read from
    whichever engine holds the marts."""
    lines = []
    for row in rows:
        found = (
            "has no non-void sale in the export"
            if row["latest_document_date"] is None
            else f"its latest non-void sale is {row['latest_document_date']}, "
            f"{row['days_since_latest_document']:,} days before"
        )
        lines.append(
            f"{row['business_id']}: as of {row['as_of_date']} ({row['as_of_date_source']}) "
            f"{found}: the export may be stale or partial; export its books again, or "
            "state the date it is complete to (export_complete_to_date in businesses)"
        )
    return lines


# Profitability at the as-of date: the 80/20 line and the key accounts' shares
# (marts.profitability_summary), the value classes by segment (marts.segment_profitability)
# and the customers earning and losing the most (marts.customer_profitability).
PROFITABILITY_SQL = """
    select business_id, active_customers, key_accounts, core_accounts, unprofitable_accounts,
        core_share_of_active, ttm_sales, ttm_contribution, ttm_contribution_margin,
        top_20_percent_contribution_share, contribution_destroyed, key_sales_share,
        key_contribution_share, key_effort_share, home_currency
    from marts.profitability_summary
    where is_current
    order by business_id
"""


SEGMENT_PROFITABILITY_SQL = """
    select business_id, segment, customers, key_accounts, core_accounts,
        unprofitable_accounts, ttm_contribution, ttm_contribution_margin,
        contribution_share, effort_share
    from marts.segment_profitability
    where is_current
    order by business_id, segment_priority nulls last, segment
"""


PROFIT_EXTREMES_SQL = """
    with ranked as (
        select business_id, customer_id, customer_name, segment, value_class,
            ttm_sales, ttm_contribution, value_reason, suggested_action, home_currency,
            row_number() over (
                partition by business_id order by ttm_contribution desc, customer_id
            ) as from_top,
            row_number() over (
                partition by business_id order by ttm_contribution, customer_id
            ) as from_bottom
        from marts.customer_profitability
        where is_active
    )
    select *, from_top <= ? as is_top
    from ranked
    where from_top <= ? or from_bottom <= ?
    order by business_id, ttm_contribution desc, customer_id
"""


# What each customer will be worth (marts.customer_clv): the largest CLVs with their
# intervals, the averages by segment, and the model that served each business.
CLV_TOP_SQL = """
    with ranked as (
        select business_id, customer_id, customer_name, segment, clv_model, p_alive,
            expected_purchases_365d, clv_36m, clv_36m_low, clv_36m_high,
            clv_contribution_36m, home_currency,
            row_number() over (
                partition by business_id order by clv_36m desc nulls last, customer_id
            ) as clv_rank
        from marts.customer_clv
    )
    select * from ranked where clv_rank <= ?
    order by business_id, clv_rank
"""

CLV_SEGMENT_SQL = """
    select business_id, segment, count(*) as customers,
        avg(p_alive) as avg_p_alive,
        avg(clv_36m) as avg_clv_36m,
        avg(clv_contribution_36m) as avg_clv_contribution_36m,
        sum(clv_36m) as total_clv_36m
    from marts.customer_clv
    group by business_id, segment
    order by business_id, avg_clv_36m desc nulls last, segment
"""

CLV_FIT_SQL = """
    select business_id, purchase_model, fit_scope, spend_model, customers, repeat_buyers,
        selection_mae_bg_nbd, selection_mae_pareto_nbd
    from marts.clv_model_fit
    order by business_id
"""


# Customer accounting at the latest statement month end: each segment's month (income
# statement), its balance sheet, and how much its customer equity moved in the month.
STATEMENTS_SQL = """
    with latest as (
        select business_id, max(month_end_date) as month_end_date
        from marts.segment_balance_sheet
        group by business_id
    )
    select sheet.business_id, sheet.month_end_date, sheet.segment, sheet.customers,
        income.net_sales, income.contribution, sheet.total_assets,
        sheet.total_liabilities, sheet.customer_equity,
        bridge.closing_equity - bridge.opening_equity as equity_change
    from marts.segment_balance_sheet as sheet
    inner join latest
        on sheet.business_id = latest.business_id
        and sheet.month_end_date = latest.month_end_date
    left join marts.segment_income_statement as income
        on sheet.business_id = income.business_id
        and sheet.month_end_date = income.month_end_date
        and income.cut = 'segment'
        and sheet.segment = income.cut_value
    left join marts.customer_equity_rollforward as bridge
        on sheet.business_id = bridge.business_id
        and sheet.month_end_date = bridge.month_end_date
        and sheet.segment = bridge.segment
    order by sheet.business_id, sheet.segment_priority nulls last, sheet.segment
"""


# What winning customers cost and earned, per acquisition channel, all cohorts
# (marts.acquisition_scorecard; the business row last).
ACQUISITION_SQL = """
    select business_id, acquisition_channel, customers_won,
        acquisition_and_onboarding_spend as spend, cac, ltv_to_cac, payback_months,
        share_active_after_12_months
    from marts.acquisition_scorecard
    where grouping_level in ('channel', 'business') and cohort = 'all'
    order by business_id, grouping_level = 'business', customers_won desc,
        acquisition_channel
"""


@dataclass
class RunReport:
    # The as-of date shared by every business; None when they differ (each business's
    # is in `as_of_dates`).
    as_of_date: str | None
    businesses: list[dict]  # marts.business_overview: customers, net sales, purchases
    as_of_dates: dict[str, str]  # business_id -> its as-of date
    segments: list[dict]  # marts.segment_summary in the segments' priority order
    top_customers: list[dict]  # the highest-LTV customers of each business
    retention: list[dict]  # marts.revenue_retention, the last three ttm windows
    concentration: list[dict]  # marts.concentration at the latest month end
    data_quality: list[dict]  # marts.data_quality_report: quarantined rows and money
    aging: list[dict]  # marts.business_overview: the ar_aging totals per business
    dso: list[dict]  # marts.dso_history at the as-of date
    not_yet_due_invoices: list[dict]  # open, not yet due, most expected late amount first
    overdue_invoices: list[dict]  # open and past due, largest first
    profitability: list[dict]  # marts.profitability_summary at the as-of date
    segment_profitability: list[dict]  # marts.segment_profitability at the as-of date
    profit_extremes: list[dict]  # the active customers earning and losing the most
    clv_top: list[dict]  # the customers with the largest 36-month CLV, per business
    clv_segments: list[dict]  # CLV averages by segment
    clv_fits: list[dict]  # marts.clv_model_fit
    statements: list[dict]  # the segment statements at the latest statement month end
    acquisition: list[dict]  # marts.acquisition_scorecard by channel, all cohorts


def read_run_report(
    warehouse: str | Path, top: int = 10, risky: int = 5, extremes: int = 3, clv_top: int = 5
) -> RunReport:
    """Everything the run summary prints, read through one read-only connection."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        businesses = _rows(con, BUSINESS_OVERVIEW_SQL)
        names = {row["business_id"]: row["business_name"] for row in businesses}
        top_customers = [
            {"business_id": row["business_id"], "business_name": names.get(row["business_id"])}
            | row
            for row in _rows(con, TOP_CUSTOMERS_SQL, [top])
        ]
        # Each business has its own as-of date unless the run gave one for all.
        as_of_dates = {row["business_id"]: str(row["as_of_date"]) for row in businesses}
        shared = set(as_of_dates.values())
        return RunReport(
            as_of_date=shared.pop() if len(shared) == 1 else None,
            businesses=businesses,
            as_of_dates=as_of_dates,
            segments=_rows(con, SEGMENT_SUMMARY_SQL),
            top_customers=top_customers,
            retention=_rows(con, RETENTION_SQL),
            concentration=_rows(con, CONCENTRATION_SQL),
            data_quality=_rows(con, DATA_QUALITY_SQL),
            aging=_rows(con, AGING_SQL),
            dso=_rows(con, DSO_SQL),
            not_yet_due_invoices=_rows(con, NOT_YET_DUE_SQL, [risky]),
            overdue_invoices=_rows(con, OVERDUE_SQL, [risky]),
            profitability=_rows(con, PROFITABILITY_SQL),
            segment_profitability=_rows(con, SEGMENT_PROFITABILITY_SQL),
            profit_extremes=_rows(con, PROFIT_EXTREMES_SQL, [extremes] * 3),
            clv_top=_rows(con, CLV_TOP_SQL, [clv_top]),
            clv_segments=_rows(con, CLV_SEGMENT_SQL),
            clv_fits=_rows(con, CLV_FIT_SQL),
            statements=_rows(con, STATEMENTS_SQL),
            acquisition=_rows(con, ACQUISITION_SQL),
        )
