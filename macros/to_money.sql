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

{#-
    to_money of numerator / divisor, exactly: the cents of the exact quotient, rounded half
    away from zero as to_money rounds. numerator: an exact DECIMAL (or integer)
    expression; divisor: a positive whole number (a literal or an integer column).
    Why not to_money(numerator / divisor): DuckDB divides a DECIMAL as DOUBLE, and a
    quotient on a half cent then rounds either way (at a 10% cost of capital, 346.75
    balance-nights cost exactly 0.095, which DOUBLE made 0.09); PostgreSQL and Spark round
    the quotient to a scale of their choosing first, which can round it onto a half cent.
    How: the quotient is truncated towards zero to thousandths in integer arithmetic,
    trunc(trunc(numerator x 1000) / divisor) (a truncation of a truncation by a whole
    number is the truncation), and rounding that to the cent is rounding the exact
    quotient: the hundredths digit and whether the rest reaches half a cent are decided
    by the thousandths digit and the sign alone. Hand-worked in the dbt unit test
    test_financing_rounds_the_exact_quotient (models/intermediate/profitability).
-#}
{% macro to_money_of_quotient(numerator, divisor) -%}
    {{ return(adapter.dispatch('to_money_of_quotient', 'ledgerlens')(numerator, divisor)) }}
{%- endmacro %}

{#- PostgreSQL: div() is numeric division truncated towards zero, exact. -#}
{% macro default__to_money_of_quotient(numerator, divisor) -%}
    {{ to_money('div((' ~ numerator ~ ') * 1000, ' ~ divisor ~ ') * 0.001') }}
{%- endmacro %}

{#- DuckDB: // is integer division truncated towards zero (on whole numbers: the divisor
    is cast to BIGINT, as // of a decimal divides as a double). On 128 bits, and 1000 as
    DECIMAL(38, 0): DuckDB keeps DECIMAL(18, s) x 1000 at 18 digits and fails on a large
    value. Used where rows are few; the financing cost has its own 64-bit form
    (macros/financing_cost.sql). -#}
{% macro duckdb__to_money_of_quotient(numerator, divisor) -%}
    {{ to_money(
        '(cast(trunc((' ~ numerator ~ ') * cast(1000 as decimal(38, 0))) as hugeint)'
        ~ ' // cast(' ~ divisor ~ ' as bigint)) * 0.001'
    ) }}
{%- endmacro %}

{#- Spark: no truncating division beyond 64 bits, so floor() of the magnitudes; sign()
    would be a DOUBLE. Exact for a numerator of scale 6 or less: Spark keeps that scale
    in DECIMAL(38, s) x 1000, but rounds a larger one to fewer places first. The
    division of two whole numbers is rounded by Spark to six places, which cannot carry
    it past a whole number while the divisor is below 2,000,000 (the distance is at
    least 1 / divisor). -#}
{% macro spark__to_money_of_quotient(numerator, divisor) -%}
    {%- set magnitude = 'floor(abs(' ~ numerator ~ ') * 1000)' -%}
    {{ to_money(
        'case when ' ~ numerator ~ ' < 0 then -1 else 1 end'
        ~ ' * floor(' ~ magnitude ~ ' / (' ~ divisor ~ ')) * 0.001'
    ) }}
{%- endmacro %}
