{#-
    What "today" is, and the dates history is computed for: the as-of date of the run
    (is_current) and each of the segment_history_months month ends before it. The one
    model that reads the as_of_date var (through the as_of_date() macro); every model
    that needs "today" or the snapshots selects from this one.

    Computing history with the same models as today, only with another date, is what
    makes "former Champion" a fact: segment_history at a month end is exactly what a run
    as of that day would have said.
-#}
{%- set months = var('segment_history_months') -%}
with

as_of as (

    select {{ as_of_date() }} as as_of_date

),

months_back as (

    {% for offset in range(1, months + 1) -%}
    select {{ offset }} as months_back
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

-- The last day of the month `months_back` months before the as-of date's month: the
-- first day of the month after it, minus one day.
month_ends as (

    select
        cast(
            {{ dbt.dateadd(
                'day',
                -1,
                dbt.dateadd(
                    'month',
                    '1 - months_back.months_back',
                    dbt.date_trunc('month', 'as_of.as_of_date')
                )
            ) }} as date
        ) as as_of_date,
        false as is_current

    from months_back
    cross join as_of

),

this_run as (

    select
        as_of_date,
        true as is_current

    from as_of

),

unioned as (

    select * from this_run
    union all
    select * from month_ends

),

final as (

    select
        ---------- keys
        as_of_date,
        ---------- flags
        is_current,
        as_of_date = cast({{ dbt.last_day('as_of_date', 'month') }} as date)
            as is_month_end,
        ---------- calendar
        -- The month holding the day after the snapshot is still under way on it: on a
        -- month end that is the next month, otherwise the snapshot's own month. Every
        -- "complete periods only" rule counts up to the month before this one.
        {{ month_number(dbt.dateadd('day', 1, 'as_of_date')) }}
            as month_under_way_number

    from unioned

)

select * from final
