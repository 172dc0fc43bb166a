{#-
    Every credit invoice still open at each snapshot date (int_snapshot_dates_spined),
    with what was still owed on it that day: the one place "open at a snapshot" is
    decided and the open amount computed, for the customer balances
    (int_customers_timeliness_measured), the business receivables (dso_history), the
    late-payment features (int_invoices_risk_featured) and the invoices open at the
    as-of date (invoice_payments.is_open). Settlements are summed per snapshot only for
    the few invoices open at it, so the cost grows with open invoices, not with history.
-#}
with

invoices_settled as (

    select * from {{ ref('int_invoices_settled') }}

),

settlements as (

    select * from {{ ref('int_invoice_settlements_unioned') }}

),

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

open_invoices as (

    select
        snapshot_dates.as_of_date,
        snapshot_dates.is_current,
        invoices_settled.business_id,
        invoices_settled.invoice_id,
        invoices_settled.customer_id,
        invoices_settled.payment_terms_days,
        invoices_settled.total_amount,
        invoices_settled.exchange_rate,
        invoices_settled.total_amount_home,
        invoices_settled.invoice_date,
        invoices_settled.due_date,
        invoices_settled.paid_date

    from invoices_settled
    inner join snapshot_dates
        on invoices_settled.business_id = snapshot_dates.business_id
        and invoices_settled.invoice_date <= snapshot_dates.as_of_date
        and (
            invoices_settled.paid_date is null
            or invoices_settled.paid_date > snapshot_dates.as_of_date
        )

),

settled_to_date as (

    select
        open_invoices.as_of_date,
        open_invoices.business_id,
        open_invoices.invoice_id,
        sum(settlements.settled_amount) as settled_amount

    from open_invoices
    inner join settlements
        on open_invoices.business_id = settlements.business_id
        and open_invoices.invoice_id = settlements.invoice_id
        and open_invoices.as_of_date >= settlements.event_date
    group by open_invoices.as_of_date, open_invoices.business_id, open_invoices.invoice_id

),

final as (

    select
        ---------- keys
        open_invoices.as_of_date,
        open_invoices.business_id,
        open_invoices.invoice_id,
        open_invoices.customer_id,
        ---------- attributes
        open_invoices.is_current,
        open_invoices.payment_terms_days,
        ---------- dates
        open_invoices.invoice_date,
        open_invoices.due_date,
        -- All-time (int_invoices_settled): after the snapshot date, and possibly after
        -- the as-of date too. Compare it with a date before using it.
        open_invoices.paid_date,
        ---------- amounts
        open_invoices.total_amount_home,
        -- Open amounts are taken in the invoice currency and converted at the invoice's
        -- rate, so a foreign invoice paid at another rate leaves exactly 0.00 open.
        {{ to_money(
            '(open_invoices.total_amount - coalesce(settled_to_date.settled_amount, 0))'
            ~ ' * open_invoices.exchange_rate'
        ) }} as open_amount_home

    from open_invoices
    left join settled_to_date
        on open_invoices.as_of_date = settled_to_date.as_of_date
        and open_invoices.business_id = settled_to_date.business_id
        and open_invoices.invoice_id = settled_to_date.invoice_id

)

select * from final
