{#-
    Each customer's net sales in a period next to the period before, with the
    movement between them: the ledger that revenue_retention adds up. One row per
    business, grain, complete period and customer with net sales in either period.
-#}
with

customer_periods as (

    select * from {{ ref('int_customer_periods_summed') }}

),

periods as (

    select * from {{ ref('int_retention_periods_spined') }}

),

customers_acquired as (

    select * from {{ ref('int_customers_acquired') }}

),

sums as (

    select
        customer_periods.*,
        customer_periods.period_number + 1 as next_period_number

    from customer_periods

),

-- A full join, so that a customer who bought last period and not this one (churn)
-- has a row as well as one who bought this period and not the last.
paired as (

    select
        coalesce(this_period.business_id, last_period.business_id) as business_id,
        coalesce(this_period.period_grain, last_period.period_grain) as period_grain,
        coalesce(this_period.period_number, last_period.next_period_number)
            as period_number,
        coalesce(this_period.customer_id, last_period.customer_id) as customer_id,
        coalesce(this_period.net_sales_home, 0) as net_sales_home,
        coalesce(last_period.net_sales_home, 0) as previous_net_sales_home

    from sums as this_period
    full outer join sums as last_period
        on this_period.business_id = last_period.business_id
        and this_period.period_grain = last_period.period_grain
        and this_period.customer_id = last_period.customer_id
        and this_period.period_number = last_period.next_period_number

),

final as (

    select
        ---------- keys
        paired.business_id,
        paired.period_grain,
        paired.period_number,
        paired.customer_id,
        ---------- dates
        periods.period_start_date,
        periods.period_end_date,
        customers_acquired.first_purchase_date,
        ---------- movement
        {{ revenue_movement(
            'paired.net_sales_home',
            'paired.previous_net_sales_home',
            'customers_acquired.first_purchase_date',
            'periods.period_start_date'
        ) }} as movement_type,
        ---------- amounts
        cast(paired.net_sales_home as decimal(18, 2)) as net_sales_home,
        cast(paired.previous_net_sales_home as decimal(18, 2))
            as previous_net_sales_home

    from paired
    -- Only complete periods: the period under way and the one after it fall out.
    inner join periods
        on paired.business_id = periods.business_id
        and paired.period_grain = periods.period_grain
        and paired.period_number = periods.period_number
    left join customers_acquired
        on paired.business_id = customers_acquired.business_id
        and paired.customer_id = customers_acquired.customer_id

)

select * from final
