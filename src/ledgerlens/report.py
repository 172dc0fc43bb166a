"""Read-only queries the command line prints after a run."""

from __future__ import annotations

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


def _rows(warehouse: str | Path, sql: str, params: list | None = None) -> list[dict]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(sql, params or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def business_overview(warehouse: str | Path) -> list[dict]:
    """One row per business: customers who bought, all-time net sales, purchases."""
    return _rows(warehouse, BUSINESS_OVERVIEW_SQL)


SEGMENT_SUMMARY_SQL = """
    select business_id, segment, customers, avg_ltv, avg_purchases, total_ttm_sales,
        share_of_ttm_sales, avg_days_to_pay, home_currency
    from marts.segment_summary
    order by business_id, segment_priority
"""


def segment_summary(warehouse: str | Path) -> list[dict]:
    """marts.segment_summary, in the segments' priority order."""
    return _rows(warehouse, SEGMENT_SUMMARY_SQL)


def top_customers(warehouse: str | Path, limit: int = 10) -> list[dict]:
    """The `limit` customers with the highest LTV of each business."""
    return _rows(warehouse, TOP_CUSTOMERS_SQL, [limit])


def as_of_date(warehouse: str | Path) -> str | None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute("select max(as_of_date) from marts.customer_sheet").fetchone()
    return str(row[0]) if row and row[0] else None
