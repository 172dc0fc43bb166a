{#-
    The not-null test of a model's required columns, all of them in one query: one row
    per column that holds nulls, with how many (`column_name`, `null_rows`); none when
    every listed column is filled.

    Why one test per model and not dbt's `not_null` per column: each data test is a node
    of its own, and on a small business's books a node's cost is dbt's and Dagster's
    (compiling it, running the test materialization, logging and recording the result;
    about 50 ms of dbt's CPU each), not the query's. 237 column tests were two thirds of
    the 373 data tests of every run; as 60 model tests, a run of the hand-made books took
    0.879 of the CPU (median of 5 pairs, 47.5 against 54.6 CPU-s, 2026-12-03). In one
    pass per model the database also reads each table once instead of once per column.
    The failing rows name the columns, so a failure says as much as the column tests did
    (`dbt test --select not_null_<model> --store-failures` keeps them). Portable:
    count(column) skips nulls on every engine.
-#}
{% test not_null_columns(model, column_names) %}

with

null_counts as (

    select
        {%- for column in column_names %}
        count(*) - count({{ column }}) as null_rows_{{ loop.index }}
        {{- "," if not loop.last }}
        {%- endfor %}

    from {{ model }}

)

{% for column in column_names -%}
select
    '{{ column }}' as column_name,
    null_rows_{{ loop.index }} as null_rows
from null_counts
where null_rows_{{ loop.index }} > 0
{% if not loop.last %}
union all
{% endif %}
{%- endfor %}

{% endtest %}
