{{ config(meta={"dagster": {"ref": {"name": "customer_profitability"}}}) }}
{#-
    Every amount in the files lands in exactly one place: per business, the mart's net
    sales, cost of goods and each cost category, summed over customers, equal the staging
    documents and costs dated up to the as-of date, recomputed here without the
    intermediate models; and contribution is gross margin - cost to serve - financing
    cost, to the cent, for every customer. Returns what does not tie.
-#}
{%- set categories = [
    'acquisition', 'onboarding', 'support', 'delivery', 'rework', 'reimbursement', 'other'
] -%}

with

as_of as (

    select
        business_id,
        as_of_date

    from {{ ref('int_snapshot_dates_spined') }}
    where is_current

),

mart as (

    select
        business_id,
        sum(net_sales) as net_sales,
        sum(cost_of_goods) as cost_of_goods,
        {% for category in categories -%}
        sum({{ category }}_cost) as {{ category }}_cost,
        {% endfor -%}
        sum(
            case
                when contribution
                    <> gross_margin - cost_to_serve - financing_cost
                    or ttm_contribution
                    <> ttm_gross_margin - ttm_cost_to_serve - ttm_financing_cost
                    or cost_to_serve
                    <> onboarding_cost + support_cost + delivery_cost + rework_cost
                    + reimbursement_cost + other_cost
                    then 1
                else 0
            end
        ) as rows_not_adding_up

    from {{ ref('customer_profitability') }}
    group by business_id

),

lines as (

    select
        invoices.business_id,
        sum(invoice_lines.line_amount_home) as line_sales,
        sum(coalesce(invoice_lines.line_cost_home, 0)) as cost_of_goods

    from {{ ref('stg_invoice_lines') }} as invoice_lines
    inner join {{ ref('stg_invoices') }} as invoices
        on invoice_lines.business_id = invoices.business_id
        and invoice_lines.invoice_id = invoices.invoice_id
    inner join as_of
        on invoices.business_id = as_of.business_id
    where not invoices.is_void
        and invoices.invoice_date <= as_of.as_of_date
    group by invoices.business_id

),

credits as (

    select
        credit_notes.business_id,
        sum(credit_notes.amount_home) as amount

    from {{ ref('stg_credit_notes') }} as credit_notes
    inner join as_of
        on credit_notes.business_id = as_of.business_id
    where credit_notes.credit_note_date <= as_of.as_of_date
    group by credit_notes.business_id

),

costs as (

    select
        customer_costs.business_id,
    {% for category in categories -%}
    sum(
        case
            when
                customer_costs.category = '{{ category }}'
                then customer_costs.amount_home
            else
                0
        end
    ) as {{ category }}_cost{% if not loop.last %},{% endif %}
    {% endfor %}
    from {{ ref('stg_customer_costs') }} as customer_costs
    inner join as_of
        on customer_costs.business_id = as_of.business_id
    where customer_costs.cost_date <= as_of.as_of_date
    group by customer_costs.business_id

),

compared as (

    select
        as_of.business_id,
        coalesce(mart.net_sales, 0) as mart_net_sales,
        coalesce(lines.line_sales, 0) - coalesce(credits.amount, 0) as document_net_sales,
        coalesce(mart.cost_of_goods, 0) as mart_cost_of_goods,
        coalesce(lines.cost_of_goods, 0) as document_cost_of_goods,
        {% for category in categories -%}
        coalesce(mart.{{ category }}_cost, 0) as mart_{{ category }}_cost,
        coalesce(costs.{{ category }}_cost, 0) as file_{{ category }}_cost,
        {% endfor -%}
        coalesce(mart.rows_not_adding_up, 0) as rows_not_adding_up

    from as_of
    left join mart on as_of.business_id = mart.business_id
    left join lines on as_of.business_id = lines.business_id
    left join credits on as_of.business_id = credits.business_id
    left join costs on as_of.business_id = costs.business_id

)

select * from compared
where mart_net_sales <> document_net_sales
    or mart_cost_of_goods <> document_cost_of_goods
    {% for category in categories -%}
    or mart_{{ category }}_cost <> file_{{ category }}_cost
    {% endfor -%}
    or rows_not_adding_up > 0
