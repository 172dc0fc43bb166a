{#-
    A pulse mart (monthly_pulse or weekly_pulse) adds up, per business and to the cent, to
    the documents dated up to the as-of date, recomputed here from staging (not from
    int_sales_events_unioned, which the marts read):
    - net sales: the line amounts (excl. tax, home) of non-void invoices and sales receipts
      minus the credit notes' amounts (excl. tax, home), the net-sales ledger's total (the
      one customer_sheet's LTV and revenue_retention sum);
    - cash collected: every payment's home amount, applied to invoices or not.
    Returns the businesses that do not tie (a business with documents and no rows too).
    One macro for both marts' integrity tests: their periods differ, their totals do not.
-#}
{% macro pulse_ties_to_ledgers(pulse) %}
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

payments as (

    select * from {{ ref('stg_payments') }}

),

pulse as (

    select * from {{ pulse }}

),

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

document_amounts as (

    select
        invoice_lines.business_id,
        invoice_lines.line_amount_home as net_sales_home,
        0 as cash_collected_home

    from invoice_lines
    inner join invoices
        on invoice_lines.business_id = invoices.business_id
        and invoice_lines.invoice_id = invoices.invoice_id
    inner join as_of
        on invoices.business_id = as_of.business_id
    where not invoices.is_void
        and invoices.invoice_date <= as_of.as_of_date

    union all

    select
        credit_notes.business_id,
        -credit_notes.amount_home as net_sales_home,
        0 as cash_collected_home

    from credit_notes
    inner join as_of
        on credit_notes.business_id = as_of.business_id
    where credit_notes.credit_note_date <= as_of.as_of_date

    union all

    select
        payments.business_id,
        0 as net_sales_home,
        payments.amount_home as cash_collected_home

    from payments
    inner join as_of
        on payments.business_id = as_of.business_id
    where payments.payment_date <= as_of.as_of_date

),

documents as (

    select
        business_id,
        sum(net_sales_home) as net_sales_home,
        sum(cash_collected_home) as cash_collected_home

    from document_amounts
    group by business_id

),

pulse_totals as (

    select
        business_id,
        sum(net_sales_home) as net_sales_home,
        sum(cash_collected_home) as cash_collected_home

    from pulse
    group by business_id

),

compared as (

    select
        coalesce(documents.business_id, pulse_totals.business_id) as business_id,
        coalesce(documents.net_sales_home, 0) as document_net_sales_home,
        coalesce(pulse_totals.net_sales_home, 0) as pulse_net_sales_home,
        coalesce(documents.cash_collected_home, 0) as document_cash_collected_home,
        coalesce(pulse_totals.cash_collected_home, 0) as pulse_cash_collected_home

    from documents
    full outer join pulse_totals
        on documents.business_id = pulse_totals.business_id

)

select * from compared
where document_net_sales_home <> pulse_net_sales_home
    or document_cash_collected_home <> pulse_cash_collected_home
{% endmacro %}
