with

source as (

    select * from {{ source('raw', 'customers') }}

),

renamed as (

    select
        ---------- ids
        business_id,
        customer_id,
        parent_customer_id,
        referred_by_customer_id,
        ---------- attributes
        customer_name,
        payment_terms_days,
        sales_rep,
        acquisition_channel,
        ---------- dates
        created_date

    from source

)

select * from renamed
