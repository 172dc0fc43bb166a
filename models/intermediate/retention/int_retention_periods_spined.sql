{#-
    Every complete period of every grain, per business, from the period of the
    business's first sale to the last period that ends on or before the as-of date.
    A period still under way is left out: comparing half a quarter with a whole one
    would show churn that is only the calendar (DECISIONLOG.md).

    `ttm` periods are 365-day windows ending at the as-of date and every 365 days
    before it (period_number 0, -1, -2, ...), at least three of them: the same window
    as customer_sheet.ttm_sales and prev_ttm_sales.

    Each period says how much of it, and of the period before it (the base a
    retention ratio divides by), the data covers: the export starts on the business's
    first document, often in the middle of a period (DECISIONLOG.md).
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

invoices as (

    select * from {{ ref('stg_invoices') }}

),

credit_notes as (

    select * from {{ ref('stg_credit_notes') }}

),

payments as (

    select * from {{ ref('stg_payments') }}

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
        {{ period_end_date('period_number', grain) }} as period_end_date,
        {{ period_start_date('period_number - 1', grain) }} as base_start_date,
        {{ period_end_date('period_number - 1', grain) }} as base_end_date

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
        ) }} as date) as period_end_date,
        cast({{ dbt.dateadd(
            'day',
            '-365 * (counter.generated_number + 1) + 1',
            'as_of.as_of_date'
        ) }} as date) as base_start_date,
        cast({{ dbt.dateadd(
            'day',
            '-365 * counter.generated_number',
            'as_of.as_of_date'
        ) }} as date) as base_end_date

    from first_sales
    inner join as_of
        on first_sales.business_id = as_of.business_id
    cross join counter
    -- Back to the window holding the first sale, and never fewer than three windows.
    where counter.generated_number - 1
        <= cast(floor(first_sales.days_of_history / 365.0) as integer)
        or counter.generated_number <= 3

),

-- Where the business's data starts: its first dated document of any kind (an invoice
-- or sales receipt, void or not, a credit note, a payment). Before that day the books
-- are simply not in the export, which is not the same as no sales.
documents as (

    select
        business_id,
        invoice_date as document_date

    from invoices

    union all

    select
        business_id,
        credit_note_date as document_date

    from credit_notes

    union all

    select
        business_id,
        payment_date as document_date

    from payments

),

data_starts as (

    select
        documents.business_id,
        min(documents.document_date) as data_start_date

    from documents
    inner join as_of
        on documents.business_id = as_of.business_id
    where documents.document_date <= as_of.as_of_date
    group by documents.business_id

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
        unioned.business_id,
        unioned.period_grain,
        cast(unioned.period_number as integer) as period_number,
        ---------- dates
        unioned.period_start_date,
        unioned.period_end_date,
        data_starts.data_start_date,
        ---------- coverage
        {{ data_coverage(
            'unioned.period_start_date',
            'unioned.period_end_date',
            'data_starts.data_start_date'
        ) }} as data_coverage,
        {{ data_coverage(
            'unioned.base_start_date',
            'unioned.base_end_date',
            'data_starts.data_start_date'
        ) }} as base_data_coverage

    from unioned
    inner join data_starts
        on unioned.business_id = data_starts.business_id

)

select * from final
