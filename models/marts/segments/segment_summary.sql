with

customer_sheet as (

    select * from {{ ref('customer_sheet') }}

),

segment_rules as (

    select * from {{ ref('segment_rules') }}

),

segment_totals as (

    select
        business_id,
        segment,
        count(*) as customers,
        avg(ltv) as avg_ltv,
        avg(purchases) as avg_purchases,
        sum(ttm_sales) as total_ttm_sales,
        -- over the segment's customers with a paid credit invoice
        avg(avg_days_to_pay) as avg_days_to_pay

    from customer_sheet
    group by business_id, segment

),

business_totals as (

    select
        business_id,
        max(home_currency) as home_currency,
        sum(ttm_sales) as business_ttm_sales

    from customer_sheet
    group by business_id

),

final as (

    select
        ---------- keys
        segment_totals.business_id,
        segment_totals.segment,
        cast(segment_rules.priority as integer) as segment_priority,
        ---------- counts
        cast(segment_totals.customers as integer) as customers,
        cast(segment_totals.avg_purchases as decimal(18, 1)) as avg_purchases,
        ---------- amounts
        business_totals.home_currency,
        {{ to_money('segment_totals.avg_ltv') }} as avg_ltv,
        cast(segment_totals.total_ttm_sales as decimal(18, 2)) as total_ttm_sales,
        cast(
            case
                when business_totals.business_ttm_sales > 0
                    then segment_totals.total_ttm_sales
                        / business_totals.business_ttm_sales
            end as decimal(18, 6)
        ) as share_of_ttm_sales,
        ---------- payment
        cast(segment_totals.avg_days_to_pay as decimal(18, 1)) as avg_days_to_pay

    from segment_totals
    inner join business_totals
        on segment_totals.business_id = business_totals.business_id
    inner join segment_rules
        on segment_totals.segment = segment_rules.segment

)

select * from final
