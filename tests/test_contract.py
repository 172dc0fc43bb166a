"""The contract is written once: the dbt sources and the user docs must agree with it."""

from __future__ import annotations

from pathlib import Path

from ledgerlens import dbt_sources
from ledgerlens.contract import TABLES, load_order

ROOT = Path(__file__).resolve().parent.parent


def test_dbt_sources_file_is_generated_from_the_contract():
    committed = (ROOT / dbt_sources.SOURCES_FILE).read_text()
    assert committed == dbt_sources.render(), (
        "models/staging/_staging__sources.yml is stale: run `python -m ledgerlens.dbt_sources`"
    )


def test_dbt_contract_macro_is_generated_from_the_contract():
    committed = (ROOT / dbt_sources.CONTRACT_MACRO_FILE).read_text()
    assert committed == dbt_sources.render_macro(), (
        "macros/contract_tables.sql is stale: run `python -m ledgerlens.dbt_sources`"
    )


def test_user_docs_name_every_table_and_column():
    text = (ROOT / "docs" / "contract.md").read_text()
    for table in TABLES:
        assert f"`{table.name}`" in text, table.name
        for column in table.column_names:
            assert f"`{column}`" in text, f"{table.name}.{column}"


def test_every_table_has_an_example_row_for_every_column():
    for table in TABLES:
        assert list(table.example) == table.column_names, table.name


def test_every_table_is_keyed_by_business_and_parents_load_first():
    order = load_order()
    for table in TABLES:
        assert table.key[0] == "business_id"
        for parent in table.parents:
            assert order.index(parent) < order.index(table.name)


def test_every_reference_names_its_parent_s_whole_key():
    # The loader joins each parent on the reference's columns and reads one matching row
    # (ledgerlens.load._validate): that holds only on the parent's whole key, on which
    # its loaded rows are unique.
    tables = {table.name: table for table in TABLES}
    for table in TABLES:
        parents = [reference.parent for reference in table.references]
        assert len(parents) == len(set(parents)), table.name  # one join per parent
        for reference in table.references:
            assert reference.parent_columns == tables[reference.parent].key, (
                table.name,
                reference.parent,
            )


def test_every_staging_model_exists_for_every_raw_table():
    for table in TABLES:
        assert (ROOT / "models" / "staging" / f"stg_{table.name}.sql").exists()
