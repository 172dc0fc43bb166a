{#-
    Each customer's month in the books, for the monthly statements: one row per business,
    customer and statement month end (every month end of segment_history), from the month
    of the customer's first dated fact on. The month's flows (what the income statement
    shows), the same measures to date (what the balance sheet needs), and the two balances
    at the month end: the receivable (the aging's open balance recomputed at that day) and
    the customer's credit (cash and credit notes the business holds for it, less what
    was refunded in cash).
    Flows come from the dated ledger (int_customer_ledger_facts_unioned), the one the
    profitability windows read, so a month here and a TTM there count a sale the same way;
    summed per calendar month in int_customer_ledger_months_summed, which
    int_customer_months_contributed reads too.
-#}
{%- set service_categories = service_cost_categories() -%}
{%- set flows = ['net_sales', 'cost_of_goods', 'acquisition_cost', 'purchases'] -%}
{%- for category in service_categories -%}
{%- do flows.append(category ~ '_cost') -%}
{%- endfor -%}
{#- The receivable's parts and the customer credit: read as running totals only. -#}
{%- set balances = [
    'open_amount', 'open_start_days', 'closed_nights_amount', 'credit'
] -%}
{%- set ledger_types = customer_ledger_types() -%}
with

-- The dated ledger per customer and calendar month, up to the as-of date.
ledger_months as (

    select * from {{ ref('int_customer_ledger_months_summed') }}

),

invoices as (

    select * from {{ ref('stg_invoices') }}

),

settlements as (

    select * from {{ ref('int_invoice_settlements_unioned') }}

),

payments as (

    select * from {{ ref('stg_payments') }}

),

payment_allocations as (

    select * from {{ ref('stg_payment_allocations') }}

),

credit_notes as (

    select * from {{ ref('stg_credit_notes') }}

),

-- The statement months: each month end of the snapshot calendar (segment_history's).
month_ends as (

    select
        business_id,
        as_of_date as month_end_date,
        cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as month_start_date

    from {{ ref('int_snapshot_dates_spined') }}
    where is_month_end

),

windows as (

    select
        business_id,
        min(month_start_date) as first_month_start_date,
        min(month_end_date) as first_month_end_date,
        max(month_end_date) as last_month_end_date,
        {{ month_number('min(month_start_date)') }} as first_month_number,  -- noqa: LT05
        {{ month_number('max(month_end_date)') }} as last_month_number  -- noqa: LT05

    from month_ends
    group by business_id

),

credit_invoices as (

    select
        business_id,
        invoice_id,
        customer_id,
        invoice_date,
        total_amount,
        exchange_rate

    from invoices
    where document_type = 'invoice'
        and not is_void

),

---------- customer credit as dated amounts

applied_per_payment as (

    select
        business_id,
        payment_id,
        sum(amount_applied) as amount_applied

    from payment_allocations
    group by business_id, payment_id

),

-- Cash received and not applied to an invoice is the customer's credit from the day it
-- arrives, valued at the payment's rate (as ar_aging values it).
unapplied_cash as (

    select
        payments.business_id,
        payments.customer_id,
        payments.payment_date as fact_date,
        payments.amount_home
        -- Scale 8: a sum of amounts (2 places) x a rate (6).
        - {{ to_money_of_wide_decimal(
            'coalesce(applied_per_payment.amount_applied, 0) * payments.exchange_rate', 8
        ) }} as credit

    from payments
    left join applied_per_payment
        on payments.business_id = applied_per_payment.business_id
        and payments.payment_id = applied_per_payment.payment_id

),

-- A settlement dated before its invoice (a prepayment matched later, a credit note
-- raised ahead) is the customer's credit until the invoice exists: on the invoice date
-- it becomes a settlement of it. At the invoice's rate, as the settlement is valued.
early_settlements as (

    select
        settlements.business_id,
        settlements.customer_id,
        settlements.event_date as fact_date,
        settlements.settled_amount_home as credit

    from settlements
    inner join credit_invoices
        on settlements.business_id = credit_invoices.business_id
        and settlements.invoice_id = credit_invoices.invoice_id
    where settlements.event_date < credit_invoices.invoice_date

    union all

    select
        settlements.business_id,
        settlements.customer_id,
        credit_invoices.invoice_date as fact_date,
        -settlements.settled_amount_home as credit

    from settlements
    inner join credit_invoices
        on settlements.business_id = credit_invoices.business_id
        and settlements.invoice_id = credit_invoices.invoice_id
    where settlements.event_date < credit_invoices.invoice_date

),

-- A credit note tied to no invoice is credit the customer can still use, tax included,
-- less the part paid back in cash on its date (the refund leaves the customer's books).
untied_credits as (

    select
        business_id,
        customer_id,
        credit_note_date as fact_date,
        amount_home + tax_amount_home - refunded_amount_home as credit

    from credit_notes
    where invoice_id is null

),

---------- the facts in their statement months

-- Each ledger month in its statement month; months before the first statement month
-- count only in the running totals (they sit in the first month's bucket with no flow),
-- months after the last one not at all.
flow_months as (

    select
        ledger_months.business_id,
        ledger_months.customer_id,
        case
            when ledger_months.month_number < windows.first_month_number
                then windows.first_month_end_date
            else {{ period_end_date('ledger_months.month_number', calendar_grains()[0]) }}
        end as month_end_date,
        ledger_months.month_number >= windows.first_month_number as is_in_month,
        {% for flow in flows -%}
        ledger_months.{{ flow }},
        {% endfor -%}
        ledger_months.open_amount,
        ledger_months.open_start_days,
        ledger_months.closed_nights_amount,
        0 as credit

    from ledger_months
    inner join windows
        on ledger_months.business_id = windows.business_id
    where ledger_months.month_number <= windows.last_month_number

),

-- The customer credit's dated amounts, in their statement months in the same way.
credit_facts as (

    {% for source in ['unapplied_cash', 'early_settlements', 'untied_credits'] -%}
    select
        business_id,
        customer_id,
        fact_date,
        credit

    from {{ source }}

    {% if not loop.last %}union all

    {% endif -%}
    {% endfor %}
),

credit_months as (

    select
        credit_facts.business_id,
        credit_facts.customer_id,
        case
            when credit_facts.fact_date < windows.first_month_start_date
                then windows.first_month_end_date
            else cast({{ dbt.last_day('credit_facts.fact_date', 'month') }} as date)
        end as month_end_date,
        credit_facts.fact_date >= windows.first_month_start_date as is_in_month,
        {% for flow in flows -%}
        0 as {{ flow }},
        {% endfor -%}
        0 as open_amount,
        0 as open_start_days,
        0 as closed_nights_amount,
        credit_facts.credit

    from credit_facts
    inner join windows
        on credit_facts.business_id = windows.business_id
    where credit_facts.fact_date <= windows.last_month_end_date

),

bucketed as (

    select * from flow_months
    union all
    select * from credit_months

),

-- The flows summed per statement month, and apart from them the facts dated before the
-- first statement month, summed per customer: they count only in the running totals,
-- as an opening amount. Not one grouping per month and side of the month's start and a
-- second one per month putting the sides together: that second grouping went over
-- nearly as many rows as the first, only the first month has two sides (10.0-10.7
-- against 10.6-12.5 s, 19.6-20.7 against 20.6-24.2 CPU-s for this model at 10 million
-- invoice lines; DECISIONLOG.md "2026-12-06 (opening)"). Each sum is cast back to the
-- ledger's type (customer_ledger_types): a customer's month fits it, and the running
-- totals below are faster on it than on the 38 digits sum() returns.
monthly as (

    select
        business_id,
        customer_id,
        month_end_date,
        -- sqlfluff cannot indent SQL inside a Jinja loop in a select list (LT02).
        -- noqa: disable=LT02
        {% for measure in flows + balances -%}
        cast(sum({{ measure }}) as {{ ledger_types.get(measure, 'decimal(18, 2)') }})
            as {{ measure }}{% if not loop.last %},{% endif %}
        {% endfor %}

    -- noqa: enable=LT02
    from bucketed
    where is_in_month
    group by business_id, customer_id, month_end_date

),

opening as (

    select
        business_id,
        customer_id,
        -- noqa: disable=LT02
        {% for measure in flows + balances -%}
        cast(sum({{ measure }}) as {{ ledger_types.get(measure, 'decimal(18, 2)') }})
            as {{ measure }}{% if not loop.last %},{% endif %}
        {% endfor %}

    -- noqa: enable=LT02
    from bucketed
    where not is_in_month
    group by business_id, customer_id

),

-- The customer is on the statements from the month of its first fact: a fact before
-- the first statement month puts it there.
fact_months as (

    select
        business_id,
        customer_id,
        month_end_date

    from monthly

    union all

    select
        opening.business_id,
        opening.customer_id,
        windows.first_month_end_date as month_end_date

    from opening
    inner join windows
        on opening.business_id = windows.business_id

),

customer_starts as (

    select
        business_id,
        customer_id,
        min(month_end_date) as first_month_end_date

    from fact_months
    group by business_id, customer_id

),

grid as (

    select
        customer_starts.business_id,
        customer_starts.customer_id,
        month_ends.month_end_date,
        month_ends.month_start_date

    from customer_starts
    inner join month_ends
        on customer_starts.business_id = month_ends.business_id
        and customer_starts.first_month_end_date <= month_ends.month_end_date

),

running as (

    select
        grid.business_id,
        grid.customer_id,
        grid.month_end_date,
        grid.month_start_date,
        -- noqa: disable=LT02
        {% for measure in flows + balances -%}
        coalesce(monthly.{{ measure }}, 0) as {{ measure }},
        coalesce(opening.{{ measure }}, 0)
        + sum(coalesce(monthly.{{ measure }}, 0)) over (
            partition by grid.business_id, grid.customer_id
            order by grid.month_end_date
            rows between unbounded preceding and current row
        ) as {{ measure }}_to_date{% if not loop.last %},{% endif %}
        {% endfor %}

    -- noqa: enable=LT02
    from grid
    left join monthly
        on grid.business_id = monthly.business_id
        and grid.customer_id = monthly.customer_id
        and grid.month_end_date = monthly.month_end_date
    left join opening
        on grid.business_id = opening.business_id
        and grid.customer_id = opening.customer_id

),

-- Nights outstanding, amount-weighted, up to the month end and up to the day before the
-- month (the running totals less the month's own facts), as in int_customers_costed.
nights as (

    select
        running.*,
        closed_nights_amount_to_date
        + {{ day_number('month_end_date') }} * open_amount_to_date  -- noqa: LT05
        - open_start_days_to_date as nights_to_date,
        (closed_nights_amount_to_date - closed_nights_amount)
        + ({{ day_number('month_start_date') }} - 1)  -- noqa: LT05
        * (open_amount_to_date - open_amount)
        - (open_start_days_to_date - open_start_days) as nights_before

    from running

),

---------- the receivable at each month end, invoice by invoice

-- What is owed on each credit invoice at a month end: the open amount up to its paid
-- date (int_invoices_open_at_snapshots), below zero after it when settled past its
-- total (int_invoices_over_applied_at_snapshots); each in the invoice's currency,
-- converted at its rate and rounded per invoice, as the aging does, so a foreign
-- invoice paid at another rate leaves exactly 0.00. Read at the month ends rather than
-- recomputed here from every invoice's settlements: at 10 million invoice lines that
-- took about a third of this model's time (DECISIONLOG.md, "2026-12-06 (receivables)").
owed_on_invoices as (

    select
        business_id,
        customer_id,
        as_of_date,
        open_amount_home

    from {{ ref('int_invoices_open_at_snapshots') }}

    union all

    select
        business_id,
        customer_id,
        as_of_date,
        open_amount_home

    from {{ ref('int_invoices_over_applied_at_snapshots') }}

),

receivables as (

    select
        owed_on_invoices.business_id,
        owed_on_invoices.customer_id,
        month_ends.month_end_date,
        sum(owed_on_invoices.open_amount_home) as accounts_receivable

    from owed_on_invoices
    inner join month_ends
        on owed_on_invoices.business_id = month_ends.business_id
        and owed_on_invoices.as_of_date = month_ends.month_end_date
    group by
        owed_on_invoices.business_id,
        owed_on_invoices.customer_id,
        month_ends.month_end_date

),

final as (

    select
        ---------- keys
        nights.business_id,
        nights.customer_id,
        nights.month_end_date,
        ---------- dates
        nights.month_start_date,
        ---------- the month's flows (home currency)
        -- noqa: disable=LT02
        {% for flow in flows if flow != 'purchases' -%}
        cast(nights.{{ flow }} as decimal(18, 2)) as {{ flow }},
        {% endfor -%}
        -- noqa: enable=LT02
        -- Rounded on the running total, so the months add up to the all-time figure.
        {{ financing_cost('nights.nights_to_date') }}
        - {{ financing_cost('nights.nights_before') }} as financing_cost,
        cast(nights.purchases as {{ dbt.type_int() }}) as purchases,
        ---------- to date: everything booked up to the month end
        -- noqa: disable=LT02
        {% for flow in flows if flow != 'purchases' -%}
        cast(nights.{{ flow }}_to_date as decimal(18, 2)) as {{ flow }}_to_date,
        {% endfor -%}
        -- noqa: enable=LT02
        {{ financing_cost('nights.nights_to_date') }} as financing_cost_to_date,
        cast(nights.purchases_to_date as {{ dbt.type_int() }}) as purchases_to_date,
        ---------- balances at the month end (home currency)
        {{ to_money('coalesce(receivables.accounts_receivable, 0)') }}
            as accounts_receivable,
        cast(nights.credit_to_date as decimal(18, 2)) as customer_credit

    from nights
    left join receivables
        on nights.business_id = receivables.business_id
        and nights.customer_id = receivables.customer_id
        and nights.month_end_date = receivables.month_end_date

)

select * from final
