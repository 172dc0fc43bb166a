with

source as (

    select * from {{ source('raw', 'invoices') }}

),

renamed as (

    select
        ---------- ids
        business_id,
        invoice_id,
        customer_id,
        ---------- attributes
        document_type,
        status,
        status = 'void' as is_void,
        currency,
        exchange_rate,
        ---------- amounts (document currency)
        total_amount,
        tax_amount,
        ---------- amounts (home currency)
        {{ to_money('total_amount * exchange_rate') }} as total_amount_home,
        {{ to_money('tax_amount * exchange_rate') }} as tax_amount_home,
        ---------- dates
        invoice_date,
        due_date

    from source

)

select * from renamed
