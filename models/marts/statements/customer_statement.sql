{#-
    One customer as a small business of its own: its monthly income statement (what it
    bought and what serving and financing it cost in the month) and its balance sheet at
    the month end (what it owes and is expected to bring, against the credit it holds,
    its expected cost to serve and the acquisition spend not yet earned back), with the
    segment it had that day. The segment statements and the roll-forward are sums of these
    rows, so a segment balances exactly because each customer does.
    Customer value is today's CLV fit applied to the history as it stood at each month end
    (ledgerlens.clv.value_at; DECISIONLOG.md "Customer accounting").
-#}
{%- set service_categories = service_cost_categories() -%}
with

ledger as (

    select * from {{ ref('int_customer_months_ledgered') }}

),

customers as (

    select * from {{ ref('stg_customers') }}

),

businesses as (

    select * from {{ ref('stg_businesses') }}

),

segment_history as (

    select * from {{ ref('segment_history') }}

),

valued as (

    select * from {{ ref('int_customers_valued') }}

),

value_history as (

    select * from {{ source('clv', 'customer_value_history') }}

),

prepared as (

    select * from {{ ref('int_customers_clv_prepared') }}

),

-- The business's median TTM gross margin % at each month end, over its customers with
-- one (TTM net sales above zero): the line between the high and the low margin band.
margin_medians as (

    select
        business_id,
        as_of_date,
        {{ median('ttm_gross_margin_pct') }} as median_gross_margin_pct

    from valued
    where ttm_gross_margin_pct is not null
    group by business_id, as_of_date

),

money as (

    select
        ledger.*,
        ledger.net_sales - ledger.cost_of_goods as gross_margin,
        {% for category in service_categories -%}
        ledger.{{ category }}_cost {% if not loop.last %}+ {% endif %}
        {%- endfor %} as cost_to_serve,
        {% for category in service_categories -%}
        ledger.{{ category }}_cost_to_date {% if not loop.last %}+ {% endif %}
        {%- endfor %} as cost_to_serve_to_date,
        -- The expected future: discounted, collected sales of the next 36 months, split
        -- into what service will cost and what is left before it (today's shares).
        -- As DECIMAL before any product, so every engine multiplies the same digits.
        coalesce(
            cast(value_history.expected_sales_36m as decimal(18, 2)), 0
        ) as expected_sales_36m,
        coalesce(prepared.expected_contribution_margin, 0) as contribution_share,
        coalesce(prepared.expected_cost_to_serve_share, 0) as cost_to_serve_share

    from ledger
    left join value_history
        on ledger.business_id = value_history.business_id
        and ledger.customer_id = value_history.customer_id
        and ledger.month_end_date = value_history.month_end_date
    left join prepared
        on ledger.business_id = prepared.business_id
        and ledger.customer_id = prepared.customer_id

),

balances as (

    select
        money.*,
        money.gross_margin - money.cost_to_serve - money.financing_cost as contribution,
        {{ to_money(
            'money.expected_sales_36m'
            ~ ' * (money.contribution_share + money.cost_to_serve_share)'
        ) }} as customer_value,
        {{ to_money('money.expected_sales_36m * money.cost_to_serve_share') }}
            as expected_cost_to_serve,
        -- Acquisition and onboarding are the investment in the customer; what it has
        -- earned since (its contribution before onboarding, all time) pays it back.
        money.acquisition_cost_to_date + money.onboarding_cost_to_date as investment,
        money.net_sales_to_date - money.cost_of_goods_to_date
        - money.cost_to_serve_to_date - money.financing_cost_to_date
        + money.onboarding_cost_to_date as earned_to_date

    from money

),

final as (

    select
        ---------- keys
        balances.business_id,
        balances.customer_id,
        balances.month_end_date,
        ---------- attributes
        customers.customer_name,
        businesses.home_currency,
        balances.month_start_date,
        coalesce(segment_history.segment, 'No purchase') as segment,
        case
            when balances.purchases_to_date = 0 then 'no purchase'
            when balances.purchases_to_date = balances.purchases then 'new'
            else 'returning'
        end as customer_type,
        case
            when valued.ttm_gross_margin_pct is null then 'unknown'
            when
                valued.ttm_gross_margin_pct >= margin_medians.median_gross_margin_pct
                then 'high'
            else 'low'
        end as margin_band,
        case
            when balances.purchases_to_date = 0 then 'no purchase'
            when balances.purchases_to_date = 1 then 'one-off'
            else 'recurring'
        end as purchase_pattern,
        ---------- income statement: the month (home currency)
        cast(balances.purchases as {{ dbt.type_int() }}) as purchases,
        cast(balances.net_sales as decimal(18, 2)) as net_sales,
        cast(balances.cost_of_goods as decimal(18, 2)) as cost_of_goods,
        cast(balances.gross_margin as decimal(18, 2)) as gross_margin,
        {% for category in service_categories -%}
        cast(balances.{{ category }}_cost as decimal(18, 2)) as {{ category }}_cost,
        {% endfor -%}
        cast(balances.cost_to_serve as decimal(18, 2)) as cost_to_serve,
        cast(balances.financing_cost as decimal(18, 2)) as financing_cost,
        cast(balances.contribution as decimal(18, 2)) as contribution,
        cast(balances.acquisition_cost as decimal(18, 2)) as acquisition_cost,
        ---------- balance sheet: the month end (home currency)
        cast(balances.accounts_receivable as decimal(18, 2)) as accounts_receivable,
        cast(balances.customer_value as decimal(18, 2)) as customer_value,
        cast(balances.accounts_receivable + balances.customer_value as decimal(18, 2))
            as total_assets,
        cast(balances.customer_credit as decimal(18, 2)) as customer_credit,
        cast(balances.expected_cost_to_serve as decimal(18, 2)) as expected_cost_to_serve,
        cast(
            balances.investment
            - least(balances.investment, greatest(balances.earned_to_date, 0))
            as decimal(18, 2)
        ) as unearned_acquisition_investment,
        cast(
            balances.customer_credit
            + balances.expected_cost_to_serve
            + balances.investment
            - least(balances.investment, greatest(balances.earned_to_date, 0))
            as decimal(18, 2)
        ) as total_liabilities,
        cast(
            balances.accounts_receivable
            + balances.customer_value
            - balances.customer_credit
            - balances.expected_cost_to_serve
            - balances.investment
            + least(balances.investment, greatest(balances.earned_to_date, 0))
            as decimal(18, 2)
        ) as customer_equity,
        ---------- what the customer value rests on
        cast(balances.expected_sales_36m as decimal(18, 2)) as expected_sales_36m

    from balances
    inner join customers
        on balances.business_id = customers.business_id
        and balances.customer_id = customers.customer_id
    inner join businesses
        on balances.business_id = businesses.business_id
    left join segment_history
        on balances.business_id = segment_history.business_id
        and balances.customer_id = segment_history.customer_id
        and balances.month_end_date = segment_history.month_end_date
    left join valued
        on balances.business_id = valued.business_id
        and balances.customer_id = valued.customer_id
        and balances.month_end_date = valued.as_of_date
    left join margin_medians
        on balances.business_id = margin_medians.business_id
        and balances.month_end_date = margin_medians.as_of_date

)

select * from final
