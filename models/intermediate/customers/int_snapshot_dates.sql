{#-
    The dates every customer fact, score and segment is computed for: the as-of date and
    each of the segment_history_months month ends before it. Computing history with the
    same models as today, only with another date, is what makes "former Champion" a fact:
    segment_history at a month end is exactly what a run as of that day would have said.
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
        false as is_current,
        true as is_month_end

    from months_back
    cross join as_of

),

this_run as (

    select
        as_of_date,
        true as is_current,
        as_of_date = cast({{ dbt.last_day('as_of_date', 'month') }} as date) as is_month_end

    from as_of

),

final as (

    select * from this_run
    union all
    select * from month_ends

)

select * from final
