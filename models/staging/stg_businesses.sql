with

source as (

    select * from {{ source('raw', 'businesses') }}

),

renamed as (

    select
        ---------- ids
        business_id,
        ---------- attributes
        business_name,
        home_currency,
        fiscal_year_start_month,
        default_payment_terms_days,
        ---------- dates
        export_complete_to_date

    from source

)

select * from renamed
