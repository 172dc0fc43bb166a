{#-
    The dated ledger (int_customer_days_ledgered) summed per customer and reading point:
    one row per business, customer and point at which int_customers_costed reads the
    ledger's running totals (each snapshot date of int_snapshot_dates_spined, and 365 and
    730 days before it: customer_ledger_points). A day's facts are summed into the first
    point on or after it (those before the first point into the first; those after the
    last are never read), so the running totals run over about a month's rows per
    customer, not a day's.
    A table of its own, not a CTE of int_customers_costed: DuckDB sums on 64-bit states
    only when it can bound rows x the largest value, which it cannot for a sum's output,
    so the running totals over this sum ran on 128-bit states inside one query. Read
    from a table they run on 64 bits: at 10 million invoice lines the two models took
    5.0 + 10.6 s against 19.4 s for the one (DECISIONLOG.md, "2026-12-05 (night) The
    dated ledger's sums on 64 bits").
-#}
{%- set ledger_measures = customer_ledger_measures() -%}
{#- The days from the first reading point to the last: the oldest snapshot's oldest
    reading to the as-of date (int_snapshot_dates_spined: segment_history_months month
    ends before the as-of date). -#}
{%- set oldest_reading = customer_ledger_readings() | map(attribute=1) | max -%}
{%- set days_spanned = oldest_reading + 31 * (var('segment_history_months') + 1) + 1 -%}
with

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

points as (

    {{ customer_ledger_points('snapshot_dates') }}

),

-- The dated ledger, one row per customer and day (int_customer_days_ledgered).
days as (

    select * from {{ ref('int_customer_days_ledgered') }}

),

counter as (

    {{ period_counter(upper_bound=days_spanned) }}

),

point_dates as (

    select distinct
        business_id,
        point_date

    from points

),

point_bounds as (

    select
        business_id,
        min(point_date) as first_point_date,
        max(point_date) as last_point_date

    from point_dates
    group by business_id

),

-- Each day from a business's first reading point to its last, with the first point on or
-- after it: the point a fact of that day is first read at.
day_points as (

    select
        days_spanned.business_id,
        days_spanned.day_date,
        min(point_dates.point_date) as point_date

    from (
        select
            point_bounds.business_id,
            cast(
                {{ dbt.dateadd(
                    'day', 'counter.generated_number - 1', 'point_bounds.first_point_date'
                ) }} as date
            ) as day_date

        from point_bounds
        cross join counter
        where counter.generated_number - 1 <= {{ dbt.datediff(
            'point_bounds.first_point_date', 'point_bounds.last_point_date', 'day'
        ) }}
    ) as days_spanned
    inner join point_dates
        on days_spanned.business_id = point_dates.business_id
        and days_spanned.day_date <= point_dates.point_date
    group by days_spanned.business_id, days_spanned.day_date

),

-- Each day of the ledger with the point it is first read at: those before the first
-- point at the first; those after the last are never read.
days_pointed as (

    select
        days.*,
        case
            when days.fact_date < point_bounds.first_point_date
                then point_bounds.first_point_date
            else day_points.point_date
        end as read_at_date

    from days
    inner join point_bounds
        on days.business_id = point_bounds.business_id
    left join day_points
        on days.business_id = day_points.business_id
        and days.fact_date = day_points.day_date
    where days.fact_date <= point_bounds.last_point_date

),

-- The ledger summed per customer and point, in the ledger's own narrow types like the
-- days.
facts as (

    select
        business_id,
        customer_id,
        read_at_date,
        {{ customer_ledger_sums(ledger_measures) }}

    from days_pointed
    group by business_id, customer_id, read_at_date

)

select * from facts
