"""xero-csv: the Xero web app's Sales -> Invoices CSV export -> contract rows.

The export (Business -> Invoices -> Export; the same columns as Xero's invoice import
template) has one row per invoice line: ContactName, EmailAddress, PO*/SA* address lines,
InvoiceNumber, Reference, InvoiceDate, DueDate, PlannedDate, Total, TaxTotal,
InvoiceAmountPaid, InvoiceAmountDue, InventoryItemCode, Description, Quantity, UnitAmount,
Discount, LineAmount, AccountCode, TaxType, TaxAmount, TrackingName1/Option1,
TrackingName2/Option2, Currency, Type, Sent, Status (required columns may carry a leading
`*`, which is ignored). Every CSV file of the folder with that header is read.

The export is turned into the tables xero-fivetran reads (`xs_*`) and mapped by the same
steps, so both sources apply one set of rules. What it does not carry, and how the marts
degrade (docs/import-xero.md, "The CSV export"):
- no contact id: customers are keyed by ContactName;
- no exchange rate: a document in another currency than the home one is skipped
  (`no_exchange_rate`);
- no payments: each invoice's InvoiceAmountPaid becomes one payment, dated the invoice's
  due date (or the latest document date of the export, if earlier): balances at the export
  date are right, payment timing is not;
- no credit-note allocations: what an invoice was credited (Total - paid - due) is in the
  skipped rows (`credit_not_exported`), so that invoice stays open by it;
- no organisation: the home currency comes from --home-currency (or the export's only
  currency), the fiscal year starts in January, terms default to 30 days.
"""

from __future__ import annotations

import re
from pathlib import Path

from ledgerlens.importers.common import Company, ImporterError, Output, Source, read_report_csv
from ledgerlens.importers.xero_fivetran import _NULL, TABLES, map_staged

DESCRIPTION = "Xero's Sales -> Invoices CSV export (one row per line; no payments or rates)"

# The export's columns we read (names without `*`, lower case) -> what they hold.
NEEDED = ("contactname", "invoicenumber", "invoicedate", "total", "lineamount")
_DATE_RE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def _exports(folder: Path) -> list[tuple[Path, list[str], list[list[str]]]]:
    found = []
    for file in sorted(folder.glob("*.csv")):
        rows = read_report_csv(file)
        if not rows:
            continue
        header = [re.sub(r"[^a-z0-9]", "", cell.lower()) for cell in rows[0]]
        if all(name in header for name in NEEDED):
            found.append((file, header, rows[1:]))
    return found


def _day_first(values: list[str]) -> bool:
    """Xero writes dates in the organisation's regional format: d/m/y (AU, NZ, UK) or
    m/d/y (US). A first part above 12 proves d/m/y, a second above 12 proves m/d/y;
    with no proof, d/m/y."""
    firsts, seconds = [], []
    for value in values:
        match = _DATE_RE.match(value or "")
        if match:
            firsts.append(int(match.group(1)))
            seconds.append(int(match.group(2)))
    if any(day > 12 for day in firsts):
        return True
    return not any(day > 12 for day in seconds)


