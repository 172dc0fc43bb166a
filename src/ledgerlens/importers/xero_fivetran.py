"""xero-fivetran: the Xero tables as Fivetran's Xero connector lands them -> contract rows.

Field mapping, what is skipped and why: docs/import-xero.md. In short:
- `organization` -> the business (base currency, fiscal year from its financial year end);
- `invoice` (type ACCREC) + `invoice_line_item` -> invoices and their lines; ACCPAY bills,
  drafts, deleted and `_fivetran_deleted` rows are skipped with their reason, VOIDED kept as void;
- `bank_transaction` (type RECEIVE, with a contact) + `bank_transaction_line_item` lines
  coded to REVENUE accounts (`account`) -> sales receipts (cash sales) with a same-day payment;
- `payment` (ACCRECPAYMENT) -> payments and allocations, one payment per batch payment;
- `overpayment` / `prepayment` (RECEIVE-*) and their `*_allocation` tables -> payments
  (total less cash refunded) and allocations; what is not allocated is customer credit;
- `credit_note` (ACCRECCREDIT) + `credit_note_allocation` -> credit notes, one contract row
  per allocated invoice plus one untied row for the credit not allocated, whose
  refunded_amount is the cash paid back against the note (`payment` ARCREDITPAYMENT);
- `contact` -> customers (every contact a mapped document names, or marked is_customer);
- `item` -> the lines' unit cost (today's purchase price, in the document's currency).

Xero's CurrencyRate is document-currency units per one base-currency unit; the contract's
exchange_rate is the opposite (home per document unit), so exchange_rate = 1 / CurrencyRate.
Every table is optional except `organization`, `contact` and `invoice`: a missing one reads
as empty (e.g. a sync without the overpayment tables).
"""

from __future__ import annotations

from ledgerlens.importers.common import Company, ImporterError, Output, Source

DESCRIPTION = (
    "Xero as Fivetran's connector syncs it (organization, contact, invoice, "
    "invoice_line_item, payment, credit_note, overpayment, prepayment, bank_transaction, ...)"
)

# Each source table read: column -> how it is typed (text, date, money, number (4 places),
# rate (10 places), bool). A column the sync does not have reads as null.
TABLES: dict[str, dict[str, str]] = {
    "organization": {
        "name": "text",
        "base_currency": "text",
        "financial_year_end_month": "number",
        "_fivetran_synced": "date",
    },
    "contact": {
        "contact_id": "text",
        "name": "text",
        "first_name": "text",
        "last_name": "text",
        "is_customer": "bool",
        "updated_date_utc": "date",
        "payment_terms_sales_day": "number",
        "payment_terms_sales_type": "text",
        "_fivetran_deleted": "bool",
        "_fivetran_synced": "date",
    },
    "invoice": {
        "invoice_id": "text",
        "invoice_number": "text",
        "contact_id": "text",
        "type": "text",
        "status": "text",
        "date": "date",
        "due_date": "date",
        "currency_code": "text",
        "currency_rate": "rate",
        "line_amount_types": "text",
        "sub_total": "money",
        "total_tax": "money",
        "total": "money",
        "_fivetran_deleted": "bool",
        "_fivetran_synced": "date",
    },
    "invoice_line_item": {
        "line_item_id": "text",
        "invoice_id": "text",
        "item_code": "text",
        "description": "text",
        "account_code": "text",
        "quantity": "number",
        "unit_amount": "number",
        "discount_rate": "number",
        "line_amount": "money",
        "tax_amount": "money",
        "_fivetran_deleted": "bool",
    },
    "bank_transaction": {
        "bank_transaction_id": "text",
        "contact_id": "text",
        "type": "text",
        "status": "text",
        "date": "date",
        "currency_code": "text",
        "currency_rate": "rate",
        "line_amount_types": "text",
        "total": "money",
        "_fivetran_deleted": "bool",
    },
    "bank_transaction_line_item": {
        "line_item_id": "text",
        "bank_transaction_id": "text",
        "item_code": "text",
        "description": "text",
        "account_code": "text",
        "quantity": "number",
        "unit_amount": "number",
        "discount_rate": "number",
        "line_amount": "money",
        "tax_amount": "money",
        "_fivetran_deleted": "bool",
    },
    "account": {"code": "text", "class": "text"},
    "item": {"code": "text", "purchase_details_unit_price": "number"},
    "payment": {
        "payment_id": "text",
        "payment_type": "text",
        "status": "text",
        "date": "date",
        "amount": "money",
        "currency_rate": "rate",
        "invoice_id": "text",
        "credit_note_id": "text",
        "overpayment_id": "text",
        "prepayment_id": "text",
        "batch_payment_id": "text",
        "_fivetran_deleted": "bool",
    },
    "credit_note": {
        "credit_note_id": "text",
        "credit_note_number": "text",
        "contact_id": "text",
        "type": "text",
        "status": "text",
        "date": "date",
        "currency_code": "text",
        "currency_rate": "rate",
        "sub_total": "money",
        "total_tax": "money",
        "total": "money",
        "reference": "text",
        "_fivetran_deleted": "bool",
    },
    "credit_note_allocation": {
        "credit_note_id": "text",
        "invoice_id": "text",
        "amount": "money",
        "date": "date",
        "is_deleted": "bool",
        "_fivetran_deleted": "bool",
    },
    "overpayment": {
        "overpayment_id": "text",
        "contact_id": "text",
        "type": "text",
        "status": "text",
        "date": "date",
        "currency_code": "text",
        "currency_rate": "rate",
        "total": "money",
        "_fivetran_deleted": "bool",
    },
    "overpayment_allocation": {
        "overpayment_id": "text",
        "invoice_id": "text",
        "amount": "money",
        "date": "date",
        "is_deleted": "bool",
        "_fivetran_deleted": "bool",
    },
}
# Prepayments have the overpayment tables' shape under their own names.
TABLES["prepayment"] = {
    key.replace("overpayment", "prepayment"): kind for key, kind in TABLES["overpayment"].items()
}
TABLES["prepayment_allocation"] = {
    key.replace("overpayment", "prepayment"): kind
    for key, kind in TABLES["overpayment_allocation"].items()
}
REQUIRED = ("organization", "contact", "invoice")
# Other names a sync may give a table (the plural, the British spelling), tried in order
# when the name above is missing.
ALIASES: dict[str, tuple[str, ...]] = {
    "organization": ("organisation",),
    "bank_transaction_line_item": ("bank_transaction_line_items",),
    "credit_note_allocation": ("credit_note_allocations",),
    "overpayment_allocation": ("overpayment_allocations",),
    "prepayment_allocation": ("prepayment_allocations",),
}

