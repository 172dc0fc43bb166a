{#-
    Each customer's value class and suggested action at each snapshot date, from its
    figures in int_customers_measured. The rules are tried in the order of
    seeds/value_class_rules.csv and seeds/suggested_action_rules.csv (first match wins);
    their thresholds are dbt vars, their words are written from the vars by
    src/ledgerlens/value_rules.py.
    Classes are decided on the trailing twelve months: what the customer earns and costs
    now.
-#}
{%- set service_categories = service_cost_categories() -%}

with

measured as (

    select * from {{ ref('int_customers_measured') }}

),

value_class_rules as (

    select * from {{ ref('value_class_rules') }}

),

action_rules as (

    select * from {{ ref('suggested_action_rules') }}

),

-- Every class a customer matches; the first in value_class_rules wins.
{%- set key_account %}
    is_active
    and (
        is_key_by_own_contribution
        or (
            ttm_contribution >= 0
            and referral_chain_ttm_contribution > 0
            and ttm_contribution + referral_chain_ttm_contribution >= key_cut_off
        )
    )
{%- endset %}
class_matches as (

    {{ rows_matching_rules('measured', 'value_class', [
        ('unprofitable',
         'is_active and ttm_contribution < ' ~ var('unprofitable_max_contribution')),
        ('key_account', key_account),
        ('core', 'true'),
    ]) }}

),

class_first_match as (

    {{ first_matching_priority('class_matches', 'value_class_rules', 'value_class') }}

),

classed as (

    select
        measured.*,
        value_class_rules.value_class

    from measured
    inner join class_first_match
        on measured.business_id = class_first_match.business_id
        and measured.as_of_date = class_first_match.as_of_date
        and measured.customer_id = class_first_match.customer_id
    inner join value_class_rules
        on class_first_match.priority = value_class_rules.priority

),

-- protect: pays well, T score 4-5 (the segments' timeliness bounds), or nothing paid
-- on credit yet.
{%- set protect %}
    value_class = 'key_account'
    and (t_score is null or t_score >= 4)
    and ttm_effort_share is not null
    and ttm_contribution_share is not null
    and ttm_effort_share
    <= ttm_contribution_share * {{ var('protect_max_effort_ratio') }}
{%- endset %}
action_matches as (

    {{ rows_matching_rules('classed', 'suggested_action_code', [
        ('tighten_terms',
         "value_class = 'unprofitable' and ttm_contribution + ttm_financing_cost >= 0"),
        ('improve_or_exit',
         "value_class = 'unprofitable' and prev_ttm_contribution < 0"),
        ('reprice', "value_class = 'unprofitable'"),
        ('protect', protect),
        ('maintain', 'true'),
    ]) }}

),

action_first_match as (

    {{ first_matching_priority(
        'action_matches', 'action_rules', 'suggested_action_code'
    ) }}

),

actioned as (

    select
        classed.*,
        action_rules.suggested_action_code,
        case
            when classed.value_class = 'unprofitable' and classed.ttm_net_sales > 0
                then -classed.ttm_contribution / classed.ttm_net_sales
        end as break_even_surcharge_pct,
        -- The non-acquisition category whose cost rose most against the prior year
        -- (on a tie, the first in service_categories).
        case
            {% for category in service_categories -%}
            {%- set rise = 'ttm_' ~ category ~ '_cost'
                ~ ' - prev_ttm_' ~ category ~ '_cost' -%}
            when {{ rise }} > 0
                {% for other in service_categories if other != category -%}
                {%- set other_rise = 'ttm_' ~ other ~ '_cost'
                    ~ ' - prev_ttm_' ~ other ~ '_cost' -%}
                {%- set earlier = service_categories.index(other)
                    < service_categories.index(category) -%}
                and {{ rise }} {{ '>' if earlier else '>=' }} {{ other_rise }}
                {% endfor -%}
                then '{{ category }}'
            {% endfor -%}
        end as rising_cost_category

    from classed
    inner join action_first_match
        on classed.business_id = action_first_match.business_id
        and classed.as_of_date = action_first_match.as_of_date
        and classed.customer_id = action_first_match.customer_id
    inner join action_rules
        on action_first_match.priority = action_rules.priority

)

select * from actioned
