"""QuickBooks Online as Fivetran lands it (the tables of Fivetran's QuickBooks connector,
as `fivetran/dbt_quickbooks_source` reads them) -> contract rows.

Field mapping, skip reasons and the choices behind them: docs/import-quickbooks.md. In short:
- invoice, sales_receipt -> invoices (`INV-<id>`, `SR-<id>`), their item lines -> invoice_lines
  (bundles expanded from invoice_line_bundle, discount lines spread over the item lines,
  subtotal lines skipped); a sales receipt also gets a same-day payment `SR-<id>` with
  its allocation, as the contract recommends;
- payment -> payments (`PMT-<id>`), payment_line linked to an invoice -> the cash part of
  payment_allocations (credit memo and other credit lines of a payment are credit, not cash);
- credit_memo -> credit_notes (`CM-<id>`; tied to the invoice it was fully applied to when
  that is exactly one invoice), refund_receipt -> credit_notes (`RR-<id>`, untied,
  refunded in full);
- customer -> customers (parent_customer_id kept), item.purchase_cost -> unit_cost.

Every amount-carrying source row ends either in a contract row or in `out.skip` with a
reason. All mapping is SQL over the company's tables in the import's DuckDB connection.
"""

from __future__ import annotations

from ledgerlens.importers.common import Company, ImporterError, Output, Source

DESCRIPTION = (
    "QuickBooks Online tables as Fivetran lands them (customer, invoice, invoice_line, "
    "payment, credit_memo, ...): a folder of CSV/Parquet, a DuckDB or PostgreSQL schema"
)

# Contract id prefixes: QuickBooks ids are unique per entity, and invoices and sales
# receipts share the contract's invoices table (payments, credit notes likewise).
PREFIX = {
    "invoice": "INV-",
    "sales_receipt": "SR-",
    "credit_memo": "CM-",
    "refund_receipt": "RR-",
    "payment": "PMT-",
}

# Header tables of the documents and the column of their line table naming the header.
DOCUMENTS = {
    "invoice": ("invoice_line", "invoice_id"),
    "sales_receipt": ("sales_receipt_line", "sales_receipt_id"),
    "credit_memo": ("credit_memo_line", "credit_memo_id"),
    "refund_receipt": ("refund_receipt_line", "refund_id"),
}

# Terms used when the books do not say (Fivetran lands no company preferences table).
DEFAULT_FISCAL_YEAR_START_MONTH = 1
DEFAULT_PAYMENT_TERMS_DAYS = 30


# The words of the skip reasons documents and payments share (a `case skip_reason` branch
# list; the row needs `customer_id`).
_HEADER_SKIP_DETAILS = """when 'deleted_in_source' then 'deleted in QuickBooks (_fivetran_deleted)'
                when 'no_customer' then 'customer ' || coalesce(customer_id, '(none)')
                    || ' is not in the customer table'
                when 'no_date' then 'no transaction_date'"""


def _col(source: Source, table: str, column: str, default: str = "null") -> str:
    """`t.column` when the synced table has it, else `default` (older syncs lack some
    columns, e.g. invoice_line.detail_type before November 2021)."""
    return f't."{column}"' if column in source.columns(table) else default


def _synced(source: Source, table: str) -> str:
    """When the row was last written by the sync tool (Fivetran or Airbyte)."""
    for column in ("_fivetran_synced", "_airbyte_extracted_at", "_airbyte_emitted_at"):
        if column in source.columns(table):
            return f't."{column}"'
    return "null"


def _deleted(source: Source, table: str) -> str:
    """A row deleted in QuickBooks: Fivetran keeps it with `_fivetran_deleted` true."""
    return f"coalesce(ll_bool({_col(source, table, '_fivetran_deleted')}), false)"