_TYPED = {
    "text": "ll_text({0})",
    "date": "ll_date({0})",
    "money": "ll_money({0})",
    "number": "cast(ll_number({0}, 4) as decimal(18, 4))",
    "rate": "cast(ll_number({0}, 10) as decimal(28, 10))",
    "bool": "ll_bool({0})",
}
_NULL = {
    "text": "varchar",
    "date": "date",
    "money": "decimal(18, 2)",
    "number": "decimal(18, 4)",
    "rate": "decimal(28, 10)",
    "bool": "boolean",
}


def _stage(source: Source, out: Output, table: str) -> None:
    """`xs_<table>`: the source table with the columns above, typed (absent ones null)."""
    columns = TABLES[table]
    found = next((alias for alias in (table, *ALIASES.get(table, ())) if source.has(alias)), table)
    present = set(source.columns(found)) if source.has(found) else None
    if present is None and table in REQUIRED:
        raise ImporterError(f"{source.location}: no {table!r} table: is this a Fivetran Xero sync?")
    selects = []
    for name, kind in columns.items():
        quoted = f'"{name}"'
        if present is not None and name in present:
            selects.append(f"{_TYPED[kind].format(quoted)} as {quoted}")
        else:
            selects.append(f"cast(null as {_NULL[kind]}) as {quoted}")
    relation = (
        f"{source.table(found)} where true" if present is not None else "(select 1) where false"
    )
    out.con.execute(
        f"create or replace temp table xs_{table} as select {', '.join(selects)} from {relation}"
    )


def convert(source: Source, out: Output, company: Company) -> None:
    for table in TABLES:
        _stage(source, out, table)
    home = out.con.execute("select max(base_currency) from xs_organization").fetchone()[0]
    home = (home or company.home_currency or "").upper()
    if not home:
        raise ImporterError(
            f"{source.location}: the organization table has no base_currency; give --home-currency"
        )
    map_staged(out, company, home)


def map_staged(out: Output, company: Company, home: str) -> None:
    """Map the `xs_<table>` tables (TABLES' columns, typed) into contract and skipped rows.
    xero-csv builds the same tables from the app's export and maps them here too."""
    out.con.execute(
        "create or replace temp table xm_params as select ? as business_id, ? as home",
        [company.business_id, home],
    )
    for step in _STEPS:
        out.con.execute(step)
    # The steps above wrote xm_* tables; the contract rows and skipped rows come from them.
    out.insert("businesses", _BUSINESS, [company.business_name])
    out.insert("customers", "select * exclude (reason) from xm_customers where reason is null")
    out.insert(
        "invoices",
        "select * exclude (reason, source_table, amount_source) "
        "from xm_documents where reason is null",
    )
    out.insert("invoice_lines", "select * from xm_lines_out")
    out.insert("payments", "select * from xm_payments_out")
    out.insert("payment_allocations", "select * from xm_allocations_out")
    out.insert("credit_notes", "select * from xm_credit_notes_out")
    out.skip("select * from xm_skipped")


