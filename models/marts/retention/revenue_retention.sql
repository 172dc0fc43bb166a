{#-
    Net and gross revenue retention, logo retention and the revenue bridge, per
    business, grain and complete period (definitions: DECISIONLOG.md and the yml).
    The bridge adds up to the cent, which data-tests/integrity proves:
    starting + expansion - contraction - churned + new + reactivated = revenue.
-#}
with

-- Calendar years are for cohorts; retention is read by fiscal year.
periods as (

    select * from {{ ref('int_retention_periods_spined') }}
    where period_grain in ('month', 'quarter', 'fiscal_year', 'ttm')

),

compared as (

    select * from {{ ref('int_customer_periods_compared') }}

),

businesses as (

    select * from {{ ref('stg_businesses') }}

),

period_totals as (

    select
        business_id,
        period_grain,
        period_number,
        ---------- customers
        sum(case when previous_net_sales_home > 0 then 1 else 0 end)
            as starting_customers,
        sum(
            case when previous_net_sales_home > 0 and net_sales_home > 0 then 1 else 0 end
        ) as retained_customers,
        sum(case when movement_type = 'churn' then 1 else 0 end) as churned_customers,
        sum(case when movement_type = 'new' then 1 else 0 end) as new_customers,
        sum(case when movement_type = 'reactivation' then 1 else 0 end)
            as reactivated_customers,
        sum(case when net_sales_home > 0 then 1 else 0 end) as active_customers,
        ---------- revenue bridge
        sum(case when previous_net_sales_home > 0 then previous_net_sales_home else 0 end)
            as starting_revenue,
        sum(
            case
                when movement_type = 'expansion'
                    then net_sales_home - previous_net_sales_home
                else 0
            end
        ) as expansion_revenue,
        sum(
            case
                when movement_type = 'contraction'
                    then previous_net_sales_home - net_sales_home
                else 0
            end
        ) as contraction_revenue,
        sum(case when movement_type = 'churn' then previous_net_sales_home else 0 end)
            as churned_revenue,
        sum(case when movement_type = 'new' then net_sales_home else 0 end)
            as new_revenue,
        sum(case when movement_type = 'reactivation' then net_sales_home else 0 end)
            as reactivated_revenue,
        sum(case when net_sales_home > 0 then net_sales_home else 0 end) as revenue,
        sum(case when net_sales_home > 0 then 0 else net_sales_home end)
            as inactive_customer_net_sales,
        sum(net_sales_home) as net_sales

    from compared
    group by business_id, period_grain, period_number

),

-- Every complete period appears, also one in which nobody bought.
filled as (

    select
        periods.business_id,
        periods.period_grain,
        periods.period_number,
        periods.period_start_date,
        periods.period_end_date,
        periods.data_coverage,
        -- A ratio needs its base period (the one before) wholly in the data: the first
        -- days of an export compared with a whole period would read as 8x growth.
        periods.base_data_coverage = 1 as is_base_covered,
        {% for column in [
            'starting_customers', 'retained_customers', 'churned_customers',
            'new_customers', 'reactivated_customers', 'active_customers',
            'starting_revenue', 'expansion_revenue', 'contraction_revenue',
            'churned_revenue', 'new_revenue', 'reactivated_revenue', 'revenue',
            'inactive_customer_net_sales', 'net_sales'
        ] -%}
        coalesce(period_totals.{{ column }}, 0) as {{ column }}
        {%- if not loop.last %},{% endif %}
        {% endfor %}

    from periods
    left join period_totals
        on periods.business_id = period_totals.business_id
        and periods.period_grain = period_totals.period_grain
        and periods.period_number = period_totals.period_number

),

final as (

    select
        ---------- keys
        filled.business_id,
        filled.period_grain,
        filled.period_end_date,
        ---------- dates
        filled.period_start_date,
        ---------- attributes
        businesses.home_currency,
        filled.data_coverage,
        ---------- customers
        cast(filled.starting_customers as integer) as starting_customers,
        cast(filled.retained_customers as integer) as retained_customers,
        cast(filled.churned_customers as integer) as churned_customers,
        cast(filled.new_customers as integer) as new_customers,
        cast(filled.reactivated_customers as integer) as reactivated_customers,
        cast(filled.active_customers as integer) as active_customers,
        ---------- revenue bridge
        cast(filled.starting_revenue as decimal(18, 2)) as starting_revenue,
        cast(filled.expansion_revenue as decimal(18, 2)) as expansion_revenue,
        cast(filled.contraction_revenue as decimal(18, 2)) as contraction_revenue,
        cast(filled.churned_revenue as decimal(18, 2)) as churned_revenue,
        cast(filled.new_revenue as decimal(18, 2)) as new_revenue,
        cast(filled.reactivated_revenue as decimal(18, 2)) as reactivated_revenue,
        cast(filled.revenue as decimal(18, 2)) as revenue,
        cast(filled.inactive_customer_net_sales as decimal(18, 2))
            as inactive_customer_net_sales,
        cast(filled.net_sales as decimal(18, 2)) as net_sales,
        ---------- ratios
        cast(
            case
                when filled.is_base_covered and filled.starting_customers > 0
                    then 1.0 * filled.retained_customers / filled.starting_customers
            end as decimal(18, 6)
        ) as logo_retention,
        cast(
            case
                when filled.is_base_covered and filled.starting_customers > 0
                    then 1 - 1.0 * filled.retained_customers / filled.starting_customers
            end as decimal(18, 6)
        ) as logo_churn,
        cast(
            case
                when filled.is_base_covered and filled.starting_revenue > 0
                    then (
                        filled.starting_revenue + filled.expansion_revenue
                        - filled.contraction_revenue - filled.churned_revenue
                    ) / filled.starting_revenue
            end as decimal(18, 6)
        ) as nrr,
        cast(
            case
                when filled.is_base_covered and filled.starting_revenue > 0
                    then (
                        filled.starting_revenue
                        - filled.contraction_revenue - filled.churned_revenue
                    ) / filled.starting_revenue
            end as decimal(18, 6)
        ) as grr

    from filled
    inner join businesses
        on filled.business_id = businesses.business_id

)

select * from final