def convert(source: Source, out: Output, company: Company) -> None:
    if source.folder is None:
        raise ImporterError(f"{source.location}: xero-csv reads a folder of CSV exports")
    exports = _exports(source.folder)
    if not exports:
        raise ImporterError(
            f"{source.location}: no Xero Invoices export (a CSV with ContactName, "
            "InvoiceNumber, InvoiceDate, Total, LineAmount columns)"
        )
    con = out.con
    columns = sorted({name for _, header, _ in exports for name in header})
    con.execute(
        "create or replace temp table xc_rows (file varchar, line integer, "
        + ", ".join(f'"{name}" varchar' for name in columns)
        + ")"
    )
    for file, header, rows in exports:
        width = len(header)
        records = [
            [file.name, number + 2, *(row + [""] * width)[:width]]
            for number, row in enumerate(rows)
            if any(cell.strip() for cell in row)
        ]
        if records:
            names = ", ".join(["file", "line", *(f'"{name}"' for name in header)])
            marks = ", ".join("?" for _ in range(width + 2))
            con.executemany(f"insert into xc_rows ({names}) values ({marks})", records)
    for name in (
        "invoicedate",
        "duedate",
        "currency",
        "type",
        "status",
        "taxtotal",
        "invoiceamountpaid",
        "invoiceamountdue",
        "quantity",
        "unitamount",
        "discount",
        "taxamount",
        "inventoryitemcode",
        "description",
        "reference",
    ):
        if name not in columns:
            con.execute(f'alter table xc_rows add column "{name}" varchar')
    dates = [
        row[0]
        for row in con.execute(
            "select invoicedate from xc_rows union all select duedate from xc_rows"
        ).fetchall()
    ]
    date_format = "%d/%m/%Y" if _day_first(dates) else "%m/%d/%Y"
    currencies = [
        row[0]
        for row in con.execute(
            "select distinct upper(trim(currency)) from xc_rows where nullif(trim(currency), '') "
            "is not null"
        ).fetchall()
    ]
    home = (company.home_currency or (currencies[0] if len(currencies) == 1 else "")).upper()
    if not home:
        raise ImporterError(
            f"{source.location}: the export does not say the home currency "
            f"(it has {', '.join(currencies) or 'none'}): give --home-currency"
        )
    for statement in _STAGE:
        statement = statement.replace("{date_format}", date_format)
        con.execute(statement, [home] if "?" in statement else [])
    # The tables the export has nothing for read as empty, as in a sync without them.
    for table, table_columns in TABLES.items():
        if table in _BUILT:
            continue
        selects = ", ".join(
            f'cast(null as {_NULL[kind]}) as "{name}"' for name, kind in table_columns.items()
        )
        con.execute(f"create or replace temp table xs_{table} as select {selects} where false")
    map_staged(out, company, home)
    # What the export cannot say: an invoice's credited part (no allocation, no credit note).
    out.skip(
        """
        select
            params.business_id,
            'invoices_export' as source_table,
            invoice_id as source_id,
            'credit_not_exported' as reason,
            'invoice ' || invoice_id || ' was credited (Total - paid - due): the export '
                || 'has no credit-note allocations, so it stays open by this amount' as detail,
            credited as amount,
            currency_code as currency
        from xc_invoices
        cross join xm_params as params
        where credited > 0 and invoice_id in (
            select invoice_id from xm_documents where reason is null and status <> 'void'
        )
        """
    )


_BUILT = ("organization", "contact", "invoice", "invoice_line_item", "payment", "credit_note")

