{{ config(meta={"dagster": {"ref": {"name": "segment_scenarios"}}}) }}
{#-
    Every segment scenario ties to the statements it scales, read here from the segment
    marts rather than from the customer rows the scenario model sums: per business, its
    latest balance sheet month end is the one used; the segment's customers, customer
    value and equity are its segment_balance_sheet line that day (zero without one); the
    business's TTM net sales are the twelve months of segment_income_statement (segment
    cut) ending then, its customer equity the sum of that day's balance sheet; each
    change is the measured amount x segment_change rounded to the cent, and each "after"
    is the business's figure plus the change. Every business with a balance sheet has
    every segment row of the seed. Returns what does not tie.
-#}

with

scenarios as (

    select * from {{ ref('segment_scenarios') }}

),

balance_sheet as (

    select * from {{ ref('segment_balance_sheet') }}

),

income as (

    select * from {{ ref('segment_income_statement') }}

),

seed_rows as (

    select
        scenarios_seed.scenario_name,
        segment_rules.segment

    from {{ ref('scenarios') }} as scenarios_seed
    inner join {{ ref('segment_rules') }} as segment_rules
        on scenarios_seed.segment_key = segment_rules.segment_key

),

latest as (

    select
        business_id,
        max(month_end_date) as month_end_date

    from balance_sheet
    group by business_id

),

business_equity as (

    select
        balance_sheet.business_id,
        sum(balance_sheet.customer_equity) as customer_equity

    from balance_sheet
    inner join latest
        on balance_sheet.business_id = latest.business_id
        and balance_sheet.month_end_date = latest.month_end_date
    group by balance_sheet.business_id

),

business_ttm as (

    select
        income.business_id,
        sum(income.net_sales) as net_sales

    from income
    inner join latest
        on income.business_id = latest.business_id
    where income.cut = 'segment'
        and income.month_end_date <= latest.month_end_date
        and income.month_end_date
        > {{ month_end_before('latest.month_end_date', 12) }}
    group by income.business_id

),

expected as (

    select
        latest.business_id,
        latest.month_end_date,
        seed_rows.scenario_name,
        coalesce(balance_sheet.customers, 0) as customers,
        coalesce(balance_sheet.customer_value, 0) as customer_value,
        coalesce(balance_sheet.customer_equity, 0) as customer_equity,
        coalesce(business_ttm.net_sales, 0) as business_ttm_net_sales,
        business_equity.customer_equity as business_customer_equity

    from latest
    cross join seed_rows
    left join balance_sheet
        on latest.business_id = balance_sheet.business_id
        and latest.month_end_date = balance_sheet.month_end_date
        and seed_rows.segment = balance_sheet.segment
    left join business_ttm
        on latest.business_id = business_ttm.business_id
    inner join business_equity
        on latest.business_id = business_equity.business_id

),

compared as (

    select
        expected.business_id,
        expected.scenario_name,
        scenarios.scenario_name as found_scenario_name

    from expected
    left join scenarios
        on expected.business_id = scenarios.business_id
        and expected.scenario_name = scenarios.scenario_name
    where scenarios.scenario_name is null
        or scenarios.month_end_date <> expected.month_end_date
        or scenarios.customers <> expected.customers
        or scenarios.customer_value <> expected.customer_value
        or scenarios.customer_equity <> expected.customer_equity
        or scenarios.business_ttm_net_sales <> expected.business_ttm_net_sales
        or scenarios.business_customer_equity <> expected.business_customer_equity
        or scenarios.customer_equity_change
        <> {{ to_money('expected.customer_equity * scenarios.segment_change') }}
        or scenarios.ttm_net_sales_change
        <> {{ to_money('scenarios.ttm_net_sales * scenarios.segment_change') }}
        or scenarios.ttm_contribution_change
        <> {{ to_money('scenarios.ttm_contribution * scenarios.segment_change') }}
        or scenarios.business_ttm_net_sales_after
        <> expected.business_ttm_net_sales + scenarios.ttm_net_sales_change
        or scenarios.business_customer_equity_after
        <> expected.business_customer_equity + scenarios.customer_equity_change

),

-- A row for a scenario the seed does not have, or for a business without a balance sheet.
unexpected as (

    select
        scenarios.business_id,
        scenarios.scenario_name,
        scenarios.scenario_name as found_scenario_name

    from scenarios
    left join expected
        on scenarios.business_id = expected.business_id
        and scenarios.scenario_name = expected.scenario_name
    where expected.scenario_name is null

)

select * from compared
union all
select * from unexpected
