"""The benchmark's floor: what the core of two marts costs when written by hand.

Two plain DuckDB queries straight over the raw files (DuckDB's CSV and Parquet readers, no
warehouse, no contract checks, no dbt, no orchestration), each timed in its own process:

- `customer_sheet`: per customer at the as-of date, net-sales LTV, purchases, TTM sales
  and average days to pay (the core of marts.customer_sheet);
- `retention_bridge`: per business and 365-day window ending at the as-of date (and every
  365 days before it), the TTM revenue bridge of marts.revenue_retention (starting,
  expansion, contraction, churned, new and reactivated revenue and customers).

They follow the marts' definitions (DECISIONLOG.md) on files that break no contract
rule; `tests/test_floor.py` proves they give the marts' numbers on the demo data, which
keeps the floor honest. They check no contract rule: a CSV row the typed reader cannot
read (an impossible date, a letter in an amount) is skipped, as the loader quarantines
it; rows that break another rule (a duplicate key, a reference to nothing) are read, so
on such files the floor may count what the loader quarantines. What the pipeline does
beyond them (loading with quarantine, every other mart, history at month ends, segments,
tests, checks) is what the ratio of the pipeline's stages to the floor pays for.

    python -m ledgerlens.floor --data DIR --query customer_sheet [--as-of YYYY-MM-DD]

prints one JSON line: the query, its seconds (reading the files included) and its rows.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import duckdb

from ledgerlens.contract import TABLES_BY_NAME
from ledgerlens.load import _read_csv_header, find_source_file

QUERIES = ("customer_sheet", "retention_bridge")


def _file(data_dir: Path, table: str) -> str:
    """A table's file as a DuckDB table expression, typed as the contract types it."""
    path = find_source_file(data_dir, table)
    types = {column.name: column.sql_type for column in TABLES_BY_NAME[table].columns}
    quoted = "'" + str(path).replace("'", "''") + "'"
    if path.suffix == ".parquet":
        return f"read_parquet({quoted})"
    header = _read_csv_header(path)
    columns = ", ".join(f"'{name}': '{types.get(name, 'varchar')}'" for name in header)
    # ignore_errors: a row the types cannot read is skipped (the loader quarantines it),
    # not the end of the benchmark.
    return (
        f"read_csv({quoted}, header = true, auto_detect = false, columns = {{{columns}}},"
        " ignore_errors = true)"
    )


def _as_of_ctes(data_dir: Path, as_of: str | None) -> str:
    """Each business's as-of date, as int_snapshot_dates_spined decides it; and the
    events that make net sales (int_sales_events_unioned): non-void invoices and
    sales receipts at the sum of their lines, each line converted at the document's
    rate and rounded to the cent, and credit notes, negative, on their own date."""
    own = (
        f"cast('{as_of}' as date)"
        if as_of
        else "coalesce(businesses.export_complete_to_date, latest.latest_document_date)"
    )
    return f"""
businesses as (select * from {_file(data_dir, "businesses")}),
invoices as (
    select
        business_id, invoice_id, customer_id, document_type, invoice_date,
        exchange_rate, total_amount, lower(status) = 'void' as is_void
    from {_file(data_dir, "invoices")}
),
credit_notes as (
    select
        business_id, customer_id, invoice_id, credit_note_date,
        amount, tax_amount, exchange_rate
    from {_file(data_dir, "credit_notes")}
),
latest as (
    select business_id, max(invoice_date) as latest_document_date
    from invoices where not is_void group by business_id
),
own_as_of as (
    select businesses.business_id, {own} as as_of_date
    from businesses left join latest on businesses.business_id = latest.business_id
),
as_of as (
    select business_id, coalesce(as_of_date, max(as_of_date) over ()) as as_of_date
    from own_as_of
),
line_totals as (
    select
        lines.business_id, lines.invoice_id,
        sum(cast(round(lines.line_amount * invoices.exchange_rate, 2) as decimal(18, 2)))
            as net_sales_home
    from {_file(data_dir, "invoice_lines")} as lines
    inner join invoices
        on lines.business_id = invoices.business_id and lines.invoice_id = invoices.invoice_id
    where not invoices.is_void
    group by lines.business_id, lines.invoice_id
),
events as (
    select
        invoices.business_id, invoices.customer_id, invoices.invoice_date as event_date,
        true as is_purchase, coalesce(line_totals.net_sales_home, 0) as net_sales_home
    from invoices
    left join line_totals
        on invoices.business_id = line_totals.business_id
        and invoices.invoice_id = line_totals.invoice_id
    where not invoices.is_void
    union all
    select
        business_id, customer_id, credit_note_date, false,
        -cast(round(amount * exchange_rate, 2) as decimal(18, 2))
    from credit_notes
),
events_to_date as (
    select events.*, as_of.as_of_date
    from events
    inner join as_of on events.business_id = as_of.business_id
    where events.event_date <= as_of.as_of_date
)"""


