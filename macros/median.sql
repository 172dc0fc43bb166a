{#- The median of a numeric expression, as an aggregate: each engine spells it its own way. -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'ledgerlens')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro spark__median(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}