# ---------------------------------------------------------------------------------------
# The mapping, one temp table per step. `reason` is null on a row that maps, else the rule
# that skips it (docs/import-xero.md lists them).
_STEPS = [
    # ---------- documents: ACCREC invoices and cash sales (RECEIVE bank transactions)
    """
    create or replace temp table xm_invoice_class as
    select
        invoice.*,
        case
            when coalesce(invoice._fivetran_deleted, false) then 'deleted_in_source'
            when upper(invoice.type) is distinct from 'ACCREC' then 'not_accounts_receivable'
            when upper(invoice.status) = 'DELETED' then 'deleted_in_source'
            when upper(invoice.status) in ('DRAFT', 'SUBMITTED') then 'draft'
            when upper(invoice.status) not in ('AUTHORISED', 'PAID', 'VOIDED')
                then 'unsupported_status'
            when invoice.contact_id is null then 'no_customer'
            when invoice.date is null then 'no_date'
            when upper(coalesce(invoice.currency_code, params.home)) <> params.home
                and coalesce(invoice.currency_rate, 0) = 0 then 'no_exchange_rate'
            when invoice.total < 0 or invoice.sub_total < 0 then 'negative_total'
        end as reason
    from xs_invoice as invoice
    cross join xm_params as params
    """,
    # Which bank-transaction lines are sales: coded to an account of class REVENUE.
    """
    create or replace temp table xm_bank_lines as
    select
        line.*,
        coalesce(upper(account.class) = 'REVENUE', false) as is_revenue
    from xs_bank_transaction_line_item as line
    left join (select code, max(class) as class from xs_account group by code) as account
        on line.account_code = account.code
    """,
    """
    create or replace temp table xm_bank_class as
    with revenue as (
        select bank_transaction_id, count(*) as revenue_lines
        from xm_bank_lines
        where is_revenue and not coalesce(_fivetran_deleted, false)
        group by bank_transaction_id
    )
    select
        bank.*,
        case
            when coalesce(bank._fivetran_deleted, false) then 'deleted_in_source'
            when upper(bank.status) = 'DELETED' then 'deleted_in_source'
            when upper(bank.type) = 'RECEIVE-OVERPAYMENT' then 'recorded_as_overpayment'
            when upper(bank.type) = 'RECEIVE-PREPAYMENT' then 'recorded_as_prepayment'
            when upper(bank.type) is distinct from 'RECEIVE' then 'not_a_sale'
            when revenue.revenue_lines is null then 'not_a_sale'
            when upper(bank.status) not in ('AUTHORISED', 'VOIDED') then 'unsupported_status'
            when bank.contact_id is null then 'no_customer'
            when bank.date is null then 'no_date'
        end as reason
    from xs_bank_transaction as bank
    left join revenue on bank.bank_transaction_id = revenue.bank_transaction_id
    """,
    # Every line of both kinds of document, with the document's reason; a bank line coded
    # elsewhere than revenue is skipped on its own (`not_revenue`), its document kept.
    """
    create or replace temp table xm_all_lines as
    select
        'invoice_line_item' as source_table,
        line.line_item_id,
        line.invoice_id as document_id,
        line.item_code,
        line.description,
        line.quantity,
        line.unit_amount,
        line.discount_rate,
        line.line_amount,
        coalesce(line.tax_amount, 0) as tax_amount,
        document.line_amount_types,
        document.currency_code,
        case
            when coalesce(line._fivetran_deleted, false) then 'deleted_in_source'
            when document.invoice_id is null then 'no_document'
            when document.reason is not null then document.reason
            when line.line_amount is null
                or (line.line_amount = 0 and line.quantity is null) then 'description_only'
        end as reason,
        document.reason is not null as document_skipped
    from xs_invoice_line_item as line
    left join xm_invoice_class as document on line.invoice_id = document.invoice_id
    union all
    select
        'bank_transaction_line_item',
        line.line_item_id,
        line.bank_transaction_id,
        line.item_code,
        line.description,
        line.quantity,
        line.unit_amount,
        line.discount_rate,
        line.line_amount,
        coalesce(line.tax_amount, 0),
        document.line_amount_types,
        document.currency_code,
        case
            when coalesce(line._fivetran_deleted, false) then 'deleted_in_source'
            when document.bank_transaction_id is null then 'no_document'
            when document.reason is not null then document.reason
            when not line.is_revenue then 'not_revenue'
            when line.line_amount is null
                or (line.line_amount = 0 and line.quantity is null) then 'description_only'
        end,
        document.reason is not null
    from xm_bank_lines as line
    left join xm_bank_class as document on line.bank_transaction_id = document.bank_transaction_id
    """,
    # Lines excluding tax: Xero's LineAmount includes the line's tax when the document's
    # LineAmountTypes is Inclusive. A line's own discount (DiscountRate) is what the
    # quantity times the unit amount exceeds the line amount by, at the same tax basis.
    """
    create or replace temp table xm_lines_priced as
    select
        *,
        case
            when lower(line_amount_types) = 'inclusive' then line_amount - tax_amount
            else line_amount
        end as amount_excl,
        case
            when lower(line_amount_types) = 'inclusive' and line_amount <> 0
                then (line_amount - tax_amount) / line_amount
            else 1
        end as tax_factor,
        case
            when coalesce(discount_rate, 0) <> 0 and quantity > 0 and unit_amount > 0
                then greatest(round(quantity * unit_amount, 2) - line_amount, 0)
            else 0
        end as own_discount_source
    from xm_all_lines
    where reason is null
    """,
    # The contract has no negative lines: a negative line (a discount keyed as a line) is
    # spread over the document's positive lines in proportion to their amounts, into their
    # discount_amount; cumulative rounding makes the shares add up to the cent.
    """
    create or replace temp table xm_lines_spread as
    with negative as (
        select source_table, document_id, -sum(amount_excl) as discount_pool
        from xm_lines_priced
        where amount_excl < 0
        group by source_table, document_id
    ),
    positive as (
        select
            xm_lines_priced.*,
            row_number() over (partition by source_table, document_id order by line_item_id)
                as line_number
        from xm_lines_priced
        where amount_excl >= 0
    ),
    -- running sums only where there is something to spread (few documents)
    running as (
        select
            positive.source_table,
            positive.document_id,
            positive.line_number,
            sum(positive.amount_excl) over (
                partition by positive.source_table, positive.document_id
            ) as document_positive,
            sum(positive.amount_excl) over (
                partition by positive.source_table, positive.document_id
                order by positive.line_number
                rows between unbounded preceding and current row
            ) as running_positive,
            negative.discount_pool
        from positive
        inner join negative
            on positive.source_table = negative.source_table
            and positive.document_id = negative.document_id
    ),
    shares as (
        select
            source_table,
            document_id,
            line_number,
            case
                when document_positive > 0
                    then round(discount_pool * running_positive / document_positive, 2)
                else 0
            end as running_share
        from running
    ),
    shared as (
        select
            shares.*,
            shares.running_share - coalesce(lag(shares.running_share) over (
                partition by shares.source_table, shares.document_id
                order by shares.line_number
            ), 0) as discount_share
        from shares
    )
    select
        positive.*,
        coalesce(shared.discount_share, 0) as discount_share
    from positive
    left join shared
        on positive.source_table = shared.source_table
        and positive.document_id = shared.document_id
        and positive.line_number = shared.line_number
    """,
    # A document whose negative lines exceed its positive ones cannot be mapped.
    """
    create or replace temp table xm_unspreadable as
    select source_table, document_id
    from xm_lines_priced
    group by source_table, document_id
    having sum(amount_excl) < 0
    """,
    # The documents: invoices, then cash sales (their total: the revenue lines and their tax).
    """
    create or replace temp table xm_documents as
    with bank_totals as (
        select
            document_id,
            sum(amount_excl + tax_amount) as total,
            sum(tax_amount) as tax
        from xm_lines_priced
        where source_table = 'bank_transaction_line_item'
        group by document_id
    ),
    unioned as (
        select
            'invoice' as source_table,
            invoice.invoice_id as invoice_id,
            invoice.contact_id as customer_id,
            'invoice' as document_type,
            invoice.date as invoice_date,
            invoice.due_date as due_date,
            upper(coalesce(invoice.currency_code, params.home)) as currency,
            invoice.currency_rate,
            case upper(invoice.status)
                when 'VOIDED' then 'void' when 'PAID' then 'paid' else 'open'
            end as status,
            invoice.total as total_amount,
            coalesce(invoice.total_tax, 0) as tax_amount,
            invoice.total as amount_source,
            coalesce(invoice.reason, case when unspreadable.document_id is not null
                then 'negative_total' end) as reason
        from xm_invoice_class as invoice
        cross join xm_params as params
        left join xm_unspreadable as unspreadable
            on unspreadable.source_table = 'invoice_line_item'
            and invoice.invoice_id = unspreadable.document_id
        union all
        select
            'bank_transaction',
            bank.bank_transaction_id,
            bank.contact_id,
            'sales_receipt',
            bank.date,
            bank.date,
            upper(coalesce(bank.currency_code, params.home)),
            bank.currency_rate,
            case when upper(bank.status) = 'VOIDED' then 'void' else 'paid' end,
            coalesce(bank_totals.total, 0),
            coalesce(bank_totals.tax, 0),
            bank.total,
            coalesce(bank.reason, case when unspreadable.document_id is not null
                then 'negative_total' end)
        from xm_bank_class as bank
        cross join xm_params as params
        left join bank_totals on bank.bank_transaction_id = bank_totals.document_id
        left join xm_unspreadable as unspreadable
            on unspreadable.source_table = 'bank_transaction_line_item'
            and bank.bank_transaction_id = unspreadable.document_id
    )
    select
        params.business_id,
        unioned.invoice_id,
        unioned.customer_id,
        unioned.document_type,
        unioned.invoice_date,
        unioned.due_date,
        unioned.currency,
        case
            when unioned.currency = params.home or coalesce(unioned.currency_rate, 0) = 0
                then cast(1 as decimal(18, 6))
            else cast(round(1 / unioned.currency_rate, 6) as decimal(18, 6))
        end as exchange_rate,
        unioned.status,
        unioned.total_amount,
        unioned.tax_amount,
        unioned.reason,
        unioned.source_table,
        unioned.amount_source
    from unioned
    cross join xm_params as params
    """,
    # The lines out. unit_price excludes tax (scaled like the amount on Inclusive documents);
    # where quantity or unit amount cannot carry the line (blank, negative), the line is one
    # unit at its amount before discount. unit_cost: the item's purchase price today, in the
    # document's currency.
    """
    create or replace temp table xm_lines_out as
    with priced as (
        select
            spread.*,
            round(spread.own_discount_source * spread.tax_factor, 2) as own_discount,
            document.exchange_rate,
            document.reason as document_reason
        from xm_lines_spread as spread
        inner join xm_documents as document
            on spread.document_id = document.invoice_id
            and document.source_table = case spread.source_table
                when 'invoice_line_item' then 'invoice' else 'bank_transaction' end
    ),
    items as (
        select code, max(purchase_details_unit_price) as purchase_price
        from xs_item
        group by code
    )
    select
        params.business_id,
        priced.document_id as invoice_id,
        cast(priced.line_number as integer) as line_number,
        priced.item_code,
        priced.description,
        case
            when priced.quantity > 0 and priced.unit_amount >= 0 then priced.quantity
            else 1
        end as quantity,
        case
            when priced.quantity > 0 and priced.unit_amount >= 0
                then round(priced.unit_amount * priced.tax_factor, 4)
            else priced.amount_excl + priced.own_discount
        end as unit_price,
        priced.own_discount + priced.discount_share as discount_amount,
        priced.amount_excl - priced.discount_share as line_amount,
        case
            when items.purchase_price >= 0
                then round(items.purchase_price / priced.exchange_rate, 4)
        end as unit_cost
    from priced
    cross join xm_params as params
    left join items on priced.item_code = items.code
    where priced.document_reason is null
    """,
    # ---------- payments: invoice payments (a batch payment is one payment of its invoices),
    # overpayments and prepayments (total less cash refunded), and the cash of cash sales.
    """
    create or replace temp table xm_payment_class as
    select
        payment.*,
        document.currency as document_currency,
        document.customer_id as document_customer,
        case
            when coalesce(payment._fivetran_deleted, false) then 'deleted_in_source'
            when upper(payment.status) = 'DELETED' then 'deleted_in_source'
            when upper(payment.payment_type) in (
                'ACCPAYPAYMENT', 'APCREDITPAYMENT', 'APOVERPAYMENTPAYMENT', 'APPREPAYMENTPAYMENT'
            ) then 'not_accounts_receivable'
            -- not an invoice payment: a credit note's cash refund (xm_credit_refund_class)
            when upper(payment.payment_type) = 'ARCREDITPAYMENT' then 'credit_note_refund'
            when upper(payment.payment_type) in ('AROVERPAYMENTPAYMENT', 'ARPREPAYMENTPAYMENT')
                then 'refund_netted'
            when upper(payment.payment_type) is distinct from 'ACCRECPAYMENT'
                then 'unsupported_payment_type'
            when document.invoice_id is null then 'invoice_not_imported'
            when document.reason is not null then 'invoice_not_imported'
            when payment.date is null then 'no_date'
            when payment.amount <= 0 then 'not_positive'
        end as reason,
        document.reason as document_reason
    from xs_payment as payment
    left join xm_documents as document
        on payment.invoice_id = document.invoice_id and document.source_table = 'invoice'
    """,
    # A batch payment of one customer, currency, date and rate is one payment of several
    # invoices; otherwise each payment stands alone.
    """
    create or replace temp table xm_invoice_payments as
    with batches as (
        select batch_payment_id
        from xm_payment_class
        where reason is null and batch_payment_id is not null
        group by batch_payment_id
        having count(distinct document_customer) = 1
            and count(distinct document_currency) = 1
            and count(distinct date) = 1
            and count(distinct coalesce(currency_rate, 1)) = 1
    )
    select
        coalesce(batches.batch_payment_id, payment.payment_id) as payment_key,
        payment.*
    from xm_payment_class as payment
    left join batches on payment.batch_payment_id = batches.batch_payment_id
    where payment.reason is null
    """,
    """
    create or replace temp table xm_prepay_class as
    with unioned as (
        select 'overpayment' as source_table, overpayment_id as prepay_id,
            * exclude (overpayment_id)
        from xs_overpayment
        union all
        select 'prepayment', prepayment_id, * exclude (prepayment_id)
        from xs_prepayment
    ),
    refunds as (
        select coalesce(overpayment_id, prepayment_id) as prepay_id, sum(amount) as refunded
        from xm_payment_class
        where reason = 'refund_netted'
        group by coalesce(overpayment_id, prepayment_id)
    )
    select
        unioned.*,
        coalesce(refunds.refunded, 0) as refunded,
        case
            when coalesce(unioned._fivetran_deleted, false) then 'deleted_in_source'
            when upper(unioned.status) = 'DELETED' then 'deleted_in_source'
            when upper(unioned.type) like 'SPEND-%' then 'not_accounts_receivable'
            when upper(unioned.type) not like 'RECEIVE-%' then 'unsupported_type'
            when upper(unioned.status) = 'VOIDED' then 'voided'
            when unioned.contact_id is null then 'no_customer'
            when unioned.date is null then 'no_date'
            when unioned.total - coalesce(refunds.refunded, 0) < 0 then 'not_positive'
        end as reason
    from unioned
    left join refunds on unioned.prepay_id = refunds.prepay_id
    """,
    """
    create or replace temp table xm_payments_out as
    with invoice_payments as (
        select
            payment.payment_key as payment_id,
            max(payment.document_customer) as customer_id,
            max(payment.date) as payment_date,
            max(payment.document_currency) as currency,
            max(payment.currency_rate) as currency_rate,
            sum(payment.amount) as amount
        from xm_invoice_payments as payment
        group by payment.payment_key
    ),
    prepays as (
        select
            prepay_id,
            contact_id,
            date,
            upper(coalesce(currency_code, (select home from xm_params))),
            currency_rate,
            total - refunded
        from xm_prepay_class
        where reason is null
    ),
    rated as (
        select
            unioned.*,
            case
                when unioned.currency = params.home or coalesce(unioned.currency_rate, 0) = 0
                    then cast(1 as decimal(18, 6))
                else cast(round(1 / unioned.currency_rate, 6) as decimal(18, 6))
            end as exchange_rate
        from (select * from invoice_payments union all select * from prepays) as unioned
        cross join xm_params as params
    ),
    -- a cash sale was paid when it was made: a payment of its total, at its own rate
    cash_sales as (
        select invoice_id, customer_id, invoice_date, currency, exchange_rate, total_amount
        from xm_documents
        where source_table = 'bank_transaction' and reason is null and status = 'paid'
            and total_amount > 0
    ),
    unioned as (
        select payment_id, customer_id, payment_date, currency, exchange_rate, amount
        from rated
        union all
        select * from cash_sales
    )
    select
        params.business_id,
        unioned.payment_id,
        unioned.customer_id,
        unioned.payment_date,
        unioned.currency,
        unioned.exchange_rate,
        unioned.amount
    from unioned
    cross join xm_params as params
    """,
    """
    create or replace temp table xm_prepay_allocation_class as
    with unioned as (
        select 'overpayment_allocation' as source_table, overpayment_id as prepay_id,
            * exclude (overpayment_id)
        from xs_overpayment_allocation
        union all
        select 'prepayment_allocation', prepayment_id, * exclude (prepayment_id)
        from xs_prepayment_allocation
    )
    select
        unioned.*,
        case
            when coalesce(unioned._fivetran_deleted, false) or coalesce(unioned.is_deleted, false)
                then 'deleted_in_source'
            when prepay.prepay_id is null then 'no_document'
            when prepay.reason is not null then prepay.reason
            when document.invoice_id is null or document.reason is not null
                then 'invoice_not_imported'
            when unioned.amount <= 0 then 'not_positive'
        end as reason
    from unioned
    left join xm_prepay_class as prepay on unioned.prepay_id = prepay.prepay_id
    left join xm_documents as document
        on unioned.invoice_id = document.invoice_id and document.source_table = 'invoice'
    """,
    """
    create or replace temp table xm_allocations_out as
    with unioned as (
        select payment_key as payment_id, invoice_id, amount
        from xm_invoice_payments
        union all
        select prepay_id, invoice_id, amount
        from xm_prepay_allocation_class
        where reason is null
        union all
        select payment_id, payment_id, amount
        from xm_payments_out
        where payment_id in (
            select invoice_id from xm_documents where source_table = 'bank_transaction'
        )
    )
    select
        params.business_id,
        unioned.payment_id,
        unioned.invoice_id,
        sum(unioned.amount) as amount_applied
    from unioned
    cross join xm_params as params
    group by params.business_id, unioned.payment_id, unioned.invoice_id
    """,
    # ---------- credit notes: one contract row per allocated invoice (the allocation is the
    # amount plus tax settled; its tax share by cumulative rounding so the shares add up),
    # and one untied row for the credit not allocated (account credit, or refunded in cash).
    """
    create or replace temp table xm_credit_class as
    select
        credit.*,
        case
            when coalesce(credit._fivetran_deleted, false) then 'deleted_in_source'
            when upper(credit.type) is distinct from 'ACCRECCREDIT' then 'not_accounts_receivable'
            when upper(credit.status) = 'DELETED' then 'deleted_in_source'
            when upper(credit.status) in ('DRAFT', 'SUBMITTED') then 'draft'
            when upper(credit.status) = 'VOIDED' then 'voided'
            when upper(credit.status) not in ('AUTHORISED', 'PAID') then 'unsupported_status'
            when credit.contact_id is null then 'no_customer'
            when credit.date is null then 'no_date'
            when upper(coalesce(credit.currency_code, params.home)) <> params.home
                and coalesce(credit.currency_rate, 0) = 0 then 'no_exchange_rate'
            when credit.total < 0 or credit.sub_total < 0 or credit.total_tax < 0
                then 'negative_total'
        end as reason
    from xs_credit_note as credit
    cross join xm_params as params
    """,
    """
    create or replace temp table xm_credit_allocation_class as
    select
        allocation.*,
        case
            when coalesce(allocation._fivetran_deleted, false)
                or coalesce(allocation.is_deleted, false) then 'deleted_in_source'
            when credit.credit_note_id is null then 'no_document'
            when credit.reason is not null then credit.reason
            when document.invoice_id is null or document.reason is not null
                then 'invoice_not_imported'
            when allocation.amount <= 0 then 'not_positive'
        end as reason
    from xs_credit_note_allocation as allocation
    left join xm_credit_class as credit on allocation.credit_note_id = credit.credit_note_id
    left join xm_documents as document
        on allocation.invoice_id = document.invoice_id and document.source_table = 'invoice'
    """,
    """
    create or replace temp table xm_credit_pieces as
    with allocations as (
        select credit_note_id, invoice_id, sum(amount) as amount, min(date) as date
        from xm_credit_allocation_class
        where reason is null
        group by credit_note_id, invoice_id
    ),
    running as (
        select
            allocations.*,
            credit.total,
            credit.total_tax,
            count(*) over (partition by allocations.credit_note_id) as pieces,
            row_number() over (
                partition by allocations.credit_note_id
                order by allocations.date, allocations.invoice_id
            ) as piece,
            sum(allocations.amount) over (
                partition by allocations.credit_note_id
                order by allocations.date, allocations.invoice_id
                rows between unbounded preceding and current row
            ) as running_amount
        from allocations
        inner join xm_credit_class as credit
            on allocations.credit_note_id = credit.credit_note_id
    ),
    taxed as (
        select
            *,
            case when total > 0
                then round(running_amount * total_tax / total, 2) else 0 end as running_tax
        from running
    )
    select
        *,
        running_tax - coalesce(lag(running_tax) over (
            partition by credit_note_id order by piece
        ), 0) as tax_share
    from taxed
    """,
    """
    create or replace temp table xm_credit_rows as
    with allocated as (
        select
            credit_note_id,
            count(*) as pieces,
            sum(amount) as amount,
            sum(tax_share) as tax
        from xm_credit_pieces
        group by credit_note_id
    ),
    rows as (
        -- one row per allocated invoice; the note's own id when it is the note's only row
        select
            pieces.credit_note_id,
            case
                when pieces.pieces = 1 and pieces.amount = credit.total then pieces.credit_note_id
                else pieces.credit_note_id || '-' || cast(pieces.piece as varchar)
            end as row_id,
            pieces.invoice_id,
            pieces.amount - pieces.tax_share as amount,
            pieces.tax_share as tax_amount
        from xm_credit_pieces as pieces
        inner join xm_credit_class as credit on pieces.credit_note_id = credit.credit_note_id
        union all
        -- the credit not allocated to an invoice: account credit (or refunded in cash)
        select
            credit.credit_note_id,
            case
                when allocated.credit_note_id is null then credit.credit_note_id
                else credit.credit_note_id || '-unallocated'
            end,
            null,
            credit.sub_total - coalesce(allocated.amount - allocated.tax, 0),
            coalesce(credit.total_tax, 0) - coalesce(allocated.tax, 0)
        from xm_credit_class as credit
        left join allocated on credit.credit_note_id = allocated.credit_note_id
        where credit.reason is null
            and (allocated.credit_note_id is null or credit.total <> allocated.amount)
    )
    select * from rows
    """,
    # Cash refunded against a credit note (ARCREDITPAYMENT payments) goes into the
    # refunded_amount of its untied row: a tied row settles its invoice by its whole total
    # (the loader's refund_on_tied_credit_note). Xero keeps allocations plus refunds within
    # the note's total; should they exceed the untied credit, the refunds fill it in date
    # order and the excess is skipped (refund_exceeds_untied_credit) with its amount.
    """
    create or replace temp table xm_credit_refund_class as
    select
        payment.payment_id,
        payment.payment_type,
        payment.status,
        payment.credit_note_id,
        payment.date,
        payment.amount,
        upper(coalesce(credit.currency_code, params.home)) as currency,
        credit.reason as credit_reason,
        case
            when credit.credit_note_id is null or credit.reason is not null
                then 'credit_note_not_imported'
            when payment.amount <= 0 then 'not_positive'
        end as reason
    from xm_payment_class as payment
    cross join xm_params as params
    left join xm_credit_class as credit on payment.credit_note_id = credit.credit_note_id
    where payment.reason = 'credit_note_refund'
    """,
    """
    create or replace temp table xm_credit_refunds as
    with untied as (
        select credit_note_id, row_id, greatest(amount + tax_amount, 0) as credit
        from xm_credit_rows
        where invoice_id is null
    ),
    running as (
        select
            refund.payment_id,
            refund.payment_type,
            refund.status,
            refund.credit_note_id,
            refund.amount,
            refund.currency,
            untied.row_id,
            coalesce(untied.credit, 0) as credit,
            sum(refund.amount) over (
                partition by refund.credit_note_id
                order by refund.date, refund.payment_id
                rows between unbounded preceding and current row
            ) as running_amount
        from xm_credit_refund_class as refund
        left join untied on refund.credit_note_id = untied.credit_note_id
        where refund.reason is null
    ),
    placed as (
        select
            *,
            cast(greatest(least(amount, credit - (running_amount - amount)), 0)
                as decimal(18, 2)) as refunded
        from running
    )
    select *, amount - refunded as excess
    from placed
    """,
    """
    create or replace temp table xm_credit_notes_out as
    with refunded as (
        select row_id, sum(refunded) as refunded
        from xm_credit_refunds
        where refunded > 0
        group by row_id
    )
    select
        params.business_id,
        rows.row_id as credit_note_id,
        credit.contact_id as customer_id,
        rows.invoice_id,
        credit.date as credit_note_date,
        upper(coalesce(credit.currency_code, params.home)) as currency,
        case
            when upper(coalesce(credit.currency_code, params.home)) = params.home
                or coalesce(credit.currency_rate, 0) = 0 then cast(1 as decimal(18, 6))
            else cast(round(1 / credit.currency_rate, 6) as decimal(18, 6))
        end as exchange_rate,
        rows.amount,
        rows.tax_amount,
        refunded.refunded as refunded_amount,
        credit.reference as reason
    from xm_credit_rows as rows
    inner join xm_credit_class as credit on rows.credit_note_id = credit.credit_note_id
    cross join xm_params as params
    left join refunded on rows.row_id = refunded.row_id
    where credit.reason is null
    """,
    # ---------- customers: every contact a mapped document names, and contacts marked as
    # customers; created_date is the first document's date (Xero keeps no creation date).
    """
    create or replace temp table xm_customers as
    with used as (
        select customer_id, min(invoice_date) as first_date
        from xm_documents where reason is null group by customer_id
        union all
        select customer_id, min(payment_date) from xm_payments_out group by customer_id
        union all
        select customer_id, min(credit_note_date) from xm_credit_notes_out group by customer_id
    ),
    first_use as (
        select customer_id, min(first_date) as first_date from used group by customer_id
    )
    select
        params.business_id,
        contact.contact_id as customer_id,
        coalesce(
            contact.name,
            nullif(trim(concat_ws(' ', contact.first_name, contact.last_name)), ''),
            contact.contact_id
        ) as customer_name,
        coalesce(first_use.first_date, contact.updated_date_utc, contact._fivetran_synced)
            as created_date,
        case
            when upper(contact.payment_terms_sales_type) = 'DAYSAFTERBILLDATE'
                then cast(contact.payment_terms_sales_day as integer)
        end as payment_terms_days,
        case
            when first_use.customer_id is not null then null
            when coalesce(contact._fivetran_deleted, false) then 'deleted_in_source'
            when not coalesce(contact.is_customer, false) then 'not_a_customer'
            when coalesce(first_use.first_date, contact.updated_date_utc,
                contact._fivetran_synced) is null then 'no_date'
        end as reason
    from xs_contact as contact
    cross join xm_params as params
    left join first_use on contact.contact_id = first_use.customer_id
    """,
    # ---------- every source row that maps to nothing, with its reason
    """
    create or replace temp table xm_skipped as
    with rows as (
        select 'contact' as source_table, customer_id as source_id, reason,
            'contact ' || customer_name as detail, null as amount, null as currency
        from xm_customers where reason is not null
        union all
        select 'invoice', invoice.invoice_id, document.reason,
            coalesce(invoice.type, '?') || ' ' || coalesce(invoice.invoice_number, '(no number)')
                || ', status ' || coalesce(invoice.status, '?'),
            invoice.total, upper(invoice.currency_code)
        from xm_documents as document
        inner join xs_invoice as invoice on document.invoice_id = invoice.invoice_id
        where document.source_table = 'invoice' and document.reason is not null
        union all
        select 'bank_transaction', document.invoice_id, document.reason,
            coalesce(bank.type, '?') || ', status ' || coalesce(bank.status, '?')
                || case when document.reason like 'recorded_as_%'
                    then ': its money is in the ' || lower(replace(bank.type, 'RECEIVE-', ''))
                    || ' table' else '' end,
            case when document.reason like 'recorded_as_%' then null else bank.total end,
            upper(bank.currency_code)
        from xm_documents as document
        inner join xs_bank_transaction as bank on document.invoice_id = bank.bank_transaction_id
        where document.source_table = 'bank_transaction' and document.reason is not null
        union all
        -- lines of a skipped document carry no amount (the document's counts it once)
        select source_table, line_item_id, reason,
            case when document_skipped then 'line of skipped document ' || document_id
                else 'line of document ' || document_id || coalesce(': ' || description, '')
            end,
            case when document_skipped then null else line_amount end,
            upper(currency_code)
        from xm_all_lines where reason is not null
        union all
        select 'payment', payment_id, reason,
            coalesce(payment_type, '?') || ', status ' || coalesce(status, '?')
                || case reason
                    when 'refund_netted' then ': cash refunded from '
                        || coalesce(overpayment_id, prepayment_id)
                        || ', netted from that payment''s amount'
                    when 'invoice_not_imported' then ': invoice ' || coalesce(invoice_id, '?')
                        || coalesce(' skipped as ' || document_reason, ' not in the sync')
                    else '' end,
            amount, document_currency
        from xm_payment_class where reason is not null and reason <> 'credit_note_refund'
        union all
        -- a credit note's cash refund: mapped into its refunded_amount, or skipped here
        select 'payment', payment_id, reason,
            coalesce(payment_type, '?') || ', status ' || coalesce(status, '?')
                || ': cash refunded against credit note ' || coalesce(credit_note_id, '?')
                || coalesce(' skipped as ' || credit_reason, case reason
                    when 'credit_note_not_imported' then ' not in the sync' else '' end),
            amount, currency
        from xm_credit_refund_class where reason is not null
        union all
        select 'payment', payment_id, 'refund_exceeds_untied_credit',
            coalesce(payment_type, '?') || ', status ' || coalesce(status, '?') || ': '
                || cast(amount as varchar) || ' refunded against credit note ' || credit_note_id
                || ', more than its untied credit; '
                || coalesce(cast(refunded as varchar) || ' of it is in the refunded_amount of '
                    || row_id, 'it has no untied row (allocated whole)')
                || case when refunded > 0 then '; the rest is skipped' else '' end,
            excess, currency
        from xm_credit_refunds where excess > 0
        union all
        select source_table, prepay_id, reason,
            coalesce(type, '?') || ', status ' || coalesce(status, '?'), total,
            upper(currency_code)
        from xm_prepay_class where reason is not null
        union all
        select source_table, prepay_id || ' -> ' || coalesce(invoice_id, '?'), reason,
            'allocation to invoice ' || coalesce(invoice_id, '?'), amount, null
        from xm_prepay_allocation_class where reason is not null
        union all
        select 'credit_note', credit_note_id, reason,
            coalesce(type, '?') || ' ' || coalesce(credit_note_number, '(no number)')
                || ', status ' || coalesce(status, '?'),
            total, upper(currency_code)
        from xm_credit_class where reason is not null
        union all
        select 'credit_note_allocation', credit_note_id || ' -> ' || coalesce(invoice_id, '?'),
            reason, 'allocation to invoice ' || coalesce(invoice_id, '?'), amount, null
        from xm_credit_allocation_class where reason is not null
    )
    select
        params.business_id,
        rows.source_table,
        rows.source_id,
        rows.reason,
        rows.detail,
        cast(rows.amount as decimal(18, 2)) as amount,
        rows.currency
    from rows
    cross join xm_params as params
    """,
]

# Fiscal year: Xero stores the month the financial year ends in; the contract wants the
# month it starts in. Terms: the organisation's sales terms when the sync carries them.
_BUSINESS = """
select
    params.business_id,
    coalesce(?, max(organization.name), params.business_id) as business_name,
    params.home as home_currency,
    coalesce(cast(max(organization.financial_year_end_month) as integer) % 12 + 1, 1)
        as fiscal_year_start_month,
    30 as default_payment_terms_days,
    max(organization._fivetran_synced) as export_complete_to_date
from xm_params as params
left join xs_organization as organization on true
group by params.business_id, params.home
"""
