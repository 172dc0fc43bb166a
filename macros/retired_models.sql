{#-
    Models the project no longer has, by the schema their tables were built in. dbt does
    not drop the table of a model that was removed or renamed, so a warehouse built by an
    older version would keep it frozen at its last build, beside the current models, for
    a user to read by mistake (and on DuckDB, in the file's size). A retired name is
    never reused: a node of the project (a user's own model too) is never dropped.
-#}
{% macro retired_models() -%}
    {{ return([
        ('intermediate', 'int_snapshot_dates'),
        ('intermediate', 'int_customer_days_ledgered'),
    ]) }}
{%- endmacro %}

{#- Run before every build or run (dbt_project.yml on-run-start): drops each retired
    model's table or view where it still exists. Other commands (test, seed, compile,
    docs) change no model and drop nothing. -#}
{% macro drop_retired_models() -%}
    {%- if execute and flags.WHICH in ('build', 'run') -%}
        {%- set current = [] -%}
        {%- for node in graph.nodes.values() -%}
            {%- do current.append(node.name) -%}
        {%- endfor -%}
        {%- for schema, identifier in retired_models() if identifier not in current -%}
            {%- set relation = adapter.get_relation(
                database=target.database, schema=schema, identifier=identifier
            ) -%}
            {%- if relation is not none -%}
                {%- do log('Dropping ' ~ relation ~ ': the model was retired', info=true) -%}
                {%- do adapter.drop_relation(relation) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
