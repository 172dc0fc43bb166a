{#-
    What each customer brought in and cost, per snapshot date (int_snapshot_dates_spined:
    the as-of date and the month ends before it) and window: all time, the trailing
    twelve months (the 365 days ending at the snapshot, the customer sheet's TTM) and the
    365 days before those. Sums only; ratios, shares and classes are in
    int_customers_valued.
    Everything is dated: a sale or credit note on its date, cost of goods on its
    invoice's date, a customer cost on its cost date, financing cost on the nights the
    money was outstanding. So a window's figures are what a run as of the snapshot
    would have seen, and windows add up (issue 15's monthly statements rely on it).
    How: the dated ledger (int_customer_ledger_facts_unioned), its running totals, read
    at three points per snapshot (the snapshot, 365 and 730 days before it); a window is
    the difference of two readings. That reads each customer's rows once instead of once
    per snapshot. The facts are first summed per customer up to each reading point (a
    reading needs nothing finer: int_customer_points_ledgered), so the running totals run
    over about a month's rows per customer, not a fact's.
-#}
{%- set measures = customer_ledger_measures(receivable=false) -%}
{#- The receivable's parts as dated amounts (int_customer_ledger_facts_unioned): the
    nights outstanding up to any date d are closed nights + d x open - open x start
    days. -#}
{%- set receivable_measures = [
    'open_amount', 'open_start_days', 'closed_nights_amount'
] -%}
{%- set ledger_measures = measures + receivable_measures -%}
{%- set ledger_columns = measures + ['balance_nights'] -%}
with

businesses as (

    select * from {{ ref('stg_businesses') }}

),

customers as (

    select * from {{ ref('stg_customers') }}

),

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

-- The ledger is read at three points per snapshot: the snapshot itself, and the ends of
-- the two years before it. All time is what is booked up to the snapshot; the TTM (the
-- 365 days ending at it) is that minus what is booked up to 365 days before.
points as (

    {{ customer_ledger_points('snapshot_dates') }}

),

-- The dated ledger summed per customer and point (int_customer_points_ledgered).
facts as (

    select * from {{ ref('int_customer_points_ledgered') }}

),

-- Running totals per customer, each valid from its point to the day before the next.
cumulative as (

    select
        business_id,
        customer_id,
        read_at_date,
        {{ valid_until('read_at_date', 'business_id, customer_id') }}
            as next_read_at_date,
        -- noqa: disable=LT02
        {% for measure in ledger_measures -%}
        sum({{ measure }}) over (
            partition by business_id, customer_id
            order by read_at_date
            rows between unbounded preceding and current row
        ) as {{ measure }}{% if not loop.last %},{% endif %}
        {% endfor %}

    -- noqa: enable=LT02
    from facts

),

-- The running totals at each reading, side by side: for each snapshot, the row whose
-- validity holds the reading's date. A customer with nothing booked by a reading has no
-- row at it (zero). One with nothing booked by the snapshot has no row at all: it is
-- not on the mart yet (nothing is booked at the readings before it either).
-- One join per reading, each on its own points, not one join with every point whose
-- rows are then split by reading: DuckDB kept that join's 5 million rows and read them
-- three times (this model 9.7-9.9 s against 11.6-12.0 s at 10 million invoice lines,
-- DECISIONLOG.md "2026-12-06 (opening)"). Spark inlines `cumulative` at each of the
-- three reads, as it inlined the one join, `cumulative` and all, at each of its three.
-- Not grouped with a CASE per reading and measure either: that took 8.7 of this
-- model's 16.9 s (DECISIONLOG.md, 2026-12-05 (writing less)).
{% for reading, days_back in customer_ledger_readings() -%}
{{ reading }}_reading as (

    select
        points.business_id,
        points.as_of_date,
        cumulative.customer_id,
        {% for measure in measures -%}
        cumulative.{{ measure }},
        {% endfor -%}
        -- Nights outstanding up to the point, amount-weighted: closed parts' nights, plus
        -- the open parts' nights from their invoice date to the point.
        cumulative.closed_nights_amount
        + {{ day_number('points.point_date') }} * cumulative.open_amount  -- noqa: LT05
        - cumulative.open_start_days as balance_nights

    from cumulative
    inner join points
        on cumulative.business_id = points.business_id
        and cumulative.read_at_date <= points.point_date
        and cumulative.next_read_at_date > points.point_date
    where points.reading = '{{ reading }}'

),

{% endfor -%}
by_window as (

    select
        at_reading.business_id,
        at_reading.as_of_date,
        at_reading.customer_id,
        -- sqlfluff cannot indent SQL inside a Jinja loop in a select list (LT02).
        -- noqa: disable=LT02
        {% for column in ledger_columns -%}
        at_reading.{{ column }},
        at_reading.{{ column }} - coalesce(ttm_after_reading.{{ column }}, 0)
            as ttm_{{ column }},
        coalesce(ttm_after_reading.{{ column }}, 0)
        - coalesce(prev_ttm_after_reading.{{ column }}, 0) as prev_ttm_{{ column }}
        {%- if not loop.last %},{% endif %}
        {% endfor %}

    -- noqa: enable=LT02
    from at_reading
    left join ttm_after_reading
        on at_reading.business_id = ttm_after_reading.business_id
        and at_reading.as_of_date = ttm_after_reading.as_of_date
        and at_reading.customer_id = ttm_after_reading.customer_id
    left join prev_ttm_after_reading
        on at_reading.business_id = prev_ttm_after_reading.business_id
        and at_reading.as_of_date = prev_ttm_after_reading.as_of_date
        and at_reading.customer_id = prev_ttm_after_reading.customer_id

),

final as (

    select
        ---------- keys
        by_window.business_id,
        by_window.customer_id,
        by_window.as_of_date,
        ---------- attributes
        snapshot_dates.is_current,
        customers.customer_name,
        businesses.home_currency,
        ---------- sums per window (all time bare, then ttm_, then prev_ttm_)
        -- A qualifier next to a templated name is invisible to sqlfluff (RF02).
        -- noqa: disable=RF02
        {% for prefix in ['', 'ttm_', 'prev_ttm_'] -%}
        {% for measure in measures -%}
        {% if measure in ('service_cost_rows', 'sales_events') -%}
        cast(by_window.{{ prefix }}{{ measure }} as {{ dbt.type_int() }})
        {%- elif measure == 'service_hours' -%}
        cast(by_window.{{ prefix }}{{ measure }} as decimal(18, 4))
        {%- else -%}
        cast(by_window.{{ prefix }}{{ measure }} as decimal(18, 2))
        {%- endif %} as {{ prefix }}{{ measure }},
        {% endfor -%}
        -- Rounded per customer and window, from the exact quotient: the mart's sums tie
        -- to these to the cent.
        {{ financing_cost('by_window.' ~ prefix ~ 'balance_nights') }}
            as {{ prefix }}financing_cost,
        {% endfor -%}
        -- Owed money in the TTM, even a cent for a night: the receivable is still a cost.
        by_window.ttm_balance_nights > 0 as has_ttm_receivable

    -- noqa: enable=RF02
    from by_window
    inner join snapshot_dates
        on by_window.business_id = snapshot_dates.business_id
        and by_window.as_of_date = snapshot_dates.as_of_date
    inner join businesses
        on by_window.business_id = businesses.business_id
    inner join customers
        on by_window.business_id = customers.business_id
        and by_window.customer_id = customers.customer_id

)

select * from final
