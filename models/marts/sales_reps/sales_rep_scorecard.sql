{#-
    Each sales rep's book month by month on rolling 12-month figures (what the book is
    worth over time) next to the quarter's raw sales (what a quarter-end bonus sees),
    per business, rep and complete month (definitions: the yml and DECISIONLOG.md).

    A customer belongs to its rep of today: the customers file has one rep per
    customer and no history, so a customer moved from one rep to another counts in
    the new rep's book in every month, also the months before the move. Customers
    without a rep are the book of an explicit `unknown` rep.

    Complete months only, as in the retention marts: the month under way at the as-of
    date would compare part of a month with whole ones and read as a drop.

    NRR and GRR are revenue_retention's, on a rep's customers: the customers' net
    sales in the 12 months ending with the month against the 12 months before, each
    customer classified by the `revenue_movement` macro.
-#}
{%- set month = calendar_grains()[0] -%}
{#- Each rolling figure per customer: (column, measure, window frame in months back). -#}
{%- set windows = [
    ('ttm_net_sales', 'net_sales', '11 preceding and current row'),
    ('previous_ttm_net_sales', 'net_sales', '23 preceding and 12 preceding'),
    ('ttm_purchases', 'purchases', '11 preceding and current row'),
    ('ttm_contribution', 'contribution', '11 preceding and current row'),
    ('quarter_net_sales', 'net_sales', '2 preceding and current row'),
    ('quarter_net_sales_year_before', 'net_sales', '14 preceding and 12 preceding'),
] -%}
with

customer_months as (

    select * from {{ ref('int_customer_months_contributed') }}

),

customers as (

    select * from {{ ref('stg_customers') }}

),

customers_acquired as (

    select * from {{ ref('int_customers_acquired') }}

),

periods as (

    select * from {{ ref('int_retention_periods_spined') }}

),

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

businesses as (

    select * from {{ ref('stg_businesses') }}

),

last_months as (

    select
        business_id,
        month_under_way_number - 1 as last_month_number

    from snapshot_dates
    where is_current

),

-- The first day the export has books for (the retention marts' data start): a ratio
-- needs the months it compares wholly in the data.
data_starts as (

    select
        business_id,
        min(data_start_date) as data_start_date

    from periods
    group by business_id

),

books as (

    select
        business_id,
        customer_id,
        coalesce(nullif(trim(sales_rep), ''), 'unknown') as sales_rep

    from customers

),

-- Customer rows are dense from the customer's first fact, so "N rows back" is "N
-- months back"; a frame before the first row sums nothing (null, read as 0).
rolled as (

    select
        business_id,
        customer_id,
        month_number,
        month_end_date,
        -- noqa: disable=LT02
        {% for column, measure, frame in windows -%}
        coalesce(sum({{ measure }}) over (
            partition by business_id, customer_id
            order by month_number
            rows between {{ frame }}
        ), 0) as {{ column }}{% if not loop.last %},{% endif %}
        {% endfor %}
        -- noqa: enable=LT02

    from customer_months

),

classified as (

    select
        rolled.*,
        coalesce(books.sales_rep, 'unknown') as sales_rep,
        {{ revenue_movement(
            'rolled.ttm_net_sales',
            'rolled.previous_ttm_net_sales',
            'customers_acquired.first_purchase_date',
            period_start_date('rolled.month_number - 11', month)
        ) }} as movement_type,
        -- A customer's first purchase ever is how it was won, not a repeat purchase.
        case
            when customers_acquired.first_purchase_month_number
                between rolled.month_number - 11 and rolled.month_number
                then 1
            else 0
        end as first_purchases

    from rolled
    inner join last_months
        on rolled.business_id = last_months.business_id
    left join books
        on rolled.business_id = books.business_id
        and rolled.customer_id = books.customer_id
    left join customers_acquired
        on rolled.business_id = customers_acquired.business_id
        and rolled.customer_id = customers_acquired.customer_id
    where rolled.month_number <= last_months.last_month_number

),

rep_months as (

    select
        business_id,
        sales_rep,
        month_number,
        month_end_date,
        ---------- customers
        sum(case when ttm_net_sales > 0 then 1 else 0 end) as active_customers,
        sum(case when previous_ttm_net_sales > 0 then 1 else 0 end)
            as starting_customers,
        sum(
            case
                when previous_ttm_net_sales > 0 and ttm_net_sales > 0 then 1 else 0
            end
        ) as retained_customers,
        sum(case when movement_type = 'expansion' then 1 else 0 end)
            as expanded_customers,
        sum(case when movement_type = 'churn' then 1 else 0 end) as lost_customers,
        sum(case when movement_type = 'new' then 1 else 0 end) as won_customers,
        sum(
            case when ttm_net_sales > 0 then ttm_purchases - first_purchases else 0 end
        ) as repeat_purchases,
        ---------- the NRR bridge (as in revenue_retention)
        sum(
            case
                when previous_ttm_net_sales > 0 then previous_ttm_net_sales else 0
            end
        ) as starting_revenue,
        sum(
            case
                when movement_type = 'expansion'
                    then ttm_net_sales - previous_ttm_net_sales
                else 0
            end
        ) as expansion_revenue,
        sum(
            case
                when movement_type = 'contraction'
                    then previous_ttm_net_sales - ttm_net_sales
                else 0
            end
        ) as contraction_revenue,
        sum(
            case when movement_type = 'churn' then previous_ttm_net_sales else 0 end
        ) as churned_revenue,
        ---------- amounts
        sum(ttm_net_sales) as ttm_net_sales,
        sum(ttm_contribution) as ttm_contribution,
        sum(quarter_net_sales) as quarter_net_sales,
        sum(quarter_net_sales_year_before) as quarter_net_sales_year_before

    from classified
    group by business_id, sales_rep, month_number, month_end_date

),

covered as (

    select
        rep_months.*,
        -- NRR, GRR and the upsell rate compare 24 months, the repeat frequency reads 12.
        coalesce(
            data_starts.data_start_date
            <= {{ period_start_date('rep_months.month_number - 23', month) }},
            false
        ) as is_base_covered,
        coalesce(
            data_starts.data_start_date
            <= {{ period_start_date('rep_months.month_number - 11', month) }},
            false
        ) as is_ttm_covered

    from rep_months
    left join data_starts
        on rep_months.business_id = data_starts.business_id

),

ratios as (

    select
        covered.*,
        cast(
            case
                when is_base_covered and starting_revenue > 0
                    then (
                        starting_revenue + expansion_revenue
                        - contraction_revenue - churned_revenue
                    ) / starting_revenue
            end as decimal(18, 6)
        ) as nrr,
        cast(
            case
                when is_base_covered and starting_revenue > 0
                    then (
                        starting_revenue - contraction_revenue - churned_revenue
                    ) / starting_revenue
            end as decimal(18, 6)
        ) as grr,
        cast(
            case
                when is_base_covered and retained_customers > 0
                    then 1.0 * expanded_customers / retained_customers
            end as decimal(18, 6)
        ) as upsell_rate,
        cast(
            case
                when is_ttm_covered and active_customers > 0
                    then 1.0 * repeat_purchases / active_customers
            end as decimal(18, 6)
        ) as repeat_purchase_frequency,
        -- TTM / 12 to the cent, half away from zero, from the exact quotient: a decimal
        -- divided on DuckDB is a double, and a double rounds some half cents down.
        {{ to_money_of_quotient('ttm_net_sales', 12) }} as average_monthly_net_sales

    from covered

),

final as (

    select
        ---------- keys
        ratios.business_id,
        ratios.sales_rep,
        ratios.month_end_date,
        ---------- attributes
        businesses.home_currency,
        ---------- customers (12 months ending with the month)
        cast(ratios.active_customers as integer) as active_customers,
        cast(ratios.won_customers as integer) as won_customers,
        cast(ratios.lost_customers as integer) as lost_customers,
        cast(ratios.retained_customers as integer) as retained_customers,
        cast(ratios.expanded_customers as integer) as expanded_customers,
        cast(ratios.repeat_purchases as integer) as repeat_purchases,
        ---------- amounts (12 months ending with the month)
        cast(ratios.ttm_net_sales as decimal(18, 2)) as ttm_net_sales,
        ratios.average_monthly_net_sales,
        cast(ratios.ttm_contribution as decimal(18, 2)) as ttm_contribution,
        cast(ratios.starting_revenue as decimal(18, 2)) as starting_revenue,
        ---------- long-term ratios
        ratios.repeat_purchase_frequency,
        ratios.upsell_rate,
        ratios.nrr,
        ratios.grr,
        ---------- the quarter's raw sales (3 months ending with the month)
        cast(ratios.quarter_net_sales as decimal(18, 2)) as quarter_net_sales,
        cast(ratios.quarter_net_sales_year_before as decimal(18, 2))
            as quarter_net_sales_year_before,
        cast(
            ratios.quarter_net_sales - ratios.quarter_net_sales_year_before
            as decimal(18, 2)
        ) as quarter_sales_change,
        -- Unknown where NRR is: the book's direction is what the quarter is held to.
        case
            when ratios.nrr is null then null
            when ratios.quarter_net_sales > ratios.quarter_net_sales_year_before
                and ratios.nrr < 1
                then true
            when ratios.quarter_net_sales < ratios.quarter_net_sales_year_before
                and ratios.nrr > 1
                then true
            else false
        end as is_quarter_at_odds_with_nrr

    from ratios
    inner join businesses
        on ratios.business_id = businesses.business_id

)

select * from final
