with

source as (

    select * from {{ source('raw', 'payment_allocations') }}

),

-- amount_applied is in the invoice's currency, so it is valued at the invoice's rate:
-- the receivable it settles was booked at that rate. The difference to the payment's
-- rate is an FX gain or loss, not revenue (DECISIONLOG.md).
invoice_rates as (

    select
        business_id,
        invoice_id,
        exchange_rate

    from {{ source('raw', 'invoices') }}

),

renamed as (

    select
        ---------- ids
        source.business_id,
        source.payment_id,
        source.invoice_id,
        ---------- amounts
        source.amount_applied,
        {{ to_money('source.amount_applied * invoice_rates.exchange_rate') }}
            as amount_applied_home

    from source
    inner join invoice_rates
        on source.business_id = invoice_rates.business_id
        and source.invoice_id = invoice_rates.invoice_id

)

select * from renamed
