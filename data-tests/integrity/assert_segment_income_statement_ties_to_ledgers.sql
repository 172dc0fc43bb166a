{{ config(meta={"dagster": {"ref": {"name": "segment_income_statement"}}}) }}
{#-
    Every amount of a month lands in the month's statement, once per cut: per business,
    statement month and cut, the net sales, cost of goods, cost to serve and acquisition
    spend summed over the cut's values equal the staging documents and costs dated in the
    month, recomputed here without the intermediate models; and every row adds up (gross
    margin, cost to serve, contribution). Returns what does not tie.
-#}

with

month_ends as (

    select
        business_id,
        as_of_date as month_end_date

    from {{ ref('int_snapshot_dates_spined') }}
    where is_month_end

),

statement as (

    select * from {{ ref('segment_income_statement') }}

),

by_cut as (

    select
        business_id,
        month_end_date,
        cut,
        sum(net_sales) as net_sales,
        sum(cost_of_goods) as cost_of_goods,
        sum(cost_to_serve) as cost_to_serve,
        sum(acquisition_cost) as acquisition_cost,
        sum(
            case
                when gross_margin <> net_sales - cost_of_goods
                    or contribution <> gross_margin - cost_to_serve - financing_cost
                    or cost_to_serve
                    <> onboarding_cost + support_cost + delivery_cost + rework_cost
                    + reimbursement_cost + other_cost
                    then 1
                else 0
            end
        ) as rows_not_adding_up

    from statement
    group by business_id, month_end_date, cut

),

-- The ledgers, each dated amount in the month that holds its date.
ledger as (

    select
        invoices.business_id,
        cast({{ dbt.last_day('invoices.invoice_date', 'month') }} as date)
            as month_end_date,
        invoice_lines.line_amount_home as net_sales,
        coalesce(invoice_lines.line_cost_home, 0) as cost_of_goods,
        0 as cost_to_serve,
        0 as acquisition_cost

    from {{ ref('stg_invoice_lines') }} as invoice_lines
    inner join {{ ref('stg_invoices') }} as invoices
        on invoice_lines.business_id = invoices.business_id
        and invoice_lines.invoice_id = invoices.invoice_id
    where not invoices.is_void

    union all

    select
        business_id,
        cast({{ dbt.last_day('credit_note_date', 'month') }} as date) as month_end_date,
        -amount_home as net_sales,
        0 as cost_of_goods,
        0 as cost_to_serve,
        0 as acquisition_cost

    from {{ ref('stg_credit_notes') }}

    union all

    select
        business_id,
        cast({{ dbt.last_day('cost_date', 'month') }} as date) as month_end_date,
        0 as net_sales,
        0 as cost_of_goods,
        case
            when category <> 'acquisition' then amount_home else 0
        end as cost_to_serve,
        case when category = 'acquisition' then amount_home else 0 end as acquisition_cost

    from {{ ref('stg_customer_costs') }}

),

ledger_months as (

    select
        ledger.business_id,
        ledger.month_end_date,
        sum(ledger.net_sales) as net_sales,
        sum(ledger.cost_of_goods) as cost_of_goods,
        sum(ledger.cost_to_serve) as cost_to_serve,
        sum(ledger.acquisition_cost) as acquisition_cost

    from ledger
    inner join month_ends
        on ledger.business_id = month_ends.business_id
        and ledger.month_end_date = month_ends.month_end_date
    group by ledger.business_id, ledger.month_end_date

),

-- Every cut, whether or not the statement has rows for it: a missing cut is a failure.
cuts as (

    {% for cut in ['segment', 'customer_type', 'margin_band', 'purchase_pattern'] -%}
    select '{{ cut }}' as cut
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

compared as (

    select
        month_ends.business_id,
        month_ends.month_end_date,
        cuts.cut,
        coalesce(by_cut.net_sales, 0) as statement_net_sales,
        coalesce(ledger_months.net_sales, 0) as ledger_net_sales,
        coalesce(by_cut.cost_of_goods, 0) as statement_cost_of_goods,
        coalesce(ledger_months.cost_of_goods, 0) as ledger_cost_of_goods,
        coalesce(by_cut.cost_to_serve, 0) as statement_cost_to_serve,
        coalesce(ledger_months.cost_to_serve, 0) as ledger_cost_to_serve,
        coalesce(by_cut.acquisition_cost, 0) as statement_acquisition_cost,
        coalesce(ledger_months.acquisition_cost, 0) as ledger_acquisition_cost,
        coalesce(by_cut.rows_not_adding_up, 0) as rows_not_adding_up

    from month_ends
    cross join cuts
    left join by_cut
        on month_ends.business_id = by_cut.business_id
        and month_ends.month_end_date = by_cut.month_end_date
        and cuts.cut = by_cut.cut
    left join ledger_months
        on month_ends.business_id = ledger_months.business_id
        and month_ends.month_end_date = ledger_months.month_end_date

)

select * from compared
where statement_net_sales <> ledger_net_sales
    or statement_cost_of_goods <> ledger_cost_of_goods
    or statement_cost_to_serve <> ledger_cost_to_serve
    or statement_acquisition_cost <> ledger_acquisition_cost
    or rows_not_adding_up > 0
