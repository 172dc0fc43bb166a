{#- The SQL type of each measure of the dated ledger (int_customer_days_ledgered) that is
    not DECIMAL(18, 2), the money type: the ledger's columns, and the sums per reading
    point that int_customers_costed makes from them, are cast to these. -#}
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
