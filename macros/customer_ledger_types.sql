{#- The SQL type of each measure of the dated ledger (int_customer_ledger_facts_unioned)
    that is not DECIMAL(18, 2), the money type: its sums per reading point
    (int_customer_points_ledgered) and per month (int_customer_ledger_months_summed) are
    cast to these (customer_ledger_sums). -#}
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
    its type (customer_ledger_types): the facts per reading point in
    int_customer_points_ledgered, per month in int_customer_ledger_months_summed. -#}
{% macro customer_ledger_sums(measures) -%}
    {%- set ledger_types = customer_ledger_types() -%}
    {%- for measure in measures %}
        cast(sum({{ measure }}) as {{ ledger_types.get(measure, 'decimal(18, 2)') }})
            as {{ measure }}{% if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- The dated ledger's measures, in the ledger's column order: the flows, purchases
    (only int_customer_ledger_facts_unioned keeps them: the monthly statements count
    them), a cost per customer-cost category, then the receivable's parts unless
    `receivable` is false. One list for int_customer_ledger_facts_unioned,
    int_customer_points_ledgered and int_customers_costed. -#}
{% macro customer_ledger_measures(purchases=false, receivable=true) -%}
    {%- set measures = [
        'net_sales', 'line_sales', 'unknown_cost_sales', 'known_cost_sales',
        'cost_of_goods', 'discounts', 'credit_notes', 'service_hours', 'service_cost_rows',
        'sales_events',
    ] -%}
    {%- if purchases -%}{%- do measures.append('purchases') -%}{%- endif -%}
    {%- for category in customer_cost_categories() -%}
    {%- do measures.append(category ~ '_cost') -%}
    {%- endfor -%}
    {%- if receivable -%}
    {%- do measures.extend(['open_amount', 'open_start_days', 'closed_nights_amount']) -%}
    {%- endif -%}
    {{ return(measures) }}
{%- endmacro %}
