{#-
    RFM+T scores and the segment decision. Every score is relative to the customer's own
    business: R against purchase cycles, F and M against the business's median customer
    (F also against its most frequent customers, so that a business whose customers all
    buy on one cadence still has frequent buyers), T against the customer's own payment
    terms. Bounds are dbt vars; the segments' order and names come from the seed
    segment_rules, so users re-order or rename them without touching SQL.

    Don't Lose Them and Give Attention say what a customer was: they read its standing
    (the segment by every other rule) at the segment_lookback_months month ends before
    the date, computed here at every date of int_segment_dates_spined. Standing never
    depends on an earlier standing, so the look-back is bounded and a run as of a past
    month end gives exactly what segment_history says for it.
-#}
{%- set r = var('recency_cycle_bounds') -%}
{%- set f = var('frequency_ratio_bounds') -%}
{%- set m = var('monetary_ratio_bounds') -%}
{%- set t = var('timeliness_days_bounds') -%}
with

customers as (

    select * from {{ ref('int_customers_summarized') }}

),

payments as (

    select * from {{ ref('stg_payments') }}

),

sales_events as (

    select * from {{ ref('int_sales_events_unioned') }}

),

segment_rules as (

    select * from {{ ref('segment_rules') }}

),

segment_dates as (

    select * from {{ ref('int_segment_dates_spined') }}

),

-- "Paid anything": a payment received, or a sales receipt (paid at the sale); the
-- first such date tells, for any snapshot date, whether the customer had paid by then.
money_received as (

    select
        business_id,
        customer_id,
        payment_date as received_date
    from payments
    union all
    select
        business_id,
        customer_id,
        event_date as received_date
    from sales_events
    where document_type = 'sales_receipt'

),

first_payments as (

    select
        business_id,
        customer_id,
        min(received_date) as first_paid_date

    from money_received
    group by business_id, customer_id

),

-- The purchases F counts. An annual commitment is worth monthly purchases of the same
-- amount: a customer that renews once a year (typical gap of at least
-- commitment_min_gap_days) and renewed in the TTM counts as twelve monthly purchases,
-- as its TTM net sales already count the whole year for M.
customers_counted as (

    select
        customers.*,
        case
            when customers.typical_gap_days >= {{ var('commitment_min_gap_days') }}
                and customers.purchases_ttm > 0
                then greatest(customers.purchases_ttm, 12)
            else customers.purchases_ttm
        end as frequency_purchases

    from customers

),

business_medians as (

    select
        as_of_date,
        business_id,
        {{ median('case when frequency_purchases > 0 then frequency_purchases end') }}
            as median_frequency_purchases,
        -- What the business's most frequent customers do: where every customer buys on
        -- the same cadence it equals the median, and buying as often as anyone scores 5.
        {{ percentile(
            'case when frequency_purchases > 0 then frequency_purchases end',
            var('frequency_top_percentile')
        ) }} as top_frequency_purchases,
        {{ median('case when ttm_sales > 0 then ttm_sales end') }} as median_ttm_sales,
        {{ median('ltv') }} as median_ltv

    from customers_counted
    group by as_of_date, business_id

),

ratios as (

    select
        customers_counted.*,
        coalesce(first_payments.first_paid_date <= customers_counted.as_of_date, false)
            as has_paid,
        business_medians.median_ltv,
        business_medians.top_frequency_purchases,
        customers_counted.recency_days
        / coalesce(
            customers_counted.typical_gap_days, customers_counted.business_cycle_days, 30
        ) as recency_cycles,
        customers_counted.frequency_purchases
        / nullif(business_medians.median_frequency_purchases, 0) as frequency_ratio,
        customers_counted.ttm_sales / nullif(business_medians.median_ttm_sales, 0)
            as monetary_ratio

    from customers_counted
    inner join business_medians
        on customers_counted.as_of_date = business_medians.as_of_date
        and customers_counted.business_id = business_medians.business_id
    left join first_payments
        on customers_counted.business_id = first_payments.business_id
        and customers_counted.customer_id = first_payments.customer_id

),

scored as (

    select
        ratios.*,
        case
            when recency_cycles <= {{ r[0] }} then 5
            when recency_cycles <= {{ r[1] }} then 4
            when recency_cycles <= {{ r[2] }} then 3
            when recency_cycles <= {{ r[3] }} then 2
            else 1
        end as r_score,
        -- Rising buyers move up a step and falling ones down: steadiness counts.
        greatest(1, least(
            5,
            case
                when frequency_ratio >= {{ f[0] }}
                    or frequency_purchases >= top_frequency_purchases then 5
                when frequency_ratio >= {{ f[1] }} then 4
                when frequency_ratio >= {{ f[2] }} then 3
                when frequency_ratio > 0 then 2
                else 1
            end
            + case frequency_trend
                when 'increasing' then 1 when 'decreasing' then -1 else 0
            end
        )) as f_score,
        -- TTM net sales, not LTV: a grower outscores a fader of the same total, and an
        -- annual prepayer scores like a monthly payer of the same yearly amount.
        case
            when monetary_ratio >= {{ m[0] }} then 5
            when monetary_ratio >= {{ m[1] }} then 4
            when monetary_ratio >= {{ m[2] }} then 3
            when monetary_ratio > 0 then 2
            else 1
        end as m_score,
        case
            when avg_days_beyond_terms is null then null
            when avg_days_beyond_terms <= {{ t[0] }} then 5
            when avg_days_beyond_terms <= {{ t[1] }} then 4
            when avg_days_beyond_terms <= {{ t[2] }} then 3
            when avg_days_beyond_terms <= {{ t[3] }} then 2
            else 1
        end as t_score

    from ratios

),

flagged as (

    select
        scored.*,
        not has_paid and tenure_days <= {{ var('new_max_tenure_days') }} as is_new,
        -- A pattern, not an incident: several paid invoices, at least half of them late.
        coalesce(
            t_score = 1 and share_paid_late >= {{ var('late_payer_min_share_late') }}
            and paid_invoices >= {{ var('late_payer_min_paid_invoices') }}, false
        ) as is_late_payer,
        (
            purchases <= 2 and ltv < median_ltv
            and tenure_days > {{ var('new_max_tenure_days') }}
        ) as is_possible_mismatch,
        (
            r_score <= 2 and recency_days > {{ var('hibernating_min_days') }}
        ) as is_hibernating,
        -- A year of history first: until then a big new buyer is Promising.
        (
            m_score = 5 and f_score >= 4 and r_score >= 4 and coalesce(t_score >= 4, true)
            and coalesce(sales_momentum > {{ var('falling_momentum') }}, true)
            and tenure_days > {{ var('promising_max_tenure_days') }}
        ) as is_champion,
        -- Falling sales count only with enough purchases to tell: with two or three
        -- invoices a year, one large invoice more or less halves or doubles TTM sales.
        (
            coalesce(
                sales_momentum <= {{ var('falling_momentum') }}
                and purchases_prev_ttm >= {{ var('falling_momentum_min_purchases') }},
                false
            )
            or frequency_trend = 'decreasing' or r_score <= 2
        ) as is_slipping,
        tenure_days <= {{ var('promising_max_tenure_days') }} as is_promising,
        true as is_good

    from scored

),

-- Standing: the segment by every rule that does not look back (all but Don't Lose
-- Them and Give Attention), at every date, in the seed's order.
{%- set conditions = [] %}
{%- set standing_conditions = [] %}
{%- for key in ['new', 'late_payer', 'possible_mismatch', 'hibernating',
                'dont_lose_them', 'champion', 'give_attention', 'promising', 'good'] %}
{%- do conditions.append((key, 'is_' ~ key)) %}
{%- if key not in ['dont_lose_them', 'give_attention'] %}
{%- do standing_conditions.append((key, 'is_' ~ key)) %}
{%- endif %}
{%- endfor %}
segment_priorities as (

    {{ rule_priorities('segment_rules', 'segment_key', conditions) }}

),

-- The priority computed as a column first, then joined on: joined on the expression,
-- DuckDB 1.5 plans a cross product and a filter (macros/rule_matching.sql).
standing_prioritized as (

    select
        flagged.as_of_date,
        flagged.business_id,
        flagged.customer_id,
        {{ first_matching_priority(standing_conditions, 'segment_priorities') }}
            as standing_priority

    from flagged
    cross join segment_priorities

),

standing_keyed as (

    select
        standing_prioritized.as_of_date,
        standing_prioritized.business_id,
        standing_prioritized.customer_id,
        segment_rules.segment_key

    from standing_prioritized
    inner join segment_rules
        on standing_prioritized.standing_priority = segment_rules.priority

),

-- Each date with the segment_lookback_months month ends before it: month numbers 1 to
-- segment_lookback_months lower (on a mid-month as-of date, the month end just before
-- it is one month lower).
look_back_dates as (

    select
        later_dates.business_id,
        later_dates.as_of_date,
        earlier_dates.as_of_date as earlier_date

    from segment_dates as later_dates
    inner join segment_dates as earlier_dates
        on later_dates.business_id = earlier_dates.business_id
        and later_dates.as_of_date > earlier_dates.as_of_date
        and earlier_dates.is_month_end
        and {{ month_number('later_dates.as_of_date') }}
        - {{ month_number('earlier_dates.as_of_date') }}
        <= {{ var('segment_lookback_months') }}

),

former_standing as (

    select
        look_back_dates.as_of_date,
        standing_keyed.business_id,
        standing_keyed.customer_id,
        max(
            case when standing_keyed.segment_key in ('champion', 'good') then 1 else 0 end
        ) as was_champion_or_good,
        max(
            case
                when standing_keyed.segment_key in ('champion', 'good', 'promising')
                    then 1
                else 0
            end
        ) as was_in_good_standing

    from look_back_dates
    inner join standing_keyed
        on look_back_dates.business_id = standing_keyed.business_id
        and look_back_dates.earlier_date = standing_keyed.as_of_date
    group by
        look_back_dates.as_of_date,
        standing_keyed.business_id,
        standing_keyed.customer_id

),

segment_flags as (

    select
        flagged.*,
        -- A Champion or Good customer who has not bought within three of its cycles.
        flagged.r_score <= 2
        and coalesce(former_standing.was_champion_or_good = 1, false)
            as is_dont_lose_them,
        -- A Good or Promising customer (a Champion is a Good one too) now slipping.
        flagged.is_slipping
        and coalesce(former_standing.was_in_good_standing = 1, false)
            as is_give_attention

    from flagged
    left join former_standing
        on flagged.as_of_date = former_standing.as_of_date
        and flagged.business_id = former_standing.business_id
        and flagged.customer_id = former_standing.customer_id

),

-- The segment's priority as a column, as standing_prioritized's.
segment_prioritized as (

    select
        segment_flags.*,
        {{ first_matching_priority(conditions, 'segment_priorities') }}
            as segment_priority

    from segment_flags
    cross join segment_priorities

),

final as (

    select
        ---------- keys
        segment_prioritized.as_of_date,
        segment_prioritized.business_id,
        segment_prioritized.customer_id,
        ---------- scores
        segment_prioritized.r_score,
        segment_prioritized.f_score,
        segment_prioritized.m_score,
        segment_prioritized.t_score,
        ---------- segment
        segment_rules.segment_key,
        segment_rules.segment,
        {{ dbt.concat([
            "'bought '",
            dbt.cast("segment_prioritized.purchases_ttm", dbt.type_string()),
            "'x in TTM'",
            "case when segment_prioritized.sales_momentum is null then ', no prior-year sales'"
            ~ " else ', ' || case when segment_prioritized.sales_momentum >= 0"
            ~ " then '+' else '' end || "
            ~ dbt.cast(
                "cast(round(segment_prioritized.sales_momentum * 100, 0) as integer)",
                dbt.type_string()
            )
            ~ " || '% vs prior year' end",
            "case when segment_prioritized.recency_days = 0 then ', last purchase today'"
            ~ " else ', last purchase ' || "
            ~ format_count("segment_prioritized.recency_days", "day", "days")
            ~ " || ' ago' end",
            "case when segment_prioritized.avg_days_beyond_terms is null"
            ~ " then ', nothing paid on credit yet'"
            ~ " when segment_prioritized.avg_days_beyond_terms <= 0 then ', pays within terms'"
            ~ " else ', pays ' || "
            ~ format_count("cast(round(segment_prioritized.avg_days_beyond_terms, 0) as integer)",
                           "day", "days")
            ~ " || ' beyond terms' end",
        ]) }} as segment_reason

    from segment_prioritized
    inner join segment_rules
        on segment_prioritized.segment_priority = segment_rules.priority
    -- the lookback-only month ends serve the look-back, they are not snapshots
    inner join segment_dates
        on segment_prioritized.business_id = segment_dates.business_id
        and segment_prioritized.as_of_date = segment_dates.as_of_date
    where not segment_dates.is_lookback_only

)

select * from final
