{#-
    The rule tables (seeds/segment_rules.csv, value_class_rules.csv,
    suggested_action_rules.csv) are tried in priority order and the first match wins.
    A model cross joins its rows to one row of each rule's priority
    (`rule_priorities`), and joins the rule table on the lowest priority among the rules
    the row matches (`first_matching_priority`):

        from measured
        cross join class_priorities
        inner join value_class_rules
            on value_class_rules.priority = {{ first_matching_priority(
                conditions, 'class_priorities') }}

    One pass over the rows, each CTE read once: no row per rule and customer, no
    group-by, and no join back to the rows on their key. The join back made DuckDB
    materialise the model's wide rows and read them twice (int_customers_valued spilled
    2.5 GB at 10 million invoice lines; DECISIONLOG.md 2026-12-05 (evening)), and Spark
    inlines a CTE at each reference, so reading one twice recomputes it.
    The order still comes from the seed at run time: reorder its priorities and the
    first match changes with no change to the SQL.
    Where the rows are many, compute the priority as a column first and join on that
    column: joined on the expression itself, DuckDB 1.5 planned a cross product and a
    filter (int_customers_valued, 4.5 against 2.9 s at 10 million invoice lines).
-#}

{#-
    The body of a CTE of one row: for the key of each of `conditions` (as passed to
    `first_matching_priority`), the lowest priority of the rows of `rules` with that key
    (null if the seed has none), as `priority_of_<key>`.
-#}
{% macro rule_priorities(rules, rule_key, conditions) -%}
    select
        {% for key, _ in conditions -%}
        min(case when {{ rule_key }} = '{{ key }}' then priority end)
            as priority_of_{{ key }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from {{ rules }}
{%- endmacro %}


{#-
    SQL for the lowest priority (in `priorities`, a `rule_priorities` CTE) among the
    rules whose condition holds on the row, null when none does. `conditions` is a list
    of (key, SQL condition on the row's columns), in any order. A condition that is
    null matches no more than a false one does. least() skips nulls on DuckDB,
    PostgreSQL and Spark alike (Spark's needs two arguments or more).
-#}
{% macro first_matching_priority(conditions, priorities) -%}
    {%- set cases = [] -%}
    {%- for key, condition in conditions -%}
    {%- do cases.append(
        'case when (' ~ condition ~ ') then ' ~ priorities ~ '.priority_of_' ~ key ~ ' end'
    ) -%}
    {%- endfor -%}
    {%- if cases | length == 1 -%}
    {{ cases[0] }}
    {%- else -%}
    least(
        {{ cases | join(',\n        ') }}
    )
    {%- endif -%}
{%- endmacro %}
