{#-
    What each customer bought up to each snapshot date, read from running totals rather
    than by joining every sales event to every later snapshot date: at 10 million invoice
    lines that join made 66 million rows in each of int_customers_rhythm_measured and
    int_customers_summarized (DECISIONLOG.md, 2026-12-05 (readings)). The same method as
    int_customers_costed's: the sales are summed per customer and reading point (each
    snapshot date, and 365 and 730 days before it: customer_ledger_points), running
    totals run over those sums, and each snapshot's figures are the running totals read
    at its three points; a window is the difference of two readings.

    Emits CTE definitions for a model's WITH, each followed by a comma, named
    `<name>_...`; the last is `name` itself: one row per business, snapshot date and
    customer with a sales event (a sale or a credit note) on or before the date:
    - as_of_date, business_id, customer_id
    - net_sales (all time), ttm_net_sales (the 365 days ending at the date),
      prev_ttm_net_sales (the 365 days before those): sums of net_sales_home
    - purchases, purchases_ttm, purchases_prev_ttm: sales documents in each
    - purchase_days: the distinct dates with a sales document, all time
    - first_purchase_date, last_purchase_date: of the sales documents up to the date
    - recency_weighted_ltv: net sales with each day's weight halving every
      recency_weight_half_life_days days of age at the date, to nine decimal places
      (DECIMAL(38, 9); the weights are doubles)
    sales_events: a relation or CTE with int_sales_events_unioned's business_id,
    customer_id, event_date, is_purchase and net_sales_home. snapshot_dates: one with
    business_id, as_of_date and is_current (int_segment_dates_spined). One model
    computes these rows, int_customers_rhythm_measured, and keeps what
    int_customers_summarized reads: the two models took 8.7-8.9 s that way against
    9.8-10.0 s with a copy of the running totals each, at 10 million invoice lines
    (DECISIONLOG.md, 2026-12-06 (opening)).

    The recency weight of a day is 0.5 ^ (age / half-life), which does not split over a
    running total as a sum does: it is 0.5 ^ ((first point - day) / half-life), summed in
    the running total, times 0.5 ^ ((snapshot - first point) / half-life) at the reading,
    the first point being the business's oldest. Both powers stay within a double while
    the points span fewer than 1,000 half-lives; a half-life too short for the history
    is refused when the models compile.
-#}
{% macro customer_sales_readings(name, sales_events, snapshot_dates) -%}
{%- set half_life = var('recency_weight_half_life_days') -%}
{#- The points' span: the oldest snapshot (segment_history_months and
    segment_lookback_months month ends before the as-of date) less 730 days, to the as-of
    date. -#}
{%- set span_days = 730 + 31 * (
    var('segment_history_months') + var('segment_lookback_months') + 1
) -%}
{%- if half_life * 1000 < span_days -%}
    {{ exceptions.raise_compiler_error(
        'recency_weight_half_life_days is ' ~ half_life ~ ': it must be at least '
        ~ span_days ~ ' / 1000 days, a thousandth of the history the snapshots read '
        ~ '(segment_history_months, segment_lookback_months and two years), so that '
        ~ 'recency weights stay within a double'
    ) }}
{%- endif -%}
{{ name }}_points as (

    {{ customer_ledger_points(snapshot_dates) }}

),

{{ name }}_point_dates as (

    select distinct
        business_id,
        point_date

    from {{ name }}_points

),

{{ name }}_first_points as (

    select
        business_id,
        min(point_date) as first_point_date

    from {{ name }}_point_dates
    group by business_id

),

-- One row per customer and day with a sales event.
{{ name }}_days as (

    select
        business_id,
        customer_id,
        event_date,
        sum(net_sales_home) as net_sales,
        sum(case when is_purchase then 1 else 0 end) as purchases

    from {{ sales_events }}
    group by business_id, customer_id, event_date

),

-- Each date with a sales event, with the first point on or after it, where its sales
-- are first read. Dates after a business's last point are never read: no row.
{{ name }}_dates_pointed as (

    select
        event_dates.business_id,
        event_dates.event_date,
        min(point_dates.point_date) as read_at_date

    from (
        select distinct
            business_id,
            event_date

        from {{ name }}_days
    ) as event_dates
    inner join {{ name }}_point_dates as point_dates
        on event_dates.business_id = point_dates.business_id
        and event_dates.event_date <= point_dates.point_date
    group by event_dates.business_id, event_dates.event_date

),

