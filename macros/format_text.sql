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

{% macro format_percent(share) -%}
    {{ dbt.concat([format_whole('(' ~ share ~ ') * 100'), "'%'"]) }}
{%- endmacro %}
