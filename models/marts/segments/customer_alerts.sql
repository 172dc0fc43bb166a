{#-
    The customers a sales team acts on: at each snapshot date (the as-of date and the
    segment_history_months month ends before it), the customers to whom one of three
    things happened since the snapshot before:
    - segment: moved from a segment not at risk into one at risk (seeds/segment_rules.csv
      is_at_risk: Don't Lose Them, Give Attention by default);
    - late_payment: the customer's mean days beyond terms over its paid credit invoices
      rose by at least var alert_days_beyond_terms_jump. The warehouse keeps no history
      of a risk score (open_invoice_risk scores open invoices at the as-of date only), so
      the customer's own late-payment measure at consecutive snapshots is compared;
    - sales_drop: TTM net sales fell to at most (1 - var alert_ttm_sales_drop) x the TTM
      a year before, for the first time (the snapshot before was above the bound), so a
      customer stays listed once, not every month it stays down.
    One row per customer and snapshot with a flag per kind (DECISIONLOG.md).
-#}
{%- set drop = var('alert_ttm_sales_drop') -%}
with

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

customer_facts as (

    select * from {{ ref('int_customers_summarized') }}

),

customer_segments as (

    select * from {{ ref('int_customers_scored') }}

),

segment_rules as (

    select * from {{ ref('segment_rules') }}

),

customer_clv as (

    select * from {{ ref('customer_clv') }}

),

-- Each snapshot with the one before it (the oldest has none: nothing to compare).
snapshot_pairs as (

    select
        business_id,
        as_of_date,
        is_current,
        lag(as_of_date) over (
            partition by business_id order by as_of_date
        ) as previous_as_of_date

    from snapshot_dates

),

customer_snapshots as (

    select
        customer_facts.business_id,
        customer_facts.customer_id,
        customer_facts.as_of_date,
        customer_facts.customer_name,
        customer_facts.home_currency,
        customer_facts.ttm_sales,
        customer_facts.prev_ttm_sales,
        customer_facts.sales_momentum,
        customer_facts.avg_days_beyond_terms,
        customer_facts.share_paid_late,
        customer_segments.segment,
        segment_rules.is_at_risk

    from customer_facts
    inner join customer_segments
        on customer_facts.business_id = customer_segments.business_id
        and customer_facts.customer_id = customer_segments.customer_id
        and customer_facts.as_of_date = customer_segments.as_of_date
    inner join segment_rules
        on customer_segments.segment_key = segment_rules.segment_key

),

compared as (

    select
        snapshot_pairs.business_id,
        current_snapshot.customer_id,
        snapshot_pairs.as_of_date,
        snapshot_pairs.is_current,
        snapshot_pairs.previous_as_of_date,
        current_snapshot.customer_name,
        current_snapshot.home_currency,
        previous_snapshot.segment as previous_segment,
        current_snapshot.segment,
        previous_snapshot.avg_days_beyond_terms as previous_avg_days_beyond_terms,
        current_snapshot.avg_days_beyond_terms,
        current_snapshot.share_paid_late,
        current_snapshot.ttm_sales,
        current_snapshot.prev_ttm_sales,
        current_snapshot.sales_momentum,
        coalesce(
            current_snapshot.is_at_risk and not previous_snapshot.is_at_risk, false
        ) as is_segment_alert,
        coalesce(
            current_snapshot.avg_days_beyond_terms
            - previous_snapshot.avg_days_beyond_terms
            >= {{ var('alert_days_beyond_terms_jump') }},
            false
        ) as is_late_payment_alert,
        coalesce(current_snapshot.sales_momentum <= -{{ drop }}, false)
        and not coalesce(previous_snapshot.sales_momentum <= -{{ drop }}, false)
            as is_sales_drop_alert

    from snapshot_pairs
    inner join customer_snapshots as current_snapshot
        on snapshot_pairs.business_id = current_snapshot.business_id
        and snapshot_pairs.as_of_date = current_snapshot.as_of_date
    left join customer_snapshots as previous_snapshot
        on snapshot_pairs.business_id = previous_snapshot.business_id
        and snapshot_pairs.previous_as_of_date = previous_snapshot.as_of_date
        and current_snapshot.customer_id = previous_snapshot.customer_id
    where snapshot_pairs.previous_as_of_date is not null

),

alerts as (

    select
        compared.*,
        case
            when compared.is_segment_alert
                then {{ dbt.concat([
                    "'moved from '", "compared.previous_segment", "' to '",
                    "compared.segment",
                ]) }}
        end as segment_reason,
        case
            when compared.is_late_payment_alert
                then {{ dbt.concat([
                    "'pays '", format_whole('compared.avg_days_beyond_terms'),
                    "' days beyond terms on average, up from '",
                    format_whole('compared.previous_avg_days_beyond_terms'),
                ]) }}
        end as late_payment_reason,
        {{ dbt.concat([
            "'TTM sales '", format_money('compared.ttm_sales'), "' '",
            "compared.home_currency",
            "case when compared.sales_momentum < 0 then ', down ' "
            ~ "when compared.sales_momentum >= 0 then ', up ' "
            ~ "else ', no sales the year before' end",
            "coalesce(" ~ dbt.concat([
                format_whole('abs(compared.sales_momentum) * 100'),
                "'% on a year before'",
            ]) ~ ", '')",
        ]) }} as value_reason

    from compared
    where
        compared.is_segment_alert
        or compared.is_late_payment_alert
        or compared.is_sales_drop_alert

),

final as (

    select
        ---------- keys
        alerts.business_id,
        alerts.customer_id,
        alerts.as_of_date,
        alerts.is_current,
        alerts.previous_as_of_date,
        ---------- attributes
        alerts.customer_name,
        alerts.home_currency,
        ---------- what happened
        {{ join_reasons([
            "case when alerts.is_segment_alert then 'segment' end",
            "case when alerts.is_late_payment_alert then 'late_payment' end",
            "case when alerts.is_sales_drop_alert then 'sales_drop' end",
        ]) }} as alert_kinds,
        alerts.is_segment_alert,
        alerts.is_late_payment_alert,
        alerts.is_sales_drop_alert,
        alerts.previous_segment,
        alerts.segment,
        alerts.previous_avg_days_beyond_terms,
        alerts.avg_days_beyond_terms,
        alerts.share_paid_late,
        ---------- value at stake
        alerts.ttm_sales,
        alerts.prev_ttm_sales as ttm_sales_year_before,
        alerts.sales_momentum as ttm_sales_change,
        -- CLV is predicted as of the as-of date only.
        cast(
            case when alerts.is_current then customer_clv.clv_12m end as decimal(18, 2)
        ) as clv_12m,
        ---------- why
        {{ join_reasons([
            'alerts.segment_reason',
            'alerts.late_payment_reason',
            'alerts.value_reason',
        ]) }} as alert_reason

    from alerts
    left join customer_clv
        on alerts.business_id = customer_clv.business_id
        and alerts.customer_id = customer_clv.customer_id

)

select * from final
