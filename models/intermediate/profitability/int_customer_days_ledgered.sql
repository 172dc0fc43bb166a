{#-
    The dated ledger of each customer: one row per business, customer and day with what
    was booked on it: sales and credit notes, the lines' cost of goods, customer costs by
    category, purchases, and the receivable's parts (int_receivable_tranches_split) as
    dated amounts. Everything that int_customers_costed (windows at each snapshot) and
    int_customer_months_ledgered (the monthly statements) sum is summed here once, so the
    two can never count a sale differently.
    The receivable: what is open, and open x its invoice's day number, go up on the
    invoice date and down on the settlement date, where the settled part's nights are
    booked. The nights outstanding up to any date d are then closed nights + d x open -
    open start days, summed over the days up to d.
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

-- One row per customer and day before the join to the snapshots: the join then
-- multiplies days, not lines.
facts as (

    select
        business_id,
        customer_id,
        fact_date,
        -- Narrow types: a customer's day fits DECIMAL(18, 2), and the running sums
        -- below are much faster on it than on the 38 digits sum() returns (DuckDB).
        {{ customer_ledger_sums(ledger_measures) }}

    from facts_unioned
    group by business_id, customer_id, fact_date

)

select * from facts
