{{ config(meta={"dagster": {"ref": {"name": "revenue_retention"}}}) }}
{#-
    No sale is lost or counted twice between periods: for every business and grain,
    the periods follow each other without a gap or an overlap, and their net sales add
    up to the sales ledger's over the same span, to the cent.
-#}
with

retention as (

    select * from {{ ref('revenue_retention') }}

),

ledger as (

    select * from {{ ref('int_sales_events_unioned') }}

),

gaps as (

    select
        business_id,
        period_grain,
        period_end_date,
        'gap or overlap before this period' as problem

    from (
        select
            retention.*,
            lag(period_end_date) over (
                partition by business_id, period_grain order by period_end_date
            ) as previous_end_date
        from retention
    ) as ordered
    where previous_end_date is not null
        and period_start_date <> {{ dbt.dateadd('day', 1, 'previous_end_date') }}

),

spans as (

    select
        business_id,
        period_grain,
        min(period_start_date) as first_date,
        max(period_end_date) as last_date,
        sum(net_sales) as net_sales

    from retention
    group by business_id, period_grain

),

ledger_totals as (

    select
        spans.business_id,
        spans.period_grain,
        spans.last_date as period_end_date,
        spans.net_sales,
        coalesce(sum(ledger.net_sales_home), 0) as ledger_net_sales

    from spans
    left join ledger
        on spans.business_id = ledger.business_id
        and ledger.event_date between spans.first_date and spans.last_date
    group by spans.business_id, spans.period_grain, spans.last_date, spans.net_sales

)

select
    business_id,
    period_grain,
    period_end_date,
    problem
from gaps
union all
select
    business_id,
    period_grain,
    period_end_date,
    'net sales differ from the ledger' as problem
from ledger_totals
where net_sales <> ledger_net_sales
