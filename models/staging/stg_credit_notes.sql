with

source as (

    select * from {{ source('raw', 'credit_notes') }}

),

renamed as (

    select
        ---------- ids
        business_id,
        credit_note_id,
        customer_id,
        invoice_id,
        ---------- attributes
        invoice_id is not null as is_tied_to_invoice,
        currency,
        exchange_rate,
        reason,
        ---------- amounts (document currency)
        amount,
        tax_amount,
        coalesce(refunded_amount, 0) as refunded_amount,
        ---------- amounts (home currency)
        {{ to_money('amount * exchange_rate') }} as amount_home,
        {{ to_money('tax_amount * exchange_rate') }} as tax_amount_home,
        -- At the credit note's rate, rounded to the cent; a refund of the whole total
        -- is the whole home total, which rounds amount and tax apart and may differ by
        -- a cent from the total rounded once: a credit note refunded in full leaves
        -- exactly 0.00 of customer credit (DECISIONLOG.md).
        cast(
            case
                when coalesce(refunded_amount, 0) = amount + tax_amount
                    then
                        {{ to_money('amount * exchange_rate') }}
                        + {{ to_money('tax_amount * exchange_rate') }}
                else {{ to_money('coalesce(refunded_amount, 0) * exchange_rate') }}
            end
            as decimal(18, 2)
        ) as refunded_amount_home,
        ---------- dates
        credit_note_date

    from source

)

select * from renamed
