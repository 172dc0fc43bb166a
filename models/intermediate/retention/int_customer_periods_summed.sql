{#-
    Net sales per customer per period, for every grain of int_retention_periods_spined:
    calendar grains add up int_customer_months_summed, `ttm` windows add up the
    sales ledger (they need not start on the first of a month).
-#}
with

customer_months as (

    select * from {{ ref('int_customer_months_summed') }}

),

businesses as (

    select * from {{ ref('stg_businesses') }}

),

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

{% for grain in calendar_grains() %}
{{ grain.name }}_sums as (

    select
        customer_months.business_id,
        '{{ grain.name }}' as period_grain,
        {{ period_number('customer_months.month_number', grain) }} as period_number,
        customer_months.customer_id,
        customer_months.net_sales_home

    from customer_months
    inner join businesses
        on customer_months.business_id = businesses.business_id

),

{% endfor %}
-- Window 0 is the 365 days ending at the as-of date, window -1 the 365 before it...
ttm_sums as (

    select
        sales_events.business_id,
        'ttm' as period_grain,
        -cast(floor(
            {{ dbt.datediff('sales_events.event_date', 'as_of.as_of_date', 'day') }}
            / 365.0
        ) as integer) as period_number,
        sales_events.customer_id,
        sales_events.net_sales_home

    from sales_events
    inner join as_of
        on sales_events.business_id = as_of.business_id
    where sales_events.event_date <= as_of.as_of_date

),

unioned as (

    {% for grain in calendar_grains() %}
    select * from {{ grain.name }}_sums
    union all
    {% endfor %}
    select * from ttm_sums

),

final as (

    select
        ---------- keys
        business_id,
        period_grain,
        period_number,
        customer_id,
        ---------- amounts
        {{ to_money('sum(net_sales_home)') }} as net_sales_home

    from unioned
    group by business_id, period_grain, period_number, customer_id

)

select * from final
