{#- Generated from src/ledgerlens/contract.py by `python -m ledgerlens.dbt_sources`.
    Edit the contract, not this file. -#}
{% macro contract_tables() -%}
    {{ return([
    {
        "name": "businesses",
        "amount_column": none,
        "money_columns": []
    },
    {
        "name": "customers",
        "amount_column": none,
        "money_columns": []
    },
    {
        "name": "invoices",
        "amount_column": "total_amount",
        "money_columns": [
            "total_amount",
            "tax_amount"
        ]
    },
    {
        "name": "invoice_lines",
        "amount_column": "line_amount",
        "money_columns": [
            "discount_amount",
            "line_amount"
        ]
    },
    {
        "name": "payments",
        "amount_column": "amount",
        "money_columns": [
            "amount"
        ]
    },
    {
        "name": "payment_allocations",
        "amount_column": "amount_applied",
        "money_columns": [
            "amount_applied"
        ]
    },
    {
        "name": "credit_notes",
        "amount_column": "amount",
        "money_columns": [
            "amount",
            "tax_amount",
            "refunded_amount"
        ]
    },
    {
        "name": "customer_costs",
        "amount_column": "amount",
        "money_columns": [
            "amount"
        ]
    }
]) }}
{%- endmacro %}
