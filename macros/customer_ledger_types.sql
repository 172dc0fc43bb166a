{#- The SQL type of each measure of the dated ledger (int_customer_days_ledgered) that is
    not DECIMAL(18, 2), the money type: the ledger's columns, and its sums per reading
    point (int_customer_points_ledgered), are cast to these (customer_ledger_sums). -#}
{% macro customer_ledger_types() -%}
    {{ return({
        'service_hours': 'decimal(18, 4)',
        'service_cost_rows': dbt.type_int(),
        'sales_events': dbt.type_int(),
        'purchases': dbt.type_int(),
        'open_start_days': 'decimal(38, 2)',
        'closed_nights_amount': 'decimal(38, 2)',
    }) }}
{%- endmacro %}

{#- The select list that sums the dated ledger's measures per group, each cast back to
    its type in the ledger (customer_ledger_types): the days in
    int_customer_days_ledgered, the days per reading point in
    int_customer_points_ledgered. -#}
{% macro customer_ledger_sums(measures) -%}
    {%- set ledger_types = customer_ledger_types() -%}
    {%- for measure in measures %}
        cast(sum({{ measure }}) as {{ ledger_types.get(measure, 'decimal(18, 2)') }})
            as {{ measure }}{% if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
