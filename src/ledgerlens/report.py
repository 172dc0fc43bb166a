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


def top_customers(warehouse: str | Path, limit: int = 10) -> list[dict]:
    """The `limit` customers with the highest LTV of each business."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(TOP_CUSTOMERS_SQL, [limit])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def as_of_date(warehouse: str | Path) -> str | None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute("select max(as_of_date) from marts.customer_sheet").fetchone()
    return str(row[0]) if row and row[0] else None
