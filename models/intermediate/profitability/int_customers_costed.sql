{#-
    What each customer brought in and cost, per snapshot date (int_snapshot_dates_spined:
    the as-of date and the month ends before it) and window: all time, the trailing
    twelve months (the 365 days ending at the snapshot, the customer sheet's TTM) and the
    365 days before those. Sums only; ratios, shares and classes are in
    int_customers_valued.
    Everything is dated: a sale or credit note on its date, cost of goods on its
    invoice's date, a customer cost on its cost date, financing cost on the days the
    money was outstanding. So a window's figures are what a run as of the snapshot
    would have seen, and windows add up (issue 15's monthly statements rely on it).
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
{#- Window prefix -> condition on fact_date (all facts are on or before the snapshot). -#}
{%- set windows = [
    ('', 'true'),
    ('ttm_', 'facts.fact_date >= windows.ttm_start_date'),
    ('prev_ttm_', 'facts.fact_date >= windows.prev_ttm_start_date'
        ~ ' and facts.fact_date < windows.ttm_start_date'),
] -%}
{#- Financing windows as (after, until]: a tranche is outstanding on the nights after
    its invoice date up to its settlement (or the snapshot, if settled later or not at
    all). A settlement before the invoice date (a prepayment) gives no night. -#}
{%- set financing_windows = [
    ('', 'tranches.invoice_date', 'windows.as_of_date'),
    ('ttm_', 'windows.ttm_after_date', 'windows.as_of_date'),
    ('prev_ttm_', 'windows.prev_ttm_after_date', 'windows.ttm_after_date'),
] -%}
{%- set outstanding_end = 'coalesce(tranches.settled_date, windows.as_of_date)' -%}
{%- set window_measures = [] -%}
{%- for prefix, condition in windows -%}
{%- for measure in measures -%}
{%- do window_measures.append((prefix ~ measure, condition, measure)) -%}
{%- endfor -%}
{%- endfor -%}

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

windows as (

    select
        business_id,
        as_of_date,
        is_current,
        {{ dbt.dateadd('day', -364, 'as_of_date') }} as ttm_start_date,
        {{ dbt.dateadd('day', -729, 'as_of_date') }} as prev_ttm_start_date,
        -- Financing accrues per night: the windows as (start, end] for day counts.
        {{ dbt.dateadd('day', -365, 'as_of_date') }} as ttm_after_date,
        {{ dbt.dateadd('day', -730, 'as_of_date') }} as prev_ttm_after_date

    from snapshot_dates

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
line_facts as (

    select
        invoices.business_id,
        invoices.customer_id,
        invoices.invoice_date as fact_date,
        invoice_lines.line_amount_home as line_sales,
        case
            when
                invoice_lines.unit_cost is null
                then invoice_lines.line_amount_home
            else 0
        end as unknown_cost_sales,
        case
            when invoice_lines.unit_cost is null then 0 else
                invoice_lines.line_amount_home
        end as known_cost_sales,
        coalesce(invoice_lines.line_cost_home, 0) as cost_of_goods,
        {{ to_money('invoice_lines.discount_amount * invoices.exchange_rate') }}
            as discounts

    from invoice_lines
    inner join invoices
        on invoice_lines.business_id = invoices.business_id
        and invoice_lines.invoice_id = invoices.invoice_id
    where not invoices.is_void

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

facts_unioned as (

    {% for source, present in [
        ('sales_facts', ['net_sales', 'credit_notes', 'sales_events']),
        ('line_facts', ['line_sales', 'unknown_cost_sales', 'known_cost_sales',
                        'cost_of_goods', 'discounts']),
        ('cost_facts', category_costs + ['service_hours', 'service_cost_rows']),
    ] -%}
    select
        business_id,
        customer_id,
        fact_date,
        {% for measure in measures -%}
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
        {% for measure in measures -%}
        sum({{ measure }}) as {{ measure }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from facts_unioned
    group by business_id, customer_id, fact_date

),

facts_by_window as (

    select
        windows.business_id,
        windows.as_of_date,
        facts.customer_id,
        -- sqlfluff cannot indent SQL inside a Jinja loop in a select list (LT02).
        -- noqa: disable=LT02
        {% for column, condition, measure in window_measures -%}
        sum(case when {{ condition }} then facts.{{ measure }} else 0 end)
            as {{ column }}{% if not loop.last %},{% endif %}
        {% endfor %}

    -- noqa: enable=LT02
    from facts
    inner join windows
        on facts.business_id = windows.business_id
        and facts.fact_date <= windows.as_of_date
    group by windows.business_id, windows.as_of_date, facts.customer_id

),

-- Amount x nights outstanding in each window (financing_windows above).
financing_by_window as (

    select
        windows.business_id,
        windows.as_of_date,
        tranches.customer_id,
        -- sqlfluff cannot indent SQL inside a Jinja loop in a select list (LT02).
        -- noqa: disable=LT02
        {% for prefix, after, until in financing_windows -%}
        sum(
            cast(tranches.tranche_amount_home as decimal(38, 2)) * case
                when least({{ outstanding_end }}, {{ until }})
                    > greatest(tranches.invoice_date, {{ after }})
                    then {{ dbt.datediff(
                        'greatest(tranches.invoice_date, ' ~ after ~ ')',
                        'least(' ~ outstanding_end ~ ', ' ~ until ~ ')',
                        'day'
                    ) }}
                else 0
            end
        ) as {{ prefix }}balance_days{% if not loop.last %},{% endif %}
        {% endfor %}

    -- noqa: enable=LT02
    from tranches
    inner join windows
        on tranches.business_id = windows.business_id
        and tranches.invoice_date < windows.as_of_date
    group by windows.business_id, windows.as_of_date, tranches.customer_id

),

final as (

    select
        ---------- keys
        facts_by_window.business_id,
        facts_by_window.customer_id,
        facts_by_window.as_of_date,
        ---------- attributes
        windows.is_current,
        customers.customer_name,
        businesses.home_currency,
        ---------- sums per window (all time bare, then ttm_, then prev_ttm_)
        -- A qualifier next to a templated name is invisible to sqlfluff (RF02).
        -- noqa: disable=RF02
        {% for prefix, condition in windows -%}
        {% for measure in measures -%}
        {% if measure in ('service_cost_rows', 'sales_events') -%}
        cast(facts_by_window.{{ prefix }}{{ measure }} as {{ dbt.type_int() }})
        {%- elif measure == 'service_hours' -%}
        cast(facts_by_window.{{ prefix }}{{ measure }} as decimal(18, 4))
        {%- else -%}
        cast(facts_by_window.{{ prefix }}{{ measure }} as decimal(18, 2))
        {%- endif %} as {{ prefix }}{{ measure }},
        {% endfor -%}
        -- Rounded per customer and window: the mart's sums tie to these to the cent.
        {{ to_money(
            'coalesce(financing_by_window.' ~ prefix ~ 'balance_days, 0)'
            ~ ' * cast(' ~ rate ~ ' as decimal(38, 10)) / 365'
        ) }} as {{ prefix }}financing_cost,
        {% endfor -%}
        -- Owed money in the TTM, even a cent for a night: the receivable is still a cost.
        coalesce(financing_by_window.ttm_balance_days, 0) > 0 as has_ttm_receivable

    -- noqa: enable=RF02
    from facts_by_window
    inner join windows
        on facts_by_window.business_id = windows.business_id
        and facts_by_window.as_of_date = windows.as_of_date
    inner join businesses
        on facts_by_window.business_id = businesses.business_id
    inner join customers
        on facts_by_window.business_id = customers.business_id
        and facts_by_window.customer_id = customers.customer_id
    left join financing_by_window
        on facts_by_window.business_id = financing_by_window.business_id
        and facts_by_window.as_of_date = financing_by_window.as_of_date
        and facts_by_window.customer_id = financing_by_window.customer_id

)

select * from final
