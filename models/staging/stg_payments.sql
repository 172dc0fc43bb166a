with

source as (

    select * from {{ source('raw', 'payments') }}

),

renamed as (

    select
        ---------- ids
        business_id,
        payment_id,
        customer_id,
        ---------- attributes
        currency,
        exchange_rate,
        ---------- amounts
        amount,
        {{ to_money('amount * exchange_rate') }} as amount_home,
        ---------- dates
        payment_date

    from source

)

select * from renamed
