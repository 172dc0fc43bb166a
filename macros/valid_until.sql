{#-
    The date a running total read in date order stops being valid: the next row's date
    in the partition, or 9999-12-31 for the last row. For a join that reads each total at
    the dates it covers (`row.date <= d and valid_until > d`): a null for the last row
    would need `or valid_until is null`, and DuckDB 1.5 joined that OR as candidates
    to filter (71M rows for int_customers_summarized's 5M readings at 10 million
    invoice lines; DECISIONLOG.md, 2026-12-05 (readings)).
-#}
{% macro valid_until(order_by, partition_by) -%}
    coalesce(lead({{ order_by }}) over (
        partition by {{ partition_by }} order by {{ order_by }}
    ), cast('9999-12-31' as date))
{%- endmacro %}
