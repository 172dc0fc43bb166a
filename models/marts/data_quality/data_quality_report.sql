{#-
    What the loader rejected, per business, file and rule: how many rows and how much
    money. Built from the quarantine tables, which keep every rejected row as read, so
    the business id and amounts are the text of the file. The tables come from the
    contract (macros/contract_tables.sql is generated from it).
-#}
with

{% for table in contract_tables() %}
{{ table.name }}_rejected as (

    select
        coalesce(nullif(trim(business_id), ''), '(blank)') as business_id,
        '{{ table.name }}' as table_name,
        rule,
        source_file,
        source_row,
        detail,
        -- sqlfluff cannot indent SQL inside a Jinja if in a select list (LT02).
        -- noqa: disable=LT02
        {% if table.amount_column %}
        '{{ table.amount_column }}' as amount_column,
        case when {{ is_decimal_text(table.amount_column) }}
            then cast(trim({{ table.amount_column }}) as decimal(28, 6))
        end as amount,
        case when {{ is_decimal_text(table.amount_column) }}
            then 0 else 1
        end as is_amount_unreadable
        {% else %}
        cast(null as {{ dbt.type_string() }}) as amount_column,
        cast(null as decimal(28, 6)) as amount,
        0 as is_amount_unreadable
        {% endif %}

    -- noqa: enable=LT02
    from {{ source('quarantine', table.name) }}

),

{% endfor %}
unioned as (

    {% for table in contract_tables() %}
    select * from {{ table.name }}_rejected
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        ---------- keys
        business_id,
        table_name,
        rule,
        ---------- counts
        cast(count(*) as integer) as rows_quarantined,
        cast(sum(is_amount_unreadable) as integer) as rows_with_unreadable_amount,
        ---------- amounts
        max(amount_column) as amount_column,
        cast(coalesce(sum(amount), 0) as decimal(28, 6)) as amount_quarantined,
        ---------- where to look
        min(source_file) as source_file,
        cast(min(source_row) as integer) as first_source_row,
        min(detail) as example_detail

    from unioned
    group by business_id, table_name, rule

)

select * from final
