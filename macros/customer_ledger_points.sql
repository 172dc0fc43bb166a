{#- The points at which int_customers_costed reads the dated ledger's running totals,
    one row per business, snapshot date and reading: the snapshot itself ('at'), and the
    ends of the two years before it ('ttm_after', 365 days before; 'prev_ttm_after', 730).
    All time is what is booked up to the snapshot; the TTM (the 365 days ending at it) is
    that minus what is booked up to 365 days before.
    One macro, as int_customer_ledger_facts_unioned dates each fact's point and
    int_customers_costed reads its running totals at the same points.
    snapshot_dates: a relation or CTE with int_snapshot_dates_spined's business_id,
    as_of_date and is_current.
    The latest point must stay the as-of date (no reading after its snapshot):
    int_customer_ledger_months_summed keeps the facts up to the as-of date as those with
    a point (int_customer_ledger_facts_unioned.read_at_date not null). -#}
{% macro customer_ledger_points(snapshot_dates) -%}
    {%- for reading, days_back in customer_ledger_readings() %}
    select
        business_id,
        as_of_date,
        is_current,
        '{{ reading }}' as reading,
        cast({{ dbt.dateadd('day', -days_back, 'as_of_date') }} as date) as point_date

    from {{ snapshot_dates }}
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}
{%- endmacro %}

{#- The readings of customer_ledger_points: name and days before the snapshot. -#}
{% macro customer_ledger_readings() -%}
    {{ return([('at', 0), ('ttm_after', 365), ('prev_ttm_after', 730)]) }}
{%- endmacro %}
