{#-
    One row per business, customer and purchase day up to the as-of date, with what the
    day's purchase brought: the buy-till-you-die models' unit of purchase (ledgerlens.clv
    fits on these days; int_customers_clv_prepared summarises them).

    A purchase is a purchase day: the day's non-void invoices and sales receipts, net of
    the credit notes tied to them (dated up to the as-of date), are one purchase. A day
    whose documents were all credited back to nothing or less is no purchase: the
    customer took nothing home, and counting it would teach the model a purchase that
    brought no money. Untied credit notes do not move a purchase (they cannot be placed
    on one); they stay in net sales, hence in the past part of total_lifetime_value.
-#}
with

snapshots as (

    select
        business_id,
        as_of_date

    from {{ ref('int_snapshot_dates_spined') }}
    where is_current

),

events as (

    select events.*

    from {{ ref('int_sales_events_unioned') }} as events
    inner join snapshots
        on events.business_id = snapshots.business_id
    where events.event_date <= snapshots.as_of_date

),

tied_credits as (

    select
        business_id,
        invoice_id,
        sum(-net_sales_home) as credited_home

    from events
    where not is_purchase and invoice_id is not null
    group by business_id, invoice_id

),

documents as (

    select
        events.business_id,
        events.customer_id,
        events.document_type,
        events.event_date,
        events.net_sales_home - coalesce(tied_credits.credited_home, 0) as kept_home,
        case when tied_credits.credited_home > 0 then 1 else 0 end as is_credited

    from events
    left join tied_credits
        on events.business_id = tied_credits.business_id
        and events.invoice_id = tied_credits.invoice_id
    where events.is_purchase

),

days as (

    select
        business_id,
        customer_id,
        event_date,
        sum(kept_home) as day_sales_home,
        max(is_credited) as has_credit

    from documents
    group by business_id, customer_id, event_date

),

final as (

    select
        ---------- keys
        days.business_id,
        days.customer_id,
        ---------- dates
        snapshots.as_of_date,
        days.event_date as purchase_date,
        ---------- amounts
        {{ to_money('days.day_sales_home') }} as purchase_sales,
        ---------- flags
        days.has_credit = 1 as is_credited

    from days
    inner join snapshots
        on days.business_id = snapshots.business_id
    where not (days.has_credit = 1 and days.day_sales_home <= 0)

)

select * from final
