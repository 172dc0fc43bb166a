{#-
    Expected collections from the invoices open at the as-of date over the next 13
    weeks, per business. Each open invoice is paid either within the late threshold
    (probability 1 - late_probability) or beyond it (late_probability); within each
    scenario its paid date follows how the business's invoices were actually paid
    (days after due date; by default a year of history ending a quarter before the
    as-of date: vars cash_forecast_history_start_days and _end_days), given that it is
    not paid yet. A week's range treats invoices as independent:
    expected +/- 1.2816 standard deviations (an 80% interval), never below zero
    (DECISIONLOG.md).
-#}
{%- set forecast_weeks = 13 -%}
with

open_invoice_risk as (

    select * from {{ ref('open_invoice_risk') }}

),

businesses as (

    select * from {{ ref('stg_businesses') }}

),

-- Each settled invoice of the history window once (int_payment_delays_counted).
payment_delays as (

    select * from {{ ref('int_payment_delays_counted') }}

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

weeks as (

    {% for week in range(1, forecast_weeks + 1) -%}
    select {{ week }} as week_number
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

-- Week n covers the 7 days after the as-of date's (n - 1)th week: days
-- 7n - 6 through 7n after the as-of date.
week_bounds as (

    select
        as_of.business_id,
        weeks.week_number,
        cast(
            {{ dbt.dateadd('day', '7 * weeks.week_number - 6', 'as_of.as_of_date') }}
            as date
        ) as week_start_date,
        cast(
            {{ dbt.dateadd('day', '7 * weeks.week_number', 'as_of.as_of_date') }}
            as date
        ) as week_end_date

    from weeks
    cross join as_of

),

open_invoices as (

    select
        open_invoice_risk.business_id,
        open_invoice_risk.invoice_id,
        open_invoice_risk.open_amount_home,
        open_invoice_risk.late_probability,
        open_invoice_risk.due_date,
        open_invoice_risk.expected_on_time_paid_date,
        open_invoice_risk.expected_late_paid_date,
        -- Negative while not yet due.
        {{ dbt.datediff('open_invoice_risk.due_date', 'as_of.as_of_date', 'day') }}
            as days_past_due

    from open_invoice_risk
    inner join as_of
        on open_invoice_risk.business_id = as_of.business_id

),

-- The history's delays, each in its scenario: paid within the threshold or beyond it.
scenario_delays as (

    select
        business_id,
        days_after_due,
        paid_invoices,
        {{ is_late_after_due('days_after_due') }} as is_late_scenario

    from payment_delays

),

-- The open invoices' days past due: the scenario totals are per business and value,
-- not per invoice.
open_delays as (

    select distinct
        business_id,
        days_past_due

    from open_invoices

),

-- Each open invoice is paid within the threshold with probability 1 - p, else beyond
-- it; within each scenario its paid date follows the business's payment delays, given
-- what is known: not paid yet, so later than today. The paid invoices of each
-- scenario later than a number of days past due: summed per business and days past
-- due, not per invoice (every open invoice joined to every later delay made 15 million
-- rows at 10 million invoice lines, most of them past the forecast's weeks;
-- DECISIONLOG.md, 2026-12-05 (months)).
scenario_totals as (

    select
        open_delays.business_id,
        open_delays.days_past_due,
        scenario_delays.is_late_scenario,
        sum(scenario_delays.paid_invoices) as scenario_paid_invoices

    from open_delays
    inner join scenario_delays
        on open_delays.business_id = scenario_delays.business_id
        and open_delays.days_past_due < scenario_delays.days_after_due
    group by
        open_delays.business_id,
        open_delays.days_past_due,
        scenario_delays.is_late_scenario

),

-- Each invoice's paid dates within the forecast's weeks (the days after the as-of date
-- up to the last week's end), each weighted by its scenario's probability and its
-- share of the scenario's paid invoices. Later dates weigh in the totals only.
delay_weights as (

    select
        open_invoices.business_id,
        open_invoices.invoice_id,
        open_invoices.open_amount_home,
        cast(
            {{ dbt.dateadd(
                'day', 'scenario_delays.days_after_due', 'open_invoices.due_date'
            ) }} as date
        ) as scenario_date,
        case
            when scenario_delays.is_late_scenario
                then open_invoices.late_probability
            else 1 - open_invoices.late_probability
        end * scenario_delays.paid_invoices
        / scenario_totals.scenario_paid_invoices as scenario_weight

    from open_invoices
    inner join scenario_delays
        on open_invoices.business_id = scenario_delays.business_id
        and open_invoices.days_past_due < scenario_delays.days_after_due
        and scenario_delays.days_after_due
        <= open_invoices.days_past_due + {{ 7 * forecast_weeks }}
    inner join scenario_totals
        on open_invoices.business_id = scenario_totals.business_id
        and open_invoices.days_past_due = scenario_totals.days_past_due
        and scenario_delays.is_late_scenario = scenario_totals.is_late_scenario

),

-- A scenario the history has no example for (a new business, an invoice later than
-- any seen) falls back to its expected date from open_invoice_risk.
scenario_support as (

    select
        business_id,
        days_past_due,
        max(case when is_late_scenario then 1 else 0 end) as has_late_history,
        max(case when is_late_scenario then 0 else 1 end) as has_on_time_history

    from scenario_totals
    group by business_id, days_past_due

),

scenarios as (

    select
        business_id,
        invoice_id,
        open_amount_home,
        scenario_date,
        scenario_weight

    from delay_weights

    union all

    select
        open_invoices.business_id,
        open_invoices.invoice_id,
        open_invoices.open_amount_home,
        open_invoices.expected_on_time_paid_date as scenario_date,
        1 - open_invoices.late_probability as scenario_weight

    from open_invoices
    left join scenario_support
        on open_invoices.business_id = scenario_support.business_id
        and open_invoices.days_past_due = scenario_support.days_past_due
    where open_invoices.late_probability < 1
        and coalesce(scenario_support.has_on_time_history, 0) = 0

    union all

    select
        open_invoices.business_id,
        open_invoices.invoice_id,
        open_invoices.open_amount_home,
        open_invoices.expected_late_paid_date as scenario_date,
        open_invoices.late_probability as scenario_weight

    from open_invoices
    left join scenario_support
        on open_invoices.business_id = scenario_support.business_id
        and open_invoices.days_past_due = scenario_support.days_past_due
    where coalesce(scenario_support.has_late_history, 0) = 0

),

-- How likely each invoice is to be paid in each week.
invoice_weeks as (

    select
        scenarios.business_id,
        scenarios.invoice_id,
        week_bounds.week_number,
        max(scenarios.open_amount_home) as open_amount_home,
        sum(scenarios.scenario_weight) as week_probability

    from scenarios
    inner join week_bounds
        on scenarios.business_id = week_bounds.business_id
        and scenarios.scenario_date >= week_bounds.week_start_date
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
            open_amount_home
            * open_amount_home
            * week_probability
            * (1 - week_probability)
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
    inner join week_bounds
        on businesses.business_id = week_bounds.business_id
    inner join as_of
        on businesses.business_id = as_of.business_id
    left join weekly
        on businesses.business_id = weekly.business_id
        and week_bounds.week_number = weekly.week_number

)

select * from final
