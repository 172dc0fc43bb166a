{{ config(meta={"dagster": {"ref": {"name": "monthly_pulse"}}}) }}
{#- monthly_pulse's months add up to the documents' net sales and payments
    (macros/pulse_ties_to_ledgers.sql). -#}
{{ pulse_ties_to_ledgers(ref('monthly_pulse')) }}
