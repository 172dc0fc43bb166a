"""The importers' shared frame: where a company's tables are read from, and the folder written.

The source-specific mappings are tested in tests/test_import_quickbooks.py and
tests/test_import_xero.py; these tests use hand-written rows, not an importer.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ledgerlens.cli import main, render
from ledgerlens.contract import TABLES
from ledgerlens.importers import default_business_id
from ledgerlens.importers.common import ImporterError, Output, open_source

BUSINESS = (
    "select 'acme' as business_id, 'Acme' as business_name, 'USD' as home_currency, "
    "1 as fiscal_year_start_month, 30 as default_payment_terms_days"
)


def _write_parquet(select: str, path: Path) -> None:
    # A connection of its own, not duckdb's module-level one: another test in this worker
    # may have left a result unfinished there, and DuckDB 2.0 refuses `sql()` on such a
    # connection (ResourceInUseException).
    with duckdb.connect() as con:
        con.execute(f"copy ({select}) to '{path}'")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_folder_source_reads_csv_as_text_and_parquet_typed(tmp_path: Path) -> None:
    folder = tmp_path / "books"
    folder.mkdir()
    (folder / "Customer.csv").write_text("id,name\n007,Acme\n")
    _write_parquet("select 7 as id, 1.5::double as amount", folder / "item.parquet")
    (folder / "notes.txt").write_text("not a table")
    out = Output()
    with open_source(str(folder), out.con) as source:
        assert source.tables == {"customer", "item"}
        # Leading zeros kept: a CSV column is text until the importer types it.
        assert out.con.execute(f"select id from {source.table('CUSTOMER')}").fetchall() == [
            ("007",)
        ]
        assert out.con.execute(f"select id, amount from {source.table('item')}").fetchall() == [
            (7, 1.5)
        ]
        with pytest.raises(ImporterError, match="no table 'invoice'"):
            source.table("invoice")
    out.close()


def test_a_folder_with_both_csv_and_parquet_of_one_table_is_refused(tmp_path: Path) -> None:
    (tmp_path / "invoice.csv").write_text("id\n1\n")
    _write_parquet("select 1 as id", tmp_path / "invoice.parquet")
    out = Output()
    with pytest.raises(ImporterError, match="both CSV and Parquet for invoice"):
        with open_source(str(tmp_path), out.con):
            pass
    out.close()


def test_a_duckdb_source_finds_its_only_schema_or_the_one_named(tmp_path: Path) -> None:
    file = tmp_path / "sync.duckdb"
    with duckdb.connect(str(file)) as con:
        con.execute("create schema quickbooks_acme; create schema quickbooks_beta")
        con.execute("create table quickbooks_acme.invoice as select 1 as id")
        con.execute("create table quickbooks_beta.invoice as select 2 as id")
    out = Output()
    with open_source(f"{file}:quickbooks_beta", out.con) as source:
        assert out.con.execute(f"select id from {source.table('invoice')}").fetchall() == [(2,)]
    # Two schemas with tables and none named: the default is main, which has none.
    with pytest.raises(ImporterError, match="no schema 'main'"):
        with open_source(str(file), out.con):
            pass
    with duckdb.connect(str(file)) as con:
        con.execute("drop table quickbooks_beta.invoice")
    with open_source(str(file), out.con) as source:
        assert out.con.execute(f"select id from {source.table('invoice')}").fetchall() == [(1,)]
    out.close()


def test_the_sql_helpers_type_text_timestamps_and_floats() -> None:
    out = Output()
    row = out.con.execute(
        "select ll_text('  C-1 '), ll_text('   '), ll_text(42), "
        "ll_date('2024-03-05T23:59:59Z'), ll_date(timestamp '2024-03-05 10:00'), "
        "ll_date('05/03/2024'), "
        # 0.1 + 0.2 as a float is 0.30000000000000004: two decimals of it are 0.30;
        # 2.675 is 2.67499999999999982236431605997495353221893310546875 as a float.
        "ll_money(0.1::double + 0.2::double), ll_money('2.675'), ll_money(''), "
        "ll_bool('True'), ll_bool(0), ll_bool('maybe')"
    ).fetchone()
    assert row == (
        "C-1",
        None,
        "42",
        date(2024, 3, 5),
        date(2024, 3, 5),
        None,
        Decimal("0.30"),
        Decimal("2.68"),  # text is exact: half away from zero
        None,
        True,
        False,
        None,
    )
    out.close()


def test_the_folder_has_every_contract_file_and_the_skipped_rows(tmp_path: Path) -> None:
    out = Output()
    out.insert("businesses", BUSINESS)
    out.insert(
        "customers",
        "select 'acme' as business_id, '007' as customer_id, 'Smith, \"Sons\"' as customer_name, "
        "date '2024-01-02' as created_date",
    )
    out.skip(
        "select 'acme' as business_id, 'invoice' as source_table, '12' as source_id, "
        "'deleted_in_source' as reason, 'deleted in QuickBooks' as detail, "
        "12.5 as amount, 'USD' as currency"
    )
    (tmp_path / "invoices.parquet").write_text("an older export's file")
    result = out.write(tmp_path, "test")
    out.close()
    assert sorted(p.name for p in tmp_path.glob("*.csv")) == sorted(
        f"{table.name}.csv" for table in TABLES
    )
    assert not (tmp_path / "invoices.parquet").exists()  # else the load refuses the table
    assert _rows(tmp_path / "customers.csv")[0]["customer_name"] == 'Smith, "Sons"'
    assert _rows(tmp_path / "businesses.csv")[0]["default_payment_terms_days"] == "30"
    assert _rows(tmp_path / "import_report" / "skipped_rows.csv") == [
        {
            "business_id": "acme",
            "source_table": "invoice",
            "source_id": "12",
            "reason": "deleted_in_source",
            "detail": "deleted in QuickBooks",
            "amount": "12.50",
            "currency": "USD",
        }
    ]
    summary = json.loads((tmp_path / "import_report" / "summary.json").read_text())
    assert summary["rows"]["customers"] == 1 and summary["rows"]["invoices"] == 0
    assert summary["skipped"] == [
        {
            "business_id": "acme",
            "source_table": "invoice",
            "reason": "deleted_in_source",
            "rows": 1,
            "amount": "12.50",
        }
    ]
    assert result.businesses == ["acme"]


def test_a_mapping_that_repeats_a_key_is_an_error_not_a_folder(tmp_path: Path) -> None:
    out = Output()
    out.insert("businesses", f"{BUSINESS} union all {BUSINESS}")
    with pytest.raises(ImporterError, match="repeats its key"):
        out.write(tmp_path / "out", "test")
    out.close()
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("exports/Acme Ltd/", "acme-ltd"),
        ("sync.duckdb:quickbooks_acme", "quickbooks-acme"),
        ("sync.duckdb", "sync"),
        ("postgresql://me@db/books?schema=xero_beta&sslmode=require", "xero-beta"),
    ],
)
def test_the_default_business_id_comes_from_where_the_books_are(location, expected) -> None:
    assert default_business_id(location) == expected


def test_the_command_refuses_unpaired_business_ids_and_missing_books(tmp_path, monkeypatch) -> None:
    # The command prints through rich's console, bound to the stdout of its import.
    screen = io.StringIO()
    monkeypatch.setattr(render.console, "file", screen)

    def printed() -> str:
        text = " ".join(screen.getvalue().split())
        screen.seek(0)
        screen.truncate()
        return text

    code = main(
        ["import", "xero-fivetran", "--from", str(tmp_path), "--to", str(tmp_path / "o")]
        + ["--business-id", "a", "--business-id", "b"]
    )
    assert code == 2
    assert "--business-id given 2 times for 1 books" in printed()
    code = main(
        ["import", "xero-fivetran", "--from", str(tmp_path / "nowhere"), "--to", str(tmp_path)]
    )
    assert code == 2
    assert "not a folder, a .duckdb file or a postgresql:// URL" in printed()


@pytest.mark.slow
def test_run_with_a_source_imports_then_runs(tmp_path, monkeypatch) -> None:
    """`ledgerlens run --source`: the books are mapped into the warehouse's side files and
    loaded from there. tasman (tests/data/import/xero) is one AUD customer: invoices of
    300.00 + 200.00 net (330.00 + 220.00 with tax), the first paid 330.00, the second open."""
    from tests.conftest import HERE, query

    screen = io.StringIO()
    monkeypatch.setattr(render.console, "file", screen)
    warehouse = tmp_path / "ledgerlens.duckdb"
    books = HERE / "data" / "import" / "xero" / "tasman"
    code = main(
        ["run", "--source", "xero-fivetran", "--data", str(books), "--warehouse", str(warehouse)]
    )
    printed = " ".join(screen.getvalue().split())
    assert code == 0, printed
    folder = tmp_path / "ledgerlens.duckdb.files" / "import"
    assert (folder / "invoices.csv").exists() and (folder / "import_report").is_dir()
    assert "Importing xero-fivetran" in printed and "Run succeeded" in printed
    assert query(warehouse, "select business_id, ltv, open_balance from marts.customer_sheet") == [
        ("tasman", Decimal("500.00"), Decimal("220.00"))
    ]
