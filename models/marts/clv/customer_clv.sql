{#-
    What each customer of the customer sheet will be worth from the as-of date on: the
    chance it is still a customer, its expected purchases, and its CLV on net sales and on
    contribution over 12 and 36 months, each with an 80% interval, discounted from the day
    its cash is expected and net of what is expected never to be collected. The figures
    come from the Python asset intermediate/customer_clv_scores (ledgerlens.clv, source
    clv.customer_clv_scores); the inputs it read are int_customers_clv_prepared's.
-#}
{%- set money_columns = [
    'expected_purchase_value', 'expected_sales_365d',
    'clv_12m', 'clv_12m_low', 'clv_12m_high',
    'clv_36m', 'clv_36m_low', 'clv_36m_high',
    'clv_contribution_12m', 'clv_contribution_12m_low', 'clv_contribution_12m_high',
    'clv_contribution_36m', 'clv_contribution_36m_low', 'clv_contribution_36m_high',
] -%}
with

customer_sheet as (

    select * from {{ ref('customer_sheet') }}

),

prepared as (

    select * from {{ ref('int_customers_clv_prepared') }}

),

scores as (

    select * from {{ source('clv', 'customer_clv_scores') }}

),

final as (

    select
        ---------- keys
        customer_sheet.business_id,
        customer_sheet.customer_id,
        ---------- dates
        customer_sheet.as_of_date,
        ---------- attributes
        customer_sheet.customer_name,
        customer_sheet.home_currency,
        customer_sheet.segment,
        coalesce(scores.clv_model, 'no_purchase') as clv_model,
        coalesce(scores.spend_model, 'no_purchase') as spend_model,
        ---------- purchase history as the models count it
        coalesce(prepared.purchase_days, 0) as purchase_days,
        coalesce(prepared.repeat_purchase_days, 0) as repeat_purchase_days,
        ---------- predictions
        cast(scores.p_alive as decimal(18, 6)) as p_alive,
        cast(scores.expected_purchases_90d as decimal(18, 4)) as expected_purchases_90d,
        cast(scores.expected_purchases_365d as decimal(18, 4)) as expected_purchases_365d,
        -- noqa: disable=LT02
        {% for column in money_columns -%}
        {{ to_money('cast(scores.' ~ column ~ ' as decimal(38, 6))') }} as {{ column }},
        {% endfor -%}
        -- noqa: enable=LT02

        ---------- what turns a purchase into money
        prepared.expected_contribution_margin,
        prepared.expected_days_to_cash,
        prepared.expected_uncollected_share,
        ---------- past and future
        customer_sheet.ltv as past_net_sales,
        {{ to_money(
            'customer_sheet.ltv + coalesce(cast(scores.clv_36m as decimal(38, 6)), 0)'
        ) }} as total_lifetime_value

    from customer_sheet
    left join prepared
        on customer_sheet.business_id = prepared.business_id
        and customer_sheet.customer_id = prepared.customer_id
    left join scores
        on customer_sheet.business_id = scores.business_id
        and customer_sheet.customer_id = scores.customer_id

)

select * from final
