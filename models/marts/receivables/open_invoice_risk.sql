{#-
    Every invoice open at the as-of date with the probability that it is paid more
    than late_days_beyond_terms days beyond its terms, a risk band, when it is
    expected to be paid, and why, in words. The probability comes from the Python
    asset intermediate/invoice_risk_scores (source risk.invoice_risk_scores).
-#}
{%- set late_days = var('late_days_beyond_terms') -%}
{%- set bounds = var('risk_band_bounds') -%}
with

invoice_payments as (

    select * from {{ ref('invoice_payments') }}

),

features as (

    select * from {{ ref('int_invoices_risk_featured') }}
    where is_current

),

scores as (

    select * from {{ source('risk', 'invoice_risk_scores') }}

),

customers as (

    select * from {{ ref('stg_customers') }}

),

open_invoices as (

    select
        invoice_payments.business_id,
        invoice_payments.invoice_id,
        invoice_payments.customer_id,
        invoice_payments.as_of_date,
        invoice_payments.home_currency,
        invoice_payments.open_amount_home,
        invoice_payments.invoice_date,
        invoice_payments.due_date,
        invoice_payments.days_past_due,
        features.payment_terms_days,
        features.total_amount_home,
        features.customer_paid_invoices,
        features.customer_share_paid_late,
        features.customer_avg_days_beyond_terms,
        features.customer_overdue_balance_home,
        features.customer_last_paid_invoices,
        features.customer_last_paid_late,
        scores.method,
        scores.model_scope,
        scores.late_probability,
        scores.baseline_late_share,
        scores.expected_on_time_days_after_due,
        scores.expected_late_days_after_due,
        scores.reason_1,
        scores.reason_2,
        scores.reason_3

    from invoice_payments
    inner join features
        on invoice_payments.business_id = features.business_id
        and invoice_payments.invoice_id = features.invoice_id
    -- Scores from another run's as-of date must not pass for this run's
    -- (assert_open_invoice_risk_scores_every_open_invoice).
    inner join scores
        on invoice_payments.business_id = scores.business_id
        and invoice_payments.invoice_id = scores.invoice_id
        and invoice_payments.as_of_date = scores.as_of_date
    where invoice_payments.is_open

),

-- Each scenario's date: never before the day after the as-of date, since the invoice
-- is not paid yet.
scenario_dates as (

    select
        open_invoices.*,
        cast(
            {{ dbt.dateadd(
                'day',
                'cast(round(cast(expected_on_time_days_after_due as decimal(18, 4)), 0) as '
                ~ dbt.type_int() ~ ')',
                'due_date'
            ) }} as date
        ) as raw_on_time_paid_date,
        cast(
            {{ dbt.dateadd(
                'day',
                'cast(round(cast(expected_late_days_after_due as decimal(18, 4)), 0) as '
                ~ dbt.type_int() ~ ')',
                'due_date'
            ) }} as date
        ) as raw_late_paid_date,
        cast(
            {{ dbt.dateadd(
                'day',
                'cast(round(cast('
                ~ '(1 - late_probability) * coalesce(expected_on_time_days_after_due, 0)'
                ~ ' + late_probability * expected_late_days_after_due'
                ~ ' as decimal(18, 4)), 0) as '
                ~ dbt.type_int() ~ ')',
                'due_date'
            ) }} as date
        ) as raw_expected_paid_date,
        cast({{ dbt.dateadd('day', 1, 'as_of_date') }} as date) as first_possible_date,
        -- The reasons in words with the customer's own numbers, in the row: a self-join
        -- and a group by had PostgreSQL join 10,569 open invoices by a nested loop.
        {{ risk_reason_in_words('open_invoices.reason_1', 'open_invoices', late_days) }}
            as reason_words_1,
        {{ risk_reason_in_words('open_invoices.reason_2', 'open_invoices', late_days) }}
            as reason_words_2,
        {{ risk_reason_in_words('open_invoices.reason_3', 'open_invoices', late_days) }}
            as reason_words_3
    from open_invoices

),

final as (

    select
        ---------- keys
        scenario_dates.business_id,
        scenario_dates.invoice_id,
        scenario_dates.customer_id,
        ---------- attributes
        customers.customer_name,
        scenario_dates.as_of_date,
        scenario_dates.home_currency,
        ---------- amounts (home currency)
        scenario_dates.open_amount_home,
        ---------- dates
        scenario_dates.invoice_date,
        scenario_dates.due_date,
        scenario_dates.days_past_due,
        ---------- risk
        cast(scenario_dates.late_probability as decimal(18, 4)) as late_probability,
        case
            when scenario_dates.late_probability >= {{ bounds[1] }} then 'high'
            when scenario_dates.late_probability >= {{ bounds[0] }} then 'medium'
            else 'low'
        end as risk_band,
        cast(scenario_dates.baseline_late_share as decimal(18, 4)) as baseline_late_share,
        scenario_dates.method,
        scenario_dates.model_scope,
        coalesce({{ join_reasons([
            'scenario_dates.reason_words_1',
            'scenario_dates.reason_words_2',
            'scenario_dates.reason_words_3',
        ]) }}, '') as top_reasons,
        ---------- expected payment
        case
            when scenario_dates.raw_expected_paid_date
                < scenario_dates.first_possible_date
                then scenario_dates.first_possible_date
            else scenario_dates.raw_expected_paid_date
        end as expected_paid_date,
        case
            when scenario_dates.raw_on_time_paid_date < scenario_dates.first_possible_date
                then scenario_dates.first_possible_date
            else scenario_dates.raw_on_time_paid_date
        end as expected_on_time_paid_date,
        case
            when scenario_dates.raw_late_paid_date < scenario_dates.first_possible_date
                then scenario_dates.first_possible_date
            else scenario_dates.raw_late_paid_date
        end as expected_late_paid_date

    from scenario_dates
    left join customers
        on scenario_dates.business_id = customers.business_id
        and scenario_dates.customer_id = customers.customer_id

)

select * from final
