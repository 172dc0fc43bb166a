{#-
    The business's week against its last half year, per business and week (Monday to
    Sunday) from its first week with a sale, credit note or payment to the as-of week
    (weeks without activity included): net sales, cash collected and the days beyond
    terms of what was paid, each against its trailing 26-week average, so that a sudden
    drop in collections shows up within days. The as-of week runs to the as-of date only
    (is_complete_week false unless the as-of date is a Sunday).
    Weeks are counted from Monday 1900-01-01 in whole days, the same on every warehouse;
    the amounts come from the same ledgers as monthly_pulse (DECISIONLOG.md "Monthly and
    weekly pulse").
-#}
{%- set weeks = 26 -%}
with

sales_events as (

    select * from {{ ref('int_sales_events_unioned') }}

),

invoice_payments as (

    select * from {{ ref('invoice_payments') }}

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

    {{ period_counter(upper_bound=11000) }}

),

as_of as (

    select
        business_id,
        as_of_date,
        {{ week_number('as_of_date') }} as as_of_week_number  -- noqa: LT05

    from snapshot_dates
    where is_current

),

---------- the week's flows

sales_to_date as (

    select
        sales_events.business_id,
        {{ week_number('sales_events.event_date') }} as week_number,  -- noqa: LT05
        sales_events.net_sales_home

    from sales_events
    inner join as_of
        on sales_events.business_id = as_of.business_id
    where sales_events.event_date <= as_of.as_of_date

),

sales_weeks as (

    select
        business_id,
        week_number,
        sum(net_sales_home) as net_sales_home

    from sales_to_date
    group by business_id, week_number

),

payments_to_date as (

    select
        payments.business_id,
        {{ week_number('payments.payment_date') }} as week_number,  -- noqa: LT05
        payments.amount_home

    from payments
    inner join as_of
        on payments.business_id = as_of.business_id
    where payments.payment_date <= as_of.as_of_date

),

cash_weeks as (

    select
        business_id,
        week_number,
        sum(amount_home) as cash_collected_home

    from payments_to_date
    group by business_id, week_number

),

-- Credit invoices paid (fully settled) in the week, as monthly_pulse weighs them.
paid_invoices as (

    select
        business_id,
        {{ week_number('paid_date') }} as week_number,  -- noqa: LT05
        days_beyond_terms,
        total_amount_home

    from invoice_payments
    where paid_date is not null

),

paid_weeks as (

    select
        business_id,
        week_number,
        sum(days_beyond_terms * total_amount_home) as days_amount_home,
        sum(total_amount_home) as paid_amount_home

    from paid_invoices
    group by business_id, week_number

),

---------- one row per week, from the first with activity

activity_weeks as (

    select
        business_id,
        week_number

    from sales_weeks

    union all

    select
        business_id,
        week_number

    from cash_weeks

),

first_weeks as (

    select
        business_id,
        min(week_number) as first_week_number

    from activity_weeks
    group by business_id

),

grid as (

    select
        first_weeks.business_id,
        first_weeks.first_week_number + counter.generated_number - 1 as week_number

    from first_weeks
    inner join as_of
        on first_weeks.business_id = as_of.business_id
    cross join counter
    where first_weeks.first_week_number + counter.generated_number - 1
        <= as_of.as_of_week_number

),

filled as (

    select
        grid.business_id,
        grid.week_number,
        coalesce(sales_weeks.net_sales_home, 0) as net_sales_home,
        coalesce(cash_weeks.cash_collected_home, 0) as cash_collected_home,
        paid_weeks.days_amount_home,
        paid_weeks.paid_amount_home

    from grid
    left join sales_weeks
        on grid.business_id = sales_weeks.business_id
        and grid.week_number = sales_weeks.week_number
    left join cash_weeks
        on grid.business_id = cash_weeks.business_id
        and grid.week_number = cash_weeks.week_number
    left join paid_weeks
        on grid.business_id = paid_weeks.business_id
        and grid.week_number = paid_weeks.week_number

),

-- The rows are dense, so the 26 rows before a week are the 26 weeks before it (every one
-- complete: only the as-of week is not), a week without activity counting as zero.
windowed as (

    select
        filled.*,
        count(*) over (
            partition by filled.business_id
            order by filled.week_number
            rows between {{ weeks }} preceding and 1 preceding
        ) as weeks_before,
        sum(filled.net_sales_home) over (
            partition by filled.business_id
            order by filled.week_number
            rows between {{ weeks }} preceding and 1 preceding
        ) as trailing_net_sales_home,
        sum(filled.cash_collected_home) over (
            partition by filled.business_id
            order by filled.week_number
            rows between {{ weeks }} preceding and 1 preceding
        ) as trailing_cash_collected_home,
        sum(filled.days_amount_home) over (
            partition by filled.business_id
            order by filled.week_number
            rows between {{ weeks }} preceding and 1 preceding
        ) as trailing_days_amount_home,
        sum(filled.paid_amount_home) over (
            partition by filled.business_id
            order by filled.week_number
            rows between {{ weeks }} preceding and 1 preceding
        ) as trailing_paid_amount_home

    from filled

),

-- Null until 26 weeks of history exist.
averaged as (

    select
        windowed.*,
        {{ week_start_date('windowed.week_number') }} as week_start_date,
        case
            when windowed.weeks_before = {{ weeks }}
                then windowed.trailing_net_sales_home
        end as net_sales_26_weeks_home,
        case
            when windowed.weeks_before = {{ weeks }}
                then windowed.trailing_cash_collected_home
        end as cash_collected_26_weeks_home,
        windowed.days_amount_home / nullif(windowed.paid_amount_home, 0)
            as days_beyond_terms_paid,
        case
            when windowed.weeks_before = {{ weeks }}
                then windowed.trailing_days_amount_home
                    / nullif(windowed.trailing_paid_amount_home, 0)
        end as days_beyond_terms_paid_26_weeks

    from windowed

),

final as (

    select
        ---------- keys
        averaged.business_id,
        averaged.week_start_date,
        ---------- attributes
        cast({{ dbt.dateadd('day', 6, 'averaged.week_start_date') }} as date)
            as week_end_date,
        as_of.as_of_date,
        {{ dbt.dateadd('day', 6, 'averaged.week_start_date') }} <= as_of.as_of_date
            as is_complete_week,
        businesses.home_currency,
        ---------- net sales (home currency)
        {{ to_money('averaged.net_sales_home') }} as net_sales_home,
        {{ to_money_of_quotient('averaged.net_sales_26_weeks_home', weeks) }}
            as net_sales_26_week_avg_home,
        cast(
            case
                when averaged.net_sales_26_weeks_home > 0
                    then {{ weeks }} * averaged.net_sales_home
                        / averaged.net_sales_26_weeks_home
            end as decimal(18, 6)
        ) as net_sales_to_26_week_avg,
        ---------- cash collected (home currency)
        {{ to_money('averaged.cash_collected_home') }} as cash_collected_home,
        {{ to_money_of_quotient('averaged.cash_collected_26_weeks_home', weeks) }}
            as cash_collected_26_week_avg_home,
        cast(
            case
                when averaged.cash_collected_26_weeks_home > 0
                    then {{ weeks }} * averaged.cash_collected_home
                        / averaged.cash_collected_26_weeks_home
            end as decimal(18, 6)
        ) as cash_collected_to_26_week_avg,
        ---------- payment behaviour (days)
        cast(averaged.days_beyond_terms_paid as decimal(18, 1)) as days_beyond_terms_paid,
        cast(averaged.days_beyond_terms_paid_26_weeks as decimal(18, 1))
            as days_beyond_terms_paid_26_week_avg,
        cast(
            averaged.days_beyond_terms_paid - averaged.days_beyond_terms_paid_26_weeks
            as decimal(18, 1)
        ) as days_beyond_terms_paid_vs_26_week_avg

    from averaged
    inner join as_of
        on averaged.business_id = as_of.business_id
    inner join businesses
        on averaged.business_id = businesses.business_id

)

select * from final
