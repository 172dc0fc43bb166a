{{ config(meta={"dagster": {"ref": {"name": "cohorts"}}}) }}
{#-
    One word, one sum: `revenue` (net sales of the customers active in the period)
    of all cohorts in a month or quarter equals revenue_retention's revenue for it.
    Every active customer bought in the period, so it is in exactly one cohort
    whose first period is complete. (net_sales need not tie: a credit note dated
    before its customer's first purchase has no cohort.)
-#}
with

cohort_totals as (

    select
        business_id,
        cohort_grain as period_grain,
        period_end_date,
        sum(revenue) as revenue

    from {{ ref('cohorts') }}
    where cohort_grain in ('month', 'quarter')
    group by business_id, cohort_grain, period_end_date

),

retention as (

    select
        business_id,
        period_grain,
        period_end_date,
        revenue

    from {{ ref('revenue_retention') }}
    where period_grain in ('month', 'quarter')

)

select
    retention.business_id,
    retention.period_grain,
    retention.period_end_date,
    retention.revenue,
    cohort_totals.revenue as cohorts_revenue
from retention
left join cohort_totals
    on retention.business_id = cohort_totals.business_id
    and retention.period_grain = cohort_totals.period_grain
    and retention.period_end_date = cohort_totals.period_end_date
where coalesce(cohort_totals.revenue, 0) <> retention.revenue
