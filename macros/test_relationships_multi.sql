{#-
    Composite-key relationships: every row's `columns` match a row of `to` on
    `to_columns` (defaults to the same names). Rows whose columns are all null are not
    checked, so an optional link (an untied credit note) passes.
-#}
{% test relationships_multi(model, columns, to, to_columns=none) %}

{%- set parent_columns = to_columns or columns -%}

with

children as (

    select {{ columns | join(', ') }}
    from {{ model }}
    where {% for column in columns -%}
        {{ column }} is not null{% if not loop.last %} and {% endif %}
    {%- endfor %}

),

parents as (

    select {{ parent_columns | join(', ') }}
    from {{ to }}

)

select children.*
from children
left join parents
    on {% for column in columns -%}
        children.{{ column }} = parents.{{ parent_columns[loop.index0] }}
        {%- if not loop.last %} and {% endif %}
    {%- endfor %}
where parents.{{ parent_columns[0] }} is null

{% endtest %}
