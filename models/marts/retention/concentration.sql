{#-
    How much of a business's trailing-twelve-month revenue hangs on a few customers,
    at every month end: top-1/5/10 shares, the 80/20 check, HHI and Gini, what
    losing the top customer would cost, and a risk level (thresholds are dbt vars,
    reasons in DECISIONLOG.md). Only customers with positive TTM net sales count.
-#}
with

customer_months as (

    select * from {{ ref('int_customer_months_rolled') }}

),

periods as (

    select * from {{ ref('int_retention_periods_spined') }}
    where period_grain = 'month'

),

businesses as (

    select * from {{ ref('stg_businesses') }}

),

customers_with_sales as (

    select
        business_id,
        month_number,
        customer_id,
        ttm_net_sales_home

    from customer_months
    where ttm_net_sales_home > 0

),

-- Ties are broken by customer_id, so the top customer is the same on every run.
ranked as (

    select
        customers_with_sales.*,
        row_number() over (
            partition by business_id, month_number
            order by ttm_net_sales_home desc, customer_id asc
        ) as rank_from_top,
        row_number() over (
            partition by business_id, month_number
            order by ttm_net_sales_home asc, customer_id desc
        ) as rank_from_bottom,
        count(*) over (partition by business_id, month_number) as customer_count

    from customers_with_sales

),

month_totals as (

    select
        business_id,
        month_number,
        max(customer_count) as customers_with_sales,
        sum(ttm_net_sales_home) as ttm_revenue,
        max(case when rank_from_top = 1 then customer_id end) as top_customer_id,
        sum(case when rank_from_top = 1 then ttm_net_sales_home else 0 end)
            as top_customer_revenue,
        sum(case when rank_from_top <= 5 then ttm_net_sales_home else 0 end)
            as top_5_revenue,
        sum(case when rank_from_top <= 10 then ttm_net_sales_home else 0 end)
            as top_10_revenue,
        -- The top 20% of customers, rounded up: 1 of 5, 2 of 6.
        sum(
            case
                when rank_from_top <= ceil(customer_count / 5.0)
                    then ttm_net_sales_home
                else 0
            end
        ) as top_20_percent_revenue,
        sum(
            cast(ttm_net_sales_home as {{ dbt.type_float() }})
            * cast(ttm_net_sales_home as {{ dbt.type_float() }})
        ) as sum_of_squares,
        sum(rank_from_bottom * cast(ttm_net_sales_home as {{ dbt.type_float() }}))
            as rank_weighted_sum

    from ranked
    group by business_id, month_number

),

measured as (

    select
        periods.business_id,
        periods.period_end_date as month_end_date,
        coalesce(month_totals.customers_with_sales, 0) as customers_with_sales,
        coalesce(month_totals.ttm_revenue, 0) as ttm_revenue,
        month_totals.top_customer_id,
        coalesce(month_totals.top_customer_revenue, 0) as top_customer_revenue,
        month_totals.top_customer_revenue / month_totals.ttm_revenue
            as top_1_share,
        month_totals.top_5_revenue / month_totals.ttm_revenue as top_5_share,
        month_totals.top_10_revenue / month_totals.ttm_revenue as top_10_share,
        month_totals.top_20_percent_revenue / month_totals.ttm_revenue
            as top_20_percent_share,
        -- HHI on the 0-10,000 scale of competition law: the sum of squared shares.
        10000 * month_totals.sum_of_squares
        / (
            cast(month_totals.ttm_revenue as {{ dbt.type_float() }})
            * cast(month_totals.ttm_revenue as {{ dbt.type_float() }})
        ) as hhi,
        -- Gini over customers ranked from the smallest: 0 is everyone equal, 1 is
        -- one customer holding it all.
        2 * month_totals.rank_weighted_sum
        / (
            month_totals.customers_with_sales
            * cast(month_totals.ttm_revenue as {{ dbt.type_float() }})
        )
        - (month_totals.customers_with_sales + 1.0)
        / month_totals.customers_with_sales as gini

    from periods
    left join month_totals
        on periods.business_id = month_totals.business_id
        and periods.period_number = month_totals.month_number

),

final as (

    select
        ---------- keys
        measured.business_id,
        measured.month_end_date,
        ---------- attributes
        businesses.home_currency,
        measured.top_customer_id,
        case
            when measured.customers_with_sales = 0 then null
            when measured.top_1_share
                >= {{ var('concentration_high_top_customer_share') }}
                or measured.hhi >= {{ var('concentration_high_hhi') }}
                then 'high'
            when measured.top_1_share
                >= {{ var('concentration_medium_top_customer_share') }}
                or measured.hhi >= {{ var('concentration_medium_hhi') }}
                then 'medium'
            else 'low'
        end as concentration_risk,
        ---------- counts
        cast(measured.customers_with_sales as integer) as customers_with_sales,
        ---------- amounts
        cast(measured.ttm_revenue as decimal(18, 2)) as ttm_revenue,
        cast(measured.top_customer_revenue as decimal(18, 2))
            as revenue_drop_if_top_customer_lost,
        ---------- shares
        cast(measured.top_1_share as decimal(18, 6)) as top_1_share,
        cast(measured.top_5_share as decimal(18, 6)) as top_5_share,
        cast(measured.top_10_share as decimal(18, 6)) as top_10_share,
        cast(measured.top_20_percent_share as decimal(18, 6)) as top_20_percent_share,
        cast(measured.hhi as decimal(18, 2)) as hhi,
        cast(measured.gini as decimal(18, 6)) as gini

    from measured
    inner join businesses
        on measured.business_id = businesses.business_id

)

select * from final
