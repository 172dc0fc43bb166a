{{ config(meta={"dagster": {"ref": {"name": "portfolio_overview"}}}) }}
{#-
    The portfolio overview's amounts tie, per business and to the cent, to the marts it
    summarises, summed here another way: TTM net sales to segment_summary (the segments'
    totals), the open and overdue balances to business_overview (its aging buckets), and
    the at-risk and Champion shares lie in 0-1. Returns the businesses that do not tie.
-#}
with

portfolio as (

    select * from {{ ref('portfolio_overview') }}

),

segment_summary as (

    select * from {{ ref('segment_summary') }}

),

business_overview as (

    select * from {{ ref('business_overview') }}

),

segment_totals as (

    select
        business_id,
        sum(total_ttm_sales) as ttm_sales

    from segment_summary
    group by business_id

)

select
    portfolio.business_id,
    portfolio.ttm_net_sales,
    segment_totals.ttm_sales as segment_ttm_sales,
    portfolio.open_balance_home,
    business_overview.open_balance_home as overview_open_balance_home,
    portfolio.overdue_balance_home

from portfolio
inner join business_overview
    on portfolio.business_id = business_overview.business_id
left join segment_totals
    on portfolio.business_id = segment_totals.business_id
where
    portfolio.ttm_net_sales <> coalesce(segment_totals.ttm_sales, 0)
    or portfolio.open_balance_home <> business_overview.open_balance_home
    or portfolio.overdue_balance_home
    <> business_overview.open_balance_home - business_overview.current_home
    or portfolio.at_risk_customer_share not between 0 and 1
    or portfolio.at_risk_sales_share < 0
    or portfolio.champion_customer_share not between 0 and 1
    or portfolio.champion_sales_share < 0
