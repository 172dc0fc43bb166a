{#- The average of values kept as a running sum and a running count (of the values that
    are not null), as avg() would give over the values themselves: null for no value;
    on DuckDB and Spark a double (their avg() of integers divides as doubles), on
    PostgreSQL a numeric (its avg() divides numerics). For int_customers_timeliness_measured,
    which reads averages at snapshot dates from running totals rather than from a
    window of avg(). -#}
{% macro average_of_sums(total, count) -%}
    {{ return(adapter.dispatch('average_of_sums', 'ledgerlens')(total, count)) }}
{%- endmacro %}

{% macro default__average_of_sums(total, count) -%}
    ({{ total }}) / nullif({{ count }}, 0)
{%- endmacro %}

{% macro postgres__average_of_sums(total, count) -%}
    cast({{ total }} as numeric) / nullif({{ count }}, 0)
{%- endmacro %}
