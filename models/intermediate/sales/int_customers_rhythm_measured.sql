{#-
    How each customer buys, at each snapshot date (int_segment_dates_spined: the as-of date
    and the month ends before it), from what happened up to that date: the typical gap
    between its purchases, its business's typical cycle, the trend of its purchase count,
    and an LTV that weighs recent sales more. Segments judge recency against these
    cycles, so that for an annual-cycle business one month and ten months ago are both
    "recent".
    What was bought up to each date is read from running totals (macro
    customer_sales_readings), not by joining every sale to every later date; the sales to
    date are kept on the row for int_customers_summarized, which read them from a second
    copy of the same running totals before (DECISIONLOG.md, 2026-12-06 (opening)).
-#}
with

sales_events as (

    select * from {{ ref('int_sales_events_unioned') }}

),

-- The snapshot dates and the month ends before them that segments look back on.
snapshot_dates as (

    select * from {{ ref('int_segment_dates_spined') }}

),

{{ customer_sales_readings('sales_read', 'sales_events', 'snapshot_dates') }}

-- The typical gap is the mean gap between purchase dates, (last - first) / (dates - 1),
-- which needs only a count and two dates per snapshot: a median would hold every gap of
-- every customer at every snapshot in memory. Several documents on one day are one
-- purchase occasion.
customer_gaps as (

    select
        *,
        case
            when purchase_days > 1
                then {{ dbt.datediff(
                    'first_purchase_date', 'last_purchase_date', 'day'
                ) }} * 1.0 / (purchase_days - 1)
        end as typical_gap_days

    from sales_read

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

final as (

    select
        ---------- keys
        customer_gaps.as_of_date,
        customer_gaps.business_id,
        customer_gaps.customer_id,
        ---------- rhythm
        cast(customer_gaps.typical_gap_days as decimal(18, 1)) as typical_gap_days,
        cast(business_cycles.business_cycle_days as decimal(18, 1))
            as business_cycle_days,
        ---------- trend
        cast(customer_gaps.purchases_ttm as integer) as purchases_ttm,
        cast(customer_gaps.purchases_prev_ttm as integer) as purchases_prev_ttm,
        -- A trend must be both large (frequency_trend_threshold) and more than chance:
        -- purchase counts vary like Poisson counts, so the change must exceed
        -- frequency_trend_z standard deviations, sqrt(ttm + prev). 6 -> 3 purchases is
        -- noise; 40 -> 24 or 11 -> 2 is a trend.
        case
            when customer_gaps.purchases_ttm
                >= customer_gaps.purchases_prev_ttm
                * (1 + {{ var('frequency_trend_threshold') }})
                and customer_gaps.purchases_ttm > customer_gaps.purchases_prev_ttm
                and customer_gaps.purchases_ttm - customer_gaps.purchases_prev_ttm
                >= {{ var('frequency_trend_z') }} * sqrt(
                    customer_gaps.purchases_ttm + customer_gaps.purchases_prev_ttm
                )
                then 'increasing'
            when customer_gaps.purchases_ttm
                <= customer_gaps.purchases_prev_ttm
                * (1 - {{ var('frequency_trend_threshold') }})
                and customer_gaps.purchases_prev_ttm > customer_gaps.purchases_ttm
                and customer_gaps.purchases_prev_ttm - customer_gaps.purchases_ttm
                >= {{ var('frequency_trend_z') }} * sqrt(
                    customer_gaps.purchases_ttm + customer_gaps.purchases_prev_ttm
                )
                then 'decreasing'
            else 'steady'
        end as frequency_trend,
        ---------- amounts
        {{ to_money_of_wide_decimal('customer_gaps.recency_weighted_ltv', 9) }}
            as recency_weighted_ltv,
        ---------- sales to date (int_customers_summarized reads them here)
        -- Sums in DuckDB's own type for them (decimal(38, 2)), the type
        -- int_customers_summarized computed its shares and ranks on before it read them
        -- here; cast so that PostgreSQL's unscaled numeric sums carry two places too.
        cast(customer_gaps.net_sales as decimal(38, 2)) as net_sales,
        cast(customer_gaps.ttm_net_sales as decimal(38, 2)) as ttm_net_sales,
        cast(customer_gaps.prev_ttm_net_sales as decimal(38, 2)) as prev_ttm_net_sales,
        cast(customer_gaps.purchases as {{ dbt.type_bigint() }}) as purchases,
        customer_gaps.first_purchase_date,
        customer_gaps.last_purchase_date

    from customer_gaps
    left join business_cycles
        on customer_gaps.as_of_date = business_cycles.as_of_date
        and customer_gaps.business_id = business_cycles.business_id

)

select * from final
