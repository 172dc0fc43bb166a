{#-
    What each customer brought in and cost, per snapshot date (int_snapshot_dates_spined:
    the as-of date and the month ends before it) and window: all time, the trailing
    twelve months (the 365 days ending at the snapshot, the customer sheet's TTM) and the
    365 days before those. Sums only; ratios, shares and classes are in
    int_customers_valued.
    Everything is dated: a sale or credit note on its date, cost of goods on its
    invoice's date, a customer cost on its cost date, financing cost on the nights the
    money was outstanding. So a window's figures are what a run as of the snapshot
    would have seen, and windows add up (issue 15's monthly statements rely on it).
    How: one ledger per customer and day, its running totals, read at three points per
    snapshot (the snapshot, 365 and 730 days before it); a window is the difference of
    two readings. That reads each customer's rows once instead of once per snapshot.
-#}
{%- set rate = var('cost_of_capital_rate') -%}
{%- set categories = [
    'acquisition', 'onboarding', 'support', 'delivery', 'rework', 'reimbursement', 'other'
] -%}
{%- set category_costs = [] -%}
{%- for category in categories -%}
{%- do category_costs.append(category ~ '_cost') -%}
{%- endfor -%}
{%- set measures = [
    'net_sales', 'line_sales', 'unknown_cost_sales', 'known_cost_sales', 'cost_of_goods',
    'discounts', 'credit_notes', 'service_hours', 'service_cost_rows', 'sales_events',
] + category_costs -%}
{#- The receivable's parts as dated amounts (int_receivable_tranches_split): what is
    open, and open x its invoice's day number, go up on the invoice date and down on
    the settlement date, where the settled part's nights are booked. Then the nights
    outstanding up to any date d are closed nights + d x open - open x start days. -#}
{%- set receivable_measures = [
    'open_amount', 'open_start_days', 'closed_nights_amount'
] -%}
{%- set ledger_measures = measures + receivable_measures -%}
{%- set ledger_columns = measures + ['balance_nights'] -%}
{#- The three readings of the ledger per snapshot: days before the snapshot. -#}
{%- set readings = [('at', 0), ('ttm_after', 365), ('prev_ttm_after', 730)] -%}
{%- set ledger_types = {
    'service_hours': 'decimal(18, 4)',
    'service_cost_rows': dbt.type_int(),
    'sales_events': dbt.type_int(),
    'open_start_days': 'decimal(38, 2)',
    'closed_nights_amount': 'decimal(38, 2)',
} -%}
with

businesses as (

    select * from {{ ref('stg_businesses') }}

),

customers as (

    select * from {{ ref('stg_customers') }}

),

invoices as (

    select * from {{ ref('stg_invoices') }}

),

invoice_lines as (

    select * from {{ ref('stg_invoice_lines') }}

),

sales_events as (

    select * from {{ ref('int_sales_events_unioned') }}

),

customer_costs as (

    select * from {{ ref('stg_customer_costs') }}

),

tranches as (

    select * from {{ ref('int_receivable_tranches_split') }}

),

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

-- The ledger is read at three points per snapshot: the snapshot itself, and the ends of
-- the two years before it. All time is what is booked up to the snapshot; the TTM (the
-- 365 days ending at it) is that minus what is booked up to 365 days before.
points as (

    {% for reading, days_back in readings -%}
    select
        business_id,
        as_of_date,
        is_current,
        '{{ reading }}' as reading,
        {{ dbt.dateadd('day', -days_back, 'as_of_date') }} as point_date

    from snapshot_dates
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

---------- the dated facts, one row per business, customer and date

-- Net sales exactly as the customer sheet counts them (credit notes signed minus).
sales_facts as (

    select
        business_id,
        customer_id,
        event_date as fact_date,
        net_sales_home as net_sales,
        case
            when document_type = 'credit_note' then -net_sales_home else 0
        end as credit_notes,
        1 as sales_events

    from sales_events

),

-- Cost of goods from the lines of non-void sales documents: a blank unit cost adds
-- nothing to cost of goods and its line counts as sales of unknown cost.
-- Summed per customer and day here: lines are most of the rows, and the union below
-- is summed again per customer and day anyway.
line_facts as (

    select
        invoices.business_id,
        invoices.customer_id,
        invoices.invoice_date as fact_date,
        sum(invoice_lines.line_amount_home) as line_sales,
        sum(
            case
                when invoice_lines.unit_cost is null
                    then invoice_lines.line_amount_home
                else 0
            end
        ) as unknown_cost_sales,
        sum(
            case
                when invoice_lines.unit_cost is null then 0
                else invoice_lines.line_amount_home
            end
        ) as known_cost_sales,
        sum(coalesce(invoice_lines.line_cost_home, 0)) as cost_of_goods,
        sum(
            {{ to_money('invoice_lines.discount_amount * invoices.exchange_rate') }}
        ) as discounts

    from invoice_lines
    inner join invoices
        on invoice_lines.business_id = invoices.business_id
        and invoice_lines.invoice_id = invoices.invoice_id
    where not invoices.is_void
    group by invoices.business_id, invoices.customer_id, invoices.invoice_date

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
receivable_facts as (

    select
        business_id,
        customer_id,
        invoice_date as fact_date,
        tranche_amount_home as open_amount,
        tranche_amount_home * {{ day_number('invoice_date') }} as open_start_days,  -- noqa: LT05
        0 as closed_nights_amount

    from tranches

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

    from tranches
    where settled_date is not null

),

facts_unioned as (

    {% for source, present in [
        ('sales_facts', ['net_sales', 'credit_notes', 'sales_events']),
        ('line_facts', ['line_sales', 'unknown_cost_sales', 'known_cost_sales',
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
        -- sqlfluff cannot indent SQL inside a Jinja loop in a select list (LT02).
        -- noqa: disable=LT02
        {% for measure in ledger_measures -%}
        cast(sum({{ measure }}) as {{ ledger_types.get(measure, 'decimal(18, 2)') }})
            as {{ measure }}{% if not loop.last %},{% endif %}
        {% endfor %}

    -- noqa: enable=LT02
    from facts_unioned
    group by business_id, customer_id, fact_date

),

-- Running totals per customer, each valid from its date to the day before the next.
cumulative as (

    select
        business_id,
        customer_id,
        fact_date,
        lead(fact_date) over (
            partition by business_id, customer_id order by fact_date
        ) as next_fact_date,
        -- noqa: disable=LT02
        {% for measure in ledger_measures -%}
        sum({{ measure }}) over (
            partition by business_id, customer_id
            order by fact_date
            rows between unbounded preceding and current row
        ) as {{ measure }}{% if not loop.last %},{% endif %}
        {% endfor %}

    -- noqa: enable=LT02
    from facts

),

-- The running totals at each point: the row whose validity holds the point's date. A
-- customer with nothing booked by a point has no row at it (zero).
at_points as (

    select
        points.business_id,
        points.as_of_date,
        points.reading,
        cumulative.customer_id,
        {% for measure in measures -%}
        cumulative.{{ measure }},
        {% endfor -%}
        -- Nights outstanding up to the point, amount-weighted: closed parts' nights, plus
        -- the open parts' nights from their invoice date to the point.
        cumulative.closed_nights_amount
        + {{ day_number('points.point_date') }} * cumulative.open_amount  -- noqa: LT05
        - cumulative.open_start_days as balance_nights

    from cumulative
    inner join points
        on cumulative.business_id = points.business_id
        and cumulative.fact_date <= points.point_date
        and (
            cumulative.next_fact_date > points.point_date
            or cumulative.next_fact_date is null
        )

),

by_window as (

    select
        business_id,
        as_of_date,
        customer_id,
        -- sqlfluff cannot indent SQL inside a Jinja loop in a select list (LT02).
        -- noqa: disable=LT02
        {% for column in ledger_columns -%}
        sum(case when reading = 'at' then {{ column }} else 0 end) as {{ column }},
        sum(
            case
                when reading = 'at' then {{ column }}
                when reading = 'ttm_after' then -{{ column }}
                else 0
            end
        ) as ttm_{{ column }},
        sum(
            case
                when reading = 'ttm_after' then {{ column }}
                when reading = 'prev_ttm_after' then -{{ column }}
                else 0
            end
        ) as prev_ttm_{{ column }},
        {% endfor -%}
        max(case when reading = 'at' then 1 else 0 end) as is_on_file

    -- noqa: enable=LT02
    from at_points
    group by business_id, as_of_date, customer_id

),

final as (

    select
        ---------- keys
        by_window.business_id,
        by_window.customer_id,
        by_window.as_of_date,
        ---------- attributes
        snapshot_dates.is_current,
        customers.customer_name,
        businesses.home_currency,
        ---------- sums per window (all time bare, then ttm_, then prev_ttm_)
        -- A qualifier next to a templated name is invisible to sqlfluff (RF02).
        -- noqa: disable=RF02
        {% for prefix in ['', 'ttm_', 'prev_ttm_'] -%}
        {% for measure in measures -%}
        {% if measure in ('service_cost_rows', 'sales_events') -%}
        cast(by_window.{{ prefix }}{{ measure }} as {{ dbt.type_int() }})
        {%- elif measure == 'service_hours' -%}
        cast(by_window.{{ prefix }}{{ measure }} as decimal(18, 4))
        {%- else -%}
        cast(by_window.{{ prefix }}{{ measure }} as decimal(18, 2))
        {%- endif %} as {{ prefix }}{{ measure }},
        {% endfor -%}
        -- Rounded per customer and window: the mart's sums tie to these to the cent.
        {{ to_money(
            'by_window.' ~ prefix ~ 'balance_nights'
            ~ ' * cast(' ~ rate ~ ' as decimal(38, 10)) / 365'
        ) }} as {{ prefix }}financing_cost,
        {% endfor -%}
        -- Owed money in the TTM, even a cent for a night: the receivable is still a cost.
        by_window.ttm_balance_nights > 0 as has_ttm_receivable

    -- noqa: enable=RF02
    from by_window
    inner join snapshot_dates
        on by_window.business_id = snapshot_dates.business_id
        and by_window.as_of_date = snapshot_dates.as_of_date
    inner join businesses
        on by_window.business_id = businesses.business_id
    inner join customers
        on by_window.business_id = customers.business_id
        and by_window.customer_id = customers.customer_id
    -- On the mart from its first sale, credit note or cost on or before the snapshot.
    where by_window.is_on_file = 1

)

select * from final
