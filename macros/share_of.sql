{#-
    A part's share of a whole, DECIMAL(18, 6): null when the whole is not positive (a
    share of a loss or of nothing means nothing).
-#}
{% macro share_of(part, whole) -%}
    cast(
        case when {{ whole }} > 0 then {{ part }} / {{ whole }} end as decimal(18, 6)
    )
{%- endmacro %}
