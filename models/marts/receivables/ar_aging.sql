{#-
    The aged receivables ledger at the as-of date: what each customer owes, by how far
    past its due date, in home currency, and the credit it holds (unapplied cash, untied
    credit notes less what was refunded in cash). The total ties out to invoices minus
    allocations minus tied credit notes
    (data-tests/integrity/assert_ar_aging_ties_to_documents.sql).
-#}
with

invoice_payments as (

    select * from {{ ref('invoice_payments') }}

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

customers as (

    select * from {{ ref('stg_customers') }}

),

businesses as (

    select * from {{ ref('stg_businesses') }}

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

-- Every invoice with something open, including an over-applied one (negative), so
-- the total is exactly invoices - allocations - tied credit notes.
open_invoices as (

    select
        business_id,
        customer_id,
        open_amount_home,
        case
            when due_date >= as_of_date then 0
            else {{ dbt.datediff('due_date', 'as_of_date', 'day') }}
        end as days_past_due

    from invoice_payments
    where open_amount_home <> 0

),

aged as (

    select
        business_id,
        customer_id,
        sum(open_amount_home) as open_balance_home,
        sum(case when days_past_due = 0 then open_amount_home else 0 end)
            as current_home,
        sum(case when days_past_due between 1 and 30 then open_amount_home else 0 end)
            as past_due_1_30_home,
        sum(case when days_past_due between 31 and 60 then open_amount_home else 0 end)
            as past_due_31_60_home,
        sum(case when days_past_due between 61 and 90 then open_amount_home else 0 end)
            as past_due_61_90_home,
        sum(case when days_past_due > 90 then open_amount_home else 0 end)
            as past_due_over_90_home,
        count(*) as open_invoices,
        max(days_past_due) as max_days_past_due

    from open_invoices
    group by business_id, customer_id

),

-- Cash received but not applied to an invoice (an overpayment, a prepayment) is the
-- customer's credit: money the business holds, not money lost. Valued at the
-- payment's rate, like the payment itself.
payments_to_date as (

    select payments.*
    from payments
    inner join as_of
        on payments.business_id = as_of.business_id
    where payments.payment_date <= as_of.as_of_date

),

applied_per_payment as (

    select
        payment_allocations.business_id,
        payment_allocations.payment_id,
        sum(payment_allocations.amount_applied) as amount_applied

    from payment_allocations
    group by payment_allocations.business_id, payment_allocations.payment_id

),

unapplied_payments as (

    select
        payments_to_date.business_id,
        payments_to_date.customer_id,
        sum(
            payments_to_date.amount_home
            -- Scale 8: a sum of amounts (2 places) x a rate (6).
            - {{ to_money_of_wide_decimal(
                'coalesce(applied_per_payment.amount_applied, 0)'
                ~ ' * payments_to_date.exchange_rate',
                8
            ) }}
        ) as unapplied_payments_home

    from payments_to_date
    left join applied_per_payment
        on payments_to_date.business_id = applied_per_payment.business_id
        and payments_to_date.payment_id = applied_per_payment.payment_id
    group by payments_to_date.business_id, payments_to_date.customer_id

),

-- A credit note tied to no invoice is credit the customer can still use, less the part
-- of it paid back in cash (a refund, on the credit note's date).
untied_credits as (

    select
        credit_notes.business_id,
        credit_notes.customer_id,
        sum(
            credit_notes.amount_home + credit_notes.tax_amount_home
            - credit_notes.refunded_amount_home
        ) as untied_credit_notes_home

    from credit_notes
    inner join as_of
        on credit_notes.business_id = as_of.business_id
    where credit_notes.invoice_id is null
        and credit_notes.credit_note_date <= as_of.as_of_date
    group by credit_notes.business_id, credit_notes.customer_id

),

customer_keys as (

    select
        business_id,
        customer_id
    from aged
    union
    select
        business_id,
        customer_id
    from unapplied_payments
    where unapplied_payments_home <> 0
    union
    select
        business_id,
        customer_id
    from untied_credits
    where untied_credit_notes_home <> 0

),

final as (

    select
        ---------- keys
        customer_keys.business_id,
        customer_keys.customer_id,
        ---------- attributes
        customers.customer_name,
        businesses.home_currency,
        as_of.as_of_date,
        cast(coalesce(aged.open_invoices, 0) as {{ dbt.type_int() }}) as open_invoices,
        cast(aged.max_days_past_due as {{ dbt.type_int() }}) as max_days_past_due,
        ---------- aged open balance (home currency)
        {{ to_money('coalesce(aged.current_home, 0)') }} as current_home,
        {{ to_money('coalesce(aged.past_due_1_30_home, 0)') }} as past_due_1_30_home,
        {{ to_money('coalesce(aged.past_due_31_60_home, 0)') }} as past_due_31_60_home,
        {{ to_money('coalesce(aged.past_due_61_90_home, 0)') }} as past_due_61_90_home,
        {{ to_money('coalesce(aged.past_due_over_90_home, 0)') }}
            as past_due_over_90_home,
        {{ to_money('coalesce(aged.open_balance_home, 0)') }} as open_balance_home,
        ---------- customer credit (home currency)
        {{ to_money('coalesce(unapplied_payments.unapplied_payments_home, 0)') }}
            as unapplied_payments_home,
        {{ to_money('coalesce(untied_credits.untied_credit_notes_home, 0)') }}
            as untied_credit_notes_home,
        {{ to_money(
            'coalesce(aged.open_balance_home, 0)'
            ~ ' - coalesce(unapplied_payments.unapplied_payments_home, 0)'
            ~ ' - coalesce(untied_credits.untied_credit_notes_home, 0)'
        ) }} as net_balance_home,
        ---------- business totals
        {{ to_money(
            'sum(coalesce(aged.open_balance_home, 0))'
            ~ ' over (partition by customer_keys.business_id)'
        ) }} as business_open_balance_home

    from customer_keys
    inner join as_of
        on customer_keys.business_id = as_of.business_id
    inner join businesses
        on customer_keys.business_id = businesses.business_id
    left join customers
        on customer_keys.business_id = customers.business_id
        and customer_keys.customer_id = customers.customer_id
    left join aged
        on customer_keys.business_id = aged.business_id
        and customer_keys.customer_id = aged.customer_id
    left join unapplied_payments
        on customer_keys.business_id = unapplied_payments.business_id
        and customer_keys.customer_id = unapplied_payments.customer_id
    left join untied_credits
        on customer_keys.business_id = untied_credits.business_id
        and customer_keys.customer_id = untied_credits.customer_id

)

select * from final
