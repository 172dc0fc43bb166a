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

{#-
    to_money for an exact DECIMAL expression whose scale is `scale` at most and whose type
    is 128-bit (DECIMAL wider than 18 digits, as a product of three decimals is): the same
    cents. DuckDB rounds a 128-bit decimal by a 128-bit division, which was most of the
    cost of converting invoice lines' costs (2.8 of 3.3 s at 10 million lines; DECISIONLOG.md,
    2026-12-05 (writing less)). A value below 10^(18 - scale) fits DECIMAL(18, scale)
    exactly, and rounds there on 64 bits; a larger one rounds as before. The caller must
    pass the expression's own scale or more: a smaller one would round twice.
-#}
{% macro to_money_of_wide_decimal(expression, scale) -%}
    {{ return(adapter.dispatch('to_money_of_wide_decimal', 'ledgerlens')(expression, scale)) }}
{%- endmacro %}

{% macro default__to_money_of_wide_decimal(expression, scale) -%}
    {{ to_money(expression) }}
{%- endmacro %}

{% macro duckdb__to_money_of_wide_decimal(expression, scale) -%}
    cast(
        case
            when abs({{ expression }}) < {{ 10 ** (18 - scale) }}
                then round(cast({{ expression }} as decimal(18, {{ scale }})), 2)
            else round({{ expression }}, 2)
        end as decimal(18, 2)
    )
{%- endmacro %}
