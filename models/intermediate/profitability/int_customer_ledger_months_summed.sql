{#-
    The dated ledger (int_customer_ledger_facts_unioned) summed per customer and calendar
    month, up to each business's as-of date: one row per business, customer and month with
    anything booked in it. The flows the monthly models show (net sales, cost of goods,
    purchases, the customer costs by category) and the receivable's parts their
    financing cost is read from.

    Both monthly models read it: int_customer_months_contributed (every calendar month
    to the as-of date) and int_customer_months_ledgered (the statement months). Each
    summed the 7.5 million days of 10 million invoice lines by month on its own (the
    ledger was then summed per day), and
    summed on 128-bit states (a join to the as-of dates came first, and DuckDB keeps no
    bound on the rows of a join); grouped once here, each reads 2.6 million months
    (DECISIONLOG.md, "2026-12-05 (months)").
    The month of the as-of date holds the facts up to the as-of date only: nothing after
    it is counted anywhere.
-#}
{%- set month_measures = ['net_sales', 'cost_of_goods', 'purchases'] -%}
{%- for category in customer_cost_categories() -%}
{%- do month_measures.append(category ~ '_cost') -%}
{%- endfor -%}
{%- do month_measures.extend(
    ['open_amount', 'open_start_days', 'closed_nights_amount']
) -%}
with

facts_unioned as (

    select * from {{ ref('int_customer_ledger_facts_unioned') }}

),

-- The facts up to the as-of date: those the reading points cover (read_at_date is null
-- exactly after the as-of date, the last point). Not joined to the as-of date: DuckDB
-- keeps no bound on the rows of a join, and the sums below then ran on 128-bit states
-- (DECISIONLOG.md, "2026-12-06 (points)").
dated as (

    select
        facts_unioned.*,
        {{ month_number('facts_unioned.fact_date') }} as month_number  -- noqa: LT05

    from facts_unioned
    where facts_unioned.read_at_date is not null

),

final as (

    select
        ---------- keys
        business_id,
        customer_id,
        month_number,
        ---------- sums of the month's facts, each in its type (customer_ledger_types)
        {{ customer_ledger_sums(month_measures) }}

    from dated
    group by business_id, customer_id, month_number

)

select * from final
