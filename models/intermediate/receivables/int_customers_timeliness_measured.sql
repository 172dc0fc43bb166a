{#-
    How each customer pays, as known at each snapshot date (int_snapshot_dates): only
    invoices issued by then, only settlements dated by then (no look-ahead), and what was
    still open on that day.
-#}
with

invoices_settled as (

    select * from {{ ref('int_invoices_settled') }}

),

settlements as (

    select * from {{ ref('int_invoice_settlements_unioned') }}

),

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates') }}

),

settled_to_date as (

    select
        snapshot_dates.as_of_date,
        settlements.business_id,
        settlements.invoice_id,
        sum(settlements.settled_amount) as settled_amount

    from settlements
    inner join snapshot_dates
        on settlements.event_date <= snapshot_dates.as_of_date
    group by snapshot_dates.as_of_date, settlements.business_id, settlements.invoice_id

),

invoices_as_of as (

    select
        snapshot_dates.as_of_date,
        invoices_settled.business_id,
        invoices_settled.customer_id,
        invoices_settled.total_amount_home,
        invoices_settled.days_to_pay,
        invoices_settled.days_beyond_terms,
        invoices_settled.is_paid_late,
        invoices_settled.due_date,
        coalesce(invoices_settled.paid_date <= snapshot_dates.as_of_date, false) as is_paid,
        -- Open amounts are taken in the invoice currency and converted at the invoice's
        -- rate, so a foreign invoice paid at another rate leaves exactly 0.00 open.
        {{ to_money(
            '(case when invoices_settled.total_amount'
            ~ ' > coalesce(settled_to_date.settled_amount, 0)'
            ~ ' then invoices_settled.total_amount'
            ~ ' - coalesce(settled_to_date.settled_amount, 0) else 0 end)'
            ~ ' * invoices_settled.exchange_rate'
        ) }} as open_amount_home

    from invoices_settled
    inner join snapshot_dates
        on invoices_settled.invoice_date <= snapshot_dates.as_of_date
    left join settled_to_date
        on snapshot_dates.as_of_date = settled_to_date.as_of_date
        and invoices_settled.business_id = settled_to_date.business_id
        and invoices_settled.invoice_id = settled_to_date.invoice_id

),

final as (

    select
        ---------- keys
        as_of_date,
        business_id,
        customer_id,
        ---------- counts
        count(*) as credit_invoices,
        sum(case when is_paid then 1 else 0 end) as paid_invoices,
        ---------- days
        avg(case when is_paid then days_to_pay end) as avg_days_to_pay,
        sum(case when is_paid then days_to_pay * total_amount_home end)
            / nullif(sum(case when is_paid then total_amount_home end), 0)
            as avg_days_to_pay_weighted,
        avg(case when is_paid then days_beyond_terms end) as avg_days_beyond_terms,
        avg(
            case when is_paid then case when is_paid_late then 1.0 else 0.0 end end
        ) as share_paid_late,
        ---------- amounts
        sum(open_amount_home) as open_balance,
        sum(
            case when due_date < as_of_date then open_amount_home else 0 end
        ) as overdue_balance

    from invoices_as_of
    group by as_of_date, business_id, customer_id

)

select * from final
