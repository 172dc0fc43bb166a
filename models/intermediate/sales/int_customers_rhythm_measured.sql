{#-
    How each customer buys, at each snapshot date (int_snapshot_dates_spined: the as-of date and
    the month ends before it), from what happened up to that date: the typical gap between its purchases,
    its business's typical cycle, the trend of its purchase count, and an LTV that weighs
    recent sales more. Segments judge recency against these cycles, so that for an
    annual-cycle business one month and ten months ago are both "recent".
-#}
with

sales_events as (

    select * from {{ ref('int_sales_events_unioned') }}

),

-- The snapshot dates and the month ends before them that segments look back on.
snapshot_dates as (

    select * from {{ ref('int_segment_dates_spined') }}

),

events_to_date as (

    select
        snapshot_dates.as_of_date,
        sales_events.*,
        {{ dbt.datediff('sales_events.event_date', 'snapshot_dates.as_of_date', 'day') }}
            as age_days

    from sales_events
    inner join snapshot_dates
        on sales_events.business_id = snapshot_dates.business_id
        and sales_events.event_date <= snapshot_dates.as_of_date

),

-- Several documents on one day are one purchase occasion for the rhythm.
purchase_dates as (

    select distinct
        business_id,
        customer_id,
        event_date as purchase_date

    from sales_events
    where is_purchase

),

-- The typical gap is the mean gap between purchase dates, (last - first) / (dates - 1),
-- which needs only a count and two dates per snapshot: a median would hold every gap of
-- every customer at every snapshot in memory.
customer_gaps as (

    select
        snapshot_dates.as_of_date,
        purchase_dates.business_id,
        purchase_dates.customer_id,
        case
            when count(*) > 1
                then {{ dbt.datediff(
                    'min(purchase_dates.purchase_date)',
                    'max(purchase_dates.purchase_date)',
                    'day'
                ) }} * 1.0 / (count(*) - 1)
        end as typical_gap_days

    from purchase_dates
    inner join snapshot_dates
        on purchase_dates.business_id = snapshot_dates.business_id
        and purchase_dates.purchase_date <= snapshot_dates.as_of_date
    group by
        snapshot_dates.as_of_date,
        purchase_dates.business_id,
        purchase_dates.customer_id

),

business_cycles as (

    select
        as_of_date,
        business_id,
        {{ median('typical_gap_days') }} as business_cycle_days

    from customer_gaps
    where typical_gap_days is not null
    group by as_of_date, business_id

),

customer_activity as (

    select
        as_of_date,
        business_id,
        customer_id,
        sum(case when is_purchase and age_days < 365 then 1 else 0 end) as purchases_ttm,
        sum(
            case when is_purchase and age_days >= 365 and age_days < 730 then 1 else 0 end
        ) as purchases_prev_ttm,
        sum(
            net_sales_home
            * power(0.5, age_days / {{ var('recency_weight_half_life_days') }}.0)
        ) as recency_weighted_ltv

    from events_to_date
    group by as_of_date, business_id, customer_id

),

final as (

    select
        ---------- keys
        customer_activity.as_of_date,
        customer_activity.business_id,
        customer_activity.customer_id,
        ---------- rhythm
        cast(customer_gaps.typical_gap_days as decimal(18, 1)) as typical_gap_days,
        cast(business_cycles.business_cycle_days as decimal(18, 1))
            as business_cycle_days,
        ---------- trend
        cast(customer_activity.purchases_ttm as integer) as purchases_ttm,
        cast(customer_activity.purchases_prev_ttm as integer) as purchases_prev_ttm,
        -- A trend must be both large (frequency_trend_threshold) and more than chance:
        -- purchase counts vary like Poisson counts, so the change must exceed
        -- frequency_trend_z standard deviations, sqrt(ttm + prev). 6 -> 3 purchases is
        -- noise; 40 -> 24 or 11 -> 2 is a trend.
        case
            when customer_activity.purchases_ttm
                >= customer_activity.purchases_prev_ttm
                * (1 + {{ var('frequency_trend_threshold') }})
                and customer_activity.purchases_ttm > customer_activity.purchases_prev_ttm
                and customer_activity.purchases_ttm - customer_activity.purchases_prev_ttm
                >= {{ var('frequency_trend_z') }} * sqrt(
                    customer_activity.purchases_ttm + customer_activity.purchases_prev_ttm
                )
                then 'increasing'
            when customer_activity.purchases_ttm
                <= customer_activity.purchases_prev_ttm
                * (1 - {{ var('frequency_trend_threshold') }})
                and customer_activity.purchases_prev_ttm > customer_activity.purchases_ttm
                and customer_activity.purchases_prev_ttm - customer_activity.purchases_ttm
                >= {{ var('frequency_trend_z') }} * sqrt(
                    customer_activity.purchases_ttm + customer_activity.purchases_prev_ttm
                )
                then 'decreasing'
            else 'steady'
        end as frequency_trend,
        ---------- amounts
        {{ to_money('customer_activity.recency_weighted_ltv') }} as recency_weighted_ltv

    from customer_activity
    left join customer_gaps
        on customer_activity.as_of_date = customer_gaps.as_of_date
        and customer_activity.business_id = customer_gaps.business_id
        and customer_activity.customer_id = customer_gaps.customer_id
    left join business_cycles
        on customer_activity.as_of_date = business_cycles.as_of_date
        and customer_activity.business_id = business_cycles.business_id

)

select * from final
