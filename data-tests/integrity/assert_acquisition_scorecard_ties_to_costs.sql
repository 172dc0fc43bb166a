{{ config(meta={"dagster": {"ref": {"name": "acquisition_scorecard"}}}) }}
{#-
    No spend lost or counted twice: per business, the whole-business all-time row of the
    acquisition scorecard holds every acquisition and onboarding cost up to the as-of date
    (recomputed from the staging costs) and every customer won (int_customers_acquired);
    and at each grouping level the rows of each cohort year add up to it. Returns the
    rows that do not tie.
-#}

with

scorecard as (

    select * from {{ ref('acquisition_scorecard') }}

),

as_of as (

    select
        business_id,
        as_of_date

    from {{ ref('int_snapshot_dates_spined') }}
    where is_current

),

costs as (

    select
        customer_costs.business_id,
        sum(customer_costs.amount_home) as spend

    from {{ ref('stg_customer_costs') }} as customer_costs
    inner join as_of
        on customer_costs.business_id = as_of.business_id
    where customer_costs.category in ('acquisition', 'onboarding')
        and customer_costs.cost_date <= as_of.as_of_date
    group by customer_costs.business_id

),

won as (

    select
        business_id,
        count(*) as customers_won

    from {{ ref('int_customers_acquired') }}
    group by business_id

),

levels as (

    select
        business_id,
        grouping_level,
        sum(acquisition_and_onboarding_spend) as spend,
        sum(customers_won) as customers_won

    from scorecard
    where cohort <> 'all'
    group by business_id, grouping_level

),

business_rows as (

    select
        business_id,
        acquisition_and_onboarding_spend as spend,
        customers_won

    from scorecard
    where grouping_level = 'business'
        and cohort = 'all'

),

compared as (

    select
        business_rows.business_id,
        'documents' as checked_against,
        business_rows.spend,
        coalesce(costs.spend, 0) as expected_spend,
        business_rows.customers_won,
        coalesce(won.customers_won, 0) as expected_customers_won

    from business_rows
    left join costs
        on business_rows.business_id = costs.business_id
    left join won
        on business_rows.business_id = won.business_id

    union all

    select
        levels.business_id,
        levels.grouping_level as checked_against,
        levels.spend,
        business_rows.spend as expected_spend,
        levels.customers_won,
        business_rows.customers_won as expected_customers_won

    from levels
    inner join business_rows
        on levels.business_id = business_rows.business_id

)

select * from compared
where spend <> expected_spend
    or customers_won <> expected_customers_won