-- The days summed per customer and point.
{{ name }}_sums as (

    select
        days.business_id,
        days.customer_id,
        dates_pointed.read_at_date,
        first_points.first_point_date,
        sum(days.net_sales) as net_sales,
        sum(days.purchases) as purchases,
        sum(case when days.purchases > 0 then 1 else 0 end) as purchase_days,
        min(case when days.purchases > 0 then days.event_date end) as first_purchase_date,
        max(case when days.purchases > 0 then days.event_date end) as last_purchase_date,
        sum(
            days.net_sales * power(
                0.5,
                {{ dbt.datediff('days.event_date', 'first_points.first_point_date', 'day') }}
                / {{ half_life }}.0
            )
        ) as weighted_net_sales

    from {{ name }}_days as days
    inner join {{ name }}_dates_pointed as dates_pointed
        on days.business_id = dates_pointed.business_id
        and days.event_date = dates_pointed.event_date
    inner join {{ name }}_first_points as first_points
        on days.business_id = first_points.business_id
    group by
        days.business_id,
        days.customer_id,
        dates_pointed.read_at_date,
        first_points.first_point_date

),

-- Running totals per customer, each valid from its point to the day before the next.
{{ name }}_running as (

    select
        business_id,
        customer_id,
        read_at_date,
        first_point_date,
        {{ valid_until('read_at_date', 'business_id, customer_id') }}
            as next_read_at_date,
        -- noqa: disable=LT02
        {% for measure in ['net_sales', 'purchases', 'purchase_days', 'weighted_net_sales'] -%}
        sum({{ measure }}) over (
            partition by business_id, customer_id
            order by read_at_date
            rows between unbounded preceding and current row
        ) as {{ measure }},
        {% endfor -%}
        -- noqa: enable=LT02
        min(first_purchase_date) over (
            partition by business_id, customer_id
            order by read_at_date
            rows between unbounded preceding and current row
        ) as first_purchase_date,
        max(last_purchase_date) over (
            partition by business_id, customer_id
            order by read_at_date
            rows between unbounded preceding and current row
        ) as last_purchase_date

    from {{ name }}_sums

),

-- The running totals at each reading: for each snapshot, the row whose validity holds
-- the reading's date. A customer with no sales event by a reading has no row at it.
-- One join per reading, each on its own points, not one join with every point split by
-- reading afterwards: DuckDB kept that join's rows and read them three times
-- (int_customers_costed reads its ledger the same way; DECISIONLOG.md "2026-12-06
-- (opening)"). Spark inlines `running` at each of the three reads, as it inlined the
-- one join, `running` and all, at each of its three.
{% for reading, days_back in customer_ledger_readings() -%}
{{ name }}_{{ reading }} as (

    select
        points.business_id,
        points.as_of_date,
        running.customer_id,
        running.first_point_date,
        running.net_sales,
        running.purchases,
        running.purchase_days,
        running.weighted_net_sales,
        running.first_purchase_date,
        running.last_purchase_date

    from {{ name }}_running as running
    inner join {{ name }}_points as points
        on running.business_id = points.business_id
        and running.read_at_date <= points.point_date
        and running.next_read_at_date > points.point_date
    where points.reading = '{{ reading }}'

),

{% endfor -%}
{{ name }} as (

    select
        at_date.as_of_date,
        at_date.business_id,
        at_date.customer_id,
        at_date.net_sales,
        at_date.net_sales - coalesce(ttm_after.net_sales, 0) as ttm_net_sales,
        coalesce(ttm_after.net_sales, 0) - coalesce(prev_ttm_after.net_sales, 0)
            as prev_ttm_net_sales,
        at_date.purchases,
        at_date.purchases - coalesce(ttm_after.purchases, 0) as purchases_ttm,
        coalesce(ttm_after.purchases, 0) - coalesce(prev_ttm_after.purchases, 0)
            as purchases_prev_ttm,
        at_date.purchase_days,
        at_date.first_purchase_date,
        at_date.last_purchase_date,
        -- To nine places: a sale exactly one half-life old weighs 0.5 exactly, and one
        -- of 2,092.43 then 1,046.215, half a cent; the product of the two powers is a
        -- double a few units in its last place off (1,046.2149999...), which rounded
        -- down. Nine places take that error off while it is below 5e-10, and keep the
        -- half cent: up to about a million (one unit in the last place is 1.2e-10
        -- there). Above, an exact half cent can still round down.
        cast(
            at_date.weighted_net_sales * power(
                0.5,
                {{ dbt.datediff('at_date.first_point_date', 'at_date.as_of_date', 'day') }}
                / {{ half_life }}.0
            ) as decimal(38, 9)
        ) as recency_weighted_ltv

    from {{ name }}_at as at_date
    left join {{ name }}_ttm_after as ttm_after
        on at_date.business_id = ttm_after.business_id
        and at_date.as_of_date = ttm_after.as_of_date
        and at_date.customer_id = ttm_after.customer_id
    left join {{ name }}_prev_ttm_after as prev_ttm_after
        on at_date.business_id = prev_ttm_after.business_id
        and at_date.as_of_date = prev_ttm_after.as_of_date
        and at_date.customer_id = prev_ttm_after.customer_id

),
{%- endmacro %}
