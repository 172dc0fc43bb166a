{#-
    What "today" is for each business, and the dates its history is computed for: the
    as-of date of the run (is_current) and each of the segment_history_months month ends
    before it. The one model that reads the as_of_date var (through the as_of_date()
    macro); every model that needs "today" or the snapshots joins this one on
    business_id.

    Each business has its own as-of date (the var when given, else the date its export
    is stated complete to, else its latest non-void sale), so a mistyped date in one
    business's books cannot move another business's "today".

    Computing history with the same models as today, only with another date, is what
    makes "former Champion" a fact: segment_history at a month end is exactly what a run
    as of that day would have said.
-#}
{%- set months = var('segment_history_months') -%}
with

businesses as (

    select * from {{ ref('stg_businesses') }}

),

invoices as (

    select * from {{ ref('stg_invoices') }}

),

-- Void documents count for nothing, their dates included.
latest_documents as (

    select
        business_id,
        max(invoice_date) as latest_document_date

    from invoices
    where not is_void
    group by business_id

),

own_as_of as (

    select
        businesses.business_id,
        latest_documents.latest_document_date,
        {{ as_of_date(
            'businesses.export_complete_to_date',
            'latest_documents.latest_document_date'
        ) }} as as_of_date,
        {{ as_of_date_source('businesses.export_complete_to_date') }}
            as as_of_date_source

    from businesses
    left join latest_documents
        on businesses.business_id = latest_documents.business_id

),

-- A business with no sale and no stated date has nothing dated of its own: it takes
-- the latest as-of date of the others.
as_of as (

    select
        business_id,
        latest_document_date,
        coalesce(as_of_date, max(as_of_date) over ()) as as_of_date,
        case
            when as_of_date is null then 'other businesses'
            else as_of_date_source
        end as as_of_date_source

    from own_as_of

),

months_back as (

    {% for offset in range(1, months + 1) -%}
    select {{ offset }} as months_back
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

-- The last day of the month `months_back` months before the as-of date's month.
month_ends as (

    select
        as_of.business_id,
        {{ month_end_before('as_of.as_of_date', 'months_back.months_back') }}
            as as_of_date,
        false as is_current

    from months_back
    cross join as_of

),

this_run as (

    select
        business_id,
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
        unioned.business_id,
        unioned.as_of_date,
        ---------- flags
        unioned.is_current,
        unioned.as_of_date
        = cast({{ dbt.last_day('unioned.as_of_date', 'month') }} as date)
            as is_month_end,
        ---------- calendar
        -- The month holding the day after the snapshot is still under way on it: on a
        -- month end that is the next month, otherwise the snapshot's own month. Every
        -- "complete periods only" rule counts up to the month before this one.
        {{ month_number(dbt.dateadd('day', 1, 'unioned.as_of_date')) }}
            as month_under_way_number,
        ---------- where the business's as-of date comes from
        as_of.as_of_date_source,
        as_of.latest_document_date

    from unioned
    inner join as_of
        on unioned.business_id = as_of.business_id
    where unioned.as_of_date is not null

)

select * from final
