{#-
    The dated ledger of each customer: one row per fact booked for a business's customer,
    with its date and its amounts: each sales document and credit note (net sales, the
    lines' sales, cost of goods and discounts, purchases), each customer cost by
    category, and the receivable's parts (int_receivable_tranches_split) as dated
    amounts. Everything that int_customers_costed (windows at each snapshot) and the
    monthly models (int_customer_ledger_months_summed) sum comes from here, so the two
    can never count a sale differently.
    The receivable: what is open, and open x its invoice's day number, go up on the
    invoice date and down on the settlement date, where the settled part's nights are
    booked. The nights outstanding up to any date d are then closed nights + d x open -
    open start days, summed over the facts up to d.
    Not summed per day: its two readers sum the facts per reading point and per month
    straight from this table. Summing 11.6 million facts into 7.5 million days first
    took longer than the two readers saved (at 10 million invoice lines, the three
    models 20 s against 30 s alone: DECISIONLOG.md, "2026-12-06 (points)").
    Each fact also carries the point at which int_customers_costed first reads it
    (read_at_date), for int_customer_points_ledgered to sum the facts per point with
    nothing joined (below: why here).
-#}
{%- set categories = customer_cost_categories() -%}
{%- set category_costs = [] -%}
{%- for category in categories -%}
{%- do category_costs.append(category ~ '_cost') -%}
{%- endfor -%}
{%- set receivable_measures = [
    'open_amount', 'open_start_days', 'closed_nights_amount'
] -%}
{%- set ledger_measures = customer_ledger_measures(purchases=true) -%}
{#- The days from the first reading point to the last: the oldest snapshot's oldest
    reading to the as-of date (int_snapshot_dates_spined: segment_history_months month
    ends before the as-of date). -#}
{%- set oldest_reading = customer_ledger_readings() | map(attribute=1) | max -%}
{%- set days_spanned = oldest_reading + 31 * (var('segment_history_months') + 1) + 1 -%}
with

sales_events as (

    select * from {{ ref('int_sales_events_unioned') }}

),

customer_costs as (

    select * from {{ ref('stg_customer_costs') }}

),

-- Net sales exactly as the customer sheet counts them (credit notes signed minus), and
-- the lines' sales, cost of goods and discounts of the sales documents, summed per
-- document in int_sales_events_unioned.
-- Not summed here from the lines joined to their invoices: DuckDB sums on 64-bit states
-- only when it can bound rows x the largest value, and it keeps no bound on the rows of
-- a join (even to a one-row table) or an aggregate. With such a join in one branch of
-- the union below, every sum over the union ran on 128-bit states; read from tables,
-- they run on 64 bits. At 10 million invoice lines this model took 6.9-7.6 s instead of
-- 15.1-15.3 s, alone
-- (DECISIONLOG.md, "2026-12-05 (night) The dated ledger's sums on 64 bits").
sales_facts as (

    select
        business_id,
        customer_id,
        event_date as fact_date,
        net_sales_home as net_sales,
        case
            when document_type = 'credit_note' then -net_sales_home else 0
        end as credit_notes,
        1 as sales_events,
        case when is_purchase then 1 else 0 end as purchases,
        case
            when document_type = 'credit_note' then 0 else net_sales_home
        end as line_sales,
        unknown_cost_sales_home as unknown_cost_sales,
        case
            when document_type = 'credit_note' then 0 else net_sales_home
        end - unknown_cost_sales_home as known_cost_sales,
        cost_of_goods_home as cost_of_goods,
        discounts_home as discounts

    from sales_events

),

cost_facts as (

    select
        business_id,
        customer_id,
        cost_date as fact_date,
        {% for category in categories -%}
        case when category = '{{ category }}' then amount_home else 0 end
            as {{ category }}_cost,
        {% endfor -%}
        case when category = 'acquisition' then 0 else coalesce(hours, 0) end
            as service_hours,
        case when category = 'acquisition' then 0 else 1 end as service_cost_rows

    from customer_costs

),

-- Each part of a receivable opens on its invoice date and, once settled, closes on its
-- settlement date (never before the invoice date: a prepayment is outstanding for no
-- night), where its nights are booked.
-- The parts are read by ref() in each branch, not through a CTE: DuckDB materialises a
-- CTE read twice, and with it this model failed out of memory at 10 million invoice
-- lines under memory caps of 2.0 and 2.2 GB (and in a whole run at 2.5 GB), while the
-- same SQL with the table read twice passed at 1.5, 2.0 and 2.2 GB in the same time.
receivable_facts as (

    select
        business_id,
        customer_id,
        invoice_date as fact_date,
        tranche_amount_home as open_amount,
        tranche_amount_home * {{ day_number('invoice_date') }} as open_start_days,  -- noqa: LT05
        0 as closed_nights_amount

    from {{ ref('int_receivable_tranches_split') }}

    union all

    select
        business_id,
        customer_id,
        case
            when settled_date < invoice_date then invoice_date else settled_date
        end as fact_date,
        -tranche_amount_home as open_amount,
        -tranche_amount_home * {{ day_number('invoice_date') }} as open_start_days,  -- noqa: LT05
        tranche_amount_home * case
            when settled_date < invoice_date then 0
            else {{ dbt.datediff('invoice_date', 'settled_date', 'day') }}
        end as closed_nights_amount

    from {{ ref('int_receivable_tranches_split') }}
    where settled_date is not null

),

facts_unioned as (

    {% for source, present in [
        ('sales_facts', ['net_sales', 'credit_notes', 'sales_events', 'purchases',
                         'line_sales', 'unknown_cost_sales', 'known_cost_sales',
                         'cost_of_goods', 'discounts']),
        ('cost_facts', category_costs + ['service_hours', 'service_cost_rows']),
        ('receivable_facts', receivable_measures),
    ] -%}
    select
        business_id,
        customer_id,
        fact_date,
        {% for measure in ledger_measures -%}
        {% if measure in present %}{{ measure }}{% else %}0{% endif %} as {{ measure }}
        {%- if not loop.last %},{% endif %}
        {% endfor %}
    from {{ source }}
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

---------- the reading points (int_customers_costed)

-- Joined here, and not in int_customer_points_ledgered before its sums:
-- DuckDB sums on 64-bit states only when it can bound rows x the largest value, and it
-- keeps no bound on the rows of a join. Read from this table, that model's sums run on
-- 64 bits; summed from the days joined to their points they ran on 128, and its hash
-- table of 2.5 million customers' points outgrew the memory cap at 10 million invoice
-- lines
-- (DECISIONLOG.md, "2026-12-06 (points)").
snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

points as (

    {{ customer_ledger_points('snapshot_dates') }}

),

counter as (

    {{ period_counter(upper_bound=days_spanned) }}

),

point_dates as (

    select distinct
        business_id,
        point_date

    from points

),

point_bounds as (

    select
        business_id,
        min(point_date) as first_point_date,
        max(point_date) as last_point_date

    from point_dates
    group by business_id

),

-- Each day from a business's first reading point to its last, with the first point on or
-- after it: the point a fact of that day is first read at.
day_points as (

    select
        days_spanned.business_id,
        days_spanned.day_date,
        min(point_dates.point_date) as point_date

    from (
        select
            point_bounds.business_id,
            cast(
                {{ dbt.dateadd(
                    'day', 'counter.generated_number - 1', 'point_bounds.first_point_date'
                ) }} as date
            ) as day_date

        from point_bounds
        cross join counter
        where counter.generated_number - 1 <= {{ dbt.datediff(
            'point_bounds.first_point_date', 'point_bounds.last_point_date', 'day'
        ) }}
    ) as days_spanned
    inner join point_dates
        on days_spanned.business_id = point_dates.business_id
        and days_spanned.day_date <= point_dates.point_date
    group by days_spanned.business_id, days_spanned.day_date

),

-- Each fact with the point it is first read at: those before the first point at the
-- first; those after the last (after the as-of date) are never read (null).
final as (

    select
        facts_unioned.*,
        case
            when facts_unioned.fact_date > point_bounds.last_point_date then null
            when facts_unioned.fact_date < point_bounds.first_point_date
                then point_bounds.first_point_date
            else day_points.point_date
        end as read_at_date

    from facts_unioned
    left join point_bounds
        on facts_unioned.business_id = point_bounds.business_id
    left join day_points
        on facts_unioned.business_id = day_points.business_id
        and facts_unioned.fact_date = day_points.day_date

)

select * from final
