{{ config(meta={"dagster": {"ref": {"name": "sales_rep_scorecard"}}}) }}
{#-
    Every customer is in exactly one rep's book: at every month end, the reps' TTM and
    quarter net sales add up to the sales ledger's over the same 12 and 3 months, to
    the cent (a customer in two books, or in none, would break it).
-#}
with

scorecard as (

    select * from {{ ref('sales_rep_scorecard') }}

),

ledger as (

    select * from {{ ref('int_sales_events_unioned') }}

),

business_months as (

    select
        business_id,
        month_end_date,
        sum(ttm_net_sales) as ttm_net_sales,
        sum(quarter_net_sales) as quarter_net_sales

    from scorecard
    group by business_id, month_end_date

),

windows as (

    select
        business_id,
        month_end_date,
        ttm_net_sales,
        quarter_net_sales,
        cast({{ dbt.dateadd(
            'month', -11, dbt.date_trunc('month', 'month_end_date')
        ) }} as date) as ttm_start_date,
        cast({{ dbt.dateadd(
            'month', -2, dbt.date_trunc('month', 'month_end_date')
        ) }} as date) as quarter_start_date

    from business_months

),

ledger_totals as (

    select
        windows.business_id,
        windows.month_end_date,
        windows.ttm_net_sales,
        windows.quarter_net_sales,
        coalesce(sum(ledger.net_sales_home), 0) as ledger_ttm_net_sales,
        coalesce(sum(
            case
                when ledger.event_date >= windows.quarter_start_date
                    then ledger.net_sales_home
                else 0
            end
        ), 0) as ledger_quarter_net_sales

    from windows
    left join ledger
        on windows.business_id = ledger.business_id
        and ledger.event_date between windows.ttm_start_date and windows.month_end_date
    group by
        windows.business_id,
        windows.month_end_date,
        windows.ttm_net_sales,
        windows.quarter_net_sales

)

select *
from ledger_totals
where ttm_net_sales <> ledger_ttm_net_sales
    or quarter_net_sales <> ledger_quarter_net_sales
