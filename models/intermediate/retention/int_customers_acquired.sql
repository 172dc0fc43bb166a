{#-
    When each customer first bought (a non-void invoice or sales receipt), up to the
    as-of date: what makes a customer "new" in a period, and which cohort it joins.
    A customer with only credit notes has no row: it was never acquired.
-#}
with

sales_events as (

    select * from {{ ref('int_sales_events_unioned') }}

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

first_purchases as (

    select
        sales_events.business_id,
        sales_events.customer_id,
        min(sales_events.event_date) as first_purchase_date

    from sales_events
    inner join as_of
        on sales_events.business_id = as_of.business_id
    where sales_events.is_purchase
        and sales_events.event_date <= as_of.as_of_date
    group by sales_events.business_id, sales_events.customer_id

),

final as (

    select
        ---------- keys
        business_id,
        customer_id,
        ---------- dates
        first_purchase_date,
        {{ month_number('first_purchase_date') }} as first_purchase_month_number  -- noqa: LT05

    from first_purchases

)

select * from final
