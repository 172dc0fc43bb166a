{#-
    What happens to a business's revenue and customer equity if one customer segment
    grows or shrinks by a share: the segment rows of seeds/scenarios.csv (segment_key,
    segment_change), applied to the segment as it stands at the business's latest
    statement month end. The segment's measured economics are those of the customers in
    it that day: their TTM net sales and contribution (their own twelve statement months
    ending then, whatever segment they had in each) and their balance sheet
    (segment_balance_sheet). The scenario scales them: a segment that grows by 10% wins
    10% more customers like the ones it has, each bringing its average sales,
    contribution and equity; one that shrinks loses that share, with its whole balance
    sheet line. Every change is rounded to the cent (half away from zero) and the
    business's figures after it are its figures plus the change, so a row adds up as
    printed (DECISIONLOG.md "Segment scenarios").
-#}
with

scenarios as (

    select * from {{ ref('scenarios') }}

),

segment_rules as (

    select * from {{ ref('segment_rules') }}

),

statements as (

    select * from {{ ref('customer_statement') }}

),

balance_sheet as (

    select * from {{ ref('segment_balance_sheet') }}

),

businesses as (

    select * from {{ ref('stg_businesses') }}

),

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

as_of as (

    select
        business_id,
        as_of_date

    from snapshot_dates
    where is_current

),

-- The balance sheet a scenario scales: the business's latest statement month end (the
-- as-of date when it is a month end, else the month end before it).
latest as (

    select
        business_id,
        max(month_end_date) as month_end_date

    from statements
    group by business_id

),

-- Each customer's TTM: its statement months in the twelve ending at the latest month
-- end. A customer is on the statement from its first dated fact, so a younger customer
-- has fewer months, all of its own.
customer_ttm as (

    select
        statements.business_id,
        statements.customer_id,
        sum(statements.net_sales) as ttm_net_sales,
        sum(statements.contribution) as ttm_contribution

    from statements
    inner join latest
        on statements.business_id = latest.business_id
    where statements.month_end_date > {{ month_end_before('latest.month_end_date', 12) }}
    group by statements.business_id, statements.customer_id

),

-- The TTM of the customers in each segment at the latest month end: the economics a
-- customer won or lost in that segment is assumed to bring or take away.
segment_ttm as (

    select
        statements.business_id,
        statements.segment,
        sum(customer_ttm.ttm_net_sales) as ttm_net_sales,
        sum(customer_ttm.ttm_contribution) as ttm_contribution

    from statements
    inner join latest
        on statements.business_id = latest.business_id
        and statements.month_end_date = latest.month_end_date
    inner join customer_ttm
        on statements.business_id = customer_ttm.business_id
        and statements.customer_id = customer_ttm.customer_id
    group by statements.business_id, statements.segment

),

business_ttm as (

    select
        business_id,
        sum(ttm_net_sales) as ttm_net_sales

    from segment_ttm
    group by business_id

),

business_equity as (

    select
        balance_sheet.business_id,
        sum(balance_sheet.customer_equity) as customer_equity

    from balance_sheet
    inner join latest
        on balance_sheet.business_id = latest.business_id
        and balance_sheet.month_end_date = latest.month_end_date
    group by balance_sheet.business_id

),

-- The seed's segment rows (the others are revenue_projection's). A segment cannot lose
-- more than all its customers: a change below -1 is -1.
segment_rows as (

    select
        scenarios.scenario_name,
        scenarios.segment_key,
        segment_rules.segment,
        segment_rules.priority as segment_priority,
        cast(
            case
                when scenarios.segment_change < -1 then -1
                else scenarios.segment_change
            end as decimal(18, 6)
        ) as segment_change

    from scenarios
    inner join segment_rules
        on scenarios.segment_key = segment_rules.segment_key
    where scenarios.segment_key is not null

),

