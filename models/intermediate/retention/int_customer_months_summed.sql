{#-
    Net sales per customer per calendar month, up to the as-of date: the small table
    that every monthly, quarterly and yearly retention figure is summed from, instead
    of re-reading millions of documents for each grain.
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

events_to_date as (

    select
        sales_events.business_id,
        sales_events.customer_id,
        {{ month_number('sales_events.event_date') }} as month_number,  -- noqa: LT05
        sales_events.is_purchase,
        sales_events.net_sales_home

    from sales_events
    inner join as_of
        on sales_events.business_id = as_of.business_id
    where sales_events.event_date <= as_of.as_of_date

),

final as (

    select
        ---------- keys
        business_id,
        customer_id,
        month_number,
        ---------- counts
        sum(case when is_purchase then 1 else 0 end) as purchases,
        ---------- amounts
        {{ to_money('sum(net_sales_home)') }} as net_sales_home

    from events_to_date
    group by business_id, customer_id, month_number

)

select * from final
