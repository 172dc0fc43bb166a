{{ config(meta={"dagster": {"ref": {"name": "customer_statement"}}}) }}
{#-
    The whole-history monthly contribution (int_customer_months_contributed, what the
    acquisition and sales-rep scorecards sum) and the customer statement are two sums of
    the same dated ledger: at every statement month end they must show the same cents,
    line by line. A statement month with no row there is a month before the customer's
    first sale or cost (the statement starts at its first payment or credit too): every
    flow of it must be 0. Returns the rows that differ.
-#}

with

statement as (

    select * from {{ ref('customer_statement') }}

),

months as (

    select * from {{ ref('int_customer_months_contributed') }}

),

compared as (

    select
        statement.business_id,
        statement.customer_id,
        statement.month_end_date,
        statement.net_sales,
        coalesce(months.net_sales, 0) as months_net_sales,
        statement.contribution,
        coalesce(months.contribution, 0) as months_contribution,
        statement.financing_cost,
        coalesce(months.financing_cost, 0) as months_financing_cost,
        statement.purchases,
        coalesce(months.purchases, 0) as months_purchases,
        statement.cost_of_goods,
        coalesce(months.cost_of_goods, 0) as months_cost_of_goods,
        statement.cost_to_serve,
        coalesce(months.cost_to_serve, 0) as months_cost_to_serve,
        statement.onboarding_cost,
        coalesce(months.onboarding_cost, 0) as months_onboarding_cost,
        statement.acquisition_cost,
        months.acquisition_cost as months_acquisition_cost

    from statement
    left join months
        on statement.business_id = months.business_id
        and statement.customer_id = months.customer_id
        and statement.month_end_date = months.measured_to_date

)

select * from compared
where net_sales <> months_net_sales
    or contribution <> months_contribution
    or financing_cost <> months_financing_cost
    or purchases <> months_purchases
    or cost_of_goods <> months_cost_of_goods
    or cost_to_serve <> months_cost_to_serve
    or onboarding_cost <> months_onboarding_cost
    or acquisition_cost <> months_acquisition_cost
