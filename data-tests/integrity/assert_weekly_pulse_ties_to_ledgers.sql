{{ config(meta={"dagster": {"ref": {"name": "weekly_pulse"}}}) }}
{#- weekly_pulse's weeks add up to the documents' net sales and payments
    (macros/pulse_ties_to_ledgers.sql). -#}
{{ pulse_ties_to_ledgers(ref('weekly_pulse')) }}
