{#-
    Who earns the business money: one row per business and customer at the as-of date,
    all time, TTM and the prior TTM. Built from int_customers_valued (every snapshot
    date); here the as-of date's rows get their reasons and suggested actions in words.
-#}
{%- set categories = customer_cost_categories() -%}

with

valued as (

    select * from {{ ref('int_customers_valued') }}
    where is_current

),

worded as (

    select
        valued.*,
        case
            when valued.value_class = 'unprofitable'
                then {{ dbt.concat([
                    "'costs more than it brings: contribution '",
                    format_amount('valued.ttm_contribution'),
                    "' '", "valued.home_currency",
                    "' in 12 months (gross margin '",
                    format_amount('valued.ttm_gross_margin'),
                    "', cost to serve '",
                    format_amount('valued.ttm_cost_to_serve'),
                    "', financing '",
                    format_amount('valued.ttm_financing_cost'),
                    "')'",
                    "case when valued.ttm_effort_share is null then ''"
                    ~ " else '; takes ' || " ~ format_percent('valued.ttm_effort_share')
                    ~ " || ' of the business''s service hours' end",
                ]) }}
            when valued.value_class = 'key_account' and valued.is_key_by_own_contribution
                then {{ dbt.concat([
                    "'top '",
                    dbt.cast('cast(valued.ttm_contribution_top_percent as integer)',
                             dbt.type_string()),
                    "'% of contribution: '",
                    format_amount('valued.ttm_contribution'),
                    "' '", "valued.home_currency",
                    "' in 12 months'",
                    "case when valued.ttm_contribution_share is null then ''"
                    ~ " else ', ' || " ~ format_percent('valued.ttm_contribution_share')
                    ~ " || ' of the business''s contribution' end",
                    "case when valued.referral_chain_customers = 0 then ''"
                    ~ " else '; referred ' || " ~ dbt.cast('valued.referral_chain_customers',
                                                           dbt.type_string())
                    ~ " || case when valued.referral_chain_customers = 1"
                    ~ " then ' customer' else ' customers' end || ' worth ' || "
                    ~ format_amount('valued.referral_chain_net_sales')
                    ~ " || ' ' || valued.home_currency end",
                ]) }}
            when valued.value_class = 'key_account'
                then {{ dbt.concat([
                    "'referred '",
                    dbt.cast('valued.referral_chain_customers', dbt.type_string()),
                    "case when valued.referral_chain_customers = 1"
                    ~ " then ' customer worth ' else ' customers worth ' end",
                    format_amount('valued.referral_chain_net_sales'),
                    "' '", "valued.home_currency",
                    "' (contribution '",
                    format_amount('valued.referral_chain_ttm_contribution'),
                    "' in 12 months, own '",
                    format_amount('valued.ttm_contribution'),
                    "')'",
                ]) }}
            when valued.is_active
                then {{ dbt.concat([
                    "'contribution '",
                    format_amount('valued.ttm_contribution'),
                    "' '", "valued.home_currency",
                    "' in 12 months, top '",
                    dbt.cast('cast(valued.ttm_contribution_top_percent as integer)',
                             dbt.type_string()),
                    "'%'",
                ]) }}
            else 'no sales and no service costs in the last 12 months'
        end as value_reason,
        case valued.suggested_action_code
            when 'tighten_terms'
                then {{ dbt.concat([
                    "'Tighten terms: profitable before financing, but waiting for its'",
                    "' payments cost '",
                    format_amount('valued.ttm_financing_cost'),
                    "' '", "valued.home_currency",
                    "' in 12 months; shorten its terms or ask for a deposit.'",
                ]) }}
            when 'improve_or_exit'
                then {{ dbt.concat([
                    "'Improve or exit: unprofitable two years running (contribution '",
                    format_amount('valued.prev_ttm_contribution'),
                    "' then '",
                    format_amount('valued.ttm_contribution'),
                    "' '", "valued.home_currency",
                    "'); cut the cost to serve it or let it go.'",
                ]) }}
            when 'reprice'
                then {{ dbt.concat([
                    "'Reprice or add a fee for its special demands'",
                    "case when valued.ttm_net_sales > 0 then ': a surcharge of ' || "
                    ~ dbt.cast('cast(round(-100 * valued.ttm_contribution'
                               ~ ' / valued.ttm_net_sales, 2) as decimal(18, 2))',
                               dbt.type_string())
                    ~ " || '% on its TTM sales brings contribution to zero.'"
                    ~ " else '.' end",
                ]) }}
            when 'protect'
                then {{ dbt.concat([
                    "'Protect: '",
                    format_percent('valued.ttm_contribution_share'),
                    "' of the contribution for '",
                    format_percent('valued.ttm_effort_share'),
                    "' of the effort, and pays well; attention is overdue.'",
                ]) }}
            else 'Maintain: no change suggested.'
        end as suggested_action

    from valued

),

final as (

    select
        ---------- keys
        business_id,
        customer_id,
        as_of_date,
        ---------- attributes
        customer_name,
        home_currency,
        account_id,
        segment,
        is_active,
        ---------- value class and action
        value_class,
        value_reason,
        suggested_action_code,
        suggested_action,
        cast(break_even_surcharge_pct as decimal(18, 6)) as break_even_surcharge_pct,
        ---------- all time
        net_sales,
        cost_of_goods,
        cast(gross_margin as decimal(18, 2)) as gross_margin,
        cast(gross_margin_pct as decimal(18, 6)) as gross_margin_pct,
        cast(gross_margin_pct_known_cost as decimal(18, 6))
            as gross_margin_pct_known_cost,
        cast(unknown_cost_share as decimal(18, 6)) as unknown_cost_share,
        {% for category in categories -%}
        {{ category }}_cost,
        {% endfor -%}
        cast(cost_to_serve as decimal(18, 2)) as cost_to_serve,
        service_hours,
        financing_cost,
        cast(credit_notes + discounts as decimal(18, 2)) as credits_given,
        cast(credits_given_share as decimal(18, 6)) as credits_given_share,
        cast(contribution as decimal(18, 2)) as contribution,
        cast(contribution_margin as decimal(18, 6)) as contribution_margin,
        cast(contribution_per_hour as decimal(18, 2)) as contribution_per_hour,
        ---------- trailing twelve months
        ttm_net_sales as ttm_sales,
        ttm_cost_of_goods,
        cast(ttm_gross_margin as decimal(18, 2)) as ttm_gross_margin,
        cast(ttm_gross_margin_pct as decimal(18, 6)) as ttm_gross_margin_pct,
        cast(ttm_unknown_cost_share as decimal(18, 6)) as ttm_unknown_cost_share,
        {% for category in categories -%}
        ttm_{{ category }}_cost,
        {% endfor -%}
        cast(ttm_cost_to_serve as decimal(18, 2)) as ttm_cost_to_serve,
        ttm_service_hours,
        ttm_financing_cost,
        cast(ttm_credit_notes + ttm_discounts as decimal(18, 2)) as ttm_credits_given,
        cast(ttm_credits_given_share as decimal(18, 6)) as ttm_credits_given_share,
        cast(ttm_contribution as decimal(18, 2)) as ttm_contribution,
        cast(ttm_contribution_margin as decimal(18, 6)) as ttm_contribution_margin,
        cast(ttm_contribution_per_hour as decimal(18, 2)) as ttm_contribution_per_hour,
        ---------- the prior twelve months and the trend
        prev_ttm_net_sales as prev_ttm_sales,
        cast(prev_ttm_gross_margin as decimal(18, 2)) as prev_ttm_gross_margin,
        cast(prev_ttm_cost_to_serve as decimal(18, 2)) as prev_ttm_cost_to_serve,
        prev_ttm_support_cost,
        prev_ttm_rework_cost,
        prev_ttm_financing_cost,
        cast(prev_ttm_contribution as decimal(18, 2)) as prev_ttm_contribution,
        cast(ttm_contribution - prev_ttm_contribution as decimal(18, 2))
            as ttm_contribution_change,
        cast(ttm_cost_to_serve - prev_ttm_cost_to_serve as decimal(18, 2))
            as ttm_cost_to_serve_change,
        rising_cost_category,
        cast(
            case
                {% for category in categories if category != 'acquisition' -%}
                when rising_cost_category = '{{ category }}'
                    then ttm_{{ category }}_cost - prev_ttm_{{ category }}_cost
                {% endfor -%}
            end as decimal(18, 2)
        ) as rising_cost_amount,
        ---------- within the business (active customers, TTM)
        cast(ttm_contribution_share as decimal(18, 6)) as ttm_contribution_share,
        cast(ttm_effort_share as decimal(18, 6)) as ttm_effort_share,
        cast(ttm_contribution_rank as {{ dbt.type_int() }}) as ttm_contribution_rank,
        cast(ttm_contribution_top_percent as {{ dbt.type_int() }})
            as ttm_contribution_top_percent,
        ---------- customers it referred (one level, then the whole chain)
        cast(referred_customers as {{ dbt.type_int() }}) as referred_customers,
        cast(referred_net_sales as decimal(18, 2)) as referred_net_sales,
        cast(referred_contribution as decimal(18, 2)) as referred_contribution,
        cast(referral_chain_customers as {{ dbt.type_int() }})
            as referral_chain_customers,
        cast(referral_chain_net_sales as decimal(18, 2)) as referral_chain_net_sales,
        cast(referral_chain_contribution as decimal(18, 2))
            as referral_chain_contribution,
        cast(referral_chain_ttm_contribution as decimal(18, 2))
            as referral_chain_ttm_contribution

    from worded

)

select * from final
