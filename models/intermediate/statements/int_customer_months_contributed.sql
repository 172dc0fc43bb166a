{#-
    Each customer's contribution month by month over its whole history: one row per
    business, customer and calendar month from the month of its first dated fact to the
    month of the as-of date, months without a fact included (so that "the last 12 rows"
    is "the last 12 months" on every warehouse). What the acquisition scorecard's
    payback and first year and the sales-rep scorecard's rolling figures are summed
    from; the monthly statements show the same flows at their month ends.

    Flows come from the dated ledger (int_customer_ledger_facts_unioned), as the
    statements' and the profitability windows' do, summed per month in
    int_customer_ledger_months_summed. The financing cost is rounded on the running
    total, as in int_customer_months_ledgered, so the months add up to the all-time
    figure and a month here is the same cents as the month on the customer statement.
    The month of the as-of date runs to the as-of date: nothing after it is counted.
-#}
{%- set service_categories = service_cost_categories() -%}
{%- set flows = ['net_sales', 'cost_of_goods', 'acquisition_cost'] -%}
{%- for category in service_categories -%}
{%- do flows.append(category ~ '_cost') -%}
{%- endfor -%}
{%- set receivable_measures = [
    'open_amount', 'open_start_days', 'closed_nights_amount'
] -%}
with

-- The dated ledger per customer and calendar month, up to the as-of date.
monthly as (

    select * from {{ ref('int_customer_ledger_months_summed') }}

),

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

counter as (

    {{ period_counter() }}

),

as_of as (

    select
        business_id,
        as_of_date,
        {{ month_number('as_of_date') }} as as_of_month_number  -- noqa: LT05

    from snapshot_dates
    where is_current

),

customer_firsts as (

    select
        business_id,
        customer_id,
        min(month_number) as first_month_number

    from monthly
    group by business_id, customer_id

),

grid as (

    select
        customer_firsts.business_id,
        customer_firsts.customer_id,
        customer_firsts.first_month_number + counter.generated_number - 1
            as month_number,
        as_of.as_of_date,
        as_of.as_of_month_number

    from customer_firsts
    inner join as_of
        on customer_firsts.business_id = as_of.business_id
    -- A join on the bound, not a cross join and a filter: DuckDB plans it as a merge
    -- join instead of pairing every customer with every number (DECISIONLOG.md,
    -- 2026-12-05 (months)).
    inner join counter
        on as_of.as_of_month_number - customer_firsts.first_month_number + 1
        >= counter.generated_number

),

-- The day each month is measured to: its last day, or the as-of date in its month.
closed as (

    select
        grid.business_id,
        grid.customer_id,
        grid.month_number,
        {{ period_start_date('grid.month_number', calendar_grains()[0]) }}
            as month_start_date,
        {{ period_end_date('grid.month_number', calendar_grains()[0]) }}
            as month_end_date,
        case
            when grid.month_number = grid.as_of_month_number then grid.as_of_date
            else {{ period_end_date('grid.month_number', calendar_grains()[0]) }}
        end as measured_to_date

    from grid

),

running as (

    select
        closed.*,
        -- noqa: disable=LT02
        {% for measure in flows -%}
        coalesce(monthly.{{ measure }}, 0) as {{ measure }},
        {% endfor -%}
        coalesce(monthly.purchases, 0) as purchases,
        {% for measure in receivable_measures -%}
        coalesce(monthly.{{ measure }}, 0) as {{ measure }},
        {% endfor -%}
        {% for measure in receivable_measures -%}
        sum(coalesce(monthly.{{ measure }}, 0)) over (
            partition by closed.business_id, closed.customer_id
            order by closed.month_number
            rows between unbounded preceding and current row
        ) as {{ measure }}_to_date{% if not loop.last %},{% endif %}
        {% endfor %}

    -- noqa: enable=LT02
    from closed
    left join monthly
        on closed.business_id = monthly.business_id
        and closed.customer_id = monthly.customer_id
        and closed.month_number = monthly.month_number

),

-- Amount-weighted nights outstanding up to the day the month is measured to (as in
-- int_customers_costed): closed nights + that day's number x open - open start days.
-- The month's financing cost is that to date less that to the day before the month,
-- from the running totals less the month's own (as int_customer_months_ledgered
-- does), so both are rounded on running totals and the months add up. Not a lag()
-- over the months: that window took 2.3 of this model's CPU-s at 10 million lines.
financed as (

    select
        running.*,
        {{ financing_cost(
            'closed_nights_amount_to_date + '
            ~ day_number('measured_to_date')
            ~ ' * open_amount_to_date - open_start_days_to_date'
        ) }} as financing_cost_to_date,
        {{ financing_cost(
            '(closed_nights_amount_to_date - closed_nights_amount) + ('
            ~ day_number('month_start_date')
            ~ ' - 1) * (open_amount_to_date - open_amount)'
            ~ ' - (open_start_days_to_date - open_start_days)'
        ) }} as financing_cost_before

    from running

),

costed as (

    select
        financed.*,
        financing_cost_to_date - financing_cost_before as financing_cost,
        {% for category in service_categories -%}
        {{ category }}_cost{% if not loop.last %} + {% endif %}
        {%- endfor %} as cost_to_serve

    from financed

),

final as (

    select
        ---------- keys
        business_id,
        customer_id,
        month_number,
        ---------- dates
        month_start_date,
        month_end_date,
        measured_to_date,
        ---------- the month (home currency)
        cast(purchases as {{ dbt.type_int() }}) as purchases,
        cast(net_sales as decimal(18, 2)) as net_sales,
        cast(cost_of_goods as decimal(18, 2)) as cost_of_goods,
        cast(net_sales - cost_of_goods as decimal(18, 2)) as gross_margin,
        cast(onboarding_cost as decimal(18, 2)) as onboarding_cost,
        cast(cost_to_serve as decimal(18, 2)) as cost_to_serve,
        cast(financing_cost as decimal(18, 2)) as financing_cost,
        cast(
            net_sales - cost_of_goods - cost_to_serve - financing_cost as decimal(18, 2)
        ) as contribution,
        cast(acquisition_cost as decimal(18, 2)) as acquisition_cost

    from costed

)

select * from final
