{{ config(meta={"dagster": {"ref": {"name": "open_invoice_risk"}}}) }}
{#-
    Every invoice open at the as-of date has a late-payment score from this run: the
    Python asset (intermediate/invoice_risk_scores) and the dbt models agree on the
    as-of date and on which invoices are open. A stale scores table (dbt run alone with
    another as-of date) fails here instead of silently dropping invoices.
-#}
with

invoice_payments as (

    select * from {{ ref('invoice_payments') }}

),

open_invoice_risk as (

    select * from {{ ref('open_invoice_risk') }}

)

select
    invoice_payments.business_id,
    invoice_payments.invoice_id

from invoice_payments
left join open_invoice_risk
    on invoice_payments.business_id = open_invoice_risk.business_id
    and invoice_payments.invoice_id = open_invoice_risk.invoice_id
where invoice_payments.is_open
    and open_invoice_risk.invoice_id is null
