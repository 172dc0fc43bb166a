{#-
    Why revenue changed, customer by customer, month by month, on trailing-twelve-
    month net sales. Monthly invoice totals would call an annual prepayer "churned"
    eleven months a year and "reactivated" the twelfth; on TTM it is unchanged.
-#}
with

customer_months as (

    select * from {{ ref('int_customer_months_rolled') }}

),

businesses as (

    select * from {{ ref('stg_businesses') }}

),

classified as (

    select
        customer_months.*,
        {{ revenue_movement(
            'ttm_net_sales_home',
            'previous_ttm_net_sales_home',
            'first_purchase_date',
            'month_start_date'
        ) }} as movement_type

    from customer_months
    -- Customers in the revenue base this month or last; the rest did not move.
    where ttm_net_sales_home > 0
        or previous_ttm_net_sales_home > 0

),

final as (

    select
        ---------- keys
        classified.business_id,
        classified.month_end_date,
        classified.customer_id,
        ---------- attributes
        classified.movement_type,
        businesses.home_currency,
        ---------- amounts
        classified.ttm_net_sales_home as ttm_revenue,
        classified.previous_ttm_net_sales_home as previous_ttm_revenue,
        cast(
            case
                when classified.ttm_net_sales_home > 0
                    then classified.ttm_net_sales_home
                else 0
            end
            - case
                when classified.previous_ttm_net_sales_home > 0
                    then classified.previous_ttm_net_sales_home
                else 0
            end
            as decimal(18, 2)
        ) as revenue_change,
        classified.month_net_sales_home as month_net_sales

    from classified
    inner join businesses
        on classified.business_id = businesses.business_id

)

select * from final
