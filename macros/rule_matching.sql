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
