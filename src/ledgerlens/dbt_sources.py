"""Render `models/staging/_staging__sources.yml` from the contract.

The sources file is committed (dbt reads it, people read it); this module makes sure it
says exactly what `ledgerlens.contract` says. Regenerate with
`python -m ledgerlens.dbt_sources`; `tests/test_contract.py` fails when they differ.
"""

from __future__ import annotations

import json
from pathlib import Path

from ledgerlens.contract import TABLES, Table

SOURCES_FILE = Path("models/staging/_staging__sources.yml")
CONTRACT_MACRO_FILE = Path("macros/contract_tables.sql")

LINEAGE_COLUMNS = {
    "_source_file": "File the row was loaded from.",
    "_source_row": "Line of that file (the header is line 1; Parquet rows count from 1).",
}
QUARANTINE_COLUMNS = {
    "source_file": "File the rejected row came from.",
    "source_row": "Line of that file (the header is line 1; Parquet rows count from 1).",
    "rule": "The first contract rule the row broke (not_a_date, unknown_customer, ...).",
    "column_name": "The column that broke the rule.",
    "detail": "The rule broken, in words, with the offending value.",
    "raw_line": "The whole line as read, for lines that could not be split into columns.",
}


def _q(text: str) -> str:
    # JSON strings are valid YAML scalars and escape everything that needs it.
    return json.dumps(text)


def _raw_table(table: Table) -> list[str]:
    out = [f"      - name: {table.name}", f"        description: {_q(table.description)}"]
    tests = [
        "          - unique_combination_of_columns:",
        "              arguments:",
        f"                combination_of_columns: [{', '.join(table.key)}]",
    ]
    for ref in table.references:
        tests += [
            "          - relationships_multi:",
            "              arguments:",
            f"                columns: [{', '.join(ref.columns)}]",
            f"                to: source('raw', '{ref.parent}')",
            f"                to_columns: [{', '.join(ref.parent_columns)}]",
        ]
    out += ["        data_tests:", *tests, "        columns:"]
    for column in table.columns:
        text = column.description
        if column.blank_means:
            text += f" Blank means {column.blank_means}."
        out += [
            f"          - name: {column.name}",
            f"            description: {_q(text)}",
            f"            data_type: {column.sql_type}",
        ]
        # No not_null / accepted_values tests here: the loader quarantines a row that
        # breaks either (one gate per rule, DECISIONLOG 2026-12-01); the key and the
        # references above stay dbt's.
    for name, text in LINEAGE_COLUMNS.items():
        out += [f"          - name: {name}", f"            description: {_q(text)}"]
    return out


def _quarantine_table(table: Table) -> list[str]:
    out = [
        f"      - name: {table.name}",
        "        description: "
        + _q(f"Rows of the {table.name} file that broke a contract rule, kept as read (text)."),
        "        columns:",
    ]
    for name, text in QUARANTINE_COLUMNS.items():
        out += [f"          - name: {name}", f"            description: {_q(text)}"]
    for column in table.columns:
        out += [
            f"          - name: {column.name}",
            f"            description: {_q('As read from the file: ' + column.description)}",
        ]
    return out


def render() -> str:
    lines = [
        "# Generated from src/ledgerlens/contract.py by `python -m ledgerlens.dbt_sources`.",
        "# Edit the contract, not this file.",
        "version: 2",
        "",
        "sources:",
        "  - name: raw",
        "    description: >-",
        "      The raw data contract (docs/contract.md), loaded by the Dagster load assets with",
        "      explicit types. Rows that break a rule are in the quarantine source instead.",
        "    schema: raw",
        "    tables:",
    ]
    for index, table in enumerate(TABLES):
        if index:
            lines.append("")
        lines += _raw_table(table)
    lines += [
        "",
        "  - name: quarantine",
        "    description: >-",
        "      Raw rows rejected by the loader, one table per contract table, with the file,",
        "      line and rule: nothing is dropped silently.",
        "    schema: quarantine",
        "    tables:",
    ]
    for index, table in enumerate(TABLES):
        if index:
            lines.append("")
        lines += _quarantine_table(table)
    return "\n".join(lines) + "\n"


def render_macro() -> str:
    """The contract's tables for SQL that loops over them (marts.data_quality_report):
    name, amount column and money columns, in load order."""
    tables = [
        {
            "name": table.name,
            "amount_column": table.amount_column,
            "money_columns": [c.name for c in table.columns if c.kind == "money"],
        }
        for table in TABLES
    ]
    body = json.dumps(tables, indent=4).replace("null", "none")
    return (
        "{#- Generated from src/ledgerlens/contract.py by `python -m ledgerlens.dbt_sources`.\n"
        "    Edit the contract, not this file. -#}\n"
        "{% macro contract_tables() -%}\n"
        f"    {{{{ return({body}) }}}}\n"
        "{%- endmacro %}\n"
    )


def main() -> None:
    SOURCES_FILE.write_text(render())
    CONTRACT_MACRO_FILE.write_text(render_macro())
    print(f"wrote {SOURCES_FILE} and {CONTRACT_MACRO_FILE}")


if __name__ == "__main__":
    main()
