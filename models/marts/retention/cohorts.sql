{#-
    Customers grouped by when they first bought (month, quarter or calendar year),
    followed period by period: how many still buy, what they spend, and what a
    customer of the cohort has brought in so far. Only complete periods appear.
    `revenue` means what it means in revenue_retention: net sales of the customers
    active in the period (above zero); a refund to a cohort customer who bought
    nothing in the period is inactive_customer_net_sales, and net_sales holds both.
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
        sum(
            case
                when customer_periods.net_sales_home > 0
                    then customer_periods.net_sales_home
                else 0
            end
        ) as revenue,
        sum(
            case
                when customer_periods.net_sales_home > 0 then 0
                else customer_periods.net_sales_home
            end
        ) as inactive_customer_net_sales,
        sum(customer_periods.net_sales_home) as net_sales

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
        -- Ratios divide by the cohort's first period: only when the data covers all
        -- of it.
        cohort_start.data_coverage = 1 as is_cohort_period_covered,
        periods.period_number,
        periods.period_start_date,
        periods.period_end_date,
        periods.data_coverage,
        periods.period_number - cohort_sizes.cohort_period_number as period_offset,
        coalesce(member_periods.active_customers, 0) as active_customers,
        coalesce(member_periods.revenue, 0) as revenue,
        coalesce(member_periods.inactive_customer_net_sales, 0)
            as inactive_customer_net_sales,
        coalesce(member_periods.net_sales, 0) as net_sales

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
        sum(net_sales) over (
            partition by business_id, cohort_grain, cohort_period_number
            order by period_offset
            rows between unbounded preceding and current row
        ) as cumulative_net_sales,
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
        accumulated.data_coverage,
        ---------- customers
        cast(accumulated.cohort_customers as integer) as cohort_customers,
        cast(accumulated.active_customers as integer) as active_customers,
        ---------- amounts
        cast(accumulated.revenue as decimal(18, 2)) as revenue,
        cast(accumulated.inactive_customer_net_sales as decimal(18, 2))
            as inactive_customer_net_sales,
        cast(accumulated.net_sales as decimal(18, 2)) as net_sales,
        cast(accumulated.cumulative_net_sales as decimal(18, 2))
            as cumulative_net_sales,
        -- A cohort has a customer at least: the divisor is never zero.
        {{ to_money_of_quotient(
            'accumulated.cumulative_net_sales', 'accumulated.cohort_customers'
        ) }} as cumulative_net_sales_per_customer,
        ---------- ratios
        cast(
            case
                when accumulated.is_cohort_period_covered
                    then 1.0 * accumulated.active_customers
                        / accumulated.cohort_customers
            end as decimal(18, 6)
        ) as customer_retention,
        cast(
            case
                when accumulated.is_cohort_period_covered
                    and accumulated.first_period_revenue > 0
                    then accumulated.revenue / accumulated.first_period_revenue
            end as decimal(18, 6)
        ) as revenue_retention

    from accumulated
    inner join businesses
        on accumulated.business_id = businesses.business_id

)

select * from final
