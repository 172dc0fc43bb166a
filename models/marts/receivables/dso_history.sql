{#-
    Days sales outstanding per business at the as-of date and each month end before it
    (int_snapshot_dates_spined), each computed only from what was known on that day.
    Receivables and credit sales include tax (the customer owes the total), home currency.
-#}
{%- set count_back_months = var('dso_count_back_months') -%}
with

invoices_settled as (

    select * from {{ ref('int_invoices_settled') }}

),

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

businesses as (

    select * from {{ ref('stg_businesses') }}

),

---------- receivables open at each snapshot

open_amounts as (

    select * from {{ ref('int_invoices_open_at_snapshots') }}

),

receivables as (

    select
        as_of_date,
        business_id,
        sum(open_amount_home) as receivables_home,
        -- Not yet due: what the receivables would be if every customer paid on time.
        sum(case when due_date >= as_of_date then open_amount_home else 0 end)
            as current_receivables_home

    from open_amounts
    group by as_of_date, business_id

),

---------- credit sales and payments per day
-- Summed per business and day first, so that the snapshots and their periods read days,
-- not invoices: every invoice joined to every period and snapshot made 20 and 56
-- million rows at 10 million invoice lines (DECISIONLOG.md, 2026-12-05 (months)).
daily_credit_sales as (

    select
        business_id,
        invoice_date,
        sum(total_amount_home) as credit_sales_home

    from invoices_settled
    group by business_id, invoice_date

),

daily_payments as (

    select
        business_id,
        paid_date,
        sum(days_to_pay * total_amount_home) as paid_days_amount_home,
        sum(total_amount_home) as paid_amount_home

    from invoices_settled
    where paid_date is not null
    group by business_id, paid_date

),

---------- credit sales by period before each snapshot

-- Period 0 is the snapshot's own month up to the snapshot date, period k the k-th
-- calendar month before it: the months the count-back method walks through.
periods_back as (

    {% for offset in range(0, count_back_months) -%}
    select {{ offset }} as period_back
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

periods as (

    select
        snapshot_dates.business_id,
        snapshot_dates.as_of_date,
        periods_back.period_back,
        cast(
            {{ dbt.dateadd(
                'month',
                '- periods_back.period_back',
                dbt.date_trunc('month', 'snapshot_dates.as_of_date')
            ) }} as date
        ) as period_start_date

    from snapshot_dates
    cross join periods_back

),

period_bounds as (

    select
        business_id,
        as_of_date,
        period_back,
        period_start_date,
        case
            when period_back = 0 then as_of_date
            else
                cast(
                    {{ dbt.dateadd(
                        'day',
                        -1,
                        dbt.dateadd('month', 1, 'period_start_date')
                    ) }} as date
                )
        end as period_end_date

    from periods

),

period_sales as (

    select
        period_bounds.as_of_date,
        period_bounds.business_id,
        period_bounds.period_back,
        {{ dbt.datediff(
            'period_bounds.period_start_date', 'period_bounds.period_end_date', 'day'
        ) }} + 1 as period_days,
        coalesce(sum(daily_credit_sales.credit_sales_home), 0) as credit_sales_home

    from period_bounds
    left join daily_credit_sales
        on period_bounds.business_id = daily_credit_sales.business_id
        and period_bounds.period_start_date <= daily_credit_sales.invoice_date
        and period_bounds.period_end_date >= daily_credit_sales.invoice_date
    group by
        period_bounds.as_of_date,
        period_bounds.business_id,
        period_bounds.period_back,
        period_bounds.period_start_date,
        period_bounds.period_end_date

),

---------- count-back DSO

-- Walk back from the latest month: each month whose credit sales the receivables
-- still cover adds all its days; the month where they run out adds the covered
-- fraction of its days; older months add nothing.
period_cover as (

    select
        period_sales.*,
        coalesce(receivables.receivables_home, 0) as receivables_home,
        coalesce(
            sum(period_sales.credit_sales_home) over (
                partition by period_sales.as_of_date, period_sales.business_id
                order by period_sales.period_back
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as sales_in_later_periods_home

    from period_sales
    left join receivables
        on period_sales.as_of_date = receivables.as_of_date
        and period_sales.business_id = receivables.business_id

),

count_back as (

    select
        as_of_date,
        business_id,
        sum(
            case
                when receivables_home <= sales_in_later_periods_home then 0
                when receivables_home >= sales_in_later_periods_home + credit_sales_home
                    then period_days
                else period_days * 1.0
                    * (receivables_home - sales_in_later_periods_home)
                    / credit_sales_home
            end
        ) as count_back_dso

    from period_cover
    group by as_of_date, business_id

),

---------- simple and best possible DSO over 90 days

sales_90_days as (

    select
        snapshot_dates.as_of_date,
        snapshot_dates.business_id,
        coalesce(sum(daily_credit_sales.credit_sales_home), 0)
            as credit_sales_90_days_home

    from snapshot_dates
    left join daily_credit_sales
        on snapshot_dates.business_id = daily_credit_sales.business_id
        and snapshot_dates.as_of_date >= daily_credit_sales.invoice_date
        and daily_credit_sales.invoice_date > cast(
            {{ dbt.dateadd('day', -90, 'snapshot_dates.as_of_date') }} as date
        )
    group by snapshot_dates.as_of_date, snapshot_dates.business_id

),

---------- how customers paid: paid by the snapshot, weighted by invoice total

days_to_pay as (

    select
        snapshot_dates.as_of_date,
        daily_payments.business_id,
        sum(daily_payments.paid_days_amount_home)
        / nullif(sum(daily_payments.paid_amount_home), 0)
            as avg_days_to_pay_weighted

    from daily_payments
    inner join snapshot_dates
        on daily_payments.business_id = snapshot_dates.business_id
        and daily_payments.paid_date <= snapshot_dates.as_of_date
    group by snapshot_dates.as_of_date, daily_payments.business_id

),

dso as (

    select
        sales_90_days.as_of_date,
        sales_90_days.business_id,
        coalesce(receivables.receivables_home, 0) as receivables_home,
        coalesce(receivables.current_receivables_home, 0) as current_receivables_home,
        sales_90_days.credit_sales_90_days_home,
        count_back.count_back_dso,
        coalesce(receivables.receivables_home, 0) * 90.0
        / nullif(sales_90_days.credit_sales_90_days_home, 0) as simple_dso,
        coalesce(receivables.current_receivables_home, 0) * 90.0
        / nullif(sales_90_days.credit_sales_90_days_home, 0) as best_possible_dso,
        days_to_pay.avg_days_to_pay_weighted

    from sales_90_days
    left join receivables
        on sales_90_days.as_of_date = receivables.as_of_date
        and sales_90_days.business_id = receivables.business_id
    left join count_back
        on sales_90_days.as_of_date = count_back.as_of_date
        and sales_90_days.business_id = count_back.business_id
    left join days_to_pay
        on sales_90_days.as_of_date = days_to_pay.as_of_date
        and sales_90_days.business_id = days_to_pay.business_id

),

final as (

    select
        ---------- keys
        dso.business_id,
        dso.as_of_date,
        ---------- attributes
        snapshot_dates.is_current,
        snapshot_dates.is_month_end,
        businesses.home_currency,
        ---------- amounts (home currency)
        {{ to_money('dso.receivables_home') }} as receivables_home,
        {{ to_money('dso.current_receivables_home') }} as current_receivables_home,
        {{ to_money('dso.credit_sales_90_days_home') }} as credit_sales_90_days_home,
        ---------- days
        cast(dso.count_back_dso as decimal(18, 1)) as count_back_dso,
        cast(dso.simple_dso as decimal(18, 1)) as simple_dso,
        cast(dso.best_possible_dso as decimal(18, 1)) as best_possible_dso,
        cast(dso.simple_dso - dso.best_possible_dso as decimal(18, 1))
            as days_beyond_terms,
        cast(dso.avg_days_to_pay_weighted as decimal(18, 1)) as avg_days_to_pay_weighted

    from dso
    inner join snapshot_dates
        on dso.business_id = snapshot_dates.business_id
        and dso.as_of_date = snapshot_dates.as_of_date
    inner join businesses
        on dso.business_id = businesses.business_id

)

select * from final
