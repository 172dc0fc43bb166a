{#-
    Are the Champions also the profitable ones? One row per business, snapshot date and
    segment (the segment each customer had on that date; customers with costs but no
    purchase yet have none and are shown as 'No purchase'): the value classes and the
    TTM profitability of the segment's customers, and its shares of the business's.
-#}

with

valued as (

    select * from {{ ref('int_customers_valued') }}

),

segment_rules as (

    select * from {{ ref('segment_rules') }}

),

segmented as (

    select
        valued.*,
        coalesce(valued.segment, 'No purchase') as segment_name

    from valued

),

by_segment as (

    select
        business_id,
        as_of_date,
        segment_name,
        is_current,
        count(*) as customers,
        sum(case when is_active then 1 else 0 end) as active_customers,
        sum(case when value_class = 'key_account' then 1 else 0 end) as key_accounts,
        sum(case when value_class = 'unprofitable' then 1 else 0 end)
            as unprofitable_accounts,
        sum(case when value_class = 'core' then 1 else 0 end) as core_accounts,
        {% for column in [
            'ttm_net_sales', 'ttm_gross_margin', 'ttm_cost_to_serve', 'ttm_financing_cost',
            'ttm_contribution', 'ttm_service_hours',
        ] -%}
        sum(case when is_active then {{ column }} else 0 end) as {{ column }}
        {%- if not loop.last %},{% endif %}
        {% endfor %}
    from segmented
    group by business_id, as_of_date, segment_name, is_current

),

business_totals as (

    select
        business_id,
        as_of_date,
        sum(ttm_net_sales) as ttm_net_sales,
        sum(ttm_contribution) as ttm_contribution,
        sum(ttm_service_hours) as ttm_service_hours

    from by_segment
    group by business_id, as_of_date

),

final as (

    select
        ---------- keys
        by_segment.business_id,
        by_segment.as_of_date,
        by_segment.segment_name as segment,
        ---------- attributes
        by_segment.is_current,
        cast(segment_rules.priority as {{ dbt.type_int() }}) as segment_priority,
        ---------- customers by value class
        cast(by_segment.customers as {{ dbt.type_int() }}) as customers,
        cast(by_segment.active_customers as {{ dbt.type_int() }}) as active_customers,
        cast(by_segment.key_accounts as {{ dbt.type_int() }}) as key_accounts,
        cast(by_segment.unprofitable_accounts as {{ dbt.type_int() }})
            as unprofitable_accounts,
        cast(by_segment.core_accounts as {{ dbt.type_int() }}) as core_accounts,
        ---------- trailing twelve months, active customers
        cast(by_segment.ttm_net_sales as decimal(18, 2)) as ttm_sales,
        cast(by_segment.ttm_gross_margin as decimal(18, 2)) as ttm_gross_margin,
        cast(by_segment.ttm_cost_to_serve as decimal(18, 2)) as ttm_cost_to_serve,
        cast(by_segment.ttm_financing_cost as decimal(18, 2)) as ttm_financing_cost,
        cast(by_segment.ttm_contribution as decimal(18, 2)) as ttm_contribution,
        {{ share_of('by_segment.ttm_contribution', 'by_segment.ttm_net_sales') }}
            as ttm_contribution_margin,
        ---------- shares of the business (null when the business total is not positive)
        {{ share_of('by_segment.ttm_net_sales', 'business_totals.ttm_net_sales') }}
            as sales_share,
        {{ share_of('by_segment.ttm_contribution', 'business_totals.ttm_contribution') }}
            as contribution_share,
        {{ share_of(
            'by_segment.ttm_service_hours', 'business_totals.ttm_service_hours'
        ) }} as effort_share

    from by_segment
    inner join business_totals
        on by_segment.business_id = business_totals.business_id
        and by_segment.as_of_date = business_totals.as_of_date
    left join segment_rules
        on by_segment.segment_name = segment_rules.segment

)

select * from final
