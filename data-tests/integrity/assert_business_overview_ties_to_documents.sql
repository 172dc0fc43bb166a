{{ config(meta={"dagster": {"ref": {"name": "business_overview"}}}) }}
{#-
    Every figure of the business overview ties out, per business and to the cent, to the
    documents, recomputed here from staging (not from customer_sheet or ar_aging), all
    dated up to the as-of date:
    - customers and purchases: the customers and count of non-void invoices and sales
      receipts, first and last sale their earliest and latest date;
    - net sales: those documents' line amounts minus the credit notes of their customers;
    - open balance: each credit invoice's total minus the cash allocated to it minus its
      tied credit notes (incl. tax), at the invoice's rate; customers owing: those whose
      invoices still carry a balance; the aging buckets add up to the open balance;
    - customer credit: cash not allocated to any invoice, at the payment's rate, plus
      credit notes (incl. tax) tied to no invoice, less the part refunded in cash.
    Returns the businesses that do not tie.
-#}
with

businesses as (

    select * from {{ ref('stg_businesses') }}

),

invoices as (

    select * from {{ ref('stg_invoices') }}

),

invoice_lines as (

    select * from {{ ref('stg_invoice_lines') }}

),

payments as (

    select * from {{ ref('stg_payments') }}

),

payment_allocations as (

    select * from {{ ref('stg_payment_allocations') }}

),

credit_notes as (

    select * from {{ ref('stg_credit_notes') }}

),

overview as (

    select * from {{ ref('business_overview') }}

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

sales_documents as (

    select invoices.*
    from invoices
    inner join as_of
        on invoices.business_id = as_of.business_id
    where not invoices.is_void
        and invoices.invoice_date <= as_of.as_of_date

),

sales as (

    select
        business_id,
        count(distinct customer_id) as customers,
        count(*) as purchases,
        min(invoice_date) as first_purchase_date,
        max(invoice_date) as last_purchase_date

    from sales_documents
    group by business_id

),

line_sales as (

    select
        invoice_lines.business_id,
        sum(invoice_lines.line_amount_home) as amount

    from invoice_lines
    inner join sales_documents
        on invoice_lines.business_id = sales_documents.business_id
        and invoice_lines.invoice_id = sales_documents.invoice_id
    group by invoice_lines.business_id

),

buyers as (

    select distinct
        business_id,
        customer_id

    from sales_documents

),

-- A customer who never bought is not on the sheet, so neither are its credit notes.
buyer_credits as (

    select
        credit_notes.business_id,
        sum(credit_notes.amount_home) as amount

    from credit_notes
    inner join buyers
        on credit_notes.business_id = buyers.business_id
        and credit_notes.customer_id = buyers.customer_id
    inner join as_of
        on credit_notes.business_id = as_of.business_id
    where credit_notes.credit_note_date <= as_of.as_of_date
    group by credit_notes.business_id

),

allocated as (

    select
        payment_allocations.business_id,
        payment_allocations.invoice_id,
        sum(payment_allocations.amount_applied) as amount

    from payment_allocations
    inner join payments
        on payment_allocations.business_id = payments.business_id
        and payment_allocations.payment_id = payments.payment_id
    inner join as_of
        on payments.business_id = as_of.business_id
    where payments.payment_date <= as_of.as_of_date
    group by payment_allocations.business_id, payment_allocations.invoice_id

),

credited as (

    select
        credit_notes.business_id,
        credit_notes.invoice_id,
        sum(credit_notes.amount + credit_notes.tax_amount) as amount

    from credit_notes
    inner join as_of
        on credit_notes.business_id = as_of.business_id
    where credit_notes.invoice_id is not null
        and credit_notes.credit_note_date <= as_of.as_of_date
    group by credit_notes.business_id, credit_notes.invoice_id

),

owed_per_customer as (

    select
        sales_documents.business_id,
        sales_documents.customer_id,
        -- Scale 8: amounts (2 places) x a rate (6); rounded on 64 bits where it fits.
        sum(
            {{ to_money_of_wide_decimal(
                '(sales_documents.total_amount - coalesce(allocated.amount, 0)'
                ~ ' - coalesce(credited.amount, 0)) * sales_documents.exchange_rate',
                8
            ) }}
        ) as owed_home

    from sales_documents
    left join allocated
        on sales_documents.business_id = allocated.business_id
        and sales_documents.invoice_id = allocated.invoice_id
    left join credited
        on sales_documents.business_id = credited.business_id
        and sales_documents.invoice_id = credited.invoice_id
    where sales_documents.document_type = 'invoice'
    group by sales_documents.business_id, sales_documents.customer_id

),

owed as (

    select
        business_id,
        sum(owed_home) as owed_home,
        sum(case when owed_home <> 0 then 1 else 0 end) as customers_owing

    from owed_per_customer
    group by business_id

),

applied_per_payment as (

    select
        business_id,
        payment_id,
        sum(amount_applied) as amount

    from payment_allocations
    group by business_id, payment_id

),

unapplied as (

    select
        payments.business_id,
        sum(
            payments.amount_home
            - {{ to_money_of_wide_decimal(
                'coalesce(applied_per_payment.amount, 0) * payments.exchange_rate', 8
            ) }}
        ) as amount_home

    from payments
    left join applied_per_payment
        on payments.business_id = applied_per_payment.business_id
        and payments.payment_id = applied_per_payment.payment_id
    inner join as_of
        on payments.business_id = as_of.business_id
    where payments.payment_date <= as_of.as_of_date
    group by payments.business_id

),

untied as (

    select
        credit_notes.business_id,
        sum(
            credit_notes.amount_home + credit_notes.tax_amount_home
            - credit_notes.refunded_amount_home
        ) as amount_home

    from credit_notes
    inner join as_of
        on credit_notes.business_id = as_of.business_id
    where credit_notes.invoice_id is null
        and credit_notes.credit_note_date <= as_of.as_of_date
    group by credit_notes.business_id

),

documents as (

    select
        businesses.business_id,
        coalesce(sales.customers, 0) as customers,
        coalesce(sales.purchases, 0) as purchases,
        coalesce(line_sales.amount, 0) - coalesce(buyer_credits.amount, 0)
            as net_sales_home,
        coalesce(sales.first_purchase_date, cast('1900-01-01' as date))
            as first_purchase_date,
        coalesce(sales.last_purchase_date, cast('1900-01-01' as date))
            as last_purchase_date,
        coalesce(owed.customers_owing, 0) as customers_owing,
        coalesce(owed.owed_home, 0) as open_balance_home,
        coalesce(unapplied.amount_home, 0) + coalesce(untied.amount_home, 0)
            as customer_credit_home

    from businesses
    left join sales
        on businesses.business_id = sales.business_id
    left join line_sales
        on businesses.business_id = line_sales.business_id
    left join buyer_credits
        on businesses.business_id = buyer_credits.business_id
    left join owed
        on businesses.business_id = owed.business_id
    left join unapplied
        on businesses.business_id = unapplied.business_id
    left join untied
        on businesses.business_id = untied.business_id

),

compared as (

    select
        documents.business_id,
        overview.business_id as overview_business_id,
        overview.customers,
        documents.customers as document_customers,
        overview.purchases,
        documents.purchases as document_purchases,
        overview.net_sales_home,
        documents.net_sales_home as document_net_sales_home,
        overview.customers_owing,
        documents.customers_owing as document_customers_owing,
        overview.open_balance_home,
        documents.open_balance_home as document_open_balance_home,
        overview.current_home + overview.past_due_1_30_home
        + overview.past_due_31_60_home + overview.past_due_61_90_home
        + overview.past_due_over_90_home as bucket_home,
        overview.customer_credit_home,
        documents.customer_credit_home as document_customer_credit_home,
        overview.unapplied_payments_home + overview.untied_credit_notes_home
            as credit_parts_home,
        coalesce(overview.first_purchase_date, cast('1900-01-01' as date))
            as first_purchase_date,
        documents.first_purchase_date as document_first_purchase_date,
        coalesce(overview.last_purchase_date, cast('1900-01-01' as date))
            as last_purchase_date,
        documents.last_purchase_date as document_last_purchase_date,
        overview.as_of_date,
        as_of.as_of_date as run_as_of_date

    from documents
    inner join as_of
        on documents.business_id = as_of.business_id
    left join overview
        on documents.business_id = overview.business_id

)

select * from compared
where overview_business_id is null
    or customers <> document_customers
    or purchases <> document_purchases
    or net_sales_home <> document_net_sales_home
    or customers_owing <> document_customers_owing
    or open_balance_home <> document_open_balance_home
    or bucket_home <> open_balance_home
    or customer_credit_home <> document_customer_credit_home
    or credit_parts_home <> customer_credit_home
    or first_purchase_date <> document_first_purchase_date
    or last_purchase_date <> document_last_purchase_date
    or as_of_date <> run_as_of_date
