{#-
    Incremental nights (DECISIONLOG.md "Nightly runs that do only the new work").

    The run driver (orchestration/assets/dbt.py, ledgerlens.incremental) compares each
    business's loaded rows with the fingerprints the warehouse holds and writes the
    businesses whose books changed into raw.changed_businesses. On DuckDB the
    intermediate and mart models are incremental (dbt_project.yml): on a night that is
    not a full refresh, each one deletes the changed businesses' rows (the pre-hook
    below) and appends them recomputed, because every model is keyed by business_id and
    computes a business's rows from that business's rows only.

    The models' SQL is not edited for this: `ref` below narrows every model it reads to
    the changed businesses, inside an incremental build only. The list is read from the
    warehouse when the model runs and rendered as constants, so DuckDB pushes it down
    into the scans of the views and tables read, and dbt's parse does not change from
    night to night (a var would re-parse the project every night).
-#}

{#- The changed businesses as a SQL list of constants (read when the model runs). -#}
{% macro changed_businesses_list() -%}
    {%- set names = [] -%}
    {%- if execute -%}
        {%- set rows = run_query(
            "select business_id from raw.changed_businesses order by business_id"
        ) -%}
        {%- for row in rows -%}
            {%- do names.append("'" ~ (row[0] | replace("'", "''")) ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
    {#- A night with no changed business still builds: an empty list is no SQL. -#}
    {{- names | join(', ') if names else 'null' -}}
{%- endmacro %}

{#- True while an incremental model builds only the changed businesses. -#}
{% macro builds_changed_businesses() -%}
    {%- do return(
        execute
        and model is mapping
        and model.get('resource_type') == 'model'
        and config.get('materialized') == 'incremental'
        and is_incremental()
    ) -%}
{%- endmacro %}

{#- Every ref, narrowed to the changed businesses inside an incremental build. -#}
{% macro ref() -%}
    {%- set version = kwargs.get('version') or kwargs.get('v') -%}
    {%- if (varargs | length) == 1 -%}
        {%- set relation = builtins.ref(varargs[0], version=version) -%}
    {%- else -%}
        {%- set relation = builtins.ref(varargs[0], varargs[1], version=version) -%}
    {%- endif -%}
    {#- Seeds (segment rules, scenarios) are not keyed by business: read whole. -#}
    {%- if builds_changed_businesses() and not is_seed(relation.identifier) -%}
        {#- No alias of its own: models write `from {{ ref('x') }} as events`, and a
            subquery without one is valid where incremental models build (DuckDB). -#}
        {%- do return(
            '(select * from ' ~ relation ~ ' where business_id in ('
            ~ changed_businesses_list() ~ '))'
        ) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{% macro is_seed(name) -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'seed' and node.alias == name -%}
            {%- do return(true) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do return(false) -%}
{%- endmacro %}

{#- Pre-hook: the changed businesses' old rows go before their new rows are appended
    (also the rows of a business that now has none in this model). -#}
{% macro delete_changed_businesses() -%}
    {%- if builds_changed_businesses() -%}
        delete from {{ this }}
        where business_id in ({{ changed_businesses_list() }})
    {%- endif -%}
{%- endmacro %}
