{{ config(meta={"dagster": {"ref": {"name": "segment_balance_sheet"}}}) }}
{#-
    Every segment's balance sheet balances (assets = liabilities + equity) in every row,
    and, per business and month end, the receivables equal the aging's open balance
    recomputed at that day from the staging documents (each credit invoice dated up to it:
    total - payments applied by then - tied credit notes by then, at the invoice's rate,
    rounded per invoice), and the customer credit equals the unapplied cash, untied credit
    notes less their cash refunds and settlements made before their invoice existed,
    recomputed likewise.
    Returns what does not tie.
-#}

with

month_ends as (

    select
        business_id,
        as_of_date as month_end_date

    from {{ ref('int_snapshot_dates_spined') }}
    where is_month_end

),

balance_sheet as (

    select * from {{ ref('segment_balance_sheet') }}

),

sheet_totals as (

    select
        business_id,
        month_end_date,
        sum(accounts_receivable) as accounts_receivable,
        sum(customer_credit) as customer_credit,
        sum(
            case
                when total_assets <> accounts_receivable + customer_value
                    or total_liabilities
                    <> customer_credit + expected_cost_to_serve
                    + unearned_acquisition_investment
                    or total_assets <> total_liabilities + customer_equity
                    then 1
                else 0
            end
        ) as rows_not_balancing

    from balance_sheet
    group by business_id, month_end_date

),

credit_invoices as (

    select *
    from {{ ref('stg_invoices') }}
    where document_type = 'invoice'
        and not is_void

),

-- Every settlement of a credit invoice, in the invoice's currency and in home currency.
settlements as (

    select
        allocations.business_id,
        allocations.invoice_id,
        payments.payment_date as settled_date,
        allocations.amount_applied as amount,
        allocations.amount_applied_home as amount_home

    from {{ ref('stg_payment_allocations') }} as allocations
    inner join {{ ref('stg_payments') }} as payments
        on allocations.business_id = payments.business_id
        and allocations.payment_id = payments.payment_id

    union all

    select
        business_id,
        invoice_id,
        credit_note_date as settled_date,
        amount + tax_amount as amount,
        amount_home + tax_amount_home as amount_home

    from {{ ref('stg_credit_notes') }}
    where invoice_id is not null

),

-- When an invoice stopped being open for good: fully settled, on its last settlement.
invoice_closings as (

    select
        credit_invoices.business_id,
        credit_invoices.invoice_id,
        max(settlements.settled_date) as last_settled_date,
        sum(settlements.amount) as settled_amount

    from credit_invoices
    inner join settlements
        on credit_invoices.business_id = settlements.business_id
        and credit_invoices.invoice_id = settlements.invoice_id
    group by credit_invoices.business_id, credit_invoices.invoice_id

),

-- The day an invoice was settled to exactly nothing for good (its last settlement),
-- else 9999-12-31 (no null: a plain comparison joins faster than one with an OR): it
-- can be open at a month end before that day only.
invoice_spans as (

    select
        credit_invoices.business_id,
        credit_invoices.invoice_id,
        credit_invoices.invoice_date,
        credit_invoices.total_amount,
        credit_invoices.exchange_rate,
        case
            when invoice_closings.settled_amount = credit_invoices.total_amount
                then invoice_closings.last_settled_date
            else cast('9999-12-31' as date)
        end as closed_date

    from credit_invoices
    left join invoice_closings
        on credit_invoices.business_id = invoice_closings.business_id
        and credit_invoices.invoice_id = invoice_closings.invoice_id

),

-- The invoices that can be open at each month end: dated by then and not settled to
-- exactly nothing by then (the others are 0.00 open, and would only cost time). Pruned
-- in the join itself: an invoice paired with every later month end first made 58
-- million rows at 10 million invoice lines.
open_candidates as (

    select
        month_ends.business_id,
        month_ends.month_end_date,
        invoice_spans.invoice_id,
        invoice_spans.total_amount,
        invoice_spans.exchange_rate

    from invoice_spans
    inner join month_ends
        on invoice_spans.business_id = month_ends.business_id
        and invoice_spans.invoice_date <= month_ends.month_end_date
        and invoice_spans.closed_date > month_ends.month_end_date

),

open_at_month_ends as (

    select
        open_candidates.business_id,
        open_candidates.month_end_date,
        open_candidates.invoice_id,
        -- Amounts (2 places) x a rate (6) fit DECIMAL(18, 8) exactly, where they round
        -- on 64 bits: a 128-bit round() was a second of this test at 10M lines (a
        -- value too large for it fails the cast, loudly).
        round(
            cast(
                (
                    open_candidates.total_amount
                    - coalesce(sum(settlements.amount), 0)
                ) * open_candidates.exchange_rate as decimal(18, 8)
            ),
            2
        ) as open_home

    from open_candidates
    left join settlements
        on open_candidates.business_id = settlements.business_id
        and open_candidates.invoice_id = settlements.invoice_id
        and open_candidates.month_end_date >= settlements.settled_date
    group by
        open_candidates.business_id,
        open_candidates.month_end_date,
        open_candidates.invoice_id,
        open_candidates.total_amount,
        open_candidates.exchange_rate

),

aging as (

    select
        business_id,
        month_end_date,
        sum(open_home) as accounts_receivable

    from open_at_month_ends
    group by business_id, month_end_date

),

applied_per_payment as (

    select
        business_id,
        payment_id,
        sum(amount_applied) as amount_applied

    from {{ ref('stg_payment_allocations') }}
    group by business_id, payment_id

),

-- Credit as dated amounts: cash not applied, untied credit notes less the part refunded
-- in cash on their date, and a settlement
-- dated before its invoice (credit from its date until the invoice's).
credit_facts as (

    select
        payments.business_id,
        payments.payment_date as credit_date,
        payments.amount_home
        - round(
            cast(
                coalesce(applied.amount_applied, 0) * payments.exchange_rate
                as decimal(18, 8)
            ),
            2
        ) as amount

    from {{ ref('stg_payments') }} as payments
    left join applied_per_payment as applied
        on payments.business_id = applied.business_id
        and payments.payment_id = applied.payment_id

    union all

    select
        business_id,
        credit_note_date as credit_date,
        amount_home + tax_amount_home - refunded_amount_home as amount

    from {{ ref('stg_credit_notes') }}
    where invoice_id is null

    union all

    select
        settlements.business_id,
        settlements.settled_date as credit_date,
        settlements.amount_home as amount

    from settlements
    inner join credit_invoices
        on settlements.business_id = credit_invoices.business_id
        and settlements.invoice_id = credit_invoices.invoice_id
    where settlements.settled_date < credit_invoices.invoice_date

    union all

    select
        settlements.business_id,
        credit_invoices.invoice_date as credit_date,
        -settlements.amount_home as amount

    from settlements
    inner join credit_invoices
        on settlements.business_id = credit_invoices.business_id
        and settlements.invoice_id = credit_invoices.invoice_id
    where settlements.settled_date < credit_invoices.invoice_date

),

credit as (

    select
        month_ends.business_id,
        month_ends.month_end_date,
        sum(credit_facts.amount) as customer_credit

    from month_ends
    inner join credit_facts
        on month_ends.business_id = credit_facts.business_id
        and month_ends.month_end_date >= credit_facts.credit_date
    group by month_ends.business_id, month_ends.month_end_date

),

compared as (

    select
        month_ends.business_id,
        month_ends.month_end_date,
        coalesce(sheet_totals.accounts_receivable, 0) as sheet_accounts_receivable,
        coalesce(aging.accounts_receivable, 0) as aging_accounts_receivable,
        coalesce(sheet_totals.customer_credit, 0) as sheet_customer_credit,
        coalesce(credit.customer_credit, 0) as documents_customer_credit,
        coalesce(sheet_totals.rows_not_balancing, 0) as rows_not_balancing

    from month_ends
    left join sheet_totals
        on month_ends.business_id = sheet_totals.business_id
        and month_ends.month_end_date = sheet_totals.month_end_date
    left join aging
        on month_ends.business_id = aging.business_id
        and month_ends.month_end_date = aging.month_end_date
    left join credit
        on month_ends.business_id = credit.business_id
        and month_ends.month_end_date = credit.month_end_date

)

select * from compared
where sheet_accounts_receivable <> aging_accounts_receivable
    or sheet_customer_credit <> documents_customer_credit
    or rows_not_balancing > 0