# The export -> the xs_* tables of xero-fivetran. Status words are the app's ("Awaiting
# Payment"), turned into the API's codes. The tax basis of the lines is not exported: the
# lines add up to Total when amounts are tax inclusive, to Total - TaxTotal when exclusive.
_STAGE = [
    """
create or replace temp table xc_typed as
select
    file,
    line,
    ll_text(contactname) as contact,
    ll_text(invoicenumber) as invoice_id,
    coalesce(try_strptime(trim(invoicedate), '%Y-%m-%d'),
        try_strptime(trim(invoicedate), '{date_format}'),
        try_strptime(trim(invoicedate), '%d %b %Y'))::date as invoice_date,
    coalesce(try_strptime(trim(duedate), '%Y-%m-%d'),
        try_strptime(trim(duedate), '{date_format}'),
        try_strptime(trim(duedate), '%d %b %Y'))::date as due_date,
    ll_money(replace(total, ',', '')) as total,
    coalesce(ll_money(replace(taxtotal, ',', '')), 0) as tax_total,
    coalesce(ll_money(replace(invoiceamountpaid, ',', '')), 0) as paid,
    ll_money(replace(invoiceamountdue, ',', '')) as due,
    cast(ll_number(replace(quantity, ',', ''), 4) as decimal(18, 4)) as quantity,
    cast(ll_number(replace(unitamount, ',', ''), 4) as decimal(18, 4)) as unit_amount,
    cast(ll_number(replace(discount, ',', ''), 4) as decimal(18, 4)) as discount_rate,
    ll_money(replace(lineamount, ',', '')) as line_amount,
    coalesce(ll_money(replace(taxamount, ',', '')), 0) as tax_amount,
    ll_text(inventoryitemcode) as item_code,
    ll_text(description) as description,
    upper(ll_text(currency)) as currency_code,
    lower(coalesce(ll_text(type), 'sales invoice')) as type_text,
    lower(ll_text(status)) as status_text
from xc_rows
""",
    """
create or replace temp table xc_invoices as
select
    invoice_id,
    any_value(contact) as contact_id,
    min(invoice_date) as date,
    min(due_date) as due_date,
    any_value(total) as total,
    any_value(tax_total) as total_tax,
    any_value(total) - any_value(tax_total) as sub_total,
    any_value(paid) as paid,
    any_value(total) - any_value(paid) - coalesce(any_value(due), any_value(total)
        - any_value(paid)) as credited,
    coalesce(any_value(currency_code), ?) as currency_code,
    case
        when any_value(type_text) like '%credit%' then 'ACCRECCREDIT'
        when any_value(type_text) like '%bill%' or any_value(type_text) like '%purchase%'
            then 'ACCPAY'
        else 'ACCREC'
    end as type,
    case
        when any_value(status_text) like 'paid%' then 'PAID'
        when any_value(status_text) like 'awaiting payment%' then 'AUTHORISED'
        when any_value(status_text) like 'awaiting approval%' then 'SUBMITTED'
        when any_value(status_text) like 'draft%' then 'DRAFT'
        when any_value(status_text) like 'void%' then 'VOIDED'
        when any_value(status_text) like 'deleted%' then 'DELETED'
        else upper(any_value(status_text))
    end as status,
    case
        when abs(sum(line_amount) - any_value(total)) < 0.005 * count(*)
            and any_value(tax_total) <> 0 then 'Inclusive'
        else 'Exclusive'
    end as line_amount_types,
    max(max(invoice_date)) over () as latest_date
from xc_typed
where invoice_id is not null
group by invoice_id
""",
    """
create or replace temp table xs_organization as
select
    cast(null as varchar) as name,
    cast(? as varchar) as base_currency,
    cast(null as decimal(18, 4)) as financial_year_end_month,
    cast(null as date) as _fivetran_synced
""",
    """
create or replace temp table xs_contact as
select
    contact as contact_id,
    contact as name,
    cast(null as varchar) as first_name,
    cast(null as varchar) as last_name,
    true as is_customer,
    min(invoice_date) as updated_date_utc,
    cast(null as decimal(18, 4)) as payment_terms_sales_day,
    cast(null as varchar) as payment_terms_sales_type,
    false as _fivetran_deleted,
    cast(null as date) as _fivetran_synced
from xc_typed
where contact is not null
group by contact
""",
    """
create or replace temp table xs_invoice as
select
    invoice_id,
    invoice_id as invoice_number,
    contact_id,
    type,
    status,
    date,
    due_date,
    currency_code,
    cast(null as decimal(28, 10)) as currency_rate,
    line_amount_types,
    sub_total,
    total_tax,
    total,
    false as _fivetran_deleted,
    cast(null as date) as _fivetran_synced
from xc_invoices
where type <> 'ACCRECCREDIT'
""",
    # Credit notes (Type "Sales credit note"): the export may write their amounts negative.
    """
create or replace temp table xs_credit_note as
select
    invoice_id as credit_note_id,
    invoice_id as credit_note_number,
    contact_id,
    type,
    status,
    date,
    currency_code,
    cast(null as decimal(28, 10)) as currency_rate,
    abs(sub_total) as sub_total,
    abs(total_tax) as total_tax,
    abs(total) as total,
    cast(null as varchar) as reference,
    false as _fivetran_deleted
from xc_invoices
where type = 'ACCRECCREDIT'
""",
    """
create or replace temp table xs_invoice_line_item as
select
    invoice_id || ':' || lpad(cast(line as varchar), 9, '0') as line_item_id,
    invoice_id,
    item_code,
    description,
    cast(null as varchar) as account_code,
    quantity,
    unit_amount,
    discount_rate,
    line_amount,
    tax_amount,
    false as _fivetran_deleted
from xc_typed
where invoice_id is not null
    and invoice_id not in (select invoice_id from xc_invoices where type = 'ACCRECCREDIT')
""",
    """
create or replace temp table xs_payment as
select
    'PAID-' || invoice_id as payment_id,
    'ACCRECPAYMENT' as payment_type,
    'AUTHORISED' as status,
    least(coalesce(due_date, date), latest_date) as date,
    paid as amount,
    cast(null as decimal(28, 10)) as currency_rate,
    invoice_id,
    cast(null as varchar) as credit_note_id,
    cast(null as varchar) as overpayment_id,
    cast(null as varchar) as prepayment_id,
    cast(null as varchar) as batch_payment_id,
    false as _fivetran_deleted
from xc_invoices
where paid > 0 and type = 'ACCREC'
""",
]
