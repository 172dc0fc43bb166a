{#-
    The business's month at a glance, per business and calendar month from its first
    month with a sale, credit note or payment to the as-of month (months without activity
    included): net sales against the cash customers paid, trailing-twelve-month sales and
    its trend, customers won, lost and active, how late what was paid in the month was
    paid, and DSO at the month end. The as-of month runs to the as-of date only
    (is_complete_month false unless the as-of date is its last day).
    Net sales sum the net-sales ledger (int_sales_events_unioned, as every revenue figure
    does) and cash collected the payments file; data-tests/integrity proves both add up
    to the documents' totals (DECISIONLOG.md "Monthly and weekly pulse").
-#}
{%- set month = calendar_grains()[0] -%}
with

customer_months as (

    select * from {{ ref('int_customer_months_summed') }}

),

customers_acquired as (

    select * from {{ ref('int_customers_acquired') }}

),

revenue_movements as (

    select * from {{ ref('revenue_movements') }}

),

invoice_payments as (

    select * from {{ ref('invoice_payments') }}

),

dso_history as (

    select * from {{ ref('dso_history') }}

),

payments as (

    select * from {{ ref('stg_payments') }}

),

businesses as (

    select * from {{ ref('stg_businesses') }}

),

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

counter as (

    {{ period_counter() }}

),

as_of as (

    select
        business_id,
        as_of_date,
        {{ month_number('as_of_date') }} as as_of_month_number,  -- noqa: LT05
        month_under_way_number

    from snapshot_dates
    where is_current

),

---------- the month's flows

sales_months as (

    select
        business_id,
        month_number,
        sum(net_sales_home) as net_sales_home,
        -- "Active" as revenue_movement() means it: net sales above zero.
        sum(case when net_sales_home > 0 then 1 else 0 end) as active_customers

    from customer_months
    group by business_id, month_number

),

payments_to_date as (

    select
        payments.business_id,
        {{ month_number('payments.payment_date') }} as month_number,  -- noqa: LT05
        payments.amount_home

    from payments
    inner join as_of
        on payments.business_id = as_of.business_id
    where payments.payment_date <= as_of.as_of_date

),

cash_months as (

    select
        business_id,
        month_number,
        sum(amount_home) as cash_collected_home

    from payments_to_date
    group by business_id, month_number

),

new_customer_months as (

    select
        business_id,
        first_purchase_month_number as month_number,
        count(*) as new_customers

    from customers_acquired
    group by business_id, first_purchase_month_number

),

-- Lost: revenue_movements' churn, the project's one definition (macros/revenue_movement
-- .sql): the customer's trailing-twelve-month net sales were above zero at the month
-- end before and are not at this one. revenue_movements has complete months only.
lost_customer_months as (

    select
        business_id,
        {{ month_number('month_end_date') }} as month_number,  -- noqa: LT05
        sum(case when movement_type = 'churn' then 1 else 0 end) as lost_customers

    from revenue_movements
    group by business_id, month_end_date

),

-- Days beyond terms of the credit invoices paid (fully settled) in the month, weighted
-- by their totals: invoice_payments' days_beyond_terms (0 when paid on time).
paid_months as (

    select
        business_id,
        {{ month_number('paid_date') }} as month_number,
        sum(days_beyond_terms * total_amount_home) as days_amount_home,
        sum(total_amount_home) as paid_amount_home

    from invoice_payments
    where paid_date is not null
    group by business_id, {{ month_number('paid_date') }}

),

---------- one row per month, from the first with activity

activity_months as (

    select
        business_id,
        month_number

    from sales_months

    union all

    select
        business_id,
        month_number

    from cash_months

),

first_months as (

    select
        business_id,
        min(month_number) as first_month_number

    from activity_months
    group by business_id

),

grid as (

    select
        first_months.business_id,
        first_months.first_month_number + counter.generated_number - 1 as month_number,
        -- 1 in the business's first month with activity.
        counter.generated_number as month_of_history

    from first_months
    inner join as_of
        on first_months.business_id = as_of.business_id
    cross join counter
    where first_months.first_month_number + counter.generated_number - 1
        <= as_of.as_of_month_number

),

months as (

    select
        grid.business_id,
        grid.month_number,
        grid.month_of_history,
        coalesce(sales_months.net_sales_home, 0) as net_sales_home,
        coalesce(cash_months.cash_collected_home, 0) as cash_collected_home,
        coalesce(new_customer_months.new_customers, 0) as new_customers,
        coalesce(sales_months.active_customers, 0) as active_customers,
        lost_customer_months.lost_customers,
        paid_months.days_amount_home,
        paid_months.paid_amount_home

    from grid
    left join sales_months
        on grid.business_id = sales_months.business_id
        and grid.month_number = sales_months.month_number
    left join cash_months
        on grid.business_id = cash_months.business_id
        and grid.month_number = cash_months.month_number
    left join new_customer_months
        on grid.business_id = new_customer_months.business_id
        and grid.month_number = new_customer_months.month_number
    left join lost_customer_months
        on grid.business_id = lost_customer_months.business_id
        and grid.month_number = lost_customer_months.month_number
    left join paid_months
        on grid.business_id = paid_months.business_id
        and grid.month_number = paid_months.month_number

),

-- The rows are dense, so "the last 12 rows" is "the last 12 months".
rolled as (

    select
        months.*,
        sum(months.net_sales_home) over (
            partition by months.business_id
            order by months.month_number
            rows between 11 preceding and current row
        ) as ttm_net_sales_home

    from months

),

trended as (

    select
        rolled.*,
        lag(rolled.ttm_net_sales_home, 1) over (
            partition by rolled.business_id
            order by rolled.month_number
        ) as lag_1_ttm_net_sales_home,
        lag(rolled.ttm_net_sales_home, 12) over (
            partition by rolled.business_id
            order by rolled.month_number
        ) as lag_12_ttm_net_sales_home

    from rolled

),

-- A TTM is compared only with a full one (12 months of the business's history): a
-- window that reaches back before the export starts would show its start as growth.
dated as (

    select
        trended.*,
        {{ period_start_date('trended.month_number', month) }} as month_start_date,
        {{ period_end_date('trended.month_number', month) }} as month_end_date,
        case
            when trended.month_of_history >= 13 then trended.lag_1_ttm_net_sales_home
        end as ttm_1_month_before_home,
        case
            when trended.month_of_history >= 24 then trended.lag_12_ttm_net_sales_home
        end as ttm_12_months_before_home

    from trended

),

final as (

    select
        ---------- keys
        dated.business_id,
        dated.month_start_date,
        ---------- attributes
        dated.month_end_date,
        as_of.as_of_date,
        dated.month_number < as_of.month_under_way_number as is_complete_month,
        businesses.home_currency,
        ---------- sales and cash (home currency)
        {{ to_money('dated.net_sales_home') }} as net_sales_home,
        {{ to_money('dated.cash_collected_home') }} as cash_collected_home,
        {{ to_money('dated.net_sales_home - dated.cash_collected_home') }}
            as sales_less_cash_collected_home,
        {{ share_of('dated.cash_collected_home', 'dated.net_sales_home') }}
            as collections_to_sales,
        ---------- trailing twelve months
        {{ to_money('dated.ttm_net_sales_home') }} as ttm_net_sales_home,
        dated.month_of_history >= 12 as is_full_ttm,
        {{ to_money('dated.ttm_1_month_before_home') }}
            as ttm_net_sales_1_month_before_home,
        {{ to_money('dated.ttm_net_sales_home - dated.ttm_1_month_before_home') }}
            as ttm_change_vs_1_month_before_home,
        cast(
            case
                when dated.ttm_1_month_before_home > 0
                    then dated.ttm_net_sales_home / dated.ttm_1_month_before_home - 1
            end as decimal(18, 6)
        ) as ttm_growth_vs_1_month_before,
        {{ to_money('dated.ttm_12_months_before_home') }}
            as ttm_net_sales_12_months_before_home,
        {{ to_money('dated.ttm_net_sales_home - dated.ttm_12_months_before_home') }}
            as ttm_change_vs_12_months_before_home,
        cast(
            case
                when dated.ttm_12_months_before_home > 0
                    then dated.ttm_net_sales_home / dated.ttm_12_months_before_home - 1
            end as decimal(18, 6)
        ) as ttm_growth_vs_12_months_before,
        ---------- customers
        cast(dated.new_customers as integer) as new_customers,
        cast(
            case
                when dated.month_number < as_of.month_under_way_number
                    then coalesce(dated.lost_customers, 0)
            end as integer
        ) as lost_customers,
        cast(dated.active_customers as integer) as active_customers,
        ---------- payment behaviour (days)
        cast(
            dated.days_amount_home / nullif(dated.paid_amount_home, 0) as decimal(18, 1)
        ) as days_beyond_terms_paid,
        dso_history.count_back_dso

    from dated
    inner join as_of
        on dated.business_id = as_of.business_id
    inner join businesses
        on dated.business_id = businesses.business_id
    -- DSO on the month's last day, or on the as-of date in the as-of month; null before
    -- the snapshot calendar (segment_history_months month ends) starts.
    left join dso_history
        on dated.business_id = dso_history.business_id
        and dso_history.as_of_date = case
            when dated.month_end_date < as_of.as_of_date then dated.month_end_date
            else as_of.as_of_date
        end

)

select * from final
