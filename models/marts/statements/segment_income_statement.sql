{#-
    Each customer segment's monthly income statement: one row per business, statement
    month and cut value, where a cut is one way of dividing the customers at the month
    end: `segment` (its RFM+T segment that day), `customer_type` (new or returning),
    `margin_band` (high or low TTM gross margin %) and `purchase_pattern` (recurring or
    one-off). Each cut divides the same customers, so each adds up to the whole business
    (data-tests/integrity/assert_segment_income_statement_ties_to_ledgers.sql). Every
    value a business has at some month end is shown at all of them, zero where empty, so
    a segment that empties shows as a drop, not as a gap.
-#}
{%- set cuts = ['segment', 'customer_type', 'margin_band', 'purchase_pattern'] -%}
{%- set amounts = [
    'net_sales', 'cost_of_goods', 'gross_margin', 'onboarding_cost', 'support_cost',
    'delivery_cost', 'rework_cost', 'reimbursement_cost', 'other_cost', 'cost_to_serve',
    'financing_cost', 'contribution', 'acquisition_cost',
] -%}
with

statements as (

    select * from {{ ref('customer_statement') }}

),

segment_rules as (

    select * from {{ ref('segment_rules') }}

),

month_ends as (

    select
        business_id,
        as_of_date as month_end_date

    from {{ ref('int_snapshot_dates_spined') }}
    where is_month_end

),

by_cut as (

    {% for cut in cuts -%}
    select
        business_id,
        month_end_date,
        '{{ cut }}' as cut,
        {{ cut }} as cut_value,
        count(*) as customers,
        sum(case when purchases > 0 then 1 else 0 end) as purchasing_customers,
        -- sqlfluff cannot indent SQL inside a Jinja loop in a select list (LT02).
        -- noqa: disable=LT02
        {% for amount in amounts -%}
        sum({{ amount }}) as {{ amount }}{% if not loop.last %},{% endif %}
        {% endfor %}
    -- noqa: enable=LT02
    from statements
    group by business_id, month_end_date, {{ cut }}
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

cut_values as (

    select distinct
        business_id,
        cut,
        cut_value

    from by_cut

),

grid as (

    select
        cut_values.business_id,
        month_ends.month_end_date,
        cut_values.cut,
        cut_values.cut_value

    from cut_values
    inner join month_ends
        on cut_values.business_id = month_ends.business_id

),

filled as (

    select
        grid.business_id,
        grid.month_end_date,
        grid.cut,
        grid.cut_value,
        coalesce(by_cut.customers, 0) as customers,
        coalesce(by_cut.purchasing_customers, 0) as purchasing_customers,
        -- noqa: disable=LT02
        {% for amount in amounts -%}
        coalesce(by_cut.{{ amount }}, 0) as {{ amount }}{% if not loop.last %},{% endif %}
        {% endfor %}
    -- noqa: enable=LT02
    from grid
    left join by_cut
        on grid.business_id = by_cut.business_id
        and grid.month_end_date = by_cut.month_end_date
        and grid.cut = by_cut.cut
        and grid.cut_value = by_cut.cut_value

),

final as (

    select
        ---------- keys
        filled.business_id,
        filled.month_end_date,
        filled.cut,
        filled.cut_value,
        ---------- attributes
        cast(
            case when filled.cut = 'segment' then segment_rules.priority end
            as {{ dbt.type_int() }}
        ) as segment_priority,
        cast(filled.customers as {{ dbt.type_int() }}) as customers,
        cast(filled.purchasing_customers as {{ dbt.type_int() }}) as purchasing_customers,
        ---------- the month (home currency)
        {% for amount in amounts -%}
        cast(filled.{{ amount }} as decimal(18, 2)) as {{ amount }},
        {% endfor -%}
        {{ share_of('filled.contribution', 'filled.net_sales') }} as contribution_margin,
        ---------- change against the month before and the same month a year before
        -- Null when that month is not a statement month (before the oldest).
        cast(filled.net_sales - prev_month.net_sales as decimal(18, 2))
            as net_sales_change_prev_month,
        cast(filled.contribution - prev_month.contribution as decimal(18, 2))
            as contribution_change_prev_month,
        cast(filled.net_sales - prev_year.net_sales as decimal(18, 2))
            as net_sales_change_prev_year,
        cast(filled.contribution - prev_year.contribution as decimal(18, 2))
            as contribution_change_prev_year

    from filled
    left join filled as prev_month
        on filled.business_id = prev_month.business_id
        and filled.cut = prev_month.cut
        and filled.cut_value = prev_month.cut_value
        and prev_month.month_end_date
        = {{ month_end_before('filled.month_end_date', 1) }}
    left join filled as prev_year
        on filled.business_id = prev_year.business_id
        and filled.cut = prev_year.cut
        and filled.cut_value = prev_year.cut_value
        and prev_year.month_end_date
        = {{ month_end_before('filled.month_end_date', 12) }}
    left join segment_rules
        on filled.cut = 'segment'
        and filled.cut_value = segment_rules.segment

)

select * from final
