{#-
    How each customer pays, as known at each snapshot date (int_snapshot_dates_spined): only
    invoices issued by then, only settlements dated by then (no look-ahead), and what was
    still open on that day.

    Built to scale with the number of snapshot dates: each customer's invoices are read
    once, in date order, with its snapshot dates placed among them, and running counts
    and averages are read at the snapshots (not each invoice joined to every later
    snapshot: 60 million rows at 10 million invoice lines); open amounts come from
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

-- The segment dates of each customer from its first credit invoice on: the rows.
customer_snapshots as (

    select
        snapshot_dates.as_of_date,
        first_invoices.business_id,
        first_invoices.customer_id

    from (
        select
            business_id,
            customer_id,
            min(invoice_date) as first_invoice_date

        from invoices_settled
        group by business_id, customer_id
    ) as first_invoices
    inner join snapshot_dates
        on first_invoices.business_id = snapshot_dates.business_id
        and first_invoices.first_invoice_date <= snapshot_dates.as_of_date

),

-- Issued as of a snapshot = dated on or before it: the snapshot sorts after the
-- invoices of its own date (event_order).
issued_events as (

    select
        business_id,
        customer_id,
        invoice_date as event_date,
        0 as event_order

    from invoices_settled

    union all

    select
        business_id,
        customer_id,
        as_of_date as event_date,
        1 as event_order

    from customer_snapshots

),

issued as (

    select
        as_of_date,
        business_id,
        customer_id,
        credit_invoices

    from (
        select
            event_date as as_of_date,
            business_id,
            customer_id,
            event_order,
            count(case when event_order = 0 then 1 end) over (
                partition by business_id, customer_id
                order by event_date, event_order
                rows between unbounded preceding and current row
            ) as credit_invoices

        from issued_events
    ) as issued_running
    where event_order = 1

),

-- Paid as of a snapshot = paid on or before it (int_invoices_settled.paid_date). The
-- snapshot rows carry no invoice, so the averages and sums skip them.
paid_events as (

    select
        business_id,
        customer_id,
        paid_date as event_date,
        0 as event_order,
        days_to_pay,
        total_amount_home,
        days_beyond_terms,
        is_paid_late

    from invoices_settled
    where paid_date is not null

    union all

    select
        business_id,
        customer_id,
        as_of_date as event_date,
        1 as event_order,
        cast(null as {{ dbt.type_int() }}) as days_to_pay,
        cast(null as decimal(18, 2)) as total_amount_home,
        cast(null as {{ dbt.type_int() }}) as days_beyond_terms,
        cast(null as {{ dbt.type_boolean() }}) as is_paid_late

    from customer_snapshots

),

paid_running as (

    select
        event_date as as_of_date,
        business_id,
        customer_id,
        event_order,
        -- sqlfluff cannot indent SQL inside a Jinja loop in a select list (LT02).
        -- noqa: disable=LT02
        {% for name, expression in [
            ('paid_invoices', 'count(case when event_order = 0 then 1 end)'),
            ('avg_days_to_pay', 'avg(days_to_pay)'),
            ('weighted_days_to_pay', 'sum(days_to_pay * total_amount_home)'),
            ('paid_amount_home', 'sum(total_amount_home)'),
            ('avg_days_beyond_terms', 'avg(days_beyond_terms)'),
            ('share_paid_late', 'avg(case when event_order = 1 then null'
                ~ ' when is_paid_late then 1.0 else 0.0 end)'),
        ] -%}
        {{ expression }} over (
            partition by business_id, customer_id
            order by event_date, event_order
            rows between unbounded preceding and current row
        ) as {{ name }}{% if not loop.last %},{% endif %}
        {% endfor %}

    -- noqa: enable=LT02
    from paid_events

),

paid as (

    select
        as_of_date,
        business_id,
        customer_id,
        paid_invoices,
        avg_days_to_pay,
        weighted_days_to_pay / nullif(paid_amount_home, 0) as avg_days_to_pay_weighted,
        avg_days_beyond_terms,
        share_paid_late

    from paid_running
    where event_order = 1
        and paid_invoices > 0

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
