{#-
    What was known about each credit invoice open on each snapshot date
    (int_invoices_open_at_snapshots): the inputs of the late-payment model. Rows at month ends
    before the as-of date whose outcome is known by the as-of date are the training
    set; rows at the as-of date are the invoices to score. Every feature uses only what
    happened up to its own snapshot date; the label uses what happened up to the as-of
    date, and only where that settles it (no look-ahead, no censoring).
-#}
{%- set late_days = var('late_days_beyond_terms') -%}
with

invoices_settled as (

    select * from {{ ref('int_invoices_settled') }}

),

open_invoices as (

    select * from {{ ref('int_invoices_open_at_snapshots') }}

),

timeliness as (

    select * from {{ ref('int_customers_timeliness_measured') }}

),

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

this_run as (

    select
        business_id,
        as_of_date

    from snapshot_dates
    where is_current

),

-- The customer's last ten invoices paid by the snapshot, newest first: recent habits
-- weigh more than old ones, and "paid 7 of its last 10 late" is a reason in words.
recent_paid as (

    select
        snapshot_dates.as_of_date,
        invoices_settled.business_id,
        invoices_settled.customer_id,
        invoices_settled.is_paid_late,
        invoices_settled.days_beyond_terms,
        {{ is_late_after_due(dbt.datediff(
            'invoices_settled.due_date', 'invoices_settled.paid_date', 'day'
        )) }} as is_late_beyond_threshold,
        row_number() over (
            partition by
                snapshot_dates.as_of_date,
                invoices_settled.business_id,
                invoices_settled.customer_id
            order by invoices_settled.paid_date desc, invoices_settled.invoice_id desc
        ) as recency_rank

    from invoices_settled
    inner join snapshot_dates
        on invoices_settled.business_id = snapshot_dates.business_id
        and invoices_settled.paid_date <= snapshot_dates.as_of_date

),

last_ten as (

    select
        as_of_date,
        business_id,
        customer_id,
        count(*) as last_paid_invoices,
        sum(case when is_paid_late then 1 else 0 end) as last_paid_late,
        avg(days_beyond_terms) as last_avg_days_beyond_terms

    from recent_paid
    where recency_rank <= 10
    group by as_of_date, business_id, customer_id

),

-- The customer's invoices paid by the snapshot that were late by the label's own
-- definition: the baseline the model is compared with in the back-test predicts the
-- same event as the model (DECISIONLOG.md, 2026-12-01).
paid_beyond_threshold as (

    select
        as_of_date,
        business_id,
        customer_id,
        sum(case when is_late_beyond_threshold then 1 else 0 end)
            as paid_beyond_threshold

    from recent_paid
    group by as_of_date, business_id, customer_id

),

final as (

    select
        ---------- keys
        open_invoices.as_of_date,
        open_invoices.business_id,
        open_invoices.invoice_id,
        open_invoices.customer_id,
        open_invoices.is_current,
        ---------- invoice
        open_invoices.total_amount_home,
        open_invoices.payment_terms_days,
        open_invoices.due_date,
        cast(
            {{ dbt.datediff(
                'open_invoices.due_date', 'open_invoices.as_of_date', 'day'
            ) }} as {{ dbt.type_int() }}
        ) as days_past_due,
        cast(
            {{ dbt.datediff(
                'open_invoices.invoice_date', 'open_invoices.as_of_date', 'day'
            ) }} as {{ dbt.type_int() }}
        ) as invoice_age_days,
        ---------- customer history up to the snapshot
        timeliness.credit_invoices as customer_credit_invoices,
        timeliness.paid_invoices as customer_paid_invoices,
        timeliness.share_paid_late as customer_share_paid_late,
        timeliness.avg_days_beyond_terms as customer_avg_days_beyond_terms,
        timeliness.open_balance as customer_open_balance_home,
        timeliness.overdue_balance as customer_overdue_balance_home,
        coalesce(last_ten.last_paid_invoices, 0) as customer_last_paid_invoices,
        coalesce(last_ten.last_paid_late, 0) as customer_last_paid_late,
        last_ten.last_avg_days_beyond_terms as customer_last_avg_days_beyond_terms,
        coalesce(paid_beyond_threshold.paid_beyond_threshold, 0)
            as customer_paid_beyond_threshold,
        -- Still open at the end of the snapshot date and can only be paid late: late
        -- for certain, nothing to predict (macros/late_payment.sql; 15 days past due
        -- with the default 15).
        {{ is_already_late('open_invoices.due_date', 'open_invoices.as_of_date') }}
            as is_already_late,
        cast({{ late_days }} as {{ dbt.type_int() }}) as late_days_beyond_terms,
        ---------- outcome, as known at the as-of date (training rows only)
        -- Known when an invoice still open at the as-of date would be late for
        -- certain: paid by then or not, the answer cannot change any more. (Asking
        -- only that, not "paid by then", keeps early and late payers alike.)
        (
            not open_invoices.is_current
            and {{ is_already_late('open_invoices.due_date', 'this_run.as_of_date') }}
        ) as is_outcome_known,
        case
            when open_invoices.paid_date <= this_run.as_of_date
                and not {{ is_late_after_due(dbt.datediff(
                    'open_invoices.due_date', 'open_invoices.paid_date', 'day'
                )) }}
                then 0
            else 1
        end as is_paid_beyond_threshold

    from open_invoices
    inner join this_run
        on open_invoices.business_id = this_run.business_id
    inner join timeliness
        on open_invoices.as_of_date = timeliness.as_of_date
        and open_invoices.business_id = timeliness.business_id
        and open_invoices.customer_id = timeliness.customer_id
    left join last_ten
        on open_invoices.as_of_date = last_ten.as_of_date
        and open_invoices.business_id = last_ten.business_id
        and open_invoices.customer_id = last_ten.customer_id
    left join paid_beyond_threshold
        on open_invoices.as_of_date = paid_beyond_threshold.as_of_date
        and open_invoices.business_id = paid_beyond_threshold.business_id
        and open_invoices.customer_id = paid_beyond_threshold.customer_id

)

select * from final
