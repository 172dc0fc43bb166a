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

-- The customer's invoices paid by the as-of date's data, in the order they were paid
-- (by paid date, then invoice id): each row carries the figures of the ten paid last up
-- to it (itself included) and how many paid up to it were late beyond the threshold.
-- Computed once per invoice, not once per invoice and later snapshot: the features of a
-- snapshot are those of the last invoice paid by it (paid_at_snapshots below). Recent
-- habits weigh more than old ones, and "paid 7 of its last 10 late" is a reason in words.
paid_in_order as (

    select
        business_id,
        customer_id,
        paid_date,
        row_number() over (
            partition by business_id, customer_id
            order by paid_date, invoice_id
        ) as paid_rank,
        count(*) over (
            partition by business_id, customer_id
            order by paid_date, invoice_id
            rows between 9 preceding and current row
        ) as last_paid_invoices,
        sum(case when is_paid_late then 1 else 0 end) over (
            partition by business_id, customer_id
            order by paid_date, invoice_id
            rows between 9 preceding and current row
        ) as last_paid_late,
        avg(days_beyond_terms) over (
            partition by business_id, customer_id
            order by paid_date, invoice_id
            rows between 9 preceding and current row
        ) as last_avg_days_beyond_terms,
        -- Late by the label's own definition: the baseline the model is compared with
        -- in the back-test predicts the same event as the model (DECISIONLOG.md,
        -- 2026-12-01).
        sum(
            case
                when {{ is_late_after_due(dbt.datediff('due_date', 'paid_date', 'day')) }}
                    then 1
                else 0
            end
        ) over (
            partition by business_id, customer_id
            order by paid_date, invoice_id
            rows between unbounded preceding and current row
        ) as paid_beyond_threshold

    from invoices_settled
    where paid_date is not null

),

-- The customers with an invoice open at a snapshot: the rows that need features.
snapshot_customers as (

    select distinct
        as_of_date,
        business_id,
        customer_id

    from open_invoices

),

-- Each such snapshot among the customer's payments, after those paid on the snapshot
-- date itself (paid on or before it counts): the highest rank before it is the last
-- invoice paid by the snapshot.
paid_events as (

    select
        business_id,
        customer_id,
        paid_date as event_date,
        0 as event_order,
        paid_rank

    from paid_in_order

    union all

    select
        business_id,
        customer_id,
        as_of_date as event_date,
        1 as event_order,
        cast(null as {{ dbt.type_bigint() }}) as paid_rank

    from snapshot_customers

),

ranks_at_snapshots as (

    select
        business_id,
        customer_id,
        event_date,
        event_order,
        max(paid_rank) over (
            partition by business_id, customer_id
            order by event_date, event_order
            rows between unbounded preceding and current row
        ) as last_paid_rank

    from paid_events

),

-- The customer's payment figures at each snapshot: those of the last invoice it paid
-- by then. A customer that paid none by then has no row (zero and null below).
paid_at_snapshots as (

    select
        ranks_at_snapshots.event_date as as_of_date,
        ranks_at_snapshots.business_id,
        ranks_at_snapshots.customer_id,
        paid_in_order.last_paid_invoices,
        paid_in_order.last_paid_late,
        paid_in_order.last_avg_days_beyond_terms,
        paid_in_order.paid_beyond_threshold

    from ranks_at_snapshots
    inner join paid_in_order
        on ranks_at_snapshots.business_id = paid_in_order.business_id
        and ranks_at_snapshots.customer_id = paid_in_order.customer_id
        and ranks_at_snapshots.last_paid_rank = paid_in_order.paid_rank
    where ranks_at_snapshots.event_order = 1

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
        coalesce(paid_at_snapshots.last_paid_invoices, 0) as customer_last_paid_invoices,
        coalesce(paid_at_snapshots.last_paid_late, 0) as customer_last_paid_late,
        paid_at_snapshots.last_avg_days_beyond_terms
            as customer_last_avg_days_beyond_terms,
        coalesce(paid_at_snapshots.paid_beyond_threshold, 0)
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
    left join paid_at_snapshots
        on open_invoices.as_of_date = paid_at_snapshots.as_of_date
        and open_invoices.business_id = paid_at_snapshots.business_id
        and open_invoices.customer_id = paid_at_snapshots.customer_id

)

select * from final
