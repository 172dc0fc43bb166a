{#-
    The customer sheet and profitability per account: customers rolled up through
    parent_customer_id to their top parent (int_customer_accounts_rolled), so a group
    that buys through five customer records is seen as the one account it is. One row
    per business and account with at least one customer on customer_profitability at
    the as-of date. The account's value class applies the customer rules to the
    account's sums, and a key member makes its account key.
-#}

with

profitability as (

    select * from {{ ref('customer_profitability') }}

),

sheet as (

    select * from {{ ref('customer_sheet') }}

),

customers as (

    select * from {{ ref('stg_customers') }}

),

members as (

    select
        profitability.business_id,
        profitability.account_id,
        profitability.as_of_date,
        profitability.home_currency,
        profitability.customer_id,
        profitability.is_active,
        profitability.value_class,
        profitability.contribution,
        profitability.ttm_contribution,
        profitability.ttm_cost_to_serve,
        profitability.ttm_service_hours,
        coalesce(sheet.ltv, 0) as ltv,
        coalesce(sheet.ttm_sales, 0) as ttm_sales,
        coalesce(sheet.prev_ttm_sales, 0) as prev_ttm_sales,
        coalesce(sheet.purchases, 0) as purchases,
        sheet.first_purchase_date,
        sheet.last_purchase_date,
        coalesce(sheet.open_balance, 0) as open_balance,
        coalesce(sheet.overdue_balance, 0) as overdue_balance

    from profitability
    left join sheet
        on profitability.business_id = sheet.business_id
        and profitability.customer_id = sheet.customer_id

),

accounts as (

    select
        business_id,
        account_id,
        as_of_date,
        home_currency,
        count(*) as member_customers,
        max(case when is_active then 1 else 0 end) as is_active,
        sum(case when value_class = 'key_account' then 1 else 0 end) as key_members,
        sum(case when value_class = 'unprofitable' then 1 else 0 end)
            as unprofitable_members,
        sum(ltv) as ltv,
        sum(ttm_sales) as ttm_sales,
        sum(prev_ttm_sales) as prev_ttm_sales,
        sum(purchases) as purchases,
        min(first_purchase_date) as first_purchase_date,
        max(last_purchase_date) as last_purchase_date,
        sum(open_balance) as open_balance,
        sum(overdue_balance) as overdue_balance,
        sum(contribution) as contribution,
        sum(ttm_contribution) as ttm_contribution,
        sum(ttm_cost_to_serve) as ttm_cost_to_serve,
        sum(ttm_service_hours) as ttm_service_hours

    from members
    group by business_id, account_id, as_of_date, home_currency

),

business_totals as (

    select
        business_id,
        sum(ttm_sales) as ttm_sales,
        sum(case when is_active = 1 then ttm_contribution else 0 end) as ttm_contribution,
        sum(case when is_active = 1 then ttm_service_hours else 0 end)
            as ttm_service_hours,
        sum(is_active) as active_accounts

    from accounts
    group by business_id

),

ranked as (

    select
        accounts.*,
        rank() over (partition by accounts.business_id order by accounts.ttm_sales desc)
            as revenue_rank,
        case
            when accounts.is_active = 1
                then rank() over (
                        partition by accounts.business_id, accounts.is_active
                        order by accounts.ttm_contribution desc
                    )
        end as ttm_contribution_rank

    from accounts

),

final as (

    select
        ---------- keys
        ranked.business_id,
        ranked.account_id,
        ranked.as_of_date,
        ---------- attributes
        customers.customer_name as account_name,
        ranked.home_currency,
        cast(ranked.member_customers as {{ dbt.type_int() }}) as member_customers,
        ranked.is_active = 1 as is_active,
        ---------- value class
        case
            when ranked.is_active = 1
                and ranked.ttm_contribution < {{ var('unprofitable_max_contribution') }}
                then 'unprofitable'
            when ranked.key_members > 0
                or (
                    ranked.is_active = 1
                    and ranked.ttm_contribution > 0
                    and ranked.ttm_contribution_rank <= ceil(
                        business_totals.active_accounts
                        * {{ var('key_account_top_share') }}
                    )
                )
                then 'key_account'
            else 'core'
        end as value_class,
        cast(ranked.key_members as {{ dbt.type_int() }}) as key_member_customers,
        cast(ranked.unprofitable_members as {{ dbt.type_int() }})
            as unprofitable_member_customers,
        ---------- sales (the customer sheet's, summed)
        cast(ranked.ltv as decimal(18, 2)) as ltv,
        cast(ranked.ttm_sales as decimal(18, 2)) as ttm_sales,
        cast(ranked.prev_ttm_sales as decimal(18, 2)) as prev_ttm_sales,
        {{ share_of('ranked.ttm_sales', 'business_totals.ttm_sales') }} as revenue_share,
        cast(ranked.revenue_rank as {{ dbt.type_int() }}) as revenue_rank,
        cast(ranked.purchases as {{ dbt.type_int() }}) as purchases,
        ranked.first_purchase_date,
        ranked.last_purchase_date,
        cast(ranked.open_balance as decimal(18, 2)) as open_balance,
        cast(ranked.overdue_balance as decimal(18, 2)) as overdue_balance,
        ---------- profitability (customer_profitability, summed)
        cast(ranked.contribution as decimal(18, 2)) as contribution,
        cast(ranked.ttm_contribution as decimal(18, 2)) as ttm_contribution,
        cast(ranked.ttm_cost_to_serve as decimal(18, 2)) as ttm_cost_to_serve,
        cast(ranked.ttm_service_hours as decimal(18, 4)) as ttm_service_hours,
        cast(ranked.ttm_contribution_rank as {{ dbt.type_int() }})
            as ttm_contribution_rank,
        -- An inactive account has no share (its figures are not in the totals).
        case
            when ranked.is_active = 1
                then {{ share_of(
                    'ranked.ttm_contribution', 'business_totals.ttm_contribution'
                ) }}
        end as ttm_contribution_share,
        case
            when ranked.is_active = 1
                then {{ share_of(
                    'ranked.ttm_service_hours', 'business_totals.ttm_service_hours'
                ) }}
        end as ttm_effort_share

    from ranked
    inner join business_totals
        on ranked.business_id = business_totals.business_id
    inner join customers
        on ranked.business_id = customers.business_id
        and ranked.account_id = customers.customer_id

)

select * from final
