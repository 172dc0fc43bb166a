{#-
    Each credit invoice's receivable cut into the pieces that were outstanding for the
    same time: one tranche per settlement (payment applied or tied credit note, tax
    included, home currency at the invoice's rate) and one for what is still unpaid.
    The financing cost of a customer's payment behaviour is amount x days outstanding
    x the cost of capital over these tranches (int_customers_costed); splitting by
    settlement makes a partly paid invoice cost what it really cost.
    The receivable is total_amount_home, tax included: it is what the customer owes
    and what the business waits for. Settlements are taken in date order and clamped
    so the tranches never add up to more than the invoice (an overpayment finances
    nothing). Sales receipts are paid at sale and have no receivable.
-#}

with

invoices as (

    select * from {{ ref('stg_invoices') }}

),

settlements as (

    select * from {{ ref('int_invoice_settlements_unioned') }}

),

credit_invoices as (

    select
        business_id,
        invoice_id,
        customer_id,
        invoice_date,
        total_amount_home

    from invoices
    where document_type = 'invoice'
        and not is_void

),

settlements_ordered as (

    select
        business_id,
        invoice_id,
        settlement_type,
        settlement_id,
        event_date,
        settled_amount_home,
        coalesce(
            sum(settled_amount_home) over (
                partition by business_id, invoice_id
                order by event_date, settlement_type, settlement_id
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as settled_before_home

    from settlements

),

settled_tranches as (

    select
        credit_invoices.business_id,
        credit_invoices.customer_id,
        credit_invoices.invoice_id,
        credit_invoices.invoice_date,
        settlements_ordered.event_date as settled_date,
        case
            when credit_invoices.total_amount_home
                - settlements_ordered.settled_before_home
                <= 0
                then 0
            when settlements_ordered.settled_amount_home
                < credit_invoices.total_amount_home
                - settlements_ordered.settled_before_home
                then settlements_ordered.settled_amount_home
            else credit_invoices.total_amount_home
                - settlements_ordered.settled_before_home
        end as tranche_amount_home

    from settlements_ordered
    inner join credit_invoices
        on settlements_ordered.business_id = credit_invoices.business_id
        and settlements_ordered.invoice_id = credit_invoices.invoice_id

),

settled_totals as (

    select
        business_id,
        invoice_id,
        sum(tranche_amount_home) as settled_home

    from settled_tranches
    group by business_id, invoice_id

),

open_tranches as (

    select
        credit_invoices.business_id,
        credit_invoices.customer_id,
        credit_invoices.invoice_id,
        credit_invoices.invoice_date,
        cast(null as date) as settled_date,
        credit_invoices.total_amount_home - coalesce(settled_totals.settled_home, 0)
            as tranche_amount_home

    from credit_invoices
    left join settled_totals
        on credit_invoices.business_id = settled_totals.business_id
        and credit_invoices.invoice_id = settled_totals.invoice_id

),

unioned as (

    select * from settled_tranches
    union all
    select * from open_tranches

),

final as (

    select
        ---------- keys
        business_id,
        customer_id,
        invoice_id,
        ---------- dates
        invoice_date,
        -- Null: not settled (at any date in the export).
        settled_date,
        ---------- amounts
        {{ to_money('tranche_amount_home') }} as tranche_amount_home

    from unioned
    where tranche_amount_home > 0

)

select * from final
