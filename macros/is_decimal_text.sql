{#-
    True when a text value reads as a plain decimal number (at most 16 digits before
    the point and 6 after, optional minus sign): safe to cast without an error on every
    warehouse, where dbt.safe_cast is a plain cast on PostgreSQL.
-#}
{% macro is_decimal_text(expression) -%}
    {{ return(adapter.dispatch('is_decimal_text', 'ledgerlens')(expression)) }}
{%- endmacro %}

{% macro default__is_decimal_text(expression) -%}
    (trim({{ expression }}) ~ '^-?[0-9]{1,16}([.][0-9]{0,6})?$')
{%- endmacro %}

{% macro duckdb__is_decimal_text(expression) -%}
    regexp_full_match(trim({{ expression }}), '-?[0-9]{1,16}([.][0-9]{0,6})?')
{%- endmacro %}

{% macro spark__is_decimal_text(expression) -%}
    (trim({{ expression }}) rlike '^-?[0-9]{1,16}([.][0-9]{0,6})?$')
{%- endmacro %}
