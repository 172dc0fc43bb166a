{#-
    How the business's customers actually paid: days from due date to paid date of the
    invoices issued after cash_forecast_history_start_days and up to
    cash_forecast_history_end_days before the as-of date (by default the year ending a
    quarter before it: old enough that nearly all are paid, so slow payers are not left
    out), paid by the as-of date. Each settled invoice counts once, however many
    snapshots it stayed open at: the history both the expected paid dates
    (ledgerlens.risk) and the cash forecast (cash_forecast) draw from.
-#}
{%- set history_start_days = var('cash_forecast_history_start_days') -%}
{%- set history_end_days = var('cash_forecast_history_end_days') -%}
with

invoices_settled as (

    select * from {{ ref('int_invoices_settled') }}

),

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

as_of as (

    select
        business_id,
        as_of_date

    from snapshot_dates
    where is_current

),

final as (

    select
        ---------- keys
        invoices_settled.business_id,
        cast(
            {{ dbt.datediff(
                'invoices_settled.due_date', 'invoices_settled.paid_date', 'day'
            ) }} as {{ dbt.type_int() }}
        ) as days_after_due,
        ---------- counts
        cast(count(*) as {{ dbt.type_int() }}) as paid_invoices

    from invoices_settled
    inner join as_of
        on invoices_settled.business_id = as_of.business_id
    where invoices_settled.paid_date <= as_of.as_of_date
        and invoices_settled.invoice_date
        > cast({{ dbt.dateadd('day', -history_start_days, 'as_of.as_of_date') }} as date)
        and invoices_settled.invoice_date
        <= cast({{ dbt.dateadd('day', -history_end_days, 'as_of.as_of_date') }} as date)
    group by
        invoices_settled.business_id,
        {{ dbt.datediff(
            'invoices_settled.due_date', 'invoices_settled.paid_date', 'day'
        ) }}

)

select * from final
