{#-
    What winning customers costs and earns, per acquisition channel and sales rep (and
    their totals), per cohort year and all time. A customer is won on its first purchase
    (int_customers_acquired) and joins the cohort of that year; a customer the business
    spent acquisition or onboarding money on and that has not bought by the as-of date is
    a prospect not won: its spend counts (winning customers costs what was spent on
    those not won too), in the cohort of the year of its first such spend.

    Spend is acquisition + onboarding costs up to the as-of date. What pays it back is
    the customers' contribution before onboarding (onboarding is in the spend), month by
    month from int_customer_months_contributed, the customer statement's own figures.
    Every figure is a sum at the finest grain (channel, rep, cohort year) first, then
    rolled up to the totals: the totals are sums of the rows, never other arithmetic.
-#}
{#- The roll-up levels: (name, by channel, by sales rep), all time and per cohort. -#}
{%- set groupings = [
    ('channel_and_rep', true, true),
    ('channel', true, false),
    ('sales_rep', false, true),
    ('business', false, false),
] -%}
{%- set sums = [
    'customers_won', 'prospects_not_won', 'acquisition_spend', 'onboarding_spend',
    'first_year_customers', 'first_year_net_sales', 'first_year_contribution',
    'earned_to_date', 'clv_36m', 'clv_contribution_36m', 'second_year_customers',
    'active_after_12_months', 'referred_customers_won',
] -%}
with

customers as (

    select * from {{ ref('stg_customers') }}

),

customer_costs as (

    select * from {{ ref('stg_customer_costs') }}

),

customers_acquired as (

    select * from {{ ref('int_customers_acquired') }}

),

customer_months as (

    select * from {{ ref('int_customer_months_contributed') }}

),

customer_clv as (

    select * from {{ ref('customer_clv') }}

),

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

businesses as (

    select * from {{ ref('stg_businesses') }}

),

as_of as (

    select
        business_id,
        as_of_date,
        month_under_way_number

    from snapshot_dates
    where is_current

),

spend as (

    select
        customer_costs.business_id,
        customer_costs.customer_id,
        min(customer_costs.cost_date) as first_spend_date,
        sum(
            case
                when customer_costs.category = 'acquisition'
                    then customer_costs.amount_home
                else 0
            end
        ) as acquisition_spend,
        sum(
            case
                when customer_costs.category = 'onboarding'
                    then customer_costs.amount_home
                else 0
            end
        ) as onboarding_spend

    from customer_costs
    inner join as_of
        on customer_costs.business_id = as_of.business_id
    where customer_costs.category in ('acquisition', 'onboarding')
        and customer_costs.cost_date <= as_of.as_of_date
    group by customer_costs.business_id, customer_costs.customer_id

),

-- Blank channel or rep: an explicit `unknown`, so that no customer falls out of a row.
labelled as (

    select
        business_id,
        customer_id,
        referred_by_customer_id,
        coalesce(nullif(trim(acquisition_channel), ''), 'unknown')
            as acquisition_channel,
        coalesce(nullif(trim(sales_rep), ''), 'unknown') as sales_rep

    from customers

),

-- Everyone the scorecard counts: the customers won and the prospects spent on.
population as (

    select
        labelled.business_id,
        labelled.customer_id,
        labelled.acquisition_channel,
        labelled.sales_rep,
        customers_acquired.customer_id is not null as is_won,
        customers_acquired.first_purchase_month_number,
        -- The calendar year: 1900 + whole years of months since January 1900.
        1900 + {{ period_number(
            month_number(
                'coalesce(customers_acquired.first_purchase_date, spend.first_spend_date)'
            ),
            calendar_grains()[2]
        ) }} as cohort_year,
        coalesce(spend.acquisition_spend, 0) as acquisition_spend,
        coalesce(spend.onboarding_spend, 0) as onboarding_spend,
        -- Its first 12 months are complete: months 1..12 all before the month under way.
        coalesce(
            customers_acquired.first_purchase_month_number + 12
            <= as_of.month_under_way_number,
            false
        ) as has_first_year,
        -- Its 13th month is complete: the year after the month it was won is known.
        coalesce(
            customers_acquired.first_purchase_month_number + 13
            <= as_of.month_under_way_number,
            false
        ) as has_second_year

    from labelled
    inner join as_of
        on labelled.business_id = as_of.business_id
    left join customers_acquired
        on labelled.business_id = customers_acquired.business_id
        and labelled.customer_id = customers_acquired.customer_id
    left join spend
        on labelled.business_id = spend.business_id
        and labelled.customer_id = spend.customer_id
    where customers_acquired.customer_id is not null
        or spend.customer_id is not null

),

-- Each won customer's months, numbered from the month it was won (month 1). A fact
-- before it (a cost ahead of the first sale) counts in month 1.
won_months as (

    select
        population.business_id,
        population.customer_id,
        case
            when customer_months.month_number < population.first_purchase_month_number
                then 1
            else customer_months.month_number
                - population.first_purchase_month_number + 1
        end as month_index,
        customer_months.purchases,
        customer_months.net_sales,
        customer_months.contribution,
        customer_months.contribution + customer_months.onboarding_cost as earned

    from population
    inner join customer_months
        on population.business_id = customer_months.business_id
        and population.customer_id = customer_months.customer_id
    where population.is_won

),

won_totals as (

    select
        business_id,
        customer_id,
        sum(case when month_index <= 12 then net_sales else 0 end)
            as first_year_net_sales,
        sum(case when month_index <= 12 then contribution else 0 end)
            as first_year_contribution,
        sum(earned) as earned_to_date,
        sum(case when month_index between 2 and 13 then purchases else 0 end)
            as second_year_purchases

    from won_months
    group by business_id, customer_id

),

referrals as (

    select
        labelled.business_id,
        labelled.referred_by_customer_id as customer_id,
        count(*) as referred_customers_won

    from labelled
    inner join customers_acquired
        on labelled.business_id = customers_acquired.business_id
        and labelled.customer_id = customers_acquired.customer_id
    where labelled.referred_by_customer_id is not null
    group by labelled.business_id, labelled.referred_by_customer_id

),

-- One row per customer with its share of every sum.
customer_figures as (

    select
        population.business_id,
        population.customer_id,
        population.acquisition_channel,
        population.sales_rep,
        population.cohort_year,
        case when population.is_won then 1 else 0 end as customers_won,
        case when population.is_won then 0 else 1 end as prospects_not_won,
        population.acquisition_spend,
        population.onboarding_spend,
        case when population.has_first_year then 1 else 0 end as first_year_customers,
        case
            when population.has_first_year then won_totals.first_year_net_sales else 0
        end as first_year_net_sales,
        case
            when population.has_first_year then won_totals.first_year_contribution
            else 0
        end as first_year_contribution,
        coalesce(won_totals.earned_to_date, 0) as earned_to_date,
        case
            when population.is_won then coalesce(customer_clv.clv_36m, 0) else 0
        end as clv_36m,
        case
            when population.is_won then coalesce(customer_clv.clv_contribution_36m, 0)
            else 0
        end as clv_contribution_36m,
        case when population.has_second_year then 1 else 0 end
            as second_year_customers,
        case
            when population.has_second_year and won_totals.second_year_purchases > 0
                then 1
            else 0
        end as active_after_12_months,
        case
            when population.is_won then coalesce(referrals.referred_customers_won, 0)
            else 0
        end as referred_customers_won

    from population
    left join won_totals
        on population.business_id = won_totals.business_id
        and population.customer_id = won_totals.customer_id
    left join customer_clv
        on population.business_id = customer_clv.business_id
        and population.customer_id = customer_clv.customer_id
    left join referrals
        on population.business_id = referrals.business_id
        and population.customer_id = referrals.customer_id

),

finest as (

    select
        business_id,
        acquisition_channel,
        sales_rep,
        cohort_year,
        -- noqa: disable=LT02
        {% for measure in sums -%}
        sum({{ measure }}) as {{ measure }}{% if not loop.last %},{% endif %}
        {% endfor %}
        -- noqa: enable=LT02

    from customer_figures
    group by business_id, acquisition_channel, sales_rep, cohort_year

),

-- The won customers' earnings by month since they were won, at the finest grain.
finest_curve as (

    select
        won_months.business_id,
        customer_figures.acquisition_channel,
        customer_figures.sales_rep,
        customer_figures.cohort_year,
        won_months.month_index,
        sum(won_months.earned) as earned

    from won_months
    inner join customer_figures
        on won_months.business_id = customer_figures.business_id
        and won_months.customer_id = customer_figures.customer_id
    group by
        won_months.business_id,
        customer_figures.acquisition_channel,
        customer_figures.sales_rep,
        customer_figures.cohort_year,
        won_months.month_index

),

-- One row per roll-up level, so that each level is a group of one aggregate over the
-- finest rows, read once: a union of one select per level read them eight times, and
-- Spark, which inlines a CTE at each reference, recomputed every CTE above eight times.
roll_up_levels as (

    {% for grouping, by_channel, by_rep in groupings -%}
    {% for by_cohort in [true, false] -%}
    select
        '{{ grouping }}' as grouping_level,
        {{ 'true' if by_channel else 'false' }} as by_channel,
        {{ 'true' if by_rep else 'false' }} as by_sales_rep,
        {{ 'true' if by_cohort else 'false' }} as by_cohort
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

{#- The same roll-up for the sums and for the earnings curve (by month since won). -#}
{%- for name, source, keys, measures in [
    ('rolled', 'finest', [], sums),
    ('curve', 'finest_curve', ['month_index'], ['earned']),
] %}
{%- set rolled_keys = [
    'case when roll_up_levels.by_channel then ' ~ source
        ~ ".acquisition_channel else 'all' end",
    'case when roll_up_levels.by_sales_rep then ' ~ source ~ ".sales_rep else 'all' end",
    'case when roll_up_levels.by_cohort then cast(' ~ source ~ '.cohort_year as '
        ~ dbt.type_string() ~ ") else 'all' end",
] %}
{{ name }} as (

    select
        {{ source }}.business_id,
        roll_up_levels.grouping_level,
        {{ rolled_keys[0] }} as acquisition_channel,
        {{ rolled_keys[1] }} as sales_rep,
        {{ rolled_keys[2] }} as cohort,
        -- noqa: disable=LT02
        {% for key in keys -%}
        {{ source }}.{{ key }},
        {% endfor -%}
        {% for measure in measures -%}
        sum({{ source }}.{{ measure }}) as {{ measure }}{% if not loop.last %},{% endif %}
        {% endfor %}
        -- noqa: enable=LT02

    from {{ source }}
    cross join roll_up_levels
    -- noqa: disable=LT02
    group by
        {% for key in [source ~ '.business_id', 'roll_up_levels.grouping_level']
            + rolled_keys + keys -%}
        {{ source ~ '.' ~ key if key in keys else key }}{% if not loop.last %},{% endif %}
        {% endfor %}
    -- noqa: enable=LT02

),
{% endfor %}
-- Earned by the end of each month since winning: a customer won more recently adds
-- nothing for the months it has not lived yet (what actually happened, no forecast).
cumulative as (

    select
        business_id,
        grouping_level,
        acquisition_channel,
        sales_rep,
        cohort,
        month_index,
        sum(earned) over (
            partition by
                business_id, grouping_level, acquisition_channel, sales_rep, cohort
            order by month_index
            rows between unbounded preceding and current row
        ) as earned_by_month

    from curve

),

-- The first month by whose end the spend is earned back.
payback as (

    select
        cumulative.business_id,
        cumulative.grouping_level,
        cumulative.acquisition_channel,
        cumulative.sales_rep,
        cumulative.cohort,
        min(cumulative.month_index) as payback_months

    from cumulative
    inner join rolled
        on cumulative.business_id = rolled.business_id
        and cumulative.grouping_level = rolled.grouping_level
        and cumulative.acquisition_channel = rolled.acquisition_channel
        and cumulative.sales_rep = rolled.sales_rep
        and cumulative.cohort = rolled.cohort
    where rolled.acquisition_spend + rolled.onboarding_spend > 0
        and cumulative.earned_by_month
        >= rolled.acquisition_spend + rolled.onboarding_spend
    group by
        cumulative.business_id,
        cumulative.grouping_level,
        cumulative.acquisition_channel,
        cumulative.sales_rep,
        cumulative.cohort

),

final as (

    select
        ---------- keys
        rolled.business_id,
        rolled.grouping_level,
        rolled.acquisition_channel,
        rolled.sales_rep,
        rolled.cohort,
        ---------- attributes
        as_of.as_of_date,
        businesses.home_currency,
        ---------- customers
        cast(rolled.customers_won as {{ dbt.type_int() }}) as customers_won,
        cast(rolled.prospects_not_won as {{ dbt.type_int() }}) as prospects_not_won,
        ---------- what winning them cost (home currency)
        cast(rolled.acquisition_spend as decimal(18, 2)) as acquisition_spend,
        cast(rolled.onboarding_spend as decimal(18, 2)) as onboarding_spend,
        cast(rolled.acquisition_spend + rolled.onboarding_spend as decimal(18, 2))
            as acquisition_and_onboarding_spend,
        cast(case
            when rolled.customers_won > 0
                then {{ to_money_of_quotient(
                    'rolled.acquisition_spend + rolled.onboarding_spend',
                    'rolled.customers_won'
                ) }}
        end as decimal(18, 2)) as cac,
        ---------- what they earned in their first year (home currency)
        cast(rolled.first_year_customers as {{ dbt.type_int() }})
            as first_year_customers,
        cast(rolled.first_year_net_sales as decimal(18, 2)) as first_year_net_sales,
        cast(rolled.first_year_contribution as decimal(18, 2))
            as first_year_contribution,
        ---------- lifetime value against what they cost
        cast(rolled.earned_to_date as decimal(18, 2)) as earned_to_date,
        cast(rolled.clv_36m as decimal(18, 2)) as clv_36m,
        cast(rolled.clv_contribution_36m as decimal(18, 2)) as clv_contribution_36m,
        cast(rolled.earned_to_date + rolled.clv_contribution_36m as decimal(18, 2))
            as lifetime_value,
        {{ share_of(
            '(rolled.earned_to_date + rolled.clv_contribution_36m)',
            '(rolled.acquisition_spend + rolled.onboarding_spend)'
        ) }} as ltv_to_cac,
        cast(payback.payback_months as {{ dbt.type_int() }}) as payback_months,
        ---------- did they stay
        cast(rolled.second_year_customers as {{ dbt.type_int() }})
            as second_year_customers,
        cast(rolled.active_after_12_months as {{ dbt.type_int() }})
            as active_after_12_months,
        {{ share_of(
            '1.0 * rolled.active_after_12_months', 'rolled.second_year_customers'
        ) }} as share_active_after_12_months,
        cast(rolled.referred_customers_won as {{ dbt.type_int() }})
            as referred_customers_won

    from rolled
    inner join as_of
        on rolled.business_id = as_of.business_id
    inner join businesses
        on rolled.business_id = businesses.business_id
    left join payback
        on rolled.business_id = payback.business_id
        and rolled.grouping_level = payback.grouping_level
        and rolled.acquisition_channel = payback.acquisition_channel
        and rolled.sales_rep = payback.sales_rep
        and rolled.cohort = payback.cohort

)

select * from final
