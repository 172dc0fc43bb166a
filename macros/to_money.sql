{#-
    Round an amount to the cent and keep it DECIMAL(18, 2): the one money type of the
    warehouse. Conversions to home currency round each document line once, as an
    accounting system posts it (see DECISIONLOG.md).
-#}
{% macro to_money(expression) -%}
    {{ return(adapter.dispatch('to_money', 'ledgerlens')(expression)) }}
{%- endmacro %}

{% macro default__to_money(expression) -%}
    cast(round({{ expression }}, 2) as decimal(18, 2))
{%- endmacro %}
