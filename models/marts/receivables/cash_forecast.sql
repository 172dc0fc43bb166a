{#-
    Expected collections from the invoices open at the as-of date over the next 13
    weeks, per business. Each open invoice is paid either within the late threshold
    (at its expected on-time date, weight 1 - late_probability) or beyond it (at its
    expected late date, weight late_probability). A week's range treats invoices as
    independent: expected +/- 1.2816 standard deviations (an 80% interval), never
    below zero (DECISIONLOG.md).
-#}
with

open_invoice_risk as (

    select * from {{ ref('open_invoice_risk') }}

),

businesses as (

    select * from {{ ref('stg_businesses') }}

),

as_of as (

    select {{ as_of_date() }} as as_of_date

),

weeks as (

    {% for week in range(1, 14) -%}
    select {{ week }} as week_number
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

-- Week n covers the 7 days after the as-of date's (n - 1)th week: days
-- 7n - 6 through 7n after the as-of date.
week_bounds as (

    select
        weeks.week_number,
        cast({{ dbt.dateadd('day', '7 * weeks.week_number - 6', 'as_of.as_of_date') }} as date)
            as week_start_date,
        cast({{ dbt.dateadd('day', '7 * weeks.week_number', 'as_of.as_of_date') }} as date)
            as week_end_date

    from weeks
    cross join as_of

),

scenarios as (

    select
        business_id,
        invoice_id,
        open_amount_home,
        expected_on_time_paid_date as scenario_date,
        1 - late_probability as scenario_weight

    from open_invoice_risk
    where late_probability < 1

    union all

    select
        business_id,
        invoice_id,
        open_amount_home,
        expected_late_paid_date as scenario_date,
        late_probability as scenario_weight

    from open_invoice_risk

),

-- How likely each invoice is to be paid in each week (both scenarios may fall in the
-- same week).
invoice_weeks as (

    select
        scenarios.business_id,
        scenarios.invoice_id,
        week_bounds.week_number,
        max(scenarios.open_amount_home) as open_amount_home,
        sum(scenarios.scenario_weight) as week_probability

    from scenarios
    inner join week_bounds
        on scenarios.scenario_date >= week_bounds.week_start_date
        and scenarios.scenario_date <= week_bounds.week_end_date
    group by scenarios.business_id, scenarios.invoice_id, week_bounds.week_number

),

weekly as (

    select
        business_id,
        week_number,
        count(*) as invoices_expected,
        sum(open_amount_home * week_probability) as expected_collections_home,
        sum(
            open_amount_home * open_amount_home * week_probability * (1 - week_probability)
        ) as collections_variance

    from invoice_weeks
    group by business_id, week_number

),

final as (

    select
        ---------- keys
        businesses.business_id,
        week_bounds.week_number,
        ---------- attributes
        as_of.as_of_date,
        week_bounds.week_start_date,
        week_bounds.week_end_date,
        businesses.home_currency,
        cast(coalesce(weekly.invoices_expected, 0) as {{ dbt.type_int() }})
            as invoices_expected,
        ---------- amounts (home currency)
        {{ to_money('coalesce(weekly.expected_collections_home, 0)') }}
            as expected_collections_home,
        {{ to_money(
            'case when coalesce(weekly.expected_collections_home, 0)'
            ~ ' - 1.2816 * sqrt(coalesce(weekly.collections_variance, 0)) < 0 then 0'
            ~ ' else coalesce(weekly.expected_collections_home, 0)'
            ~ ' - 1.2816 * sqrt(coalesce(weekly.collections_variance, 0)) end'
        ) }} as low_collections_home,
        {{ to_money(
            'coalesce(weekly.expected_collections_home, 0)'
            ~ ' + 1.2816 * sqrt(coalesce(weekly.collections_variance, 0))'
        ) }} as high_collections_home

    from businesses
    cross join week_bounds
    cross join as_of
    left join weekly
        on businesses.business_id = weekly.business_id
        and week_bounds.week_number = weekly.week_number

)

select * from final
