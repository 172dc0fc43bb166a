{#-
    Customers grouped by when they first bought (month, quarter or calendar year),
    followed period by period: how many still buy, what they spend, and what a
    customer of the cohort has brought in so far. Only complete periods appear.
-#}
{%- set cohort_grains = calendar_grains()[:3] -%}
with

customer_periods as (

    select * from {{ ref('int_customer_periods_summed') }}

),

periods as (

    select * from {{ ref('int_retention_periods_spined') }}

),

customers_acquired as (

    select * from {{ ref('int_customers_acquired') }}

),

businesses as (

    select * from {{ ref('stg_businesses') }}

),

members as (

    {% for grain in cohort_grains %}
    select
        business_id,
        customer_id,
        '{{ grain.name }}' as cohort_grain,
        {{ period_number('first_purchase_month_number', grain) }}
            as cohort_period_number

    from customers_acquired
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

cohort_sizes as (

    select
        business_id,
        cohort_grain,
        cohort_period_number,
        count(*) as cohort_customers

    from members
    group by business_id, cohort_grain, cohort_period_number

),

-- A credit note dated before the customer's first purchase has no cohort period.
member_periods as (

    select
        members.business_id,
        members.cohort_grain,
        members.cohort_period_number,
        customer_periods.period_number,
        sum(case when customer_periods.net_sales_home > 0 then 1 else 0 end)
            as active_customers,
        sum(customer_periods.net_sales_home) as revenue

    from members
    inner join customer_periods
        on members.business_id = customer_periods.business_id
        and members.customer_id = customer_periods.customer_id
        and members.cohort_grain = customer_periods.period_grain
        and members.cohort_period_number <= customer_periods.period_number
    group by
        members.business_id,
        members.cohort_grain,
        members.cohort_period_number,
        customer_periods.period_number

),

-- Every period from the cohort's first to the last complete one, bought in or not.
grid as (

    select
        cohort_sizes.business_id,
        cohort_sizes.cohort_grain,
        cohort_sizes.cohort_period_number,
        cohort_sizes.cohort_customers,
        cohort_start.period_start_date as cohort_start_date,
        periods.period_number,
        periods.period_start_date,
        periods.period_end_date,
        periods.period_number - cohort_sizes.cohort_period_number as period_offset,
        coalesce(member_periods.active_customers, 0) as active_customers,
        coalesce(member_periods.revenue, 0) as revenue

    from cohort_sizes
    -- The cohort's own period must be complete, or the cohort is not shown yet.
    inner join periods as cohort_start
        on cohort_sizes.business_id = cohort_start.business_id
        and cohort_sizes.cohort_grain = cohort_start.period_grain
        and cohort_sizes.cohort_period_number = cohort_start.period_number
    inner join periods
        on cohort_sizes.business_id = periods.business_id
        and cohort_sizes.cohort_grain = periods.period_grain
        and cohort_sizes.cohort_period_number <= periods.period_number
    left join member_periods
        on cohort_sizes.business_id = member_periods.business_id
        and cohort_sizes.cohort_grain = member_periods.cohort_grain
        and cohort_sizes.cohort_period_number = member_periods.cohort_period_number
        and periods.period_number = member_periods.period_number

),

accumulated as (

    select
        grid.*,
        sum(revenue) over (
            partition by business_id, cohort_grain, cohort_period_number
            order by period_offset
            rows between unbounded preceding and current row
        ) as cumulative_revenue,
        sum(case when period_offset = 0 then revenue else 0 end) over (
            partition by business_id, cohort_grain, cohort_period_number
        ) as first_period_revenue

    from grid

),

final as (

    select
        ---------- keys
        accumulated.business_id,
        accumulated.cohort_grain,
        accumulated.cohort_start_date,
        accumulated.period_offset,
        ---------- dates
        accumulated.period_start_date,
        accumulated.period_end_date,
        ---------- attributes
        businesses.home_currency,
        ---------- customers
        cast(accumulated.cohort_customers as integer) as cohort_customers,
        cast(accumulated.active_customers as integer) as active_customers,
        ---------- amounts
        cast(accumulated.revenue as decimal(18, 2)) as revenue,
        cast(accumulated.cumulative_revenue as decimal(18, 2)) as cumulative_revenue,
        cast(
            accumulated.cumulative_revenue / accumulated.cohort_customers
            as decimal(18, 2)
        ) as cumulative_revenue_per_customer,
        ---------- ratios
        cast(
            1.0 * accumulated.active_customers / accumulated.cohort_customers
            as decimal(18, 6)
        ) as customer_retention,
        cast(
            case
                when accumulated.first_period_revenue > 0
                    then accumulated.revenue / accumulated.first_period_revenue
            end as decimal(18, 6)
        ) as revenue_retention

    from accumulated
    inner join businesses
        on accumulated.business_id = businesses.business_id

)

select * from final