-- Every business and segment scenario; a segment without customers that day measures
-- zero and changes nothing.
measured as (

    select
        latest.business_id,
        segment_rows.scenario_name,
        segment_rows.segment_key,
        segment_rows.segment,
        segment_rows.segment_priority,
        latest.month_end_date,
        segment_rows.segment_change,
        coalesce(balance_sheet.customers, 0) as customers,
        cast(coalesce(segment_ttm.ttm_net_sales, 0) as decimal(18, 2)) as ttm_net_sales,
        cast(coalesce(segment_ttm.ttm_contribution, 0) as decimal(18, 2))
            as ttm_contribution,
        coalesce(balance_sheet.customer_value, 0) as customer_value,
        coalesce(balance_sheet.customer_equity, 0) as customer_equity

    from latest
    cross join segment_rows
    left join balance_sheet
        on latest.business_id = balance_sheet.business_id
        and latest.month_end_date = balance_sheet.month_end_date
        and segment_rows.segment = balance_sheet.segment
    left join segment_ttm
        on latest.business_id = segment_ttm.business_id
        and segment_rows.segment = segment_ttm.segment

),

changed as (

    select
        measured.*,
        cast(round(measured.customers * measured.segment_change, 2) as decimal(18, 2))
            as customers_change,
        {{ to_money('measured.ttm_net_sales * measured.segment_change') }}
            as ttm_net_sales_change,
        {{ to_money('measured.ttm_contribution * measured.segment_change') }}
            as ttm_contribution_change,
        {{ to_money('measured.customer_equity * measured.segment_change') }}
            as customer_equity_change

    from measured

),

final as (

    select
        ---------- keys
        changed.business_id,
        changed.scenario_name,
        ---------- attributes
        changed.segment_key,
        changed.segment,
        cast(changed.segment_priority as {{ dbt.type_int() }}) as segment_priority,
        as_of.as_of_date,
        changed.month_end_date,
        businesses.home_currency,
        ---------- the scenario
        changed.segment_change,
        ---------- the segment as measured at the month end (home currency)
        cast(changed.customers as {{ dbt.type_int() }}) as customers,
        changed.ttm_net_sales,
        changed.ttm_contribution,
        cast(changed.customer_value as decimal(18, 2)) as customer_value,
        cast(changed.customer_equity as decimal(18, 2)) as customer_equity,
        -- Cast outside the case: a case drops the scale of its numeric on PostgreSQL.
        -- noqa: disable=LT02
        {% for measure in ['ttm_net_sales', 'ttm_contribution', 'customer_equity'] -%}
        cast(
            case
                when changed.customers > 0
                    then {{ to_money_of_quotient(
                        'changed.' ~ measure, 'changed.customers'
                    ) }}
            end as decimal(18, 2)
        ) as {{ measure }}_per_customer,
        {% endfor -%}
        -- noqa: enable=LT02
        ---------- the change (home currency)
        changed.customers_change,
        changed.ttm_net_sales_change,
        changed.ttm_contribution_change,
        changed.customer_equity_change,
        ---------- the business before and after (home currency)
        cast(business_ttm.ttm_net_sales as decimal(18, 2)) as business_ttm_net_sales,
        cast(
            business_ttm.ttm_net_sales + changed.ttm_net_sales_change as decimal(18, 2)
        ) as business_ttm_net_sales_after,
        {{ share_of('changed.ttm_net_sales_change', 'business_ttm.ttm_net_sales') }}
            as ttm_net_sales_change_share,
        cast(business_equity.customer_equity as decimal(18, 2))
            as business_customer_equity,
        cast(
            business_equity.customer_equity + changed.customer_equity_change
            as decimal(18, 2)
        ) as business_customer_equity_after,
        {{ share_of(
            'changed.customer_equity_change', 'business_equity.customer_equity'
        ) }} as customer_equity_change_share

    from changed
    inner join businesses
        on changed.business_id = businesses.business_id
    inner join as_of
        on changed.business_id = as_of.business_id
    inner join business_ttm
        on changed.business_id = business_ttm.business_id
    inner join business_equity
        on changed.business_id = business_equity.business_id

)

select * from final
