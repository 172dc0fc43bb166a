{#-
    The net-sales ledger: one signed home-currency amount per sales document and per
    credit note. Every revenue figure in the marts (LTV, TTM sales, retention, cohorts)
    sums this one model, so they agree with each other to the cent.
    A sales document also carries its lines' cost of goods, the sales of its lines
    without a unit cost, and its discounts, summed in the same pass over the lines: the
    dated ledger (int_customer_ledger_facts_unioned) reads them here instead of joining
    the lines to their invoices again.
-#}
with

invoices as (

    select * from {{ ref('stg_invoices') }}

),

invoice_lines as (

    select * from {{ ref('stg_invoice_lines') }}

),

credit_notes as (

    select * from {{ ref('stg_credit_notes') }}

),

-- Revenue is the sum of the lines (excl. tax), each converted at the document's rate.
-- A blank unit cost adds nothing to cost of goods, and its line's sales are of unknown
-- cost.
invoice_line_totals as (

    select
        business_id,
        invoice_id,
        sum(line_amount_home) as net_sales_home,
        sum(
            case when unit_cost is null then line_amount_home else 0 end
        ) as unknown_cost_sales_home,
        sum(coalesce(line_cost_home, 0)) as cost_of_goods_home,
        sum(discount_amount_home) as discounts_home

    from invoice_lines
    group by business_id, invoice_id

),

sales as (

    select
        invoices.business_id,
        invoices.customer_id,
        invoices.document_type,
        invoices.invoice_id as document_id,
        invoices.invoice_id,
        invoices.invoice_date as event_date,
        true as is_purchase,
        coalesce(invoice_line_totals.net_sales_home, 0) as net_sales_home,
        coalesce(invoice_line_totals.unknown_cost_sales_home, 0)
            as unknown_cost_sales_home,
        coalesce(invoice_line_totals.cost_of_goods_home, 0) as cost_of_goods_home,
        coalesce(invoice_line_totals.discounts_home, 0) as discounts_home

    from invoices
    left join invoice_line_totals
        on invoices.business_id = invoice_line_totals.business_id
        and invoices.invoice_id = invoice_line_totals.invoice_id
    where not invoices.is_void

),

-- A credit note reduces net sales on its own date, tied to an invoice or not: that is
-- when the business gave the money back (DECISIONLOG.md).
credits as (

    select
        business_id,
        customer_id,
        'credit_note' as document_type,
        credit_note_id as document_id,
        invoice_id,
        credit_note_date as event_date,
        false as is_purchase,
        -amount_home as net_sales_home,
        0 as unknown_cost_sales_home,
        0 as cost_of_goods_home,
        0 as discounts_home

    from credit_notes

),

unioned as (

    select * from sales
    union all
    select * from credits

),

final as (

    select
        ---------- keys
        business_id,
        customer_id,
        document_type,
        document_id,
        invoice_id,
        ---------- dates
        event_date,
        ---------- flags
        is_purchase,
        ---------- amounts
        {{ to_money('net_sales_home') }} as net_sales_home,
        {{ to_money('unknown_cost_sales_home') }} as unknown_cost_sales_home,
        {{ to_money('cost_of_goods_home') }} as cost_of_goods_home,
        {{ to_money('discounts_home') }} as discounts_home

    from unioned

)

select * from final
