{#-
    When each credit invoice was paid, and how that compares with its terms.
    Amounts are compared in the invoice's own currency: a foreign invoice
    settled at another rate is paid in full, and the rate difference is an FX
    gain or loss (DECISIONLOG.md).
-#}
with

invoices as (

    select * from {{ ref('stg_invoices') }}

),

customers as (

    select * from {{ ref('stg_customers') }}

),

businesses as (

    select * from {{ ref('stg_businesses') }}

),

settlements as (

    select * from {{ ref('int_invoice_settlements_unioned') }}

),

credit_invoices as (

    select * from invoices
    where document_type = 'invoice'
        and not is_void

),

-- A blank due date means the export did not carry one; the contract fills it
-- from the customer's terms, else the business's default terms.
invoice_terms as (

    select
        credit_invoices.business_id,
        credit_invoices.invoice_id,
        credit_invoices.due_date as exported_due_date,
        coalesce(
            customers.payment_terms_days,
            businesses.default_payment_terms_days
        ) as default_terms_days

    from credit_invoices
    left join customers
        on credit_invoices.business_id = customers.business_id
        and credit_invoices.customer_id = customers.customer_id
    left join businesses
        on credit_invoices.business_id = businesses.business_id

),

-- Events on one date are summed first, so the running total steps once per date
-- and the paid date does not depend on how ties happen to be ordered.
daily_settlements as (

    select
        business_id,
        invoice_id,
        event_date,
        sum(settled_amount) as settled_amount,
        sum(settled_amount_home) as settled_amount_home

    from settlements
    group by business_id, invoice_id, event_date

),

running_settlements as (

    select
        daily_settlements.business_id,
        daily_settlements.invoice_id,
        daily_settlements.event_date,
        daily_settlements.settled_amount,
        daily_settlements.settled_amount_home,
        credit_invoices.total_amount,
        sum(daily_settlements.settled_amount) over (
            partition by
                daily_settlements.business_id,
                daily_settlements.invoice_id
            order by daily_settlements.event_date
            rows between unbounded preceding and current row
        ) as cumulative_settled_amount

    from daily_settlements
    inner join credit_invoices
        on daily_settlements.business_id = credit_invoices.business_id
        and daily_settlements.invoice_id = credit_invoices.invoice_id

),

settlement_totals as (

    select
        business_id,
        invoice_id,
        sum(settled_amount) as settled_amount,
        sum(settled_amount_home) as settled_amount_home,
        min(
            case
                when cumulative_settled_amount >= total_amount then event_date
            end
        ) as covered_date

    from running_settlements
    group by business_id, invoice_id

),

invoices_paid as (

    select
        credit_invoices.business_id,
        credit_invoices.invoice_id,
        credit_invoices.customer_id,
        credit_invoices.currency,
        credit_invoices.exchange_rate,
        credit_invoices.total_amount,
        credit_invoices.total_amount_home,
        coalesce(settlement_totals.settled_amount, 0) as settled_amount,
        coalesce(settlement_totals.settled_amount_home, 0)
            as settled_amount_home,
        credit_invoices.invoice_date,
        coalesce(
            invoice_terms.exported_due_date,
            cast(
                {{ dbt.dateadd(
                    'day',
                    'invoice_terms.default_terms_days',
                    'credit_invoices.invoice_date'
                ) }} as date
            )
        ) as due_date,
        case
            when invoice_terms.exported_due_date is not null
                then {{ dbt.datediff(
                    'credit_invoices.invoice_date',
                    'invoice_terms.exported_due_date',
                    'day'
                ) }}
            else invoice_terms.default_terms_days
        end as payment_terms_days,
        -- Nothing is owed on a zero invoice, so it is paid when issued. Cash or
        -- credit applied before the invoice date (a prepayment) cannot settle a
        -- debt that did not exist yet: such an invoice is paid on its invoice
        -- date, not before it.
        case
            when credit_invoices.total_amount = 0
                then credit_invoices.invoice_date
            when settlement_totals.covered_date < credit_invoices.invoice_date
                then credit_invoices.invoice_date
            else settlement_totals.covered_date
        end as paid_date

    from credit_invoices
    inner join invoice_terms
        on credit_invoices.business_id = invoice_terms.business_id
        and credit_invoices.invoice_id = invoice_terms.invoice_id
    left join settlement_totals
        on credit_invoices.business_id = settlement_totals.business_id
        and credit_invoices.invoice_id = settlement_totals.invoice_id

),

final as (

    select
        ---------- keys
        business_id,
        invoice_id,
        customer_id,
        ---------- attributes
        currency,
        exchange_rate,
        cast(payment_terms_days as {{ dbt.type_int() }}) as payment_terms_days,
        ---------- amounts (document currency)
        total_amount,
        {{ to_money('settled_amount') }} as settled_amount,
        ---------- amounts (home currency)
        total_amount_home,
        {{ to_money('settled_amount_home') }} as settled_amount_home,
        ---------- dates
        invoice_date,
        due_date,
        paid_date,
        ---------- payment behaviour (null while unpaid)
        cast(
            {{ dbt.datediff('invoice_date', 'paid_date', 'day') }}
            as {{ dbt.type_int() }}
        ) as days_to_pay,
        -- A case, not greatest(0, ...): PostgreSQL's greatest skips nulls and
        -- would give an unpaid invoice 0 days instead of null.
        cast(
            case
                when paid_date > due_date
                    then {{ dbt.datediff('due_date', 'paid_date', 'day') }}
                when paid_date is not null then 0
            end as {{ dbt.type_int() }}
        ) as days_beyond_terms,
        paid_date > due_date as is_paid_late

    from invoices_paid

)

select * from final
