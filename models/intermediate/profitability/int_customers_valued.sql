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
{#- The rules' conditions, by the seeds' rule keys (macros/rule_matching.sql). -#}
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
{%- set class_conditions = [
    ('unprofitable',
     'is_active and ttm_contribution < ' ~ var('unprofitable_max_contribution')),
    ('key_account', key_account),
    ('core', 'true'),
] %}
{#- protect: pays well, T score 4-5 (the segments' timeliness bounds), or nothing paid
    on credit yet. -#}
{%- set protect %}
    value_class = 'key_account'
    and (t_score is null or t_score >= 4)
    and ttm_effort_share is not null
    and ttm_contribution_share is not null
    and ttm_effort_share
    <= ttm_contribution_share * {{ var('protect_max_effort_ratio') }}
{%- endset %}
{%- set action_conditions = [
    ('tighten_terms',
     "value_class = 'unprofitable' and ttm_contribution + ttm_financing_cost >= 0"),
    ('improve_or_exit',
     "value_class = 'unprofitable' and prev_ttm_contribution < 0"),
    ('reprice', "value_class = 'unprofitable'"),
    ('protect', protect),
    ('maintain', 'true'),
] %}

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

-- Each rule's priority in its seed, one row per seed.
class_priorities as (

    {{ rule_priorities('value_class_rules', 'value_class', class_conditions) }}

),

action_priorities as (

    {{ rule_priorities('action_rules', 'suggested_action_code', action_conditions) }}

),

-- The priority of the first class in value_class_rules that the customer matches, a
-- column of its own before the join: joined on the expression itself, DuckDB 1.5 planned
-- a cross product and a filter (this model 4.5 s at 10 million invoice lines, 2.9 s
-- joined on the column; DECISIONLOG.md, 2026-12-05 (writing less)).
class_matched as (

    select
        measured.*,
        {{ first_matching_priority(class_conditions, 'class_priorities') }}
            as value_class_priority

    from measured
    cross join class_priorities

),

classed as (

    select
        class_matched.*,
        value_class_rules.value_class

    from class_matched
    inner join value_class_rules
        on class_matched.value_class_priority = value_class_rules.priority

),

-- The priority of the first action in suggested_action_rules that the customer matches.
action_matched as (

    select
        classed.*,
        {{ first_matching_priority(action_conditions, 'action_priorities') }}
            as suggested_action_priority

    from classed
    cross join action_priorities

),

actioned as (

    select
        action_matched.*,
        action_rules.suggested_action_code,
        case
            when
                action_matched.value_class = 'unprofitable'
                and action_matched.ttm_net_sales > 0
                then -action_matched.ttm_contribution / action_matched.ttm_net_sales
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

    from action_matched
    inner join action_rules
        on action_matched.suggested_action_priority = action_rules.priority

)

select * from actioned
