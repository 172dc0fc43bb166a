{{ config(meta={"dagster": {"ref": {"name": "customer_statement"}}}) }}
{#-
    The whole-history monthly contribution (int_customer_months_contributed, what the
    acquisition and sales-rep scorecards sum) and the customer statement are two sums of
    the same dated ledger: at every statement month end they must show the same cents,
    line by line, and every statement row must have its month there. Returns the rows
    that differ or are missing.
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
        months.customer_id as months_customer_id,
        statement.net_sales,
        months.net_sales as months_net_sales,
        statement.contribution,
        months.contribution as months_contribution,
        statement.financing_cost,
        months.financing_cost as months_financing_cost,
        statement.purchases,
        months.purchases as months_purchases,
        statement.cost_of_goods,
        months.cost_of_goods as months_cost_of_goods,
        statement.cost_to_serve,
        months.cost_to_serve as months_cost_to_serve,
        statement.onboarding_cost,
        months.onboarding_cost as months_onboarding_cost,
        statement.acquisition_cost,
        months.acquisition_cost as months_acquisition_cost

    from statement
    left join months
        on statement.business_id = months.business_id
        and statement.customer_id = months.customer_id
        and statement.month_end_date = months.measured_to_date

)

select * from compared
where months_customer_id is null
    or net_sales <> months_net_sales
    or contribution <> months_contribution
    or financing_cost <> months_financing_cost
    or purchases <> months_purchases
    or cost_of_goods <> months_cost_of_goods
    or cost_to_serve <> months_cost_to_serve
    or onboarding_cost <> months_onboarding_cost
    or acquisition_cost <> months_acquisition_cost
