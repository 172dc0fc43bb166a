{#-
    The "today" of every as-of computation for one business, as a SQL date expression.
    Set it for every business with `--vars '{as_of_date: 2025-06-30}'`; when the var is
    blank each business has its own: the date its export is stated complete to
    (`export_complete_to`, the businesses file), else the date of its latest non-void
    invoice or sales receipt (`latest_document`), so the same export always gives the
    same answer and one business's mistyped date moves no other business's "today"
    (a business with no sale and no stated date takes the latest of the others).
    Called by int_snapshot_dates_spined only: every other model reads "today" from it.
-#}
{% macro as_of_date(export_complete_to, latest_document) -%}
    {%- set value = var('as_of_date', none) -%}
    {%- if value -%}
        cast('{{ value }}' as date)
    {%- else -%}
        coalesce({{ export_complete_to }}, {{ latest_document }})
    {%- endif -%}
{%- endmacro %}

{#- Where the as-of date of a business came from, in words (the same branches). -#}
{% macro as_of_date_source(export_complete_to) -%}
    {%- set value = var('as_of_date', none) -%}
    {%- if value -%}
        'as_of_date var'
    {%- else -%}
        case
            when {{ export_complete_to }} is not null then 'export_complete_to_date'
            else 'latest document'
        end
    {%- endif -%}
{%- endmacro %}
