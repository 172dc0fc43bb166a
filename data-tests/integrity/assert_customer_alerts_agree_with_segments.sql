{{ config(meta={"dagster": {"ref": {"name": "customer_alerts"}}}) }}
{#-
    Every alert states what the segment marts say at its two snapshots: at the as-of
    date the customer sheet (segment, previous_segment, TTM sales), at a month end
    segment_history (the segment), and the snapshot before is segment_history's too
    (every snapshot before the as-of date is a month end). Returns the alerts that
    disagree.
-#}
with

alerts as (

    select * from {{ ref('customer_alerts') }}

),

customer_sheet as (

    select * from {{ ref('customer_sheet') }}

),

segment_history as (

    select * from {{ ref('segment_history') }}

)

select
    alerts.business_id,
    alerts.customer_id,
    alerts.as_of_date

from alerts
-- Joined on the keys alone: the sheet is only compared where alerts.is_current (below).
-- With `and alerts.is_current` in this condition DuckDB 1.5 joined by nested loops (11 s
-- at 10M invoice lines, against under 1 s).
left join customer_sheet
    on alerts.business_id = customer_sheet.business_id
    and alerts.customer_id = customer_sheet.customer_id
left join segment_history as now_history
    on alerts.business_id = now_history.business_id
    and alerts.customer_id = now_history.customer_id
    and alerts.as_of_date = now_history.month_end_date
left join segment_history as before_history
    on alerts.business_id = before_history.business_id
    and alerts.customer_id = before_history.customer_id
    and alerts.previous_as_of_date = before_history.month_end_date
where
    (
        alerts.is_current
        and (
            customer_sheet.customer_id is null
            or alerts.segment <> customer_sheet.segment
            or alerts.ttm_sales <> customer_sheet.ttm_sales
            or coalesce(alerts.previous_segment, '-')
            <> coalesce(customer_sheet.previous_segment, '-')
        )
    )
    or (not alerts.is_current and alerts.segment <> coalesce(now_history.segment, '-'))
    or coalesce(alerts.previous_segment, '-') <> coalesce(before_history.segment, '-')
