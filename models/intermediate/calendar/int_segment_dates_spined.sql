{#-
    The dates a customer's segment needs: the snapshot dates of each business (int_snapshot_dates_spined)
    and the segment_lookback_months month ends before the oldest of them.

    Don't Lose Them and Give Attention depend on what the customer was at the
    segment_lookback_months month ends before each snapshot. The oldest month end of
    segment_history needs month ends older than any snapshot; computing them here, for
    the customer models only, keeps the point-in-time guarantee (a run as of a past month
    end gives what segment_history says for it) at every month end of the history, without
    making every other model compute extra snapshots.
-#}
{%- set months = var('segment_history_months') -%}
{%- set lookback = var('segment_lookback_months') -%}
with

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

this_run as (

    select
        business_id,
        as_of_date

    from snapshot_dates
    where is_current

),

{% if lookback > 0 -%}
months_back as (

    {% for offset in range(months + 1, months + lookback + 1) -%}
    select {{ offset }} as months_back
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

-- The same month ends as int_snapshot_dates_spined's (macros/calendar_periods.sql).
lookback_month_ends as (

    select
        this_run.business_id,
        {{ month_end_before('this_run.as_of_date', 'months_back.months_back') }}
            as as_of_date

    from months_back
    cross join this_run

),
{%- endif %}

final as (

    select
        ---------- keys
        business_id,
        as_of_date,
        ---------- flags
        is_current,
        is_month_end,
        false as is_lookback_only

    from snapshot_dates
    {%- if lookback > 0 %}

    union all

    select
        business_id,
        as_of_date,
        false as is_current,
        true as is_month_end,
        true as is_lookback_only

    from lookback_month_ends
    {%- endif %}

)

select * from final
