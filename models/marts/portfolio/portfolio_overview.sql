{#-
    One row per business: the accounting firm's view of its clients side by side. Each
    figure is read from the mart that defines it (same definitions), each gets its
    percentile among the warehouse's businesses (1 = best), and needs_attention says in
    words which bounds (dbt vars portfolio_attention_*) a business crosses.

    The percentile is percent_rank() over the businesses that have the figure, ordered so
    that the best value ranks last (1): ascending for figures where more is better,
    descending for those where less is better (macro best_is_1_percentile). Null when
    the figure is, or when fewer than two businesses have it (a rank of one is no
    benchmark).

    Amounts are ranked among the businesses of the same home currency only (the
    warehouse converts no business's currency into another's); rates and shares among
    all.
-#}
{%- set in_own_currency = ['ttm_net_sales'] -%}
{%- set higher_is_better = [
    'ttm_net_sales', 'ttm_sales_growth', 'nrr', 'grr', 'logo_retention',
    'champion_customer_share', 'champion_sales_share', 'contribution_margin',
] -%}
{%- set lower_is_better = [
    'dso', 'days_beyond_terms', 'overdue_share', 'top_customer_share', 'top_10_share',
    'at_risk_customer_share', 'at_risk_sales_share',
] -%}
with

businesses as (

    select * from {{ ref('business_overview') }}

),

customer_sheet as (

    select * from {{ ref('customer_sheet') }}

),

segment_rules as (

    select * from {{ ref('segment_rules') }}

),

revenue_retention as (

    select * from {{ ref('revenue_retention') }}

),

dso_history as (

    select * from {{ ref('dso_history') }}

),

ar_aging as (

    select * from {{ ref('ar_aging') }}

),

concentration as (

    select * from {{ ref('concentration') }}

),

profitability_summary as (

    select * from {{ ref('profitability_summary') }}

),

-- TTM net sales as on the customer sheet: the 365 days ending at the as-of date and
-- the 365 before; the segment shares below are of the same total.
customer_totals as (

    select
        customer_sheet.business_id,
        count(*) as customers,
        sum(customer_sheet.ttm_sales) as ttm_net_sales,
        sum(customer_sheet.prev_ttm_sales) as prev_ttm_net_sales,
        sum(
            case when segment_rules.is_at_risk then 1 else 0 end
        ) as at_risk_customers,
        sum(
            case when segment_rules.is_at_risk then customer_sheet.ttm_sales else 0 end
        ) as at_risk_ttm_sales,
        sum(
            case when segment_rules.segment_key = 'champion' then 1 else 0 end
        ) as champion_customers,
        sum(
            case
                when segment_rules.segment_key = 'champion' then customer_sheet.ttm_sales
                else 0
            end
        ) as champion_ttm_sales

    from customer_sheet
    left join segment_rules
        on customer_sheet.segment = segment_rules.segment
    group by customer_sheet.business_id

),

-- The latest complete TTM period of revenue_retention (its ttm periods end at the
-- as-of month, one a year).
latest_retention_periods as (

    select
        revenue_retention.business_id,
        max(revenue_retention.period_end_date) as period_end_date

    from revenue_retention
    inner join businesses
        on revenue_retention.business_id = businesses.business_id
    where
        revenue_retention.period_grain = 'ttm'
        and revenue_retention.period_end_date <= businesses.as_of_date
    group by revenue_retention.business_id

),

retention as (

    select
        revenue_retention.business_id,
        revenue_retention.period_end_date,
        revenue_retention.nrr,
        revenue_retention.grr,
        revenue_retention.logo_retention

    from revenue_retention
    inner join latest_retention_periods
        on revenue_retention.business_id = latest_retention_periods.business_id
        and revenue_retention.period_end_date = latest_retention_periods.period_end_date
    where revenue_retention.period_grain = 'ttm'

),

dso as (

    select
        business_id,
        simple_dso,
        days_beyond_terms

    from dso_history
    where is_current

),

receivables as (

    select
        business_id,
        sum(open_balance_home) as open_balance_home,
        sum(
            past_due_1_30_home + past_due_31_60_home + past_due_61_90_home
            + past_due_over_90_home
        ) as overdue_home

    from ar_aging
    group by business_id

),

latest_concentration_dates as (

    select
        concentration.business_id,
        max(concentration.month_end_date) as month_end_date

    from concentration
    inner join businesses
        on concentration.business_id = businesses.business_id
    where concentration.month_end_date <= businesses.as_of_date
    group by concentration.business_id

),

concentration_now as (

    select
        concentration.business_id,
        concentration.month_end_date,
        concentration.top_1_share,
        concentration.top_10_share,
        concentration.concentration_risk

    from concentration
    inner join latest_concentration_dates
        on concentration.business_id = latest_concentration_dates.business_id
        and concentration.month_end_date = latest_concentration_dates.month_end_date

),

profitability as (

    select
        business_id,
        ttm_contribution_margin

    from profitability_summary
    where is_current

),

figures as (

    select
        businesses.business_id,
        businesses.business_name,
        businesses.home_currency,
        businesses.as_of_date,
        cast(coalesce(customer_totals.customers, 0) as integer) as customers,
        {{ to_money('coalesce(customer_totals.ttm_net_sales, 0)') }} as ttm_net_sales,
        {{ to_money('coalesce(customer_totals.prev_ttm_net_sales, 0)') }}
            as prev_ttm_net_sales,
        cast(
            case
                when customer_totals.prev_ttm_net_sales > 0
                    then customer_totals.ttm_net_sales
                        / customer_totals.prev_ttm_net_sales - 1
            end as decimal(18, 6)
        ) as ttm_sales_growth,
        retention.period_end_date as retention_period_end_date,
        retention.nrr,
        retention.grr,
        retention.logo_retention,
        dso.simple_dso as dso,
        dso.days_beyond_terms,
        {{ to_money('coalesce(receivables.open_balance_home, 0)') }} as open_balance_home,
        {{ to_money('coalesce(receivables.overdue_home, 0)') }} as overdue_balance_home,
        {{ share_of('receivables.overdue_home', 'receivables.open_balance_home') }}
            as overdue_share,
        concentration_now.month_end_date as concentration_month_end_date,
        concentration_now.top_1_share as top_customer_share,
        concentration_now.top_10_share,
        concentration_now.concentration_risk,
        cast(
            case
                when customer_totals.customers > 0
                    then 1.0 * customer_totals.at_risk_customers
                        / customer_totals.customers
            end as decimal(18, 6)
        ) as at_risk_customer_share,
        {{ share_of(
            'customer_totals.at_risk_ttm_sales', 'customer_totals.ttm_net_sales'
        ) }} as at_risk_sales_share,
        cast(
            case
                when customer_totals.customers > 0
                    then 1.0 * customer_totals.champion_customers
                        / customer_totals.customers
            end as decimal(18, 6)
        ) as champion_customer_share,
        {{ share_of(
            'customer_totals.champion_ttm_sales', 'customer_totals.ttm_net_sales'
        ) }} as champion_sales_share,
        profitability.ttm_contribution_margin as contribution_margin

    from businesses
    left join customer_totals
        on businesses.business_id = customer_totals.business_id
    left join retention
        on businesses.business_id = retention.business_id
    left join dso
        on businesses.business_id = dso.business_id
    left join receivables
        on businesses.business_id = receivables.business_id
    left join concentration_now
        on businesses.business_id = concentration_now.business_id
    left join profitability
        on businesses.business_id = profitability.business_id

),

ranked as (

    select
        figures.*,
        {%- for column in higher_is_better + lower_is_better %}
        {{ best_is_1_percentile(
            'figures.' ~ column,
            lower_is_better=column in lower_is_better,
            within='figures.home_currency' if column in in_own_currency else none,
        ) }} as {{ column }}_percentile
        {%- if not loop.last %},{% endif %}
        {%- endfor %}

    from figures

),

-- Each reason in words, or null; concatenated below in this order.
reasons as (

    select
        ranked.*,
        case
            when ranked.nrr < {{ var('portfolio_attention_min_nrr') }}
                then {{ dbt.concat([
                    "'NRR '", format_percent('ranked.nrr'),
                    "' (below '",
                    format_whole(var('portfolio_attention_min_nrr') ~ ' * 100'),
                    "'%: the customer base is shrinking)'",
                ]) }}
        end as nrr_reason,
        case
            when ranked.ttm_sales_growth
                < {{ var('portfolio_attention_min_ttm_sales_growth') }}
                then {{ dbt.concat([
                    "'TTM sales down '", format_percent('-ranked.ttm_sales_growth'),
                    "' on the previous TTM ('", format_money('ranked.ttm_net_sales'),
                    "' '", "ranked.home_currency", "' against '",
                    format_money('ranked.prev_ttm_net_sales'), "')'",
                ]) }}
        end as growth_reason,
        case
            when ranked.days_beyond_terms
                > {{ var('portfolio_attention_max_days_beyond_terms') }}
                then {{ dbt.concat([
                    "'customers pay '", format_whole('ranked.days_beyond_terms'),
                    "' days beyond terms on average (DSO '", format_whole('ranked.dso'),
                    "' days)'",
                ]) }}
        end as days_beyond_terms_reason,
        case
            when ranked.overdue_share > {{ var('portfolio_attention_max_overdue_share') }}
                then {{ dbt.concat([
                    format_percent('ranked.overdue_share'),
                    "' of receivables overdue ('", format_money('ranked.overdue_balance_home'),
                    "' of '", format_money('ranked.open_balance_home'), "' '",
                    "ranked.home_currency", "')'",
                ]) }}
        end as overdue_reason,
        case
            when ranked.concentration_risk = 'high'
                then {{ dbt.concat([
                    "'top customer '", format_percent('ranked.top_customer_share'),
                    "' of TTM sales, top 10 '", format_percent('ranked.top_10_share'),
                    "' (concentration risk high)'",
                ]) }}
        end as concentration_reason,
        case
            when ranked.contribution_margin
                < {{ var('portfolio_attention_min_contribution_margin') }}
                then {{ dbt.concat([
                    "'contribution margin '",
                    format_percent('ranked.contribution_margin'),
                    "' (customers cost more than they bring)'",
                ]) }}
        end as contribution_reason

    from ranked

),

final as (

    select
        ---------- keys
        reasons.business_id,
        reasons.business_name,
        reasons.home_currency,
        reasons.as_of_date,
        reasons.customers,
        ---------- sales
        reasons.ttm_net_sales,
        reasons.prev_ttm_net_sales,
        reasons.ttm_sales_growth,
        ---------- retention
        reasons.retention_period_end_date,
        reasons.nrr,
        reasons.grr,
        reasons.logo_retention,
        ---------- receivables
        reasons.dso,
        reasons.days_beyond_terms,
        reasons.open_balance_home,
        reasons.overdue_balance_home,
        reasons.overdue_share,
        ---------- concentration
        reasons.concentration_month_end_date,
        reasons.top_customer_share,
        reasons.top_10_share,
        reasons.concentration_risk,
        ---------- segment mix
        reasons.at_risk_customer_share,
        reasons.at_risk_sales_share,
        reasons.champion_customer_share,
        reasons.champion_sales_share,
        ---------- profitability
        reasons.contribution_margin,
        ---------- percentiles (1 = best among the businesses)
        {%- for column in higher_is_better + lower_is_better %}
        reasons.{{ column }}_percentile,
        {%- endfor %}
        ---------- attention
        (
            reasons.nrr_reason is not null
            or reasons.growth_reason is not null
            or reasons.days_beyond_terms_reason is not null
            or reasons.overdue_reason is not null
            or reasons.concentration_reason is not null
            or reasons.contribution_reason is not null
        ) as needs_attention,
        {{ join_reasons([
            'reasons.nrr_reason',
            'reasons.growth_reason',
            'reasons.days_beyond_terms_reason',
            'reasons.overdue_reason',
            'reasons.concentration_reason',
            'reasons.contribution_reason',
        ]) }} as attention_reasons

    from reasons

)

select * from final
