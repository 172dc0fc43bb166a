{#-
    How each customer pays, as known at each snapshot date (int_snapshot_dates_spined): only
    invoices issued by then, only settlements dated by then (no look-ahead), and what was
    still open on that day.

    Built to scale with the number of snapshot dates: paid invoices are counted against
    the snapshots after their paid date (a streaming aggregate); open amounts come from
    int_invoices_open_at_snapshots.
-#}
with

invoices_settled as (

    select * from {{ ref('int_invoices_settled') }}

),

-- The snapshot dates and the month ends before them that segments look back on
-- (open amounts exist at the snapshot dates only).
snapshot_dates as (

    select * from {{ ref('int_segment_dates_spined') }}

),

issued as (

    select
        snapshot_dates.as_of_date,
        invoices_settled.business_id,
        invoices_settled.customer_id,
        count(*) as credit_invoices

    from invoices_settled
    inner join snapshot_dates
        on invoices_settled.business_id = snapshot_dates.business_id
        and invoices_settled.invoice_date <= snapshot_dates.as_of_date
    group by
        snapshot_dates.as_of_date,
        invoices_settled.business_id,
        invoices_settled.customer_id

),

-- Paid as of a snapshot = paid on or before it (int_invoices_settled.paid_date).
paid as (

    select
        snapshot_dates.as_of_date,
        invoices_settled.business_id,
        invoices_settled.customer_id,
        count(*) as paid_invoices,
        avg(invoices_settled.days_to_pay) as avg_days_to_pay,
        sum(invoices_settled.days_to_pay * invoices_settled.total_amount_home)
        / nullif(sum(invoices_settled.total_amount_home), 0)
            as avg_days_to_pay_weighted,
        avg(invoices_settled.days_beyond_terms) as avg_days_beyond_terms,
        avg(case when invoices_settled.is_paid_late then 1.0 else 0.0 end)
            as share_paid_late

    from invoices_settled
    inner join snapshot_dates
        on invoices_settled.business_id = snapshot_dates.business_id
        and invoices_settled.paid_date <= snapshot_dates.as_of_date
    group by
        snapshot_dates.as_of_date,
        invoices_settled.business_id,
        invoices_settled.customer_id

),

open_amounts as (

    select * from {{ ref('int_invoices_open_at_snapshots') }}

),

balances as (

    select
        as_of_date,
        business_id,
        customer_id,
        sum(open_amount_home) as open_balance,
        sum(case when due_date < as_of_date then open_amount_home else 0 end)
            as overdue_balance

    from open_amounts
    group by as_of_date, business_id, customer_id

),

final as (

    select
        ---------- keys
        issued.as_of_date,
        issued.business_id,
        issued.customer_id,
        ---------- counts
        issued.credit_invoices,
        coalesce(paid.paid_invoices, 0) as paid_invoices,
        ---------- days
        paid.avg_days_to_pay,
        paid.avg_days_to_pay_weighted,
        paid.avg_days_beyond_terms,
        paid.share_paid_late,
        ---------- amounts
        coalesce(balances.open_balance, 0) as open_balance,
        coalesce(balances.overdue_balance, 0) as overdue_balance

    from issued
    left join paid
        on issued.as_of_date = paid.as_of_date
        and issued.business_id = paid.business_id
        and issued.customer_id = paid.customer_id
    left join balances
        on issued.as_of_date = balances.as_of_date
        and issued.business_id = balances.business_id
        and issued.customer_id = balances.customer_id

)

select * from final
