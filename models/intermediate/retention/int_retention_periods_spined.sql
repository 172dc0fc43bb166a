{#-
    Every complete period of every grain, per business, from the period of the
    business's first sale to the last period that ends on or before the as-of date.
    A period still under way is left out: comparing half a quarter with a whole one
    would show churn that is only the calendar (DECISIONLOG.md).

    `ttm` periods are 365-day windows ending at the as-of date and every 365 days
    before it (period_number 0, -1, -2, ...), at least three of them: the same window
    as customer_sheet.ttm_sales and prev_ttm_sales.
-#}
with

businesses as (

    select * from {{ ref('stg_businesses') }}

),

customer_months as (

    select * from {{ ref('int_customer_months_summed') }}

),

sales_events as (

    select * from {{ ref('int_sales_events_unioned') }}

),

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

as_of as (

    select
        business_id,
        as_of_date,
        month_under_way_number

    from snapshot_dates
    where is_current

),

counter as (

    {{ period_counter() }}

),

first_months as (

    select
        business_id,
        min(month_number) as first_month_number

    from customer_months
    group by business_id

),

{% for grain in calendar_grains() %}
{{ grain.name }}_periods as (

    select
        first_months.business_id,
        '{{ grain.name }}' as period_grain,
        {{ period_number('first_months.first_month_number', grain) }}
        + counter.generated_number - 1 as period_number,
        businesses.fiscal_year_start_month

    from first_months
    inner join businesses
        on first_months.business_id = businesses.business_id
    inner join as_of
        on first_months.business_id = as_of.business_id
    cross join counter
    -- The last complete period is the one before the period holding the month under
    -- way at the as-of date.
    where {{ period_number('first_months.first_month_number', grain) }}
        + counter.generated_number - 1
        <= {{ period_number('as_of.month_under_way_number', grain) }} - 1

),

{{ grain.name }}_dated as (

    select
        business_id,
        period_grain,
        period_number,
        {{ period_start_date('period_number', grain) }} as period_start_date,
        {{ period_end_date('period_number', grain) }} as period_end_date

    from {{ grain.name }}_periods

),

{% endfor %}
first_sales as (

    select
        sales_events.business_id,
        max({{ dbt.datediff('sales_events.event_date', 'as_of.as_of_date', 'day') }})
            as days_of_history

    from sales_events
    inner join as_of
        on sales_events.business_id = as_of.business_id
    where sales_events.event_date <= as_of.as_of_date
    group by sales_events.business_id

),

ttm_dated as (

    select
        first_sales.business_id,
        'ttm' as period_grain,
        1 - counter.generated_number as period_number,
        cast({{ dbt.dateadd(
            'day',
            '-365 * counter.generated_number + 1',
            'as_of.as_of_date'
        ) }} as date) as period_start_date,
        cast({{ dbt.dateadd(
            'day',
            '-365 * (counter.generated_number - 1)',
            'as_of.as_of_date'
        ) }} as date) as period_end_date

    from first_sales
    inner join as_of
        on first_sales.business_id = as_of.business_id
    cross join counter
    -- Back to the window holding the first sale, and never fewer than three windows.
    where counter.generated_number - 1
        <= cast(floor(first_sales.days_of_history / 365.0) as integer)
        or counter.generated_number <= 3

),

unioned as (

    {% for grain in calendar_grains() %}
    select * from {{ grain.name }}_dated
    union all
    {% endfor %}
    select * from ttm_dated

),

final as (

    select
        ---------- keys
        business_id,
        period_grain,
        cast(period_number as integer) as period_number,
        ---------- dates
        period_start_date,
        period_end_date

    from unioned

)

select * from final
