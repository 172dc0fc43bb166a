with

businesses as (

    select * from {{ ref('stg_businesses') }}

),

customers as (

    select * from {{ ref('stg_customers') }}

),

rhythm as (

    select * from {{ ref('int_customers_rhythm_measured') }}

),

timeliness as (

    select * from {{ ref('int_customers_timeliness_measured') }}

),

-- An invoice settled past its total counts below zero in the customer's balances, as
-- in ar_aging. int_customers_timeliness_measured's balances count the invoices not yet
-- paid only: the late-payment features read them as such.
over_applied as (

    select
        as_of_date,
        business_id,
        customer_id,
        sum(open_amount_home) as open_amount_home,
        sum(case when due_date < as_of_date then open_amount_home else 0 end)
            as overdue_amount_home

    from {{ ref('int_invoices_over_applied_at_snapshots') }}
    group by as_of_date, business_id, customer_id

),

-- The snapshot dates and the month ends before them that segments look back on.
snapshot_dates as (

    select * from {{ ref('int_segment_dates_spined') }}

),

-- What each customer bought up to each snapshot date (int_customers_rhythm_measured
-- reads it from running totals, macro customer_sales_readings): all time, the trailing
-- twelve months (the 365 days ending at the date) and the 365 days before those. Read
-- there, not from a second copy of the running totals here (DECISIONLOG.md, 2026-12-06
-- (opening)).
customer_totals as (

    select
        rhythm.as_of_date,
        snapshot_dates.is_lookback_only,
        rhythm.business_id,
        rhythm.customer_id,
        rhythm.net_sales as ltv,
        rhythm.ttm_net_sales as ttm_sales,
        rhythm.prev_ttm_net_sales as prev_ttm_sales,
        rhythm.purchases,
        rhythm.first_purchase_date,
        rhythm.last_purchase_date,
        rhythm.recency_weighted_ltv,
        rhythm.purchases_ttm,
        rhythm.purchases_prev_ttm,
        rhythm.frequency_trend,
        rhythm.typical_gap_days,
        rhythm.business_cycle_days

    from rhythm
    inner join snapshot_dates
        on rhythm.business_id = snapshot_dates.business_id
        and rhythm.as_of_date = snapshot_dates.as_of_date

),

buyers as (

    select * from customer_totals
    -- Only customers who bought: a credit note alone does not make a customer.
    where purchases > 0

),

-- "This client is 30% of your revenue": share and rank within the business, on TTM.
ranked as (

    select
        buyers.*,
        sum(ttm_sales) over (partition by as_of_date, business_id) as business_ttm_sales,
        rank() over (partition by as_of_date, business_id order by ttm_sales desc)
            as revenue_rank

    from buyers

),

final as (

    select
        ---------- keys
        ranked.business_id,
        ranked.customer_id,
        ranked.as_of_date,
        ---------- attributes
        customers.customer_name,
        businesses.home_currency,
        ---------- amounts
        cast(ranked.ltv as decimal(18, 2)) as ltv,
        cast(ranked.ttm_sales as decimal(18, 2)) as ttm_sales,
        cast(ranked.prev_ttm_sales as decimal(18, 2)) as prev_ttm_sales,
        ---------- shares
        cast(
            case
                when ranked.business_ttm_sales > 0
                    then ranked.ttm_sales / ranked.business_ttm_sales
            end as decimal(18, 6)
        ) as revenue_share,
        cast(ranked.revenue_rank as integer) as revenue_rank,
        ---------- momentum
        cast(
            case
                when ranked.prev_ttm_sales > 0
                    then ranked.ttm_sales / ranked.prev_ttm_sales - 1
            end as decimal(18, 6)
        ) as sales_momentum,
        ranked.recency_weighted_ltv,
        ---------- rhythm
        ranked.purchases_ttm,
        ranked.purchases_prev_ttm,
        ranked.frequency_trend,
        ranked.typical_gap_days,
        ranked.business_cycle_days,
        ---------- timeliness (credit invoices only; null until one is paid)
        cast(timeliness.avg_days_to_pay as decimal(18, 1)) as avg_days_to_pay,
        cast(timeliness.avg_days_to_pay_weighted as decimal(18, 1))
            as avg_days_to_pay_weighted,
        cast(timeliness.avg_days_beyond_terms as decimal(18, 1)) as avg_days_beyond_terms,
        cast(timeliness.share_paid_late as decimal(18, 6)) as share_paid_late,
        cast(coalesce(timeliness.paid_invoices, 0) as integer) as paid_invoices,
        -- Not computed at the lookback-only month ends, where only scores are read.
        cast(
            case
                when not ranked.is_lookback_only
                    then coalesce(timeliness.open_balance, 0)
                        + coalesce(over_applied.open_amount_home, 0)
            end as decimal(18, 2)
        ) as open_balance,
        cast(
            case
                when not ranked.is_lookback_only
                    then coalesce(timeliness.overdue_balance, 0)
                        + coalesce(over_applied.overdue_amount_home, 0)
            end as decimal(18, 2)
        ) as overdue_balance,
        ---------- counts
        cast(ranked.purchases as integer) as purchases,
        ---------- days
        cast(
            {{ dbt.datediff('ranked.last_purchase_date', 'ranked.as_of_date', 'day') }}
            as integer
        ) as recency_days,
        cast(
            {{ dbt.datediff('ranked.first_purchase_date', 'ranked.as_of_date', 'day') }}
            as integer
        ) as tenure_days,
        ---------- dates
        ranked.first_purchase_date,
        ranked.last_purchase_date

    from ranked
    inner join customers
        on ranked.business_id = customers.business_id
        and ranked.customer_id = customers.customer_id
    inner join businesses
        on ranked.business_id = businesses.business_id
    left join timeliness
        on ranked.as_of_date = timeliness.as_of_date
        and ranked.business_id = timeliness.business_id
        and ranked.customer_id = timeliness.customer_id
    left join over_applied
        on ranked.as_of_date = over_applied.as_of_date
        and ranked.business_id = over_applied.business_id
        and ranked.customer_id = over_applied.customer_id

)

select * from final
