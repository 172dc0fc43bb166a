{#-
    Incremental nights (DECISIONLOG.md "Nightly runs that do only the new work").

    The run driver (orchestration/assets/dbt.py, ledgerlens.incremental) compares each
    business's loaded rows with the fingerprints the warehouse holds and writes the
    businesses whose books changed into raw.changed_businesses. When that makes a night
    incremental it passes the var `ledgerlens_night: incremental`, and on DuckDB the
    intermediate and mart models are then incremental (dbt_project.yml): each one deletes
    the changed businesses' rows (the pre-hook below) and appends them recomputed,
    because every model is keyed by business_id and computes a business's rows from that
    business's rows only. Without the var (a full night, `dbt build` by hand) the models
    are full tables: a hand-run build never narrows to the last night's businesses.

    The models' SQL is not edited for this: `ref` below narrows every model it reads to
    the changed businesses, inside an incremental build only. The list is read from the
    warehouse when the model runs and rendered as constants, so DuckDB pushes it down
    into the scans of the views and tables read, and dbt's parse does not change from
    night to night (a var holding the list would re-parse the project every night).

    The data tests narrow the same way on such a night, when every relation a test reads
    keeps the unchanged businesses' rows as the last published run left them
    (`holds_unchanged_rows`): the raw tables (the fingerprints say their rows are the
    same), the incremental models, and views built on those alone. Those rows passed the
    same test under the same project then (a changed project is a full night, and a run
    publishes only when every test passed), and a test's verdict on a business depends on
    that business's rows alone: every key, relationship and tie-out is keyed by
    business_id (tests/test_incremental.py checks the keys). A test that reads a full
    table or a seed checks every row.

    The marts on the Python models' scores (dbt's second step) are full tables unless
    the models rescored the changed businesses alone this night (every business has
    models of its own: orchestration.assets.scores); then the run driver passes the var
    to that step too, and the scores (sources `risk` and `clv`) are read narrowed like
    the models' refs, in the marts and in their tests.
-#}

{#- The changed businesses as a SQL list of constants (read when the model runs). Read
    once per dbt invocation and kept in `graph`, the one mapping every node's context
    shares: the run driver writes the table before dbt starts and nothing changes it
    during the build, and a query per ref (about 1,000 a night) cost dbt's round trip
    each. -#}
{% macro changed_businesses_list() -%}
    {%- if not execute -%}
        {{- 'null' -}}
    {%- else -%}
        {%- if '_ledgerlens_changed_businesses' not in graph -%}
            {%- set names = [] -%}
            {%- set rows = run_query(
                "select business_id from raw.changed_businesses order by business_id"
            ) -%}
            {%- for row in rows -%}
                {%- do names.append("'" ~ (row[0] | replace("'", "''")) ~ "'") -%}
            {%- endfor -%}
            {#- A night with no changed business still builds: an empty list is no SQL. -#}
            {%- do graph.update(
                {'_ledgerlens_changed_businesses': names | join(', ') if names else 'null'}
            ) -%}
        {%- endif -%}
        {{- graph['_ledgerlens_changed_businesses'] -}}
    {%- endif -%}
{%- endmacro %}

{#- True when the run driver builds this night incrementally (DuckDB only). -#}
{% macro is_incremental_night() -%}
    {%- do return(target.type == 'duckdb' and var('ledgerlens_night') == 'incremental') -%}
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
    {%- set builds = builds_changed_businesses() -%}
    {#- Seeds (segment rules, scenarios) are not keyed by business: read whole. -#}
    {%- if (builds or tests_changed_businesses()) and not is_seed(relation.identifier) -%}
        {%- do return(changed_businesses_of(relation, or_none=not builds)) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{#- A relation's rows of the changed businesses. `or_none` (tests): also rows without a
    business_id, which no business's rows hold and a model must not make: a not-null
    test must still see one. -#}
{% macro changed_businesses_of(relation, or_none=false) -%}
    {#- No alias of its own: models write `from {{ ref('x') }} as events`, and a subquery
        without one is valid where incremental models build (DuckDB). -#}
    {%- do return(
        '(select * from ' ~ relation ~ ' where business_id in ('
        ~ changed_businesses_list() ~ ')' ~ (' or business_id is null' if or_none else '')
        ~ ')'
    ) -%}
{%- endmacro %}

{#- Every source, narrowed to the changed businesses in a test that narrows, and in an
    incremental build (the marts on the Python models' scores read those directly; the
    other models read the raw sources through the staging views, which are narrowed
    where they are read). -#}
{% macro source(source_name, table_name) -%}
    {%- set relation = builtins.source(source_name, table_name) -%}
    {%- set builds = builds_changed_businesses() -%}
    {%- if builds or tests_changed_businesses() -%}
        {%- do return(changed_businesses_of(relation, or_none=not builds)) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{#- True while a data test checks only the changed businesses' rows: on an incremental
    night, for a test all of whose relations hold the unchanged businesses' rows as the
    last published run left them. -#}
{% macro tests_changed_businesses() -%}
    {%- if not (execute and model is mapping and model.get('resource_type') == 'test'
                and is_incremental_night()) -%}
        {%- do return(false) -%}
    {%- endif -%}
    {%- do return(all_hold_unchanged_rows(model.depends_on.nodes)) -%}
{%- endmacro %}

{#- Whether every one of these nodes (at least one) holds the unchanged businesses' rows
    as the last published run left them. -#}
{% macro all_hold_unchanged_rows(unique_ids) -%}
    {%- for unique_id in unique_ids -%}
        {%- if not holds_unchanged_rows(unique_id) -%}
            {%- do return(false) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do return(unique_ids | length > 0) -%}
{%- endmacro %}

{#- Whether a node's rows of the unchanged businesses are the last published run's: a raw
    source (same fingerprints), the Python models' scores (sources `risk` and `clv`: dbt
    reads them with this var only after they rescored the changed businesses alone,
    orchestration.assets.dbt), an incremental model, or a view on such nodes only. -#}
{% macro holds_unchanged_rows(unique_id) -%}
    {%- if unique_id in graph.sources -%}
        {%- do return(graph.sources[unique_id].source_name in ('raw', 'risk', 'clv')) -%}
    {%- endif -%}
    {%- set node = graph.nodes.get(unique_id) -%}
    {%- if node is none or node.resource_type != 'model' -%}
        {%- do return(false) -%}
    {%- endif -%}
    {%- if node.config.materialized == 'incremental' -%}
        {%- do return(true) -%}
    {%- endif -%}
    {%- if node.config.materialized in ('view', 'ephemeral') -%}
        {%- do return(all_hold_unchanged_rows(node.depends_on.nodes)) -%}
    {%- endif -%}
    {%- do return(false) -%}
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
