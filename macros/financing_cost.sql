{#-
    The financing cost of amount-weighted nights outstanding: balance_nights x
    cost_of_capital_rate / 365, to the cent from the exact quotient, rounded half away
    from zero (to_money_of_quotient). balance_nights: an expression of amount x nights,
    at scale 2 at most (amounts are cents, nights whole). One macro, so that
    int_customers_costed, int_customer_months_ledgered and
    int_customer_months_contributed compute it alike and agree to the cent.
    The rate is the var's digits to ten places, as DECIMAL(38, 10) took it before.
-#}
{% macro financing_cost(balance_nights) -%}
    {{ return(adapter.dispatch('financing_cost', 'ledgerlens')(balance_nights)) }}
{%- endmacro %}

{#- The rate to ten places, as text: the same digits on every engine. -#}
{% macro cost_of_capital_rate_text() -%}
    {{ return('%.10f' | format(var('cost_of_capital_rate') | float)) }}
{%- endmacro %}

{% macro default__financing_cost(balance_nights) -%}
    {{ to_money_of_quotient(
        '(' ~ balance_nights ~ ') * cast(' ~ cost_of_capital_rate_text()
        ~ ' as decimal(38, 10))',
        365
    ) }}
{%- endmacro %}

{#- DuckDB: in 64-bit integers where they hold. The generic form divides a 128-bit
    decimal per value (trunc() of balance x rate at scale 12): 2.7 s per 6M values,
    against 0.1 s here and 1.2 s for the DOUBLE division it replaced
    (DECISIONLOG.md, 2026-12-05 (exact quotients)). With the rate as a fraction
    numerator / denominator in lowest terms, the thousandths truncated are
    trunc(cents x numerator x 10 / (denominator x 365)), an integer division, and the
    cents the thousandths rounded as to_money_of_quotient rounds them. The balance in
    cents comes from a DECIMAL(15, 2) x 100 (DECIMAL(18, 2): no division); a balance of
    10^13 or more, or one whose product would pass 9 x 10^18, takes the generic form. -#}
{% macro duckdb__financing_cost(balance_nights) -%}
    {%- set digits = cost_of_capital_rate_text().split('.') -%}
    {%- set fraction = namespace(
        numerator=(digits[0] ~ digits[1]) | int, denominator=10 ** (digits[1] | length)
    ) -%}
    {%- for factor in [2] * 40 + [5] * 20 -%}
        {%- if fraction.numerator % factor == 0 and fraction.denominator % factor == 0 -%}
            {%- set fraction.numerator = fraction.numerator // factor -%}
            {%- set fraction.denominator = fraction.denominator // factor -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set multiplier = fraction.numerator * 10 -%}
    {%- set divisor = fraction.denominator * 365 -%}
    {#- the largest balance in money units whose cents x multiplier stays below 9e18 -#}
    {%- set limit = [10 ** 13, (9 * 10 ** 18) // ([multiplier, 1] | max) // 100] | min -%}
    case
        when abs({{ balance_nights }}) < {{ limit }}
            then cast(
                round(
                    cast(
                        (
                            cast(
                                cast({{ balance_nights }} as decimal(15, 2))
                                * cast(100 as decimal(3, 0)) as bigint
                            ) * {{ multiplier }}
                        ) // {{ divisor }} as decimal(15, 0)
                    ) * cast(0.001 as decimal(3, 3)),
                    2
                ) as decimal(18, 2)
            )
        else {{ default__financing_cost(balance_nights) }}
    end
{%- endmacro %}
