{#-
    dbt's cast() for Spark, where the mart contracts' `varchar` (DuckDB's and PostgreSQL's
    unbounded text) is a parse error: Spark 4's varchar needs a length, and its unbounded
    text type is `string`. dbt casts every contracted column with cast() (a null of each
    declared type, to compare the model's columns with its contract), so the contracts keep
    one spelling for every engine. Any other type is passed through as dbt-spark would.
-#}
{% macro spark__cast(field, type) -%}
    {%- if type | trim | lower in ('varchar', 'text') -%}
        cast({{ field }} as string)
    {%- else -%}
        cast({{ field }} as {{ type }})
    {%- endif -%}
{%- endmacro %}
