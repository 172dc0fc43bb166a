{#-
    Each customer's profitability figures at each snapshot date, before any rule: margins,
    contribution, ratios, its share of the business's contribution and effort, its rank,
    the value of the customers it referred and whether its own contribution makes it key.
    int_customers_valued applies the rules (seeds/value_class_rules.csv,
    seeds/suggested_action_rules.csv) to these rows.
    Only active customers (a sale, credit note, service cost or receivable in the TTM) are
    ranked, so customers long gone do not dilute "top 10%".
    A model of its own, not a CTE of int_customers_valued: Spark inlines a CTE at every
    reference, and the rules' CTEs then read these rows 24 times, so Spark recomputed the
    joins below 24 times (66 s to create the model on a few hundred customers, and once a
    driver out of heap space; DECISIONLOG.md 2026-12-03). The rules now read their rows
    once (macros/rule_matching.sql; DECISIONLOG.md 2026-12-05 (evening)); it stays a
    table with its key tested, which int_customers_valued reads in one pass.
-#}
{%- set windows = ['', 'ttm_', 'prev_ttm_'] -%}
{%- set service_categories = service_cost_categories() -%}

with

costed as (

    select * from {{ ref('int_customers_costed') }}

),

scored as (

    select * from {{ ref('int_customers_scored') }}

),

relations as (

    select * from {{ ref('int_customer_relations_closed') }}

),

accounts as (

    select * from {{ ref('int_customer_accounts_rolled') }}

),

margins as (

    select
        costed.*,
        {% for w in windows -%}
        {{ w }}net_sales - {{ w }}cost_of_goods as {{ w }}gross_margin,
        {% for category in service_categories -%}
        {{ w }}{{ category }}_cost {% if not loop.last %}+ {% endif %}
        {%- endfor %} as {{ w }}cost_to_serve,
        {% endfor -%}
        -- Active: did business with the business in the TTM (a sale, a credit note, a
        -- service cost, or money owed on some night of it).
        ttm_sales_events > 0
        or ttm_service_cost_rows > 0
        or has_ttm_receivable as is_active

    from costed

),

contributions as (

    select
        margins.*,
        -- sqlfluff cannot indent SQL inside a Jinja loop in a select list (LT02).
        -- noqa: disable=LT02
        {% for w in windows -%}
        {{ w }}gross_margin - {{ w }}cost_to_serve - {{ w }}financing_cost
            as {{ w }}contribution
        {%- if not loop.last %},{% endif %}
        {% endfor %}

    -- noqa: enable=LT02
    from margins

),

business_totals as (

    select
        business_id,
        as_of_date,
        count(*) as active_customers,
        sum(ttm_contribution) as ttm_contribution,
        sum(ttm_service_hours) as ttm_service_hours

    from contributions
    where is_active
    group by business_id, as_of_date

),

ranked as (

    select
        business_id,
        as_of_date,
        customer_id,
        rank() over (
            partition by business_id, as_of_date order by ttm_contribution desc
        ) as ttm_contribution_rank

    from contributions
    where is_active

),

-- Key by its own contribution: in the top key_account_top_share of active customers.
-- The cut-off is the smallest contribution keyed that way; a referrer reaching it with
-- the contribution of the customers it brought is key too.
own_keys as (

    select
        ranked.business_id,
        ranked.as_of_date,
        ranked.customer_id

    from ranked
    inner join business_totals
        on ranked.business_id = business_totals.business_id
        and ranked.as_of_date = business_totals.as_of_date
    inner join contributions
        on ranked.business_id = contributions.business_id
        and ranked.as_of_date = contributions.as_of_date
        and ranked.customer_id = contributions.customer_id
    where contributions.ttm_contribution > 0
        and ranked.ttm_contribution_rank
        <= ceil(business_totals.active_customers * {{ var('key_account_top_share') }})

),

key_cut_offs as (

    select
        contributions.business_id,
        contributions.as_of_date,
        min(contributions.ttm_contribution) as key_cut_off

    from contributions
    inner join own_keys
        on contributions.business_id = own_keys.business_id
        and contributions.as_of_date = own_keys.as_of_date
        and contributions.customer_id = own_keys.customer_id
    group by contributions.business_id, contributions.as_of_date

),

-- The customers each one referred, directly (steps 1) and down the whole chain, each
-- counted once; a customer is never in its own chain (a loop in the data).
referrals as (

    select
        relations.business_id,
        contributions.as_of_date,
        relations.ancestor_customer_id as customer_id,
        sum(case when relations.steps = 1 then 1 else 0 end) as referred_customers,
        sum(
            case when relations.steps = 1 then contributions.net_sales else 0 end
        ) as referred_net_sales,
        sum(
            case when relations.steps = 1 then contributions.contribution else 0 end
        ) as referred_contribution,
        count(*) as referral_chain_customers,
        sum(contributions.net_sales) as referral_chain_net_sales,
        sum(contributions.contribution) as referral_chain_contribution,
        sum(contributions.ttm_contribution) as referral_chain_ttm_contribution

    from relations
    inner join contributions
        on relations.business_id = contributions.business_id
        and relations.customer_id = contributions.customer_id
    where relations.relation = 'referral'
        and relations.customer_id <> relations.ancestor_customer_id
    group by
        relations.business_id, contributions.as_of_date, relations.ancestor_customer_id

),

ratios as (

    select
        contributions.*,
        {% for w in windows if w != 'prev_ttm_' -%}
        case
            when {{ w }}net_sales > 0
                then {{ w }}gross_margin / {{ w }}net_sales
        end as {{ w }}gross_margin_pct,
        case
            when {{ w }}line_sales > 0
                then {{ w }}unknown_cost_sales
                    / {{ w }}line_sales
        end as {{ w }}unknown_cost_share,
        case
            when {{ w }}line_sales + {{ w }}discounts > 0
                then ({{ w }}credit_notes + {{ w }}discounts)
                    / ({{ w }}line_sales + {{ w }}discounts)
        end as {{ w }}credits_given_share,
        case
            when {{ w }}net_sales > 0
                then {{ w }}contribution / {{ w }}net_sales
        end as {{ w }}contribution_margin,
        case
            when {{ w }}service_hours > 0
                then {{ w }}contribution
                    / {{ w }}service_hours
        end as {{ w }}contribution_per_hour,
        {% endfor -%}
        case
            when known_cost_sales > 0
                then (known_cost_sales - cost_of_goods)
                    / known_cost_sales
        end as gross_margin_pct_known_cost

    from contributions

),

measured as (

    select
        ratios.*,
        accounts.account_id,
        scored.segment,
        scored.t_score,
        ---------- within the business (active customers, TTM)
        case
            when ratios.is_active and business_totals.ttm_contribution > 0
                then ratios.ttm_contribution / business_totals.ttm_contribution
        end as ttm_contribution_share,
        case
            when ratios.is_active and business_totals.ttm_service_hours > 0
                then ratios.ttm_service_hours / business_totals.ttm_service_hours
        end as ttm_effort_share,
        ranked.ttm_contribution_rank,
        case
            when ranked.ttm_contribution_rank is not null
                then ceil(
                        100.0
                        * ranked.ttm_contribution_rank
                        / business_totals.active_customers
                    )
        end as ttm_contribution_top_percent,
        ---------- referrals
        -- In the types the marts show them in, not the 128 bits sum() returns: narrower
        -- to write here and in int_customers_valued, and to read (DECISIONLOG.md,
        -- 2026-12-05 (months)).
        cast(coalesce(referrals.referred_customers, 0) as {{ dbt.type_bigint() }})
            as referred_customers,
        cast(coalesce(referrals.referred_net_sales, 0) as decimal(18, 2))
            as referred_net_sales,
        cast(coalesce(referrals.referred_contribution, 0) as decimal(18, 2))
            as referred_contribution,
        coalesce(referrals.referral_chain_customers, 0) as referral_chain_customers,
        cast(coalesce(referrals.referral_chain_net_sales, 0) as decimal(18, 2))
            as referral_chain_net_sales,
        cast(coalesce(referrals.referral_chain_contribution, 0) as decimal(18, 2))
            as referral_chain_contribution,
        cast(coalesce(referrals.referral_chain_ttm_contribution, 0) as decimal(18, 2))
            as referral_chain_ttm_contribution,
        ---------- rules
        own_keys.customer_id is not null as is_key_by_own_contribution,
        key_cut_offs.key_cut_off

    from ratios
    inner join accounts
        on ratios.business_id = accounts.business_id
        and ratios.customer_id = accounts.customer_id
    left join business_totals
        on ratios.business_id = business_totals.business_id
        and ratios.as_of_date = business_totals.as_of_date
    left join ranked
        on ratios.business_id = ranked.business_id
        and ratios.as_of_date = ranked.as_of_date
        and ratios.customer_id = ranked.customer_id
    left join own_keys
        on ratios.business_id = own_keys.business_id
        and ratios.as_of_date = own_keys.as_of_date
        and ratios.customer_id = own_keys.customer_id
    left join key_cut_offs
        on ratios.business_id = key_cut_offs.business_id
        and ratios.as_of_date = key_cut_offs.as_of_date
    left join referrals
        on ratios.business_id = referrals.business_id
        and ratios.as_of_date = referrals.as_of_date
        and ratios.customer_id = referrals.customer_id
    left join scored
        on ratios.business_id = scored.business_id
        and ratios.as_of_date = scored.as_of_date
        and ratios.customer_id = scored.customer_id

)

select * from measured
