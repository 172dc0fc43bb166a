{#-
    The "today" of every as-of computation, as a SQL date expression.
    Set it with `--vars '{as_of_date: 2025-06-30}'`; when it is blank the latest invoice
    date in the data is used, so the same export always gives the same answer.
-#}
{% macro as_of_date() -%}
    {%- set value = var('as_of_date', none) -%}
    {%- if value -%}
        cast('{{ value }}' as date)
    {%- else -%}
        (select max(invoice_date) from {{ ref('stg_invoices') }})
    {%- endif -%}
{%- endmacro %}
