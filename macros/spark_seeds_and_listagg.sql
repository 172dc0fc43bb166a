{#-
    Two dbt-spark 1.11 macros that give wrong results on our project, replaced for Spark.

    Seeds: dbt-spark's session method binds each seed value as '<value>' without escaping,
    so a description with an apostrophe ("Don't Lose Them") is a syntax error. Here every
    value is written as an escaped literal instead (Spark's string literals escape with a
    backslash), cast to the column's type as dbt-spark does.
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set type = column_override.get(
                        col_name, adapter.convert_type(agate_table, loop.index0)
                    ) -%}
                    {%- set value = row[loop.index0] -%}
                    {%- if value is none -%}
                        cast(null as {{ type }})
                    {%- else -%}
                        cast('{{ value | string | replace("\\", "\\\\")
                                 | replace("'", "\\'") }}' as {{ type }})
                    {%- endif -%}
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}

{#-
    listagg: dbt-spark's ignores the order by (it warns, and joins in whatever order
    collect_list met the rows), so open_invoice_risk.top_reasons came out in a different
    order than on DuckDB and PostgreSQL. Spark 4 has listagg ... within group (order by).
-#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
        {{ exceptions.raise_compiler_error("listagg with a limit is not written for Spark") }}
    {%- endif -%}
    listagg({{ measure }}, {{ delimiter_text }})
    {%- if order_by_clause %} within group ({{ order_by_clause }}){% endif %}
{%- endmacro %}
