{#-
    One row per business: who it sells to, what it has sold and what it is owed at the
    as-of date, summed from customer_sheet and ar_aging, so that the figures a user
    reads per business are the marts' own totals. The run summary prints this table.
    Tied to the documents by data-tests/integrity/assert_business_overview_ties_to_documents.sql.
-#}
with

businesses as (

    select * from {{ ref('stg_businesses') }}

),

customer_sheet as (

    select * from {{ ref('customer_sheet') }}

),

ar_aging as (

    select * from {{ ref('ar_aging') }}

),

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

as_of as (

    select
        business_id,
        as_of_date,
        as_of_date_source,
        latest_document_date,
        {{ dbt.datediff('latest_document_date', 'as_of_date', 'day') }}
            as days_since_latest_document

    from snapshot_dates
    where is_current

),

customer_totals as (

    select
        business_id,
        count(*) as customers,
        sum(purchases) as purchases,
        sum(ltv) as net_sales_home,
        min(first_purchase_date) as first_purchase_date,
        max(last_purchase_date) as last_purchase_date

    from customer_sheet
    group by business_id

),

receivables as (

    select
        business_id,
        sum(case when open_balance_home <> 0 then 1 else 0 end) as customers_owing,
        sum(current_home) as current_home,
        sum(past_due_1_30_home) as past_due_1_30_home,
        sum(past_due_31_60_home) as past_due_31_60_home,
        sum(past_due_61_90_home) as past_due_61_90_home,
        sum(past_due_over_90_home) as past_due_over_90_home,
        sum(open_balance_home) as open_balance_home,
        sum(unapplied_payments_home) as unapplied_payments_home,
        sum(untied_credit_notes_home) as untied_credit_notes_home

    from ar_aging
    group by business_id

),

final as (

    select
        ---------- keys
        businesses.business_id,
        ---------- attributes
        businesses.business_name,
        businesses.home_currency,
        as_of.as_of_date,
        ---------- is the export complete to the as-of date?
        as_of.as_of_date_source,
        as_of.latest_document_date,
        cast(as_of.days_since_latest_document as {{ dbt.type_int() }})
            as days_since_latest_document,
        -- A business that sells at least monthly has a sale in any stale_export_days
        -- (45) days: a longer silence before the as-of date means the export stops
        -- early (stale, or a partial export), or the business stopped selling.
        coalesce(
            as_of.days_since_latest_document > {{ var('stale_export_days') }},
            true
        ) as is_export_stale,
        ---------- customers and sales up to the as-of date
        cast(coalesce(customer_totals.customers, 0) as {{ dbt.type_int() }})
            as customers,
        cast(coalesce(customer_totals.purchases, 0) as {{ dbt.type_int() }})
            as purchases,
        {{ to_money('coalesce(customer_totals.net_sales_home, 0)') }}
            as net_sales_home,
        customer_totals.first_purchase_date,
        customer_totals.last_purchase_date,
        ---------- receivables at the as-of date (home currency)
        cast(coalesce(receivables.customers_owing, 0) as {{ dbt.type_int() }})
            as customers_owing,
        {{ to_money('coalesce(receivables.current_home, 0)') }} as current_home,
        {{ to_money('coalesce(receivables.past_due_1_30_home, 0)') }}
            as past_due_1_30_home,
        {{ to_money('coalesce(receivables.past_due_31_60_home, 0)') }}
            as past_due_31_60_home,
        {{ to_money('coalesce(receivables.past_due_61_90_home, 0)') }}
            as past_due_61_90_home,
        {{ to_money('coalesce(receivables.past_due_over_90_home, 0)') }}
            as past_due_over_90_home,
        {{ to_money('coalesce(receivables.open_balance_home, 0)') }}
            as open_balance_home,
        ---------- customer credit at the as-of date (home currency)
        {{ to_money('coalesce(receivables.unapplied_payments_home, 0)') }}
            as unapplied_payments_home,
        {{ to_money('coalesce(receivables.untied_credit_notes_home, 0)') }}
            as untied_credit_notes_home,
        {{ to_money(
            'coalesce(receivables.unapplied_payments_home, 0)'
            ~ ' + coalesce(receivables.untied_credit_notes_home, 0)'
        ) }} as customer_credit_home

    from businesses
    inner join as_of
        on businesses.business_id = as_of.business_id
    left join customer_totals
        on businesses.business_id = customer_totals.business_id
    left join receivables
        on businesses.business_id = receivables.business_id

)

select * from final
