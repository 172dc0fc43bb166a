{{ config(meta={"dagster": {"ref": {"name": "customer_sheet"}}}) }}
{#-
    Money in = money out: per business, the sheet's LTV plus the credits of customers who
    never bought equals the non-void line amounts minus the credit notes up to the as-of
    date, recomputed here straight from staging. Returns the businesses that do not tie.
-#}
with

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

as_of as (

    select
        business_id,
        as_of_date

    from snapshot_dates
    where is_current

),

sheet as (

    select
        business_id,
        sum(ltv) as ltv_total
    from {{ ref('customer_sheet') }}
    group by business_id

),

line_sales as (

    select
        invoice_lines.business_id,
        sum(invoice_lines.line_amount_home) as amount
    from {{ ref('stg_invoice_lines') }} as invoice_lines
    inner join {{ ref('stg_invoices') }} as invoices
        on invoice_lines.business_id = invoices.business_id
        and invoice_lines.invoice_id = invoices.invoice_id
    inner join as_of
        on invoices.business_id = as_of.business_id
    where not invoices.is_void
        and invoices.invoice_date <= as_of.as_of_date
    group by invoice_lines.business_id

),

buyers as (

    select distinct
        invoices.business_id,
        invoices.customer_id
    from {{ ref('stg_invoices') }} as invoices
    inner join as_of
        on invoices.business_id = as_of.business_id
    where not invoices.is_void
        and invoices.invoice_date <= as_of.as_of_date

),

credits as (

    select
        credit_notes.business_id,
        sum(credit_notes.amount_home) as amount,
        sum(case when buyers.customer_id is null then credit_notes.amount_home else 0 end)
            as amount_of_non_buyers

    from {{ ref('stg_credit_notes') }} as credit_notes
    left join buyers
        on credit_notes.business_id = buyers.business_id
        and credit_notes.customer_id = buyers.customer_id
    inner join as_of
        on credit_notes.business_id = as_of.business_id
    where credit_notes.credit_note_date <= as_of.as_of_date
    group by credit_notes.business_id

),

compared as (

    select
        line_sales.business_id,
        coalesce(sheet.ltv_total, 0) - coalesce(credits.amount_of_non_buyers, 0)
            as sheet_side,
        line_sales.amount - coalesce(credits.amount, 0) as document_side

    from line_sales
    left join sheet on line_sales.business_id = sheet.business_id
    left join credits on line_sales.business_id = credits.business_id

)

select * from compared
where sheet_side <> document_side
