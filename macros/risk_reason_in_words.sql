{#-
    One late-payment reason code (ledgerlens.risk's reason_1..3) in words, with the
    customer's own numbers from `row` (a relation alias holding open_invoice_risk's
    columns); null for an empty or unknown code. `late_days` is the var
    late_days_beyond_terms. marts.open_invoice_risk joins the three with join_reasons in
    the row itself: a self-join and a group by per reason had PostgreSQL estimate 8 rows
    for 10,569 and join them by a nested loop (DECISIONLOG.md).
-#}
{% macro risk_reason_in_words(code, row, late_days) -%}
    case {{ code }}
        when 'past_threshold'
            then
                'already '
                || {{ format_count(row ~ '.days_past_due', 'day', 'days') }}
                || ' past due, so paid more than {{ late_days }} days late'
        when 'past_due'
            then
                case
                    when {{ row }}.days_past_due > 0
                        then
                            'already '
                            || {{ format_count(
                                row ~ '.days_past_due', 'day', 'days'
                            ) }}
                            || ' past due'
                    else 'due soon and not paid yet'
                end
        when 'late_history'
            then
                'this customer paid '
                || cast(
                    cast(round(cast(
                        {{ row }}.customer_share_paid_late
                        * {{ row }}.customer_paid_invoices as decimal(18, 4)
                    ), 0)
                    as {{ dbt.type_int() }})
                    as {{ dbt.type_string() }}
                )
                || ' of its '
                || {{ format_count(
                    row ~ '.customer_paid_invoices',
                    'paid invoice', 'paid invoices'
                ) }}
                || ' late'
        when 'recent_late'
            then
                'this customer paid '
                || cast(
                    {{ row }}.customer_last_paid_late as {{ dbt.type_string() }}
                )
                || ' of its last '
                || {{ format_count(
                    row ~ '.customer_last_paid_invoices', 'invoice', 'invoices'
                ) }}
                || ' late'
        when 'days_beyond_terms'
            then
                'this customer pays '
                || {{ format_count(
                    'cast(round(cast(' ~ row ~ '.customer_avg_days_beyond_terms'
                    ~ ' as decimal(18, 4)), 0) as ' ~ dbt.type_int() ~ ')',
                    'day', 'days'
                ) }}
                || ' beyond terms on average'
        when 'overdue_balance'
            then
                'this customer has '
                || {{ format_money(row ~ '.customer_overdue_balance_home') }}
                || ' ' || {{ row }}.home_currency || ' overdue'
        -- Amount, terms and history can raise the risk by being high or by being
        -- low (the model decides), so they are stated, not judged.
        when 'invoice_amount'
            then
                'the invoice amount ('
                || {{ format_money(row ~ '.total_amount_home') }}
                || ' ' || {{ row }}.home_currency || ')'
        when 'payment_terms'
            then
                'payment terms of '
                || {{ format_count(
                    row ~ '.payment_terms_days', 'day', 'days'
                ) }}
        when 'short_history' then
            'a payment history of '
            || {{ format_count(
                row ~ '.customer_paid_invoices', 'paid invoice', 'paid invoices'
            ) }}
    end
{%- endmacro %}
