{#-
    Every credit invoice settled past its total (more cash applied and credit tied to it
    than it owed), at each snapshot date from the day its settlements passed the total:
    what it owes is then negative, as the aging shows it. int_invoices_open_at_snapshots
    ends at the paid date, so these rows are the rest of "what is owed on an invoice at a
    snapshot": a customer's balance or receivable at a snapshot is the sum of the two.
    An invoice's total and every settlement are at least zero (the contract), so what is
    owed only falls: positive until the paid date (the other model), zero or less after
    it (here, when below zero). Few invoices: each is followed settlement by settlement.
-#}
with

invoices_settled as (

    select * from {{ ref('int_invoices_settled') }}

),

settlements as (

    select * from {{ ref('int_invoice_settlements_unioned') }}

),

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

-- Settled past the total by every settlement in the data; the snapshots below keep only
-- the days on which it already was.
over_applied as (

    select
        business_id,
        invoice_id,
        customer_id,
        invoice_date,
        due_date,
        total_amount,
        exchange_rate

    from invoices_settled
    where settled_amount > total_amount

),

-- What moves the amount owed, in the invoice's currency: the invoice itself, then each
-- settlement, on its date but never before the invoice's (a prepayment matched later
-- settles the invoice on the invoice date).
events as (

    select
        business_id,
        invoice_id,
        invoice_date as event_date,
        total_amount as amount

    from over_applied

    union all

    select
        settlements.business_id,
        settlements.invoice_id,
        case
            when settlements.event_date < over_applied.invoice_date
                then over_applied.invoice_date
            else settlements.event_date
        end as event_date,
        -settlements.settled_amount as amount

    from settlements
    inner join over_applied
        on settlements.business_id = over_applied.business_id
        and settlements.invoice_id = over_applied.invoice_id

),

event_days as (

    select
        business_id,
        invoice_id,
        event_date,
        sum(amount) as amount

    from events
    group by business_id, invoice_id, event_date

),

-- What is owed after each day's events, valid until the next day with events.
running as (

    select
        business_id,
        invoice_id,
        event_date,
        {{ valid_until('event_date', 'business_id, invoice_id') }} as next_event_date,
        sum(amount) over (
            partition by business_id, invoice_id
            order by event_date
            rows between unbounded preceding and current row
        ) as owed_amount

    from event_days

),

final as (

    select
        ---------- keys
        snapshot_dates.as_of_date,
        over_applied.business_id,
        over_applied.invoice_id,
        over_applied.customer_id,
        ---------- attributes
        snapshot_dates.is_current,
        ---------- dates
        over_applied.invoice_date,
        over_applied.due_date,
        ---------- amounts
        -- As int_invoices_open_at_snapshots: in the invoice's currency, converted at the
        -- invoice's rate and rounded per invoice. Scale 8: a running sum of amounts
        -- (2 places) x a rate (6).
        {{ to_money_of_wide_decimal(
            'running.owed_amount * over_applied.exchange_rate', 8
        ) }} as open_amount_home

    from running
    inner join snapshot_dates
        on running.business_id = snapshot_dates.business_id
        and running.event_date <= snapshot_dates.as_of_date
        and running.next_event_date > snapshot_dates.as_of_date
    inner join over_applied
        on running.business_id = over_applied.business_id
        and running.invoice_id = over_applied.invoice_id
    where running.owed_amount < 0

)

select * from final
