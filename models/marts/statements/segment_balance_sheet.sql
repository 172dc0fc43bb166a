{#-
    Each customer segment's balance sheet at each statement month end: the customers'
    receivables and expected value (assets), the credit they hold, their expected cost to
    serve and the acquisition spend they have not yet earned back (liabilities), and the
    difference, customer equity. Sums of marts.customer_statement, whose every row
    balances, so every row here balances to the cent. What each line means in accounting
    terms: DECISIONLOG.md "Customer accounting".
-#}
{%- set amounts = [
    'accounts_receivable', 'customer_value', 'total_assets', 'customer_credit',
    'expected_cost_to_serve', 'unearned_acquisition_investment', 'total_liabilities',
    'customer_equity',
] -%}
with

statements as (

    select * from {{ ref('customer_statement') }}

),

segment_rules as (

    select * from {{ ref('segment_rules') }}

),

by_segment as (

    select
        business_id,
        month_end_date,
        segment,
        count(*) as customers,
        -- sqlfluff cannot indent SQL inside a Jinja loop in a select list (LT02).
        -- noqa: disable=LT02
        {% for amount in amounts -%}
        sum({{ amount }}) as {{ amount }}{% if not loop.last %},{% endif %}
        {% endfor %}
    -- noqa: enable=LT02
    from statements
    group by business_id, month_end_date, segment

),

final as (

    select
        ---------- keys
        by_segment.business_id,
        by_segment.month_end_date,
        by_segment.segment,
        ---------- attributes
        cast(segment_rules.priority as {{ dbt.type_int() }}) as segment_priority,
        cast(by_segment.customers as {{ dbt.type_int() }}) as customers,
        ---------- the month end (home currency)
        {% for amount in amounts -%}
        cast(by_segment.{{ amount }} as decimal(18, 2)) as {{ amount }}
        {%- if not loop.last %},{% endif %}
        {% endfor %}
    from by_segment
    left join segment_rules
        on by_segment.segment = segment_rules.segment

)

select * from final
