{#-
    The settlement ledger of receivables: every event that reduces what a
    customer owes on a credit invoice. Only cash that was applied to an invoice
    counts here; cash not yet applied (an overpayment, a prepayment) is customer
    credit, not a settlement.
-#}
with

invoices as (

    select * from {{ ref('stg_invoices') }}

),

payment_allocations as (

    select * from {{ ref('stg_payment_allocations') }}

),

payments as (

    select * from {{ ref('stg_payments') }}

),

credit_notes as (

    select * from {{ ref('stg_credit_notes') }}

),

-- Sales receipts are paid at sale and void documents count for nothing, so only
-- non-void invoices carry a receivable that can be settled.
credit_invoices as (

    select
        business_id,
        invoice_id,
        customer_id

    from invoices
    where document_type = 'invoice'
        and not is_void

),

-- amount_applied, not the payment's amount: a payment larger than its
-- allocations leaves the rest as customer credit. Its home value is taken at
-- the invoice's rate (stg_payment_allocations), so an FX difference never shows
-- as an open balance.
payments_applied as (

    select
        credit_invoices.business_id,
        credit_invoices.invoice_id,
        credit_invoices.customer_id,
        'payment' as settlement_type,
        payment_allocations.payment_id as settlement_id,
        payments.payment_date as event_date,
        payment_allocations.amount_applied as settled_amount,
        payment_allocations.amount_applied_home as settled_amount_home

    from payment_allocations
    inner join credit_invoices
        on payment_allocations.business_id = credit_invoices.business_id
        and payment_allocations.invoice_id = credit_invoices.invoice_id
    inner join payments
        on payment_allocations.business_id = payments.business_id
        and payment_allocations.payment_id = payments.payment_id

),

-- The invoice total includes tax, so a credit note settles its amount plus its
-- tax. A tied credit note is assumed to be in its invoice's currency, as
-- QuickBooks and Xero require for a credit applied to an invoice.
credits_applied as (

    select
        credit_invoices.business_id,
        credit_invoices.invoice_id,
        credit_invoices.customer_id,
        'credit_note' as settlement_type,
        credit_notes.credit_note_id as settlement_id,
        credit_notes.credit_note_date as event_date,
        credit_notes.amount + credit_notes.tax_amount as settled_amount,
        credit_notes.amount_home + credit_notes.tax_amount_home
            as settled_amount_home

    from credit_notes
    inner join credit_invoices
        on credit_notes.business_id = credit_invoices.business_id
        and credit_notes.invoice_id = credit_invoices.invoice_id

),

unioned as (

    select * from payments_applied
    union all
    select * from credits_applied

),

final as (

    select
        ---------- keys
        business_id,
        invoice_id,
        customer_id,
        settlement_type,
        settlement_id,
        ---------- dates
        event_date,
        ---------- amounts
        {{ to_money('settled_amount') }} as settled_amount,
        {{ to_money('settled_amount_home') }} as settled_amount_home

    from unioned

)

select * from final
