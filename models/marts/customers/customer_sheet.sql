with

businesses as (

    select * from {{ ref('stg_businesses') }}

),

customers as (

    select * from {{ ref('stg_customers') }}

),

sales_events as (

    select * from {{ ref('int_sales_events_unioned') }}

),

events_to_date as (

    select * from sales_events
    where event_date <= {{ as_of_date() }}

),

customer_totals as (

    select
        business_id,
        customer_id,
        sum(net_sales_home) as ltv,
        sum(case when is_purchase then 1 else 0 end) as purchases,
        min(case when is_purchase then event_date end) as first_purchase_date,
        max(case when is_purchase then event_date end) as last_purchase_date

    from events_to_date
    group by business_id, customer_id

),

final as (

    select
        ---------- keys
        customer_totals.business_id,
        customer_totals.customer_id,
        ---------- attributes
        customers.customer_name,
        businesses.home_currency,
        ---------- amounts
        cast(customer_totals.ltv as decimal(18, 2)) as ltv,
        ---------- counts
        cast(customer_totals.purchases as integer) as purchases,
        ---------- dates
        customer_totals.first_purchase_date,
        customer_totals.last_purchase_date,
        {{ as_of_date() }} as as_of_date

    from customer_totals
    inner join customers
        on customer_totals.business_id = customers.business_id
        and customer_totals.customer_id = customers.customer_id
    inner join businesses
        on customer_totals.business_id = businesses.business_id
    -- Only customers who bought: a credit note alone does not make a customer.
    where customer_totals.purchases > 0

)

select * from final
