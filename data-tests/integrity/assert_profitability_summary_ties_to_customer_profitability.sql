{{ config(meta={"dagster": {"ref": {"name": "profitability_summary"}}}) }}
{#-
    The summary's as-of row is the sum of customer_profitability: the value classes
    count every customer once, the TTM sums are those of the active customers, the
    effort shares add up to 1 (within the rounding of six decimals per customer), and
    the Pareto curve ends at the whole contribution. Returns the businesses that differ.
-#}

with

customers as (

    select
        business_id,
        count(*) as customers,
        sum(case when value_class = 'key_account' then 1 else 0 end) as key_accounts,
        sum(case when value_class = 'unprofitable' then 1 else 0 end)
            as unprofitable_accounts,
        sum(case when is_active then ttm_contribution else 0 end) as ttm_contribution,
        sum(case when is_active then ttm_sales else 0 end) as ttm_sales,
        sum(ttm_effort_share) as effort_shares,
        count(ttm_effort_share) as customers_with_effort

    from {{ ref('customer_profitability') }}
    group by business_id

),

summary as (

    select * from {{ ref('profitability_summary') }}
    where is_current

),

compared as (

    select
        summary.business_id,
        summary.customers,
        customers.customers as customers_on_mart,
        summary.key_accounts + summary.unprofitable_accounts + summary.core_accounts
            as classed_customers,
        summary.ttm_contribution,
        customers.ttm_contribution as customers_ttm_contribution,
        summary.ttm_sales,
        customers.ttm_sales as customers_ttm_sales,
        customers.effort_shares,
        customers.customers_with_effort,
        summary.top_100_percent_contribution_share

    from summary
    inner join customers
        on summary.business_id = customers.business_id

)

select * from compared
where customers <> customers_on_mart
    or classed_customers <> customers
    or ttm_contribution <> customers_ttm_contribution
    or ttm_sales <> customers_ttm_sales
    or (
        customers_with_effort > 0
        and abs(effort_shares - 1) > 0.000001 * customers_with_effort
    )
    or (ttm_contribution > 0 and top_100_percent_contribution_share <> 1)
