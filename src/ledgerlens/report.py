"""Read-only queries the command line prints after a run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

TOP_CUSTOMERS_SQL = """
    select
        businesses.business_id,
        businesses.business_name,
        sheet.customer_id,
        sheet.customer_name,
        sheet.ltv,
        sheet.home_currency,
        sheet.purchases,
        sheet.first_purchase_date,
        sheet.last_purchase_date
    from marts.customer_sheet as sheet
    inner join staging.stg_businesses as businesses
        on sheet.business_id = businesses.business_id
    qualify row_number() over (
        partition by sheet.business_id order by sheet.ltv desc, sheet.customer_id
    ) <= ?
    order by businesses.business_id, sheet.ltv desc, sheet.customer_id
"""


BUSINESS_OVERVIEW_SQL = """
    select
        businesses.business_id,
        businesses.business_name,
        businesses.home_currency,
        count(sheet.customer_id) as customers,
        coalesce(sum(sheet.ltv), 0) as net_sales,
        coalesce(sum(sheet.purchases), 0) as purchases,
        min(sheet.first_purchase_date) as first_purchase_date,
        max(sheet.last_purchase_date) as last_purchase_date
    from staging.stg_businesses as businesses
    left join marts.customer_sheet as sheet
        on businesses.business_id = sheet.business_id
    group by all
    order by businesses.business_id
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
    select
        aging.business_id,
        max(businesses.business_name) as business_name,
        max(aging.home_currency) as home_currency,
        count(*) filter (where aging.open_balance_home <> 0) as customers_owing,
        sum(aging.current_home) as current_home,
        sum(aging.past_due_1_30_home) as past_due_1_30_home,
        sum(aging.past_due_31_60_home) as past_due_31_60_home,
        sum(aging.past_due_61_90_home) as past_due_61_90_home,
        sum(aging.past_due_over_90_home) as past_due_over_90_home,
        sum(aging.open_balance_home) as open_balance_home,
        sum(aging.unapplied_payments_home + aging.untied_credit_notes_home)
            as customer_credit_home
    from marts.ar_aging as aging
    inner join staging.stg_businesses as businesses
        on aging.business_id = businesses.business_id
    group by aging.business_id
    order by aging.business_id
"""


DSO_SQL = """
    select business_id, count_back_dso, simple_dso, best_possible_dso, days_beyond_terms
    from marts.dso_history
    where is_current
"""


# The invoices not yet late whose lateness the model is surest of, the largest first:
# what to chase first.
RISKIEST_SQL = """
    select business_id, invoice_id, customer_name, open_amount_home, home_currency,
        due_date, late_probability, risk_band, expected_paid_date, top_reasons
    from marts.open_invoice_risk
    where model_scope <> 'already_late'
    qualify row_number() over (
        partition by business_id
        order by round(late_probability, 2) desc, open_amount_home desc, invoice_id
    ) <= ?
    order by business_id, round(late_probability, 2) desc, open_amount_home desc, invoice_id
"""


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@dataclass
class RunReport:
    as_of_date: str | None
    businesses: list[dict]  # one row per business: customers, net sales, purchases
    segments: list[dict]  # marts.segment_summary in the segments' priority order
    top_customers: list[dict]  # the highest-LTV customers of each business
    retention: list[dict]  # marts.revenue_retention, the last three ttm windows
    concentration: list[dict]  # marts.concentration at the latest month end
    data_quality: list[dict]  # marts.data_quality_report: quarantined rows and money
    aging: list[dict]  # marts.ar_aging summed per business
    dso: list[dict]  # marts.dso_history at the as-of date
    riskiest_invoices: list[dict]  # open, not yet late, most likely to be paid late


def read_run_report(warehouse: str | Path, top: int = 10, risky: int = 5) -> RunReport:
    """Everything the run summary prints, read through one read-only connection."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        as_of = con.execute("select max(as_of_date) from marts.customer_sheet").fetchone()[0]
        return RunReport(
            as_of_date=str(as_of) if as_of else None,
            businesses=_rows(con, BUSINESS_OVERVIEW_SQL),
            segments=_rows(con, SEGMENT_SUMMARY_SQL),
            top_customers=_rows(con, TOP_CUSTOMERS_SQL, [top]),
            retention=_rows(con, RETENTION_SQL),
            concentration=_rows(con, CONCENTRATION_SQL),
            data_quality=_rows(con, DATA_QUALITY_SQL),
            aging=_rows(con, AGING_SQL),
            dso=_rows(con, DSO_SQL),
            riskiest_invoices=_rows(con, RISKIEST_SQL, [risky]),
        )
