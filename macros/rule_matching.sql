{#-
    The rule tables (seeds/segment_rules.csv, value_class_rules.csv,
    suggested_action_rules.csv) are tried in priority order and the first match wins. A
    model lists every rule each customer matches (`matches`: as_of_date, business_id,
    customer_id, the rule key); this is the body of the CTE that keeps, per customer
    and date, the lowest priority among them. Join it back to the rules on priority.
-#}
{% macro first_matching_priority(matches, rules, rule_key) -%}
    select
        {{ matches }}.as_of_date,
        {{ matches }}.business_id,
        {{ matches }}.customer_id,
        min({{ rules }}.priority) as priority

    from {{ matches }}
    inner join {{ rules }}
        on {{ matches }}.{{ rule_key }} = {{ rules }}.{{ rule_key }}
    group by {{ matches }}.as_of_date, {{ matches }}.business_id, {{ matches }}.customer_id
{%- endmacro %}


{#-
    The body of a `matches` CTE: one row (as_of_date, business_id, customer_id, the rule
    key as `rule_key`) per row of `source` and rule whose condition holds there.
    `conditions` is a list of (key, SQL condition on the columns of `source`), in any
    order. One scan of `source` joined to the keys, not a union of one filtered select
    per rule: Spark inlines a CTE at each reference, so a union of n selects recomputed
    `source` and everything it is made of n times (int_customers_scored's segments read
    their flags 73 times over, int_customers_valued's measures 24 times; DECISIONLOG.md
    2026-12-03). A condition that is null matches no more than a false one does.
-#}
{% macro rows_matching_rules(source, rule_key, conditions) -%}
    select
        {{ source }}.as_of_date,
        {{ source }}.business_id,
        {{ source }}.customer_id,
        rule_keys.matched_key as {{ rule_key }}

    from {{ source }}
    inner join (
        {% for key, _ in conditions -%}
        select '{{ key }}' as matched_key
        {% if not loop.last %}union all
        {% endif %}
        {%- endfor %}
    ) as rule_keys
        on case rule_keys.matched_key
            {% for key, condition in conditions -%}
            when '{{ key }}' then ({{ condition }})
            {% endfor -%}
        end
{%- endmacro %}
