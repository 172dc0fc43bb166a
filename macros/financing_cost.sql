{#-
    The financing cost of amount-weighted nights outstanding: balance_nights x
    cost_of_capital_rate / 365, to the cent from the exact quotient, rounded half away
    from zero (to_money_of_quotient). balance_nights: an expression of amount x nights,
    at scale 2 at most (amounts are cents, nights whole). One macro, so that
    int_customers_costed, int_customer_months_ledgered and
    int_customer_months_contributed compute it alike and agree to the cent.
    The rate is the var's digits to ten places at most.
-#}
{% macro financing_cost(balance_nights) -%}
    {{ return(adapter.dispatch('financing_cost', 'ledgerlens')(balance_nights)) }}
{%- endmacro %}

{#- The rate as text, to ten places without trailing zeros ('0.08'): the same digits on
    every engine, and the smallest scale (the product's scale is the balance's plus the
    rate's, which Spark keeps only up to 6). -#}
{% macro cost_of_capital_rate_text() -%}
    {%- set text = '%.10f' | format(var('cost_of_capital_rate') | float) -%}
    {%- set text = text.rstrip('0') -%}
    {{ return(text ~ '0' if text.endswith('.') else text) }}
{%- endmacro %}

{#- The rate as a fraction in lowest terms, and the 64-bit form's constants: the
    thousandths truncated are trunc(cents x multiplier / divisor), multiplier = numerator
    x 10 and divisor = denominator x 365; limit: the largest balance (money units) whose
    cents x multiplier stays below 9 x 10^18, and below 10^13. -#}
{% macro financing_cost_constants() -%}
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
    {%- set limit = [10 ** 13, (9 * 10 ** 18) // ([multiplier | abs, 1] | max) // 100] | min -%}
    {{ return({
        'multiplier': multiplier, 'divisor': fraction.denominator * 365, 'limit': limit
    }) }}
{%- endmacro %}

{#- PostgreSQL: the generic form, exact there (div() on numeric). -#}
{% macro default__financing_cost(balance_nights) -%}
    {%- set rate_text = cost_of_capital_rate_text() -%}
    {{ to_money_of_quotient(
        '(' ~ balance_nights ~ ') * cast(' ~ rate_text ~ ' as decimal(38, '
        ~ rate_text.split('.')[1] | length ~ '))',
        365
    ) }}
{%- endmacro %}

{#- The 64-bit form, for the engines whose integer division truncates towards zero:
    the thousandths are (cents x multiplier) <division> divisor, rounded to the cent as
    to_money_of_quotient rounds them. cents: the engine's exact BIGINT of the balance in
    cents; division: its integer division operator. A balance of 10^13 or more, or one
    whose product would pass 9 x 10^18, takes the generic form. -#}
{% macro financing_cost_on_64_bits(balance_nights, cents, division) -%}
    {%- set constants = financing_cost_constants() -%}
    case
        when abs({{ balance_nights }}) < {{ constants.limit }}
            then cast(
                round(
                    cast(
                        ({{ cents }} * {{ constants.multiplier }})
                        {{ division }} {{ constants.divisor }} as decimal(15, 0)
                    ) * cast(0.001 as decimal(3, 3)),
                    2
                ) as decimal(18, 2)
            )
        else {{ default__financing_cost(balance_nights) }}
    end
{%- endmacro %}

{#- DuckDB: the generic form divides a 128-bit decimal per value (trunc() of balance x
    rate at scale 12): 2.7 s per 6M values, against 0.1 s on 64 bits and 1.2 s for the
    DOUBLE division it replaced (DECISIONLOG.md, 2026-12-05 (exact quotients)). The
    cents come from a DECIMAL(15, 2) x 100 (DECIMAL(18, 2): no division). -#}
{% macro duckdb__financing_cost(balance_nights) -%}
    {{ financing_cost_on_64_bits(
        balance_nights,
        'cast(cast(' ~ balance_nights ~ ' as decimal(15, 2))'
        ~ ' * cast(100 as decimal(3, 0)) as bigint)',
        '//'
    ) }}
{%- endmacro %}

{#- Spark: `div` is long division truncated towards zero. Spark rounds a
    DECIMAL(38, 2) x DECIMAL(38, 10) product to 6 places, so the generic form is exact
    there only for a rate of four places or fewer. -#}
{% macro spark__financing_cost(balance_nights) -%}
    {{ financing_cost_on_64_bits(
        balance_nights, 'cast((' ~ balance_nights ~ ') * 100 as bigint)', 'div'
    ) }}
{%- endmacro %}
