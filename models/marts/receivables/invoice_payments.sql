{#-
    How each credit invoice stands at the as-of date: what was settled by cash and
    by credit notes, what is still open, and when (if) it was paid. Settlements dated
    after the as-of date are ignored, so a past run reproduces exactly. Which invoices
    are open at the as-of date is int_invoices_open_at_snapshots' answer (is_current).
-#}
with

invoices_settled as (

    select * from {{ ref('int_invoices_settled') }}

),

settlements as (

    select * from {{ ref('int_invoice_settlements_unioned') }}

),

payments as (

    select * from {{ ref('stg_payments') }}

),

credit_notes as (

    select * from {{ ref('stg_credit_notes') }}

),

businesses as (

    select * from {{ ref('stg_businesses') }}

),

open_invoices as (

    select * from {{ ref('int_invoices_open_at_snapshots') }}

),

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

as_of as (

    select
        business_id,
        as_of_date

    from snapshot_dates
    where is_current

),

-- At most one row per invoice: the unique key is (as_of_date, business_id, invoice_id).
open_at_as_of as (

    select
        business_id,
        invoice_id

    from open_invoices
    where is_current

),

-- What the business's books say on the as-of date: settlements dated later have
-- not happened yet.
settlements_to_date as (

    select settlements.*
    from settlements
    inner join as_of
        on settlements.business_id = as_of.business_id
    where settlements.event_date <= as_of.as_of_date

),

-- Each settlement document's rate, keyed by its type and id. Joined on the three keys
-- at once: with the type as a condition on the settlement alone (`and settlement_type =
-- 'payment'`), DuckDB 1.5 planned each left join as a nested loop, 4.2 million
-- settlements by 3.3 million payments at 10M lines (DECISIONLOG.md, 2026-12-05 (DuckDB
-- 2.0)).
settlement_rates as (

    select
        business_id,
        'payment' as settlement_type,
        payment_id as settlement_id,
        exchange_rate

    from payments

    union all

    select
        business_id,
        'credit_note' as settlement_type,
        credit_note_id as settlement_id,
        exchange_rate

    from credit_notes

),

-- The home value each settlement actually realised: cash at the payment's rate,
-- a credit note at its own rate. Against the invoice's rate this is the FX gain or
-- loss (DECISIONLOG.md); the receivable itself is measured in invoice currency.
realised_values as (

    select
        settlements_to_date.business_id,
        settlements_to_date.invoice_id,
        settlements_to_date.settlement_type,
        settlements_to_date.settled_amount,
        {{ to_money(
            'settlements_to_date.settled_amount * settlement_rates.exchange_rate'
        ) }} as realised_amount_home

    from settlements_to_date
    left join settlement_rates
        on settlements_to_date.business_id = settlement_rates.business_id
        and settlements_to_date.settlement_type = settlement_rates.settlement_type
        and settlements_to_date.settlement_id = settlement_rates.settlement_id

),

settlement_totals as (

    select
        business_id,
        invoice_id,
        sum(case when settlement_type = 'payment' then settled_amount else 0 end)
            as allocated_amount,
        sum(case when settlement_type = 'credit_note' then settled_amount else 0 end)
            as credited_amount,
        sum(settled_amount) as settled_amount,
        sum(realised_amount_home) as realised_amount_home

    from realised_values
    group by business_id, invoice_id

),

invoice_amounts as (

    select
        invoices_settled.*,
        businesses.home_currency,
        as_of.as_of_date,
        coalesce(settlement_totals.allocated_amount, 0) as allocated_amount,
        coalesce(settlement_totals.credited_amount, 0) as credited_amount,
        coalesce(settlement_totals.settled_amount, 0) as settled_amount_to_date,
        coalesce(settlement_totals.realised_amount_home, 0) as realised_amount_home,
        open_at_as_of.invoice_id is not null as is_open,
        -- paid_date is all-time in int_invoices_settled: an invoice still open at the
        -- as-of date was not paid yet on it, whatever happened later.
        case
            when open_at_as_of.invoice_id is null then invoices_settled.paid_date
        end as paid_date_to_date

    from invoices_settled
    inner join as_of
        on invoices_settled.business_id = as_of.business_id
    inner join businesses
        on invoices_settled.business_id = businesses.business_id
    left join settlement_totals
        on invoices_settled.business_id = settlement_totals.business_id
        and invoices_settled.invoice_id = settlement_totals.invoice_id
    left join open_at_as_of
        on invoices_settled.business_id = open_at_as_of.business_id
        and invoices_settled.invoice_id = open_at_as_of.invoice_id
    where invoices_settled.invoice_date <= as_of.as_of_date

),

final as (

    select
        ---------- keys
        business_id,
        invoice_id,
        customer_id,
        ---------- attributes
        as_of_date,
        currency,
        exchange_rate,
        home_currency,
        payment_terms_days,
        ---------- amounts (invoice currency)
        total_amount,
        {{ to_money('allocated_amount') }} as allocated_amount,
        {{ to_money('credited_amount') }} as credited_amount,
        {{ to_money('settled_amount_to_date') }} as settled_amount,
        -- Not clipped at zero: an export that applies more than the total shows a
        -- negative open amount instead of hiding it, and the aging ties out.
        {{ to_money('total_amount - settled_amount_to_date') }} as open_amount,
        {{ to_money(
            'case when settled_amount_to_date > total_amount'
            ~ ' then settled_amount_to_date - total_amount else 0 end'
        ) }} as over_applied_amount,
        ---------- amounts (home currency)
        total_amount_home,
        -- Open amounts convert at the invoice's rate: the receivable was booked at it.
        -- Every invoice has one (an over-applied paid one a negative one); for an open
        -- invoice it is the same as int_invoices_open_at_snapshots.open_amount_home.
        {{ to_money('(total_amount - settled_amount_to_date) * exchange_rate') }}
            as open_amount_home,
        {{ to_money(
            'realised_amount_home - settled_amount_to_date * exchange_rate'
        ) }} as fx_gain_loss_home,
        ---------- dates
        invoice_date,
        due_date,
        paid_date_to_date as paid_date,
        ---------- payment behaviour (null while unpaid at the as-of date)
        case when paid_date_to_date is not null then days_to_pay end as days_to_pay,
        case
            when paid_date_to_date is not null then days_beyond_terms
        end as days_beyond_terms,
        case when paid_date_to_date is not null then is_paid_late end as is_paid_late,
        is_open,
        cast(
            case
                when is_open and due_date < as_of_date
                    then {{ dbt.datediff('due_date', 'as_of_date', 'day') }}
                when is_open then 0
            end as {{ dbt.type_int() }}
        ) as days_past_due,
        -- "Late" as open_invoice_risk predicts it (macros/late_payment.sql): decided
        -- once paid, or once still open too long to be paid in time; null until then.
        case
            when paid_date_to_date is not null
                then {{ is_late_after_due(
                    dbt.datediff('due_date', 'paid_date_to_date', 'day')
                ) }}
            when is_open and {{ is_already_late('due_date', 'as_of_date') }}
                then true
        end as is_late_beyond_threshold

    from invoice_amounts

)

select * from final