def customer_sheet_sql(data_dir: Path, as_of: str | None = None) -> str:
    """LTV, purchases, TTM sales (the 365 days ending at the as-of date) and average
    days to pay per customer who bought (int_customers_summarized at the as-of date).

    Days to pay: a credit invoice (non-void, type `invoice`) is paid on the first date
    its cumulative settlements (payment allocations at their payment's date, tied credit
    notes with their tax at their own date), summed per date, reach its total in its own
    currency; on its invoice date when its total is zero or it was covered before it was
    issued (int_invoices_settled); counted when paid by the as-of date."""
    return f"""
with
{_as_of_ctes(data_dir, as_of)},
customer_totals as (
    select
        business_id, customer_id,
        sum(net_sales_home) as ltv,
        sum(case when event_date >= as_of_date - 364 then net_sales_home else 0 end)
            as ttm_sales,
        count(*) filter (where is_purchase) as purchases
    from events_to_date
    group by business_id, customer_id
    having count(*) filter (where is_purchase) > 0
),
credit_invoices as (
    select business_id, invoice_id, customer_id, invoice_date, total_amount
    from invoices
    where document_type = 'invoice' and not is_void
),
settlements as (
    select allocations.business_id, allocations.invoice_id,
        payments.payment_date as event_date, allocations.amount_applied as amount
    from {_file(data_dir, "payment_allocations")} as allocations
    inner join {_file(data_dir, "payments")} as payments
        on allocations.business_id = payments.business_id
        and allocations.payment_id = payments.payment_id
    union all
    select business_id, invoice_id, credit_note_date, amount + tax_amount
    from credit_notes
    where invoice_id is not null
),
daily as (
    select business_id, invoice_id, event_date, sum(amount) as amount
    from settlements
    group by business_id, invoice_id, event_date
),
running as (
    select
        daily.business_id, daily.invoice_id, daily.event_date,
        sum(daily.amount) over (
            partition by daily.business_id, daily.invoice_id order by daily.event_date
        ) as cumulative_amount,
        credit_invoices.total_amount
    from daily
    inner join credit_invoices
        on daily.business_id = credit_invoices.business_id
        and daily.invoice_id = credit_invoices.invoice_id
),
covered as (
    select business_id, invoice_id,
        min(event_date) filter (where cumulative_amount >= total_amount) as covered_date
    from running
    group by business_id, invoice_id
),
paid as (
    select
        credit_invoices.business_id, credit_invoices.customer_id,
        credit_invoices.invoice_date,
        case
            when credit_invoices.total_amount = 0 then credit_invoices.invoice_date
            when covered.covered_date < credit_invoices.invoice_date
                then credit_invoices.invoice_date
            else covered.covered_date
        end as paid_date
    from credit_invoices
    left join covered
        on credit_invoices.business_id = covered.business_id
        and credit_invoices.invoice_id = covered.invoice_id
),
days_to_pay as (
    select paid.business_id, paid.customer_id,
        avg(paid.paid_date - paid.invoice_date) as avg_days_to_pay
    from paid
    inner join as_of on paid.business_id = as_of.business_id
    where paid.paid_date <= as_of.as_of_date
    group by paid.business_id, paid.customer_id
)
select
    customer_totals.business_id,
    customer_totals.customer_id,
    cast(customer_totals.ltv as decimal(18, 2)) as ltv,
    cast(customer_totals.purchases as integer) as purchases,
    cast(customer_totals.ttm_sales as decimal(18, 2)) as ttm_sales,
    cast(days_to_pay.avg_days_to_pay as decimal(18, 1)) as avg_days_to_pay
from customer_totals
left join days_to_pay
    on customer_totals.business_id = days_to_pay.business_id
    and customer_totals.customer_id = days_to_pay.customer_id
"""


BRIDGE_COLUMNS = (
    "starting_customers",
    "churned_customers",
    "new_customers",
    "reactivated_customers",
    "active_customers",
    "starting_revenue",
    "expansion_revenue",
    "contraction_revenue",
    "churned_revenue",
    "new_revenue",
    "reactivated_revenue",
    "revenue",
)


