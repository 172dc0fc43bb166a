{#-
    The "today" of every as-of computation, as a SQL date expression.
    Set it with `--vars '{as_of_date: 2025-06-30}'`; when it is blank the latest invoice
    date in the data is used, so the same export always gives the same answer.
    The ref is rendered either way (in a comment when the var is set) so that the model's
    dependencies, and so the build order, do not change with the var.
    Called by int_snapshot_dates_spined only: every other model reads "today" from it.
-#}
{% macro as_of_date() -%}
    {%- set value = var('as_of_date', none) -%}
    {%- if value -%}
        /* {{ ref('stg_invoices') }} */ cast('{{ value }}' as date)
    {%- else -%}
        (select max(invoice_date) from {{ ref('stg_invoices') }})
    {%- endif -%}
{%- endmacro %}
