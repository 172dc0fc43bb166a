with

source as (

    select * from {{ source('raw', 'customer_costs') }}

),

renamed as (

    select
        ---------- ids
        business_id,
        cost_id,
        customer_id,
        ---------- attributes
        category,
        hours,
        ---------- amounts (already in home currency)
        amount as amount_home,
        ---------- dates
        cost_date

    from source

)

select * from renamed