def retention_bridge_sql(data_dir: Path, as_of: str | None = None) -> str:
    """The TTM revenue bridge per business and 365-day window with sales in it or in
    the window before (revenue_retention where period_grain = 'ttm'): window 0 ends at
    the as-of date, window -1 365 days earlier... A customer is active in a window with
    net sales above zero; new when first bought within it, reactivated when before."""
    return f"""
with
{_as_of_ctes(data_dir, as_of)},
windows as (
    select
        business_id, customer_id,
        -cast(floor((as_of_date - event_date) / 365.0) as integer) as window_number,
        sum(net_sales_home) as net_sales_home
    from events_to_date
    group by business_id, customer_id, window_number
),
first_purchases as (
    select business_id, customer_id, min(event_date) as first_purchase_date
    from events_to_date where is_purchase
    group by business_id, customer_id
),
paired as (
    select
        coalesce(this.business_id, last.business_id) as business_id,
        coalesce(this.customer_id, last.customer_id) as customer_id,
        coalesce(this.window_number, last.window_number + 1) as window_number,
        coalesce(this.net_sales_home, 0) as net_sales_home,
        coalesce(last.net_sales_home, 0) as previous_net_sales_home
    from windows as this
    full outer join windows as last
        on this.business_id = last.business_id
        and this.customer_id = last.customer_id
        and this.window_number = last.window_number + 1
),
moved as (
    select
        paired.*,
        as_of.as_of_date + 365 * paired.window_number as period_end_date,
        case
            when previous_net_sales_home > 0 and net_sales_home > previous_net_sales_home
                then 'expansion'
            when previous_net_sales_home > 0 and net_sales_home > 0
                and net_sales_home < previous_net_sales_home then 'contraction'
            when previous_net_sales_home > 0 and net_sales_home > 0 then 'unchanged'
            when previous_net_sales_home > 0 then 'churn'
            when net_sales_home > 0
                and first_purchases.first_purchase_date
                    >= as_of.as_of_date + 365 * paired.window_number - 364 then 'new'
            when net_sales_home > 0 then 'reactivation'
            else 'inactive'
        end as movement_type
    from paired
    inner join as_of on paired.business_id = as_of.business_id
    left join first_purchases
        on paired.business_id = first_purchases.business_id
        and paired.customer_id = first_purchases.customer_id
    where paired.window_number <= 0
)
select
    business_id,
    period_end_date,
    cast(count(*) filter (where previous_net_sales_home > 0) as integer)
        as starting_customers,
    cast(count(*) filter (where movement_type = 'churn') as integer) as churned_customers,
    cast(count(*) filter (where movement_type = 'new') as integer) as new_customers,
    cast(count(*) filter (where movement_type = 'reactivation') as integer)
        as reactivated_customers,
    cast(count(*) filter (where net_sales_home > 0) as integer) as active_customers,
    cast(coalesce(sum(previous_net_sales_home) filter (where previous_net_sales_home > 0), 0)
        as decimal(18, 2)) as starting_revenue,
    cast(coalesce(sum(net_sales_home - previous_net_sales_home)
        filter (where movement_type = 'expansion'), 0) as decimal(18, 2))
        as expansion_revenue,
    cast(coalesce(sum(previous_net_sales_home - net_sales_home)
        filter (where movement_type = 'contraction'), 0) as decimal(18, 2))
        as contraction_revenue,
    cast(coalesce(sum(previous_net_sales_home) filter (where movement_type = 'churn'), 0)
        as decimal(18, 2)) as churned_revenue,
    cast(coalesce(sum(net_sales_home) filter (where movement_type = 'new'), 0)
        as decimal(18, 2)) as new_revenue,
    cast(coalesce(sum(net_sales_home) filter (where movement_type = 'reactivation'), 0)
        as decimal(18, 2)) as reactivated_revenue,
    cast(coalesce(sum(net_sales_home) filter (where net_sales_home > 0), 0)
        as decimal(18, 2)) as revenue
from moved
group by business_id, period_end_date
"""


SQL = {"customer_sheet": customer_sheet_sql, "retention_bridge": retention_bridge_sql}


def run_floor(query: str, data_dir: str | Path, as_of: str | None = None) -> dict:
    """Run one floor query on a fresh in-memory DuckDB (its default settings: every
    core, 80% of the memory) and time it, reading the files included."""
    sql = SQL[query](Path(data_dir).resolve(), as_of)
    started = time.perf_counter()
    with duckdb.connect() as con:
        # Materialised, so that every column is computed (a count could skip some).
        con.execute(f"create temp table floor_result as {sql}")
        rows = con.execute("select count(*) from floor_result").fetchone()[0]
    return {"query": query, "seconds": round(time.perf_counter() - started, 2), "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="folder of the raw files")
    parser.add_argument("--query", required=True, choices=QUERIES)
    parser.add_argument("--as-of", dest="as_of", help="as-of date YYYY-MM-DD")
    args = parser.parse_args(argv)
    print(json.dumps(run_floor(args.query, args.data, args.as_of)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