def convert(source: Source, out: Output, company: Company) -> None:
    con = out.con
    business = company.business_id
    for required in ("customer", "invoice", "invoice_line"):
        if not source.has(required):
            raise ImporterError(
                f"{source.location}: no table {required!r}: not a QuickBooks sync "
                f"(found: {', '.join(sorted(source.tables)) or 'no tables'})"
            )

    # ---- 1. document headers, one shape for the four document tables
    headers = []
    for kind in DOCUMENTS:
        if not source.has(kind):
            continue
        t = source.table(kind)

        def c(column: str, default: str = "null", kind: str = kind) -> str:
            return _col(source, kind, column, default)

        headers.append(f"""
            select
                '{kind}' as kind,
                ll_text(t.id) as source_id,
                '{PREFIX[kind]}' || ll_text(t.id) as contract_id,
                ll_text({c("customer_id")}) as customer_id,
                ll_date({c("transaction_date")}) as txn_date,
                ll_date({c("due_date")}) as due_date,
                upper(ll_text({c("currency_id")})) as currency,
                ll_number({c("exchange_rate")}, 6) as source_rate,
                coalesce(ll_money({c("total_amount")}), 0) as total,
                coalesce(ll_money({c("total_tax")}), 0) as tax,
                ll_money({c("balance")}) as balance,
                ll_text({c("private_note")}) as private_note,
                ll_text({c("customer_memo")}) as customer_memo,
                {_deleted(source, kind)} as is_deleted,
                {_synced(source, kind)} as synced
            from {t} as t""")
    con.execute("create or replace temp table qb_headers as " + " union all ".join(headers))

    # ---- 2. the home currency: given, else the currency of the documents QuickBooks keeps
    # at rate 1 or without a rate (a company without multicurrency lands no rates at all).
    home = company.home_currency
    if not home:
        row = con.execute("""
            select currency, count(*) as documents
            from qb_headers
            where currency is not null and coalesce(source_rate, 1) = 1 and not is_deleted
            group by currency
            order by documents desc, currency
            limit 1""").fetchone()
        if row is None:
            raise ImporterError(
                f"{source.location}: cannot tell the home currency from the documents: "
                "pass --home-currency"
            )
        home = row[0]
    home = home.upper()

    # ---- 3. exchange rates: the document's own; a foreign document without one takes the
    # latest rate of the synced exchange_rate table on or before its date, if there is one.
    rates_sql = "select null::varchar as currency, null::date as as_of, null::decimal as rate"
    if source.has("exchange_rate"):
        cols = source.columns("exchange_rate")
        if {"source_currency_code", "as_of_date", "rate"} <= set(cols):
            target = (
                "upper(ll_text(t.target_currency_code))"
                if "target_currency_code" in cols
                else f"'{home}'"
            )
            rates_sql = f"""
                select upper(ll_text(t.source_currency_code)) as currency,
                    ll_date(t.as_of_date) as as_of, ll_number(t.rate, 6) as rate
                from {source.table("exchange_rate")} as t
                where {target} = '{home}' and {_deleted(source, "exchange_rate")} = false"""
    con.execute(f"create or replace temp table qb_rates as {rates_sql}")

    # ---- 4. customers (a deleted customer is kept while a kept document still names it)
    cust = source.table("customer")

    def cc(column: str, default: str = "null") -> str:
        return _col(source, "customer", column, default)

    terms = "null"
    if source.has("term") and "due_days" in source.columns("term"):
        terms = f"""(select max(ll_number(term.due_days, 0)) from {source.table("term")} as term
                     where ll_text(term.id) = ll_text({cc("sales_term_id")}))"""
    con.execute(f"""
        create or replace temp table qb_customers as
        select
            ll_text(t.id) as customer_id,
            coalesce(ll_text({cc("display_name")}), ll_text({cc("fully_qualified_name")}),
                ll_text({cc("company_name")}), ll_text(t.id)) as customer_name,
            ll_date({cc("created_at")}) as created_date,
            {terms} as payment_terms_days,
            ll_text({cc("parent_customer_id")}) as parent_customer_id,
            {_deleted(source, "customer")} as is_deleted,
            {_synced(source, "customer")} as synced
        from {cust} as t""")

    # ---- 5. each document's fate: kept, or the reason it is skipped
    con.execute(f"""
        create or replace temp table qb_docs as
        with resolved as (
            select
                h.*,
                coalesce(h.currency, '{home}') as doc_currency,
                case
                    when coalesce(h.currency, '{home}') = '{home}' then 1
                    when h.source_rate > 0 then h.source_rate
                    else (
                        select r.rate from qb_rates as r
                        where r.currency = h.currency and r.as_of <= h.txn_date
                        order by r.as_of desc limit 1
                    )
                end as exchange_rate,
                -- QuickBooks keeps a voided document with zero amounts and "Voided" in
                -- its private note (the whole note, or its start); a zero total alone
                -- would also flag a genuine zero-value document.
                coalesce(lower(h.private_note) like 'voided%', false) as is_void
            from qb_headers as h
        )
        select
            resolved.*,
            case
                when resolved.is_deleted then 'deleted_in_source'
                when not exists (
                    select 1 from qb_customers as c where c.customer_id = resolved.customer_id
                ) then 'no_customer'
                when resolved.txn_date is null then 'no_date'
                when resolved.is_void and resolved.kind in ('credit_memo', 'refund_receipt')
                    then 'voided'
                when resolved.exchange_rate is null or resolved.exchange_rate <= 0
                    then 'no_exchange_rate'
                when resolved.total < 0 or resolved.tax < 0 or resolved.total < resolved.tax
                    then 'negative_amount'
            end as skip_reason
        from resolved""")
    out.skip(f"""
        select '{business}' as business_id, kind as source_table, source_id,
            skip_reason as reason,
            case skip_reason
                {_HEADER_SKIP_DETAILS}
                when 'voided' then 'voided credit (zero amounts): nothing to credit'
                when 'no_exchange_rate' then doc_currency
                    || ' document without an exchange rate to ' || '{home}'
                when 'negative_amount' then 'negative total or tax'
            end as detail,
            total as amount, doc_currency as currency
        from qb_docs where skip_reason is not null""")

    # ---- 6. payments and their lines
    has_payments = source.has("payment")
    if has_payments:
        p = source.table("payment")

        def pc(column: str, default: str = "null") -> str:
            return _col(source, "payment", column, default)

        con.execute(f"""
            create or replace temp table qb_payments as
            with raw as (
                select
                    ll_text(t.id) as source_id,
                    'PMT-' || ll_text(t.id) as payment_id,
                    ll_text({pc("customer_id")}) as customer_id,
                    ll_date({pc("transaction_date")}) as payment_date,
                    coalesce(upper(ll_text({pc("currency_id")})), '{home}') as currency,
                    ll_number({pc("exchange_rate")}, 6) as source_rate,
                    coalesce(ll_money({pc("total_amount")}), 0) as amount,
                    {_deleted(source, "payment")} as is_deleted,
                    {_synced(source, "payment")} as synced
                from {p} as t
            ),
            resolved as (
                select raw.*,
                    case
                        when raw.currency = '{home}' then 1
                        when raw.source_rate > 0 then raw.source_rate
                        else (
                            select r.rate from qb_rates as r
                            where r.currency = raw.currency and r.as_of <= raw.payment_date
                            order by r.as_of desc limit 1
                        )
                    end as exchange_rate
                from raw
            )
            select resolved.*,
                case
                    when resolved.is_deleted then 'deleted_in_source'
                    when not exists (
                        select 1 from qb_customers as c
                        where c.customer_id = resolved.customer_id
                    ) then 'no_customer'
                    when resolved.payment_date is null then 'no_date'
                    when resolved.amount < 0 then 'negative_amount'
                    when resolved.exchange_rate is null then 'no_exchange_rate'
                end as skip_reason
            from resolved""")
    else:
        con.execute("""
            create or replace temp table qb_payments (source_id varchar, payment_id varchar,
                customer_id varchar, payment_date date, currency varchar,
                source_rate decimal(38, 10), amount decimal(18, 2), is_deleted boolean,
                synced timestamp, exchange_rate decimal(38, 10), skip_reason varchar)""")

    if has_payments and source.has("payment_line"):
        pl = source.table("payment_line")

        def lc(column: str, default: str = "null") -> str:
            return _col(source, "payment_line", column, default)

        # What each line links: an invoice (cash or credit applied to it), a credit memo
        # (credit used), or something else (a journal entry, a deposit, ...: also credit).
        con.execute(f"""
            create or replace temp table qb_payment_lines as
            select
                ll_text(t.payment_id) as payment_source_id,
                ll_text(t.index) as line_index,
                coalesce(try_cast(ll_text(t.index) as integer), 0) as line_order,
                coalesce(ll_money(t.amount), 0) as amount,
                ll_text({lc("invoice_id")}) as invoice_source_id,
                ll_text({lc("credit_memo_id")}) as credit_memo_source_id,
                case
                    when ll_text({lc("invoice_id")}) is not null then 'invoice'
                    when ll_text({lc("credit_memo_id")}) is not null then 'credit_memo'
                    else 'other'
                end as link,
                coalesce(ll_text({lc("journal_entry_id")}), ll_text({lc("deposit_id")}),
                    ll_text({lc("check_id")}), ll_text({lc("expense_id")}),
                    ll_text({lc("credit_card_charge_id")}),
                    ll_text({lc("credit_card_credit_id")})) as other_id
            from {pl} as t""")
    else:
        con.execute("""
            create or replace temp table qb_payment_lines (payment_source_id varchar,
                line_index varchar, line_order integer, amount decimal(18, 2),
                invoice_source_id varchar, credit_memo_source_id varchar, link varchar,
                other_id varchar)""")

    # Lines of a payment that is skipped share its fate; credit lines of a kept payment
    # linking something other than a credit memo are skipped (not imported), but still
    # count as credit when the cash part of the payment's invoice lines is worked out.
    out.skip(f"""
        select '{business}' as business_id, 'payment' as source_table, source_id,
            skip_reason as reason,
            case skip_reason
                {_HEADER_SKIP_DETAILS}
                when 'negative_amount' then 'negative total'
                when 'no_exchange_rate' then currency || ' payment without an exchange rate'
            end as detail,
            amount, currency
        from qb_payments where skip_reason is not null""")
    out.skip(f"""
        select '{business}' as business_id, 'payment_line' as source_table,
            l.payment_source_id || '/' || coalesce(l.line_index, '?') as source_id,
            coalesce(p.skip_reason, 'unknown_payment') as reason,
            'its payment ' || l.payment_source_id || ' is skipped ('
                || coalesce(p.skip_reason, 'not in the payment table') || ')' as detail,
            l.amount, p.currency
        from qb_payment_lines as l
        left join qb_payments as p on l.payment_source_id = p.source_id
        where p.source_id is null or p.skip_reason is not null""")
    out.skip(f"""
        select '{business}' as business_id, 'payment_line' as source_table,
            l.payment_source_id || '/' || coalesce(l.line_index, '?') as source_id,
            'unsupported_link' as reason,
            'applies credit from a transaction the importer does not read ('
                || coalesce(l.other_id, 'no linked transaction')
                || '); the invoice it settles stays open by this amount' as detail,
            l.amount, p.currency
        from qb_payment_lines as l
        inner join qb_payments as p on l.payment_source_id = p.source_id
        where p.skip_reason is null and l.link = 'other' and l.amount <> 0""")

    # The cash part of each invoice line of a payment. A payment's TotalAmt is its
    # invoice lines minus its credit lines (credit memos and the like), plus what is left
    # unapplied: the credit is taken to settle the invoice lines in their order first, and
    # the rest of each line is cash.
    con.execute("""
        create or replace temp table qb_cash_lines as
        with kept as (
            select l.*, p.payment_id
            from qb_payment_lines as l
            inner join qb_payments as p on l.payment_source_id = p.source_id
            where p.skip_reason is null
        ),
        credit as (
            select payment_source_id, sum(amount) as credit
            from kept where link <> 'invoice'
            group by payment_source_id
        ),
        invoice_lines as (
            select kept.*,
                coalesce(credit.credit, 0) as credit,
                sum(kept.amount) over (
                    partition by kept.payment_source_id
                    order by kept.line_order, kept.line_index
                    rows between unbounded preceding and current row
                ) as running
            from kept
            left join credit on kept.payment_source_id = credit.payment_source_id
            where kept.link = 'invoice'
        )
        select *,
            greatest(running - credit, 0) - greatest(running - amount - credit, 0) as cash
        from invoice_lines""")

    # ---- 7. document lines (invoice and sales receipt; a credit memo or refund receipt is
    # carried by its header, the contract's credit notes have no lines)
    line_sql = []
    for kind in ("invoice", "sales_receipt"):
        table, parent = DOCUMENTS[kind]
        if not source.has(table):
            continue

        def ic(column: str, default: str = "null", table: str = table) -> str:
            return _col(source, table, column, default)

        line_sql.append(f"""
            select
                '{kind}' as kind,
                '{table}' as source_table,
                ll_text(t."{parent}") as doc_source_id,
                ll_text(t.index) as line_index,
                coalesce(try_cast(ll_text(t.index) as integer), 0) as line_order,
                ll_text({ic("detail_type")}) as detail_type,
                ll_money(t.amount) as amount,
                coalesce(ll_number({ic("sales_item_quantity")}, 4),
                    ll_number({ic("quantity")}, 4))
                    as quantity,
                ll_number({ic("sales_item_unit_price")}, 4) as unit_price,
                coalesce(ll_text({ic("sales_item_item_id")}), ll_text({ic("item_id")})) as item_id,
                ll_text({ic("description")}) as description,
                ll_text({ic("bundle_id")}) as bundle_id,
                ll_number({ic("bundle_quantity")}, 4) as bundle_quantity,
                ll_text({ic("discount_account_id")}) as discount_account_id,
                ll_text({ic("discount_discount_percent")}) as discount_percent,
                ll_text({ic("sub_total_item_id")}) as sub_total_item_id,
                coalesce(ll_text({ic("sales_item_account_id")}), ll_text({ic("account_id")}))
                    as sales_account_id
            from {source.table(table)} as t""")
    if not line_sql:
        raise ImporterError(f"{source.location}: no invoice_line table")
    # The kind of each line: Fivetran's detail_type where the table has it (invoice_line
    # since November 2021), else read off which detail columns are set.
    con.execute(
        "create or replace temp table qb_lines as with unioned as ("
        + " union all ".join(line_sql)
        + """)
        select unioned.*,
            case
                when detail_type = 'SubTotalLineDetail' then 'subtotal'
                when detail_type = 'DiscountLineDetail' then 'discount'
                when detail_type = 'GroupLineDetail' or bundle_id is not null then 'group'
                when detail_type = 'DescriptionOnly' then 'description'
                when detail_type = 'SalesItemLineDetail' then 'item'
                when detail_type is not null then 'other'
                when discount_account_id is not null or discount_percent is not null
                    then 'discount'
                when sub_total_item_id is not null then 'subtotal'
                when item_id is not null or sales_account_id is not null
                    or unit_price is not null or quantity is not null then 'item'
                when coalesce(amount, 0) = 0 then 'description'
                else 'other'
            end as line_kind
        from unioned"""
    )

    # Lines whose document is skipped, or missing, share its fate.
    out.skip(f"""
        select '{business}' as business_id, l.source_table,
            l.doc_source_id || '/' || coalesce(l.line_index, '?') as source_id,
            coalesce(d.skip_reason, 'unknown_document') as reason,
            'its document ' || l.doc_source_id || ' is skipped ('
                || coalesce(d.skip_reason, 'not in the ' || l.kind || ' table') || ')'
                as detail,
            l.amount, d.doc_currency as currency
        from qb_lines as l
        left join qb_docs as d on l.kind = d.kind and l.doc_source_id = d.source_id
        where d.source_id is null or d.skip_reason is not null""")
    out.skip(f"""
        select '{business}' as business_id, l.source_table,
            l.doc_source_id || '/' || coalesce(l.line_index, '?') as source_id,
            case l.line_kind
                when 'subtotal' then 'subtotal_line'
                when 'description' then 'description_only'
                else 'unsupported_line_type'
            end as reason,
            case l.line_kind
                when 'subtotal' then 'a subtotal of the lines above it, not a sale'
                when 'description' then 'a line of text without an amount'
                else 'line of type ' || coalesce(l.detail_type, 'unknown')
                    || ' is not a sale the importer can map'
            end as detail,
            l.amount, d.doc_currency as currency
        from qb_lines as l
        inner join qb_docs as d on l.kind = d.kind and l.doc_source_id = d.source_id
        where d.skip_reason is null and l.line_kind in ('subtotal', 'description', 'other')""")

    # Bundles: a group line's own amount is the sum of its items, which Fivetran lands in
    # invoice_line_bundle (invoice_line_index = the group line's index). A group line whose
    # items are not there (sales receipts have no such table) is kept as one line.
    bundle_sql = (
        "select null::varchar as doc_source_id, null::varchar as group_index, "
        "null::varchar as line_num, null::integer as line_order, null::decimal(18, 2) "
        "as amount, null::decimal(38, 10) as quantity, null::decimal(38, 10) as unit_price, "
        "null::varchar as item_id, null::varchar as description where false"
    )
    if source.has("invoice_line_bundle"):

        def bc(column: str, default: str = "null") -> str:
            return _col(source, "invoice_line_bundle", column, default)

        bundle_sql = f"""
            select ll_text(t.invoice_id) as doc_source_id,
                ll_text(t.invoice_line_index) as group_index,
                ll_text(t.index) as line_num,
                coalesce(try_cast(ll_text({bc("line_num")}) as integer),
                    try_cast(ll_text(t.index) as integer), 0) as line_order,
                ll_money(t.amount) as amount,
                coalesce(ll_number({bc("sales_item_quantity")}, 4),
                    ll_number({bc("quantity")}, 4))
                    as quantity,
                ll_number({bc("unit_price")}, 4) as unit_price,
                coalesce(ll_text({bc("sales_item_item_id")}), ll_text({bc("item_id")})) as item_id,
                ll_text({bc("description")}) as description
            from {source.table("invoice_line_bundle")} as t"""
    con.execute(f"create or replace temp table qb_bundle_lines as {bundle_sql}")
    out.skip(f"""
        select '{business}' as business_id, 'invoice_line_bundle' as source_table,
            b.doc_source_id || '/' || coalesce(b.line_num, '?') as source_id,
            coalesce(d.skip_reason, 'unknown_document') as reason,
            'its invoice ' || b.doc_source_id || ' is skipped ('
                || coalesce(d.skip_reason, 'not in the invoice table') || ')' as detail,
            b.amount, d.doc_currency as currency
        from qb_bundle_lines as b
        left join qb_docs as d on d.kind = 'invoice' and b.doc_source_id = d.source_id
        where d.source_id is null or d.skip_reason is not null""")
    out.skip(f"""
        select '{business}' as business_id, 'invoice_line_bundle' as source_table,
            b.doc_source_id || '/' || coalesce(b.line_num, '?') as source_id,
            'unknown_group_line' as reason,
            'no group line ' || coalesce(b.group_index, '(none)') || ' on invoice '
                || b.doc_source_id as detail,
            b.amount, d.doc_currency as currency
        from qb_bundle_lines as b
        inner join qb_docs as d on d.kind = 'invoice' and b.doc_source_id = d.source_id
        where d.skip_reason is null and not exists (
            select 1 from qb_lines as l
            where l.kind = 'invoice' and l.doc_source_id = b.doc_source_id
                and l.line_index = b.group_index and l.line_kind = 'group')""")

    items = "select null::varchar as id, null::varchar as name, null::decimal as cost where false"
    if source.has("item"):
        items = f"""select ll_text(t.id) as id, ll_text({_col(source, "item", "name")}) as name,
                    ll_number({_col(source, "item", "purchase_cost")}, 4) as cost
                from {source.table("item")} as t"""
    bundles = "select null::varchar as id, null::varchar as name where false"
    if source.has("bundle"):
        bundles = f"""select ll_text(t.id) as id, ll_text({_col(source, "bundle", "name")}) as name
                from {source.table("bundle")} as t"""
    con.execute(f"create or replace temp table qb_items as {items}")
    con.execute(f"create or replace temp table qb_bundles as {bundles}")

    # Sale lines of kept documents: item lines, bundle items, and group lines without
    # their items; each in the order it appears on the document.
    con.execute("""
        create or replace temp table qb_sale_lines as
        with kept_lines as (
            select l.*, d.contract_id, d.exchange_rate
            from qb_lines as l
            inner join qb_docs as d on l.kind = d.kind and l.doc_source_id = d.source_id
            where d.skip_reason is null
        ),
        items as (
            select kind, doc_source_id, contract_id, exchange_rate, line_order,
                0 as sub_order, line_index as source_line, amount, quantity, unit_price,
                item_id, null as bundle_id, description
            from kept_lines where line_kind = 'item'
        ),
        bundle_items as (
            select g.kind, g.doc_source_id, g.contract_id, g.exchange_rate, g.line_order,
                b.line_order as sub_order, g.line_index || '.' || b.line_num as source_line,
                b.amount, b.quantity, b.unit_price, b.item_id, g.bundle_id,
                coalesce(b.description, g.description) as description
            from kept_lines as g
            inner join qb_bundle_lines as b
                on g.kind = 'invoice' and b.doc_source_id = g.doc_source_id
                and b.group_index = g.line_index
            where g.line_kind = 'group'
        ),
        whole_groups as (
            select g.kind, g.doc_source_id, g.contract_id, g.exchange_rate, g.line_order,
                0 as sub_order, g.line_index as source_line, g.amount,
                coalesce(g.bundle_quantity, g.quantity) as quantity, g.unit_price,
                null as item_id, g.bundle_id, g.description
            from kept_lines as g
            where g.line_kind = 'group' and not exists (
                select 1 from qb_bundle_lines as b
                where g.kind = 'invoice' and b.doc_source_id = g.doc_source_id
                    and b.group_index = g.line_index)
        ),
        unioned as (
            select * from items
            union all select * from bundle_items
            union all select * from whole_groups
        )
        select unioned.*, coalesce(unioned.amount, 0) as sale_amount
        from unioned""")

    # Discounts: a discount line (an amount, or a percent QuickBooks has already turned
    # into an amount), and any negative sale line, are taken off the document's positive
    # sale lines in proportion to their amounts, rounded to the cent, with the rounding
    # difference on the largest line, so the shares add up to the discount exactly.
    con.execute("""
        create or replace temp table qb_discounts as
        with discount_lines as (
            select kind, doc_source_id, sum(abs(coalesce(amount, 0))) as discount_lines
            from qb_lines where line_kind = 'discount'
            group by kind, doc_source_id
        ),
        sale_lines as (
            select kind, doc_source_id,
                sum(case when sale_amount < 0 then -sale_amount else 0 end)
                    as negative_lines,
                sum(case when sale_amount > 0 then sale_amount else 0 end)
                    as positive_lines
            from qb_sale_lines
            group by kind, doc_source_id
        )
        select coalesce(s.kind, d.kind) as kind,
            coalesce(s.doc_source_id, d.doc_source_id) as doc_source_id,
            coalesce(d.discount_lines, 0) as discount_lines,
            coalesce(s.negative_lines, 0) as negative_lines,
            coalesce(s.positive_lines, 0) as positive_lines,
            coalesce(d.discount_lines, 0) + coalesce(s.negative_lines, 0)
                > coalesce(s.positive_lines, 0) as is_excess
        from sale_lines as s
        full join discount_lines as d
            on s.kind = d.kind and s.doc_source_id = d.doc_source_id""")
    out.skip(f"""
        select '{business}' as business_id, l.source_table,
            l.doc_source_id || '/' || coalesce(l.line_index, '?') as source_id,
            'discount_exceeds_lines' as reason,
            'the document''s discounts (' || (x.discount_lines + x.negative_lines)
                || ') exceed its sale lines (' || x.positive_lines || ')' as detail,
            l.amount, d.doc_currency as currency
        from qb_lines as l
        inner join qb_docs as d on l.kind = d.kind and l.doc_source_id = d.source_id
        inner join qb_discounts as x
            on l.kind = x.kind and l.doc_source_id = x.doc_source_id
        where d.skip_reason is null and l.line_kind = 'discount' and x.is_excess
        union all
        select '{business}', s.kind || '_line', s.doc_source_id || '/' || s.source_line,
            'discount_exceeds_lines',
            'a negative line, taken as a discount, but the document''s discounts ('
                || (x.discount_lines + x.negative_lines) || ') exceed its sale lines ('
                || x.positive_lines || ')',
            s.sale_amount, null
        from qb_sale_lines as s
        inner join qb_discounts as x
            on s.kind = x.kind and s.doc_source_id = x.doc_source_id
        where s.sale_amount < 0 and x.is_excess""")
    con.execute("""
        create or replace temp table qb_contract_lines as
        with numbered as (
            select s.*,
                -- in cents, as integers: shares are rounded exactly, half away from zero
                cast(case when x.is_excess then 0
                    else (x.discount_lines + x.negative_lines) * 100 end as hugeint)
                    as discount_cents,
                cast(x.positive_lines * 100 as hugeint) as positive_cents,
                row_number() over (
                    partition by s.kind, s.doc_source_id order by s.line_order, s.sub_order
                ) as line_number
            from qb_sale_lines as s
            inner join qb_discounts as x
                on s.kind = x.kind and s.doc_source_id = x.doc_source_id
            where s.sale_amount >= 0
        ),
        -- only the documents with a discount to spread (few, next to the others)
        shared as (
            select kind, doc_source_id, line_number, discount_cents,
                (2 * discount_cents * cast(sale_amount * 100 as hugeint) + positive_cents)
                    // (2 * positive_cents) as raw_cents,
                row_number() over (
                    partition by kind, doc_source_id
                    order by sale_amount desc, line_order, sub_order
                ) as size_rank
            from numbered
            where discount_cents > 0 and positive_cents > 0
        ),
        balanced as (
            select kind, doc_source_id, line_number,
                raw_cents + case when size_rank = 1 then discount_cents - sum(raw_cents)
                    over (partition by kind, doc_source_id) else 0 end as share_cents
            from shared
        )
        select numbered.*,
            coalesce(cast(balanced.share_cents as decimal(18, 0)) * 0.01, 0) as share
        from numbered
        left join balanced
            on numbered.kind = balanced.kind
            and numbered.doc_source_id = balanced.doc_source_id
            and numbered.line_number = balanced.line_number""")
    # Negative sale lines became discounts: they are mapped, as the other lines' shares.

    # ---- 8. contract rows
    con.execute(
        "insert into out.businesses by name select ? as business_id, ? as business_name, "
        "? as home_currency, ? as fiscal_year_start_month, ? as default_payment_terms_days, "
        "(select max(ll_date(synced)) from (select synced from qb_headers "
        " union all select synced from qb_payments)) as export_complete_to_date",
        [
            business,
            company.business_name or business,
            home,
            DEFAULT_FISCAL_YEAR_START_MONTH,
            DEFAULT_PAYMENT_TERMS_DAYS,
        ],
    )

    # A customer deleted in QuickBooks is kept only while a kept document names it.
    con.execute("""
        create or replace temp table qb_used_customers as
        select customer_id from qb_docs where skip_reason is null
        union select customer_id from qb_payments where skip_reason is null""")
    out.insert(
        "customers",
        f"""
        select '{business}' as business_id, c.customer_id, c.customer_name,
            coalesce(c.created_date,
                (select min(d.txn_date) from qb_docs as d where d.customer_id = c.customer_id),
                ll_date(c.synced)) as created_date,
            c.payment_terms_days,
            c.parent_customer_id
        from qb_customers as c
        where not c.is_deleted or c.customer_id in (select customer_id from qb_used_customers)""",
    )
    out.skip(f"""
        select '{business}' as business_id, 'customer' as source_table,
            c.customer_id as source_id, 'deleted_in_source' as reason,
            'deleted in QuickBooks (_fivetran_deleted), and no kept document names it'
                as detail, null as amount, null as currency
        from qb_customers as c
        where c.is_deleted and c.customer_id not in (select customer_id from qb_used_customers)""")

    out.insert(
        "invoices",
        f"""
        select '{business}' as business_id, contract_id as invoice_id, customer_id,
            kind as document_type, txn_date as invoice_date,
            case when kind = 'sales_receipt' then txn_date else due_date end as due_date,
            doc_currency as currency, exchange_rate,
            case
                when is_void then 'void'
                when kind = 'sales_receipt' then 'paid'
                when coalesce(balance, total) = 0 then 'paid'
                else 'open'
            end as status,
            total as total_amount, tax as tax_amount
        from qb_docs
        where skip_reason is null and kind in ('invoice', 'sales_receipt')""",
    )

    # unit_cost: the item's purchase cost today (QuickBooks keeps no history of it), in
    # the home currency, so divided by the document's rate; a cost of 0 is what
    # QuickBooks shows when none was entered, so it is read as unknown.
    out.insert(
        "invoice_lines",
        f"""
        select '{business}' as business_id, l.contract_id as invoice_id, l.line_number,
            coalesce(i.name, b.name, l.item_id, l.bundle_id) as item_code,
            l.description,
            abs(coalesce(l.quantity, 1)) as quantity,
            abs(coalesce(l.unit_price,
                case when coalesce(l.quantity, 0) <> 0
                    then round(l.sale_amount / l.quantity, 4) else l.sale_amount end))
                as unit_price,
            l.share as discount_amount,
            l.sale_amount - l.share as line_amount,
            case when i.cost > 0 then round(i.cost / l.exchange_rate, 4) end as unit_cost
        from qb_contract_lines as l
        left join qb_items as i on l.item_id = i.id
        left join qb_bundles as b on l.item_id is null and l.bundle_id = b.id""",
    )

    out.insert(
        "payments",
        f"""
        select '{business}' as business_id, payment_id, customer_id, payment_date, currency,
            exchange_rate, amount
        from qb_payments where skip_reason is null and amount > 0
        union all
        -- a sales receipt is paid at sale: its payment, as the contract recommends
        select '{business}', contract_id, customer_id, txn_date, doc_currency, exchange_rate,
            total
        from qb_docs
        where skip_reason is null and kind = 'sales_receipt' and not is_void and total > 0""",
    )
    # A payment of 0 only moves credit (a credit memo onto an invoice): no cash, no row;
    # its lines are read for the credit memo's invoice.
    out.skip(f"""
        select '{business}' as business_id, 'payment' as source_table, source_id,
            'credit_only_payment' as reason,
            'a payment of 0 that applies credit to invoices (no cash received)' as detail,
            amount, currency
        from qb_payments where skip_reason is null and amount = 0""")

    # Allocations: the cash part of each kept invoice line, to a kept invoice.
    out.skip(f"""
        select '{business}' as business_id, 'payment_line' as source_table,
            c.payment_source_id || '/' || coalesce(c.line_index, '?') as source_id,
            case when d.is_void then 'void_invoice'
                else 'invoice_not_imported' end as reason,
            'applied to invoice ' || c.invoice_source_id || ', which is '
                || case when d.is_void then 'void'
                    when d.source_id is null then 'not in the invoice table'
                    else 'skipped (' || d.skip_reason || ')' end
                || ': the cash stays customer credit' as detail,
            c.amount, p.currency
        from qb_cash_lines as c
        inner join qb_payments as p on c.payment_source_id = p.source_id
        left join qb_docs as d on d.kind = 'invoice' and d.source_id = c.invoice_source_id
        where d.source_id is null or d.skip_reason is not null or d.is_void""")
    out.insert(
        "payment_allocations",
        f"""
        select '{business}' as business_id, c.payment_id, d.contract_id as invoice_id,
            sum(c.cash) as amount_applied
        from qb_cash_lines as c
        inner join qb_docs as d on d.kind = 'invoice' and d.source_id = c.invoice_source_id
        inner join qb_payments as p on c.payment_source_id = p.source_id
        where d.skip_reason is null and not d.is_void and p.amount > 0
        group by c.payment_id, d.contract_id
        having sum(c.cash) > 0
        union all
        select '{business}', contract_id, contract_id, total
        from qb_docs
        where skip_reason is null and kind = 'sales_receipt' and not is_void and total > 0""",
    )

    # A credit memo is tied to an invoice when all of it was applied to that one invoice
    # (every payment that uses it applies it to that invoice alone, and the amounts used
    # add up to its total), for the same customer and currency; otherwise it is a general
    # credit (customer credit in ar_aging until used).
    con.execute("""
        create or replace temp table qb_credit_ties as
        with uses as (
            select l.credit_memo_source_id, l.payment_source_id, sum(l.amount) as used
            from qb_payment_lines as l
            inner join qb_payments as p on l.payment_source_id = p.source_id
            where p.skip_reason is null and l.link = 'credit_memo'
            group by l.credit_memo_source_id, l.payment_source_id
        ),
        targets as (
            select uses.credit_memo_source_id,
                count(distinct l.invoice_source_id) as invoices,
                min(l.invoice_source_id) as invoice_source_id
            from uses
            inner join qb_payment_lines as l
                on l.payment_source_id = uses.payment_source_id and l.link = 'invoice'
            group by uses.credit_memo_source_id
        ),
        used as (
            select credit_memo_source_id, sum(used) as used
            from uses group by credit_memo_source_id
        )
        select cm.source_id as credit_memo_source_id, inv.contract_id as invoice_id
        from qb_docs as cm
        inner join used on used.credit_memo_source_id = cm.source_id
        inner join targets on targets.credit_memo_source_id = cm.source_id
        inner join qb_docs as inv
            on inv.kind = 'invoice' and inv.source_id = targets.invoice_source_id
        where cm.kind = 'credit_memo' and targets.invoices = 1 and used.used = cm.total
            and inv.skip_reason is null and not inv.is_void
            and inv.customer_id = cm.customer_id and inv.doc_currency = cm.doc_currency""")
    out.insert(
        "credit_notes",
        f"""
        select '{business}' as business_id, d.contract_id as credit_note_id, d.customer_id,
            t.invoice_id, d.txn_date as credit_note_date, d.doc_currency as currency,
            d.exchange_rate, d.total - d.tax as amount, d.tax as tax_amount,
            -- a refund receipt paid its whole total back in cash: no credit is left
            case when d.kind = 'refund_receipt' then d.total end as refunded_amount,
            coalesce(d.customer_memo, d.private_note,
                case when d.kind = 'refund_receipt' then 'refund receipt' end) as reason
        from qb_docs as d
        left join qb_credit_ties as t
            on d.kind = 'credit_memo' and t.credit_memo_source_id = d.source_id
        where d.skip_reason is null and d.kind in ('credit_memo', 'refund_receipt')""",
    )
