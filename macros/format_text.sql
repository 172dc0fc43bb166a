{#-
    Numbers in the words of a reason or an action ("top 6% of contribution", "41200
    USD"): rounded and cast to text the same way on every engine. No thousands
    separators: those differ by locale, and the figure sits next to the column it
    comes from.
-#}
{% macro format_whole(expression) -%}
    {{ dbt.cast('cast(round(' ~ expression ~ ', 0) as ' ~ dbt.type_bigint() ~ ')',
                dbt.type_string()) }}
{%- endmacro %}

{#- A share as a percent with one decimal ("0.3%", "12.5%"): small shares of a large
    business are the point of an effort share, and would all read 0%. -#}
{% macro format_percent(share) -%}
    {{ dbt.concat([
        dbt.cast('cast(round((' ~ share ~ ') * 100, 1) as decimal(18, 1))',
                 dbt.type_string()),
        "'%'",
    ]) }}
{%- endmacro %}

{#- An amount in words: whole units from 100 up ("41200"), cents below, so a loss of
    0.01 is not written as 0. -#}
{% macro format_amount(expression) -%}
    case
        when abs({{ expression }}) >= 100 then {{ format_whole(expression) }}
        else {{ dbt.cast('cast(round(' ~ expression ~ ', 2) as decimal(18, 2))',
                         dbt.type_string()) }}
    end
{%- endmacro %}

{#- Money in the words of a reason as the run summary prints it: thousands separated by
    commas, two decimals ("68,894.42", "-0.50"). The separators are fixed characters, not
    the engine's locale, so every engine writes the same text; exact on decimal(18, 2)
    (no float on the way). -#}
{% macro format_money(expression) -%}
    {{ return(adapter.dispatch('format_money', 'ledgerlens')(expression)) }}
{%- endmacro %}

{% macro default__format_money(expression) -%}
    {#- PostgreSQL: "," in a to_char pattern is the literal comma (G is the locale's). -#}
    to_char(cast({{ expression }} as decimal(18, 2)), 'FM999,999,999,999,999,990.00')
{%- endmacro %}

{% macro duckdb__format_money(expression) -%}
    (case when cast({{ expression }} as decimal(18, 2)) < 0 then '-' else '' end
        || format('{:,}', cast(floor(abs(cast({{ expression }} as decimal(18, 2))))
            as bigint))
        || '.'
        || lpad(cast(cast(
            (abs(cast({{ expression }} as decimal(18, 2))) % 1) * 100 as integer
        ) as varchar), 2, '0'))
{%- endmacro %}

{% macro spark__format_money(expression) -%}
    format_number(cast({{ expression }} as decimal(18, 2)), 2)
{%- endmacro %}

{#- A count with its noun, singular for 1 ("1 day", "3 days"); the count must be a
    whole number. -#}
{% macro format_count(expression, singular, plural) -%}
    {{ dbt.cast(expression, dbt.type_string()) }}
    || case when {{ expression }} = 1 then ' {{ singular }}' else ' {{ plural }}' end
{%- endmacro %}
