{#-
    Trailing-twelve-month net sales per customer at every month end: one row per
    customer and month from the customer's first sale to the last month end on or
    before the as-of date. The rows are dense (a month without sales has a row) so
    that "the last 12 rows" is "the last 12 months" on every warehouse.
-#}
with

customer_months as (

    select * from {{ ref('int_customer_months_summed') }}

),

customers_acquired as (

    select * from {{ ref('int_customers_acquired') }}

),

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

counter as (

    {{ period_counter() }}

),

-- The last complete month: the one before the month under way at the as-of date.
last_month as (

    select
        business_id,
        month_under_way_number - 1 as last_month_number

    from snapshot_dates
    where is_current

),

customer_firsts as (

    select
        business_id,
        customer_id,
        min(month_number) as first_month_number

    from customer_months
    group by business_id, customer_id

),

grid as (

    select
        customer_firsts.business_id,
        customer_firsts.customer_id,
        customer_firsts.first_month_number + counter.generated_number - 1
            as month_number

    from customer_firsts
    inner join last_month
        on customer_firsts.business_id = last_month.business_id
    -- A join on the bound, not a cross join and a filter: DuckDB plans it as a merge
    -- join instead of pairing every customer with every number (DECISIONLOG.md,
    -- 2026-12-05 (months)).
    inner join counter
        on last_month.last_month_number - customer_firsts.first_month_number + 1
        >= counter.generated_number

),

rolled as (

    select
        grid.business_id,
        grid.customer_id,
        grid.month_number,
        coalesce(customer_months.net_sales_home, 0) as month_net_sales_home,
        sum(coalesce(customer_months.net_sales_home, 0)) over (
            partition by grid.business_id, grid.customer_id
            order by grid.month_number
            rows between 11 preceding and current row
        ) as ttm_net_sales_home

    from grid
    left join customer_months
        on grid.business_id = customer_months.business_id
        and grid.customer_id = customer_months.customer_id
        and grid.month_number = customer_months.month_number

),

final as (

    select
        ---------- keys
        rolled.business_id,
        rolled.customer_id,
        rolled.month_number,
        ---------- dates
        {{ period_start_date('rolled.month_number', calendar_grains()[0]) }}
            as month_start_date,
        {{ period_end_date('rolled.month_number', calendar_grains()[0]) }}
            as month_end_date,
        customers_acquired.first_purchase_date,
        ---------- amounts
        cast(rolled.month_net_sales_home as decimal(18, 2)) as month_net_sales_home,
        cast(rolled.ttm_net_sales_home as decimal(18, 2)) as ttm_net_sales_home,
        cast(coalesce(lag(rolled.ttm_net_sales_home) over (
            partition by rolled.business_id, rolled.customer_id
            order by rolled.month_number
        ), 0) as decimal(18, 2)) as previous_ttm_net_sales_home

    from rolled
    left join customers_acquired
        on rolled.business_id = customers_acquired.business_id
        and rolled.customer_id = customers_acquired.customer_id

)

select * from final
