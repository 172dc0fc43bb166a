{#-
    The business's profitability at a glance, per snapshot date (the as-of date and the
    month ends before it, point in time like segment_history): how concentrated
    contribution is (the 80/20 line and the Pareto curve), what the unprofitable
    accounts destroy, and how much of sales, contribution and effort sits with the key
    accounts. Customers are those of int_customers_valued at that date; the TTM figures
    are over its active customers.
-#}
{%- set deciles = range(10, 101, 10) -%}
{%- set summed_columns = [
    'customers', 'active_customers', 'key_accounts', 'unprofitable_accounts',
    'core_accounts', 'active_core_accounts', 'ttm_net_sales', 'ttm_cost_of_goods',
    'ttm_gross_margin', 'ttm_cost_to_serve', 'ttm_acquisition_cost', 'ttm_financing_cost',
    'ttm_contribution', 'ttm_service_hours', 'contribution_destroyed',
    'key_ttm_net_sales', 'key_ttm_contribution', 'key_ttm_service_hours',
] -%}

with

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

businesses as (

    select * from {{ ref('stg_businesses') }}

),

valued as (

    select * from {{ ref('int_customers_valued') }}

),

active as (

    select
        *,
        row_number() over (
            partition by business_id, as_of_date
            order by ttm_contribution desc, customer_id asc
        ) as contribution_order,
        count(*) over (partition by business_id, as_of_date) as active_customers

    from valued
    where is_active

),

-- Share of TTM contribution from the top k% of active customers, k = 10 .. 100: the
-- Pareto curve. With unprofitable customers the curve rises above 100% before it
-- comes back down at 100% (the "whale curve"): what the others lose, the top earn.
pareto as (

    select
        business_id,
        as_of_date,
    {% for k in deciles -%}
    sum(
        case
            when contribution_order <= ceil(active_customers * {{ k }} / 100.0)
                then ttm_contribution
            else 0
        end
    ) as top_{{ k }}_percent_contribution{% if not loop.last %},{% endif %}
    {% endfor %}
    from active
    group by business_id, as_of_date

),

totals as (

    select
        business_id,
        as_of_date,
        count(*) as customers,
        sum(case when is_active then 1 else 0 end) as active_customers,
        sum(case when value_class = 'key_account' then 1 else 0 end) as key_accounts,
        sum(case when value_class = 'unprofitable' then 1 else 0 end)
            as unprofitable_accounts,
        sum(case when value_class = 'core' then 1 else 0 end) as core_accounts,
        sum(case when value_class = 'core' and is_active then 1 else 0 end)
            as active_core_accounts,
        {% for column in [
            'ttm_net_sales', 'ttm_cost_of_goods', 'ttm_gross_margin', 'ttm_cost_to_serve',
            'ttm_acquisition_cost', 'ttm_financing_cost', 'ttm_contribution',
            'ttm_service_hours',
        ] -%}
        sum(case when is_active then {{ column }} else 0 end) as {{ column }},
        {% endfor -%}
        sum(
            case when value_class = 'unprofitable' then -ttm_contribution else 0 end
        ) as contribution_destroyed,
        -- noqa: disable=LT02
        {% for column in ['ttm_net_sales', 'ttm_contribution', 'ttm_service_hours'] -%}
        sum(
            case when value_class = 'key_account' then {{ column }} else 0 end
        ) as key_{{ column }}{% if not loop.last %},{% endif %}
        {% endfor %}

    -- noqa: enable=LT02
    from valued
    group by business_id, as_of_date

),

-- Every snapshot date of every business has a row, zeros before its first customer.
filled as (

    select
        snapshot_dates.business_id,
        snapshot_dates.as_of_date,
        snapshot_dates.is_current,
        businesses.home_currency,
        -- noqa: disable=LT02
        {% for column in summed_columns -%}
        coalesce(totals.{{ column }}, 0) as {{ column }}{% if not loop.last %},{% endif %}
        {% endfor %}

    -- noqa: enable=LT02
    from snapshot_dates
    inner join businesses
        on snapshot_dates.business_id = businesses.business_id
    left join totals
        on snapshot_dates.business_id = totals.business_id
        and snapshot_dates.as_of_date = totals.as_of_date

),

final as (

    select
        ---------- keys
        totals.business_id,
        totals.as_of_date,
        ---------- attributes
        totals.is_current,
        totals.home_currency,
        ---------- customers by value class
        cast(totals.customers as {{ dbt.type_int() }}) as customers,
        cast(totals.active_customers as {{ dbt.type_int() }}) as active_customers,
        cast(totals.key_accounts as {{ dbt.type_int() }}) as key_accounts,
        cast(totals.unprofitable_accounts as {{ dbt.type_int() }})
            as unprofitable_accounts,
        cast(totals.core_accounts as {{ dbt.type_int() }}) as core_accounts,
        {{ share_of('1.0 * totals.active_core_accounts', 'totals.active_customers') }}
            as core_share_of_active,
        ---------- trailing twelve months, active customers
        cast(totals.ttm_net_sales as decimal(18, 2)) as ttm_sales,
        cast(totals.ttm_cost_of_goods as decimal(18, 2)) as ttm_cost_of_goods,
        cast(totals.ttm_gross_margin as decimal(18, 2)) as ttm_gross_margin,
        cast(totals.ttm_cost_to_serve as decimal(18, 2)) as ttm_cost_to_serve,
        cast(totals.ttm_acquisition_cost as decimal(18, 2)) as ttm_acquisition_cost,
        cast(totals.ttm_financing_cost as decimal(18, 2)) as ttm_financing_cost,
        cast(totals.ttm_contribution as decimal(18, 2)) as ttm_contribution,
        {{ share_of('totals.ttm_contribution', 'totals.ttm_net_sales') }}
            as ttm_contribution_margin,
        cast(totals.ttm_service_hours as decimal(18, 4)) as ttm_service_hours,
        ---------- what unprofitable accounts cost
        cast(totals.contribution_destroyed as decimal(18, 2)) as contribution_destroyed,
        ---------- key accounts' shares
        {{ share_of('totals.key_ttm_net_sales', 'totals.ttm_net_sales') }}
            as key_sales_share,
        {{ share_of('totals.key_ttm_contribution', 'totals.ttm_contribution') }}
            as key_contribution_share,
        {{ share_of('totals.key_ttm_service_hours', 'totals.ttm_service_hours') }}
            as key_effort_share,
        ---------- the Pareto curve of TTM contribution (null when it is not positive)
        -- sqlfluff cannot indent SQL inside a Jinja loop in a select list (LT02).
        -- noqa: disable=LT02
        {% for k in deciles -%}
        {{ share_of(
            'pareto.top_' ~ k ~ '_percent_contribution', 'totals.ttm_contribution'
        ) }} as top_{{ k }}_percent_contribution_share{% if not loop.last %},{% endif %}
        {% endfor %}

    -- noqa: enable=LT02
    from filled as totals
    left join pareto
        on totals.business_id = pareto.business_id
        and totals.as_of_date = pareto.as_of_date

)

select * from final
