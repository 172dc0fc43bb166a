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
        ---------- amounts (home currency)
        {{ to_money('amount * exchange_rate') }} as amount_home,
        {{ to_money('tax_amount * exchange_rate') }} as tax_amount_home,
        ---------- dates
        credit_note_date

    from source

)

select * from renamed
