"""The benchmark reads each model's seconds from dbt's log, whatever the engine writes in
the status brackets (DuckDB and Spark: OK; PostgreSQL: the server's SELECT or INSERT)."""

from __future__ import annotations

from pathlib import Path

from ledgerlens.benchmark import dbt_test_seconds, model_seconds, model_seconds_by_folder

ESC = "\x1b"
LOG = "\n".join(
    (
        # DuckDB, coloured as dbt prints it in a terminal
        f"1 of 9 OK created sql table model marts.customer_sheet .. [{ESC}[32mOK{ESC}[0m in 0.52s]",
        # dbt-postgres: a table, then an incremental model's insert
        "2 of 9 OK created sql table model public_marts.open_invoice_risk [SELECT 10569 in 1.20s]",
        "3 of 9 OK created sql incremental model public_intermediate.int_invoices_settled "
        "[INSERT 0 12 in 0.31s]",
        "4 of 9 OK created sql view model staging.stg_invoices ........... [OK in 0.05s]",
        # a data test: not a model
        "5 of 9 PASS not_null_customer_sheet_customer_id ............... [PASS in 0.12s]",
        # a model built in both dbt steps adds up
        "6 of 9 OK created sql table model marts.customer_sheet ... [OK in 0.10s]",
    )
)


def test_model_seconds_on_every_engine(tmp_path: Path) -> None:
    log = tmp_path / "dbt.log"
    log.write_text(LOG)
    assert model_seconds(log) == {
        "customer_sheet": 0.62,
        "open_invoice_risk": 1.2,
        "int_invoices_settled": 0.31,
        "stg_invoices": 0.05,
    }
    assert dbt_test_seconds(log) == 0.1  # 0.12, to one decimal
    folders = model_seconds_by_folder(log)
    assert folders["marts/receivables"] == 1.2
    assert folders["staging"] == 0.1  # 0.05 to one decimal
