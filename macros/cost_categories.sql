{#-
    The categories of customer costs (the contract's customer_costs.category), in the
    order the models list them: acquisition first, then the service categories, whose
    sum is a customer's cost to serve. One list for every model that spells a column
    per category, so a new category is added here once.
-#}
{% macro service_cost_categories() -%}
    {{ return(['onboarding', 'support', 'delivery', 'rework', 'reimbursement', 'other']) }}
{%- endmacro %}


{% macro customer_cost_categories() -%}
    {{ return(['acquisition'] + service_cost_categories()) }}
{%- endmacro %}
