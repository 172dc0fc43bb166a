{#-
    Warehouse schemas are exactly raw, staging, intermediate, marts and quarantine, in
    every environment: BI tools and users' own SQL name them directly, so dbt's default
    `<target schema>_<custom schema>` prefixing would break that public interface.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
