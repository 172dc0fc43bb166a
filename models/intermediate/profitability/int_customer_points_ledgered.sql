{#-
    The dated ledger (int_customer_ledger_facts_unioned) summed per customer and reading
    point: one row per business, customer and point at which int_customers_costed reads the
    ledger's running totals (each snapshot date of int_snapshot_dates_spined, and 365 and
    730 days before it: customer_ledger_points). A fact is summed into the first
    point on or after it (those before the first point into the first; those after the
    last are never read): the ledger's read_at_date. So the running totals run over
    about a month's rows per customer, not a day's.
    A table of its own, not a CTE of int_customers_costed, and summed from the ledger's
    table with nothing joined: DuckDB sums on 64-bit states only when it can bound rows x
    the largest value, which it cannot for a sum's output or a join's. Read from a table
    they run on 64 bits (DECISIONLOG.md, "2026-12-05 (night) The dated ledger's sums on
    64 bits" and "2026-12-06 (points)").
-#}
{%- set ledger_measures = customer_ledger_measures() -%}
with

-- The dated ledger, one row per fact (int_customer_ledger_facts_unioned).
facts_unioned as (

    select * from {{ ref('int_customer_ledger_facts_unioned') }}

),

-- The ledger summed per customer and point, each measure in its narrow type
-- (customer_ledger_types).
facts as (

    select
        business_id,
        customer_id,
        read_at_date,
        {{ customer_ledger_sums(ledger_measures) }}

    from facts_unioned
    where read_at_date is not null
    group by business_id, customer_id, read_at_date

)

select * from facts
