{{ config(meta={"dagster": {"ref": {"name": "segment_summary"}}}) }}
{#- Segment counts and TTM sales add up to the customer sheet, per business. -#}
with

summary as (

    select
        business_id,
        sum(customers) as customers,
        sum(total_ttm_sales) as ttm_sales
    from {{ ref('segment_summary') }}
    group by business_id

),

sheet as (

    select
        business_id,
        count(*) as customers,
        sum(ttm_sales) as ttm_sales
    from {{ ref('customer_sheet') }}
    group by business_id

)

select
    sheet.*,
    summary.customers as summary_customers,
    summary.ttm_sales as summary_ttm
from sheet
left join summary on sheet.business_id = summary.business_id
where summary.customers is null
    or summary.customers <> sheet.customers
    or summary.ttm_sales <> sheet.ttm_sales
