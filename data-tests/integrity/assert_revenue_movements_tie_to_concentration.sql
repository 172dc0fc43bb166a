{{ config(meta={"dagster": {"ref": {"name": "revenue_movements"}}}) }}
{#-
    Two marts, one TTM revenue: at every month end the revenue base of
    revenue_movements equals concentration's ttm_revenue, and the month's
    revenue_change adds up to the change in it since the month end before.
-#}
with

movements as (

    select
        business_id,
        month_end_date,
        sum(case when ttm_revenue > 0 then ttm_revenue else 0 end) as ttm_revenue,
        sum(revenue_change) as revenue_change

    from {{ ref('revenue_movements') }}
    group by business_id, month_end_date

),

concentration as (

    select
        business_id,
        month_end_date,
        ttm_revenue,
        ttm_revenue - coalesce(lag(ttm_revenue) over (
            partition by business_id order by month_end_date
        ), 0) as ttm_revenue_change

    from {{ ref('concentration') }}

)

select
    concentration.*,
    movements.ttm_revenue as movements_ttm_revenue,
    movements.revenue_change as movements_revenue_change
from concentration
left join movements
    on concentration.business_id = movements.business_id
    and concentration.month_end_date = movements.month_end_date
where coalesce(movements.ttm_revenue, 0) <> concentration.ttm_revenue
    or coalesce(movements.revenue_change, 0) <> concentration.ttm_revenue_change
