{#-
    What the CLV fit (ledgerlens.clv, a Python step) reads besides the purchase days: one
    row per business and customer with a purchase day up to the as-of date
    (int_customer_purchase_days_netted): its purchase history as the buy-till-you-die
    models count it, and what turns a purchase into money: the margin kept, when the cash
    arrives and how much of it never does.
-#}
{%- set default_days = var('clv_default_days_past_due') -%}
{%- set prior_purchases = var('clv_margin_prior_purchases') -%}
with

snapshots as (

    select
        business_id,
        as_of_date

    from {{ ref('int_snapshot_dates_spined') }}
    where is_current

),

purchase_days as (

    select
        netted.business_id,
        netted.customer_id,
        netted.purchase_date as event_date,
        netted.purchase_sales as day_sales_home,
        {{ dbt.datediff('netted.purchase_date', 'snapshots.as_of_date', 'day') }}  -- noqa: LT05
            as days_before

    from {{ ref('int_customer_purchase_days_netted') }} as netted
    inner join snapshots
        on netted.business_id = snapshots.business_id

),

-- Non-void sales documents up to the as-of date, for the share sold on credit.
documents as (

    select
        events.business_id,
        events.customer_id,
        events.document_type,
        events.net_sales_home as kept_home

    from {{ ref('int_sales_events_unioned') }} as events
    inner join snapshots
        on events.business_id = snapshots.business_id
    where events.is_purchase and events.event_date <= snapshots.as_of_date

),

spans as (

    select
        business_id,
        customer_id,
        min(event_date) as first_purchase_date,
        max(event_date) as last_purchase_date,
        count(*) as purchase_days

    from purchase_days
    group by business_id, customer_id

),

histories as (

    select
        spans.business_id,
        spans.customer_id,
        spans.first_purchase_date,
        spans.last_purchase_date,
        spans.purchase_days,
        sum(
            case
                when purchase_days.event_date > spans.first_purchase_date
                    then purchase_days.day_sales_home
                else 0
            end
        ) as repeat_sales_home,
        sum(
            case when purchase_days.days_before < 365 then 1 else 0 end
        ) as ttm_purchase_days,
        sum(
            case
                when purchase_days.days_before < 365 then purchase_days.day_sales_home
                else 0
            end
        ) as ttm_purchase_sales_home

    from spans
    inner join purchase_days
        on spans.business_id = purchase_days.business_id
        and spans.customer_id = purchase_days.customer_id
    group by
        spans.business_id,
        spans.customer_id,
        spans.first_purchase_date,
        spans.last_purchase_date,
        spans.purchase_days

),

-- How much of what the customer buys is on credit (invoices) rather than paid at once
-- (sales receipts): only the credit part waits for its cash.
sales_mix as (

    select
        business_id,
        customer_id,
        sum(
            case when document_type = 'invoice' then kept_home else 0 end
        ) as credit_sales_home,
        sum(kept_home) as sales_home

    from documents
    group by business_id, customer_id

),

timeliness as (

    select timeliness.*

    from {{ ref('int_customers_timeliness_measured') }} as timeliness
    inner join snapshots
        on timeliness.business_id = snapshots.business_id
        and timeliness.as_of_date = snapshots.as_of_date

),

-- A customer that has paid no invoice yet is expected to pay like its business does.
business_timeliness as (

    select
        business_id,
        sum(avg_days_to_pay_weighted * paid_invoices) / sum(paid_invoices) as days_to_pay

    from timeliness
    where paid_invoices > 0
    group by business_id

),

invoiced as (

    select
        settled.business_id,
        settled.customer_id,
        sum(settled.total_amount_home) as invoiced_home

    from {{ ref('int_invoices_settled') }} as settled
    inner join snapshots
        on settled.business_id = snapshots.business_id
    where settled.invoice_date <= snapshots.as_of_date
    group by settled.business_id, settled.customer_id

),

-- Presumed lost: still open more than clv_default_days_past_due days after its due
-- date (IFRS 9's rebuttable presumption of default at 90 days past due).
long_open as (

    select
        open_invoices.business_id,
        open_invoices.customer_id,
        sum(open_invoices.open_amount_home) as long_open_home

    from {{ ref('int_invoices_open_at_snapshots') }} as open_invoices
    inner join snapshots
        on open_invoices.business_id = snapshots.business_id
        and open_invoices.as_of_date = snapshots.as_of_date
    where
        {{ dbt.datediff('open_invoices.due_date', 'snapshots.as_of_date', 'day') }}  -- noqa: LT05
        > {{ default_days }}
    group by open_invoices.business_id, open_invoices.customer_id

),

valued as (

    select
        valued.business_id,
        valued.customer_id,
        valued.net_sales,
        valued.contribution,
        valued.cost_to_serve

    from {{ ref('int_customers_valued') }} as valued
    inner join snapshots
        on valued.business_id = snapshots.business_id
        and valued.as_of_date = snapshots.as_of_date

),

business_margins as (

    select
        business_id,
        {{ share_of('sum(contribution)', 'sum(net_sales)') }} as contribution_margin,
        {{ share_of('sum(cost_to_serve)', 'sum(net_sales)') }} as cost_to_serve_share

    from valued
    group by business_id

),

-- The ratios the final columns combine, each once.
shares as (

    select
        histories.business_id,
        histories.customer_id,
        valued.contribution,
        case
            when valued.net_sales > 0 then valued.contribution / valued.net_sales
        end as own_margin,
        case
            when valued.net_sales > 0 then valued.cost_to_serve / valued.net_sales
        end as own_cost_to_serve_share,
        coalesce(
            {{ share_of('sales_mix.credit_sales_home', 'sales_mix.sales_home') }}, 0
        ) as credit_share,
        coalesce(
            {{ share_of('long_open.long_open_home', 'invoiced.invoiced_home') }}, 0
        ) as long_open_share,
        coalesce(
            timeliness.avg_days_to_pay_weighted, business_timeliness.days_to_pay, 0
        ) as days_to_pay

    from histories
    left join sales_mix
        on histories.business_id = sales_mix.business_id
        and histories.customer_id = sales_mix.customer_id
    left join timeliness
        on histories.business_id = timeliness.business_id
        and histories.customer_id = timeliness.customer_id
    left join business_timeliness
        on histories.business_id = business_timeliness.business_id
    left join invoiced
        on histories.business_id = invoiced.business_id
        and histories.customer_id = invoiced.customer_id
    left join long_open
        on histories.business_id = long_open.business_id
        and histories.customer_id = long_open.customer_id
    left join valued
        on histories.business_id = valued.business_id
        and histories.customer_id = valued.customer_id

),

final as (

    select
        ---------- keys
        histories.business_id,
        histories.customer_id,
        ---------- dates
        snapshots.as_of_date,
        histories.first_purchase_date,
        histories.last_purchase_date,
        ---------- purchase history (days since the first purchase)
        cast(histories.purchase_days as {{ dbt.type_int() }}) as purchase_days,
        cast(histories.purchase_days - 1 as {{ dbt.type_int() }}) as repeat_purchase_days,
        cast(
            {{ dbt.datediff(
                'histories.first_purchase_date', 'histories.last_purchase_date', 'day'
            ) }}
            as {{ dbt.type_int() }}
        ) as last_purchase_day,
        cast(
            {{ dbt.datediff(
                'histories.first_purchase_date', 'snapshots.as_of_date', 'day'
            ) }}
            as {{ dbt.type_int() }}
        ) as as_of_day,
        cast(histories.ttm_purchase_days as {{ dbt.type_int() }}) as ttm_purchase_days,
        ---------- money per purchase
        {{ to_money('histories.repeat_sales_home') }} as repeat_sales,
        cast(
            case
                when histories.purchase_days > 1
                    then histories.repeat_sales_home / (histories.purchase_days - 1)
            end as decimal(18, 4)
        ) as repeat_purchase_mean,
        {{ to_money('histories.ttm_purchase_sales_home') }} as ttm_purchase_sales,
        ---------- margin: own, shrunk toward the business's (clv_margin_prior_purchases)
        shares.contribution,
        business_margins.contribution_margin as business_contribution_margin,
        cast(
            case
                when shares.own_margin is not null
                    and business_margins.contribution_margin is not null
                    then (
                        histories.purchase_days * shares.own_margin
                        + {{ prior_purchases }} * business_margins.contribution_margin
                    ) / (histories.purchase_days + {{ prior_purchases }})
                else coalesce(shares.own_margin, business_margins.contribution_margin)
            end as decimal(18, 6)
        ) as expected_contribution_margin,
        -- The part of the margin that service costs take, shrunk the same way: the
        -- segment balance sheets show the future cost to serve as a liability.
        cast(
            case
                when shares.own_cost_to_serve_share is not null
                    and business_margins.cost_to_serve_share is not null
                    then (
                        histories.purchase_days * shares.own_cost_to_serve_share
                        + {{ prior_purchases }} * business_margins.cost_to_serve_share
                    ) / (histories.purchase_days + {{ prior_purchases }})
                else
                    coalesce(
                        shares.own_cost_to_serve_share,
                        business_margins.cost_to_serve_share
                    )
            end as decimal(18, 6)
        ) as expected_cost_to_serve_share,
        ---------- cash: when it arrives, and how much never does
        cast(shares.credit_share as decimal(18, 6)) as credit_sales_share,
        cast(shares.credit_share * shares.days_to_pay as decimal(18, 1))
            as expected_days_to_cash,
        cast(shares.credit_share * shares.long_open_share as decimal(18, 6))
            as expected_uncollected_share

    from histories
    inner join snapshots
        on histories.business_id = snapshots.business_id
    inner join shares
        on histories.business_id = shares.business_id
        and histories.customer_id = shares.customer_id
    left join business_margins
        on histories.business_id = business_margins.business_id

)

select * from final
