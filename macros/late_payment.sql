{#-
    "Late" has one definition in ledgerlens: paid more than late_days_beyond_terms
    (default 15) days after the due date. Every model and the Python that reads them
    (ledgerlens.risk, ledgerlens.backtest) take it from these macros or from the columns
    they fill, never from a copy of the comparison (DECISIONLOG.md, 2026-12-01).
-#}

{#- True when a payment made `days_after_due` days after the due date is late. -#}
{% macro is_late_after_due(days_after_due) -%}
    ({{ days_after_due }} > {{ var('late_days_beyond_terms') }})
{%- endmacro %}

{#-
    True when an invoice still open at the end of `as_of_date` can only be paid late.
    Open at a date means not paid by it (int_invoices_open_at_snapshots: paid_date
    after the date), so the earliest it can be paid is the next day, days past due + 1
    after the due date: with 15, an invoice open 14 days past due may still be paid on
    day 15 (on time), one open 15 or more days past due is paid on day 16 at the
    earliest (late).
-#}
{% macro is_already_late(due_date, as_of_date) -%}
    {{ is_late_after_due(dbt.datediff(due_date, as_of_date, 'day') ~ ' + 1') }}
{%- endmacro %}
