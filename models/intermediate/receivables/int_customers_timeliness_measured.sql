{#-
    How each customer pays, as known at each snapshot date (int_snapshot_dates_spined): only
    invoices issued by then, only settlements dated by then (no look-ahead), and what was
    still open on that day.

    Built to scale with the number of snapshot dates: each invoice is counted once, at
    the first segment date on or after its date (and its payment at the first on or
    after its paid date), running totals run over those per customer, and each
    snapshot reads them (not each invoice joined to every later snapshot: 60 million
    rows at 10 million invoice lines). Averages are running sums over running counts.
    Open amounts come from int_invoices_open_at_snapshots.
-#}
with

invoices_settled as (

    select * from {{ ref('int_invoices_settled') }}

),

-- The snapshot dates and the month ends before them that segments look back on
-- (open amounts exist at the snapshot dates only).
snapshot_dates as (

    select * from {{ ref('int_segment_dates_spined') }}

),

-- Each date an invoice was issued or paid on, with the first segment date on or after
-- it, where it is first counted. Dates after a business's last segment date are never
-- read: no row.
event_dates as (

    select
        business_id,
        invoice_date as event_date

    from invoices_settled

    union

    select
        business_id,
        paid_date as event_date

    from invoices_settled
    where paid_date is not null

),

dates_read as (

    select
        event_dates.business_id,
        event_dates.event_date,
        min(snapshot_dates.as_of_date) as read_at_date

    from event_dates
    inner join snapshot_dates
        on event_dates.business_id = snapshot_dates.business_id
        and event_dates.event_date <= snapshot_dates.as_of_date
    group by event_dates.business_id, event_dates.event_date

),

-- Issued as of a snapshot = dated on or before it; paid as of a snapshot = paid on or
-- before it (int_invoices_settled.paid_date). Each invoice counts at the first segment
-- date on or after its invoice date, and its payment at the first on or after its paid
-- date: sums per customer and segment date, one branch per event.
counted as (

    select
        invoices_settled.business_id,
        invoices_settled.customer_id,
        dates_read.read_at_date,
        1 as credit_invoices,
        0 as paid_invoices,
        cast(null as {{ dbt.type_int() }}) as days_to_pay,
        cast(null as decimal(18, 2)) as total_amount_home,
        cast(null as {{ dbt.type_int() }}) as days_beyond_terms,
        cast(null as {{ dbt.type_int() }}) as paid_late

    from invoices_settled
    inner join dates_read
        on invoices_settled.business_id = dates_read.business_id
        and invoices_settled.invoice_date = dates_read.event_date

    union all

    select
        invoices_settled.business_id,
        invoices_settled.customer_id,
        dates_read.read_at_date,
        0 as credit_invoices,
        1 as paid_invoices,
        invoices_settled.days_to_pay,
        invoices_settled.total_amount_home,
        invoices_settled.days_beyond_terms,
        -- Counted as avg() of "1 if late, else 0" counts it: not late when unknown.
        case when invoices_settled.is_paid_late then 1 else 0 end as paid_late

    from invoices_settled
    inner join dates_read
        on invoices_settled.business_id = dates_read.business_id
        and invoices_settled.paid_date = dates_read.event_date

),

-- An average is a sum over a count here, each kept as a running total: the count of
-- the values that are not null, as avg() counts them.
sums as (

    select
        business_id,
        customer_id,
        read_at_date,
        -- Narrow types: the running totals below are faster on them than on the 38
        -- digits sum() returns (DuckDB).
        -- sqlfluff cannot indent SQL inside a Jinja loop in a select list (LT02).
        -- noqa: disable=LT02
        {% for measure, expression, type in [
            ('credit_invoices', 'sum(credit_invoices)', dbt.type_bigint()),
            ('paid_invoices', 'sum(paid_invoices)', dbt.type_bigint()),
            ('days_to_pay', 'sum(days_to_pay)', dbt.type_bigint()),
            ('days_to_pay_count', 'count(days_to_pay)', dbt.type_bigint()),
            ('weighted_days_to_pay', 'sum(days_to_pay * total_amount_home)',
             'decimal(38, 2)'),
            ('paid_amount_home', 'sum(total_amount_home)', 'decimal(18, 2)'),
            ('days_beyond_terms', 'sum(days_beyond_terms)', dbt.type_bigint()),
            ('days_beyond_terms_count', 'count(days_beyond_terms)', dbt.type_bigint()),
            ('paid_late', 'sum(paid_late)', dbt.type_bigint()),
            ('paid_late_count', 'count(paid_late)', dbt.type_bigint()),
        ] -%}
        cast({{ expression }} as {{ type }})
            as {{ measure }}{% if not loop.last %},{% endif %}
        {% endfor %}

    -- noqa: enable=LT02
    from counted
    group by business_id, customer_id, read_at_date

),

-- Running totals per customer, each valid from its segment date to the day before the
-- next one with a row (customer_sales_readings' method: DECISIONLOG.md, 2026-12-05
-- (months)). Before: a window of six running aggregates over every payment and
-- snapshot row (5.1 million at 10 million invoice lines) and one over every invoice
-- and snapshot row.
running as (

    select
        business_id,
        customer_id,
        read_at_date,
        {{ valid_until('read_at_date', 'business_id, customer_id') }}
            as next_read_at_date,
        -- noqa: disable=LT02
        {% for measure in [
            'credit_invoices', 'paid_invoices', 'days_to_pay', 'days_to_pay_count',
            'weighted_days_to_pay', 'paid_amount_home', 'days_beyond_terms',
            'days_beyond_terms_count', 'paid_late', 'paid_late_count',
        ] -%}
        sum({{ measure }}) over (
            partition by business_id, customer_id
            order by read_at_date
            rows between unbounded preceding and current row
        ) as {{ measure }}{% if not loop.last %},{% endif %}
        {% endfor %}

    -- noqa: enable=LT02
    from sums

),

-- The running totals at each segment date: the row whose validity holds it. The rows
-- are each customer's segment dates from its first credit invoice on (the first
-- running total is its first invoice's, and each validity runs to the next one's or
-- 9999-12-31).
issued_and_paid as (

    select
        snapshot_dates.as_of_date,
        running.business_id,
        running.customer_id,
        cast(running.credit_invoices as {{ dbt.type_bigint() }}) as credit_invoices,
        cast(running.paid_invoices as {{ dbt.type_bigint() }}) as paid_invoices,
        -- As avg() would divide (macros/average_of_sums.sql).
        {{ average_of_sums('running.days_to_pay', 'running.days_to_pay_count') }}
            as avg_days_to_pay,
        running.weighted_days_to_pay / nullif(running.paid_amount_home, 0)
            as avg_days_to_pay_weighted,
        {{ average_of_sums(
            'running.days_beyond_terms', 'running.days_beyond_terms_count'
        ) }} as avg_days_beyond_terms,
        {{ average_of_sums('running.paid_late', 'running.paid_late_count') }}
            as share_paid_late

    from running
    inner join snapshot_dates
        on running.business_id = snapshot_dates.business_id
        and running.read_at_date <= snapshot_dates.as_of_date
        and running.next_read_at_date > snapshot_dates.as_of_date

),

open_amounts as (

    select * from {{ ref('int_invoices_open_at_snapshots') }}

),

balances as (

    select
        as_of_date,
        business_id,
        customer_id,
        sum(open_amount_home) as open_balance,
        sum(case when due_date < as_of_date then open_amount_home else 0 end)
            as overdue_balance

    from open_amounts
    group by as_of_date, business_id, customer_id

),

final as (

    select
        ---------- keys
        issued_and_paid.as_of_date,
        issued_and_paid.business_id,
        issued_and_paid.customer_id,
        ---------- counts
        issued_and_paid.credit_invoices,
        issued_and_paid.paid_invoices,
        ---------- days (null while nothing is paid)
        issued_and_paid.avg_days_to_pay,
        issued_and_paid.avg_days_to_pay_weighted,
        issued_and_paid.avg_days_beyond_terms,
        issued_and_paid.share_paid_late,
        ---------- amounts
        coalesce(balances.open_balance, 0) as open_balance,
        coalesce(balances.overdue_balance, 0) as overdue_balance

    from issued_and_paid
    left join balances
        on issued_and_paid.as_of_date = balances.as_of_date
        and issued_and_paid.business_id = balances.business_id
        and issued_and_paid.customer_id = balances.customer_id

)

select * from final
