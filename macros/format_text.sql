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
