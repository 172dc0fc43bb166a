"""`ledgerlens export` (issue 17) on the hand-made run's warehouse (no pipeline run of its own).

tests/data/handmade, as tests/test_customer_sheet.py works it out by hand: acme (USD) as of
2024-07-01, customers C1 Alpha Dental (LTV 1,400.00, 2 purchases 2024-01-10 and 2024-03-05;
I1 paid 26 days after its invoice date, within terms, so timeliness 5; I2 540.00 due
2024-04-04 and unpaid: 2024-04-04 -> 2024-07-01 = 26 + 31 + 30 + 1 = 88 days past due, in
the 61-90 bucket), C2 Beta Bakery (350.00; no credit invoice paid yet: timeliness unknown),
C3 Gamma Freight (Canada) (1,312.00; paid 40 days after, within its 45-day terms: 5); euro
(EUR) as of 2024-04-10 with one customer C1 Erste Kunde AG (500.00), new that month.

Each test exports its own copy of the warehouse, in which two acme customers are renamed to
names a CSV writer or a spreadsheet can break: C1 `Smith, "Sons"` + line break + `Ltd`,
C2 `<script>alert(1)</script>`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ledgerlens import export as export_module
from ledgerlens.cli import main, render
from ledgerlens.export import export
from tests.conftest import query

pytestmark = pytest.mark.slow

D = Decimal
SMITH = 'Smith, "Sons"\nLtd'
SCRIPT = "<script>alert(1)</script>"
TABLES = (
    "customer_sheet",
    "segment_summary",
    "revenue_retention",
    "cohorts",
    "ar_aging",
    "customer_profitability",
    "customer_clv",
)
HUBSPOT = [
    "Ledgerlens ID",
    "Company name",
    "Ledgerlens segment",
    "Ledgerlens previous segment",
    "Ledgerlens segment changed on",
    "Ledgerlens lifetime sales",
    "Ledgerlens TTM sales",
    "Ledgerlens currency",
    "Ledgerlens average days to pay",
    "Ledgerlens late-payment risk",
    "Ledgerlens late-payment risk last month end",
    "Ledgerlens CLV 36 months",
    "Ledgerlens as of date",
]
SALESFORCE = [
    "Ledgerlens_Id__c",
    "Name",
    "Ledgerlens_Segment__c",
    "Ledgerlens_Previous_Segment__c",
    "Ledgerlens_Segment_Changed_On__c",
    "Ledgerlens_LTV__c",
    "Ledgerlens_TTM_Sales__c",
    "CurrencyIsoCode",
    "Ledgerlens_Avg_Days_To_Pay__c",
    "Ledgerlens_Late_Payment_Risk__c",
    "Ledgerlens_Prev_Late_Payment_Risk__c",
    "Ledgerlens_CLV_36m__c",
    "Ledgerlens_As_Of__c",
]


def _copy(handmade_run, tmp_path: Path, *statements: str) -> Path:
    """The hand-made warehouse, copied, with C1 and C2 renamed wherever a mart names them,
    then the statements applied."""
    _, built = handmade_run
    warehouse = tmp_path / "warehouse" / built.name
    warehouse.parent.mkdir()
    shutil.copyfile(built, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        tables = con.execute(
            "select table_name from information_schema.columns where table_schema = 'marts'"
            " and column_name = 'customer_name' and table_name in"
            " (select table_name from information_schema.tables"
            "  where table_schema = 'marts' and table_type = 'BASE TABLE')"
        ).fetchall()
        for (table,) in tables:
            for customer, name in (("C1", SMITH), ("C2", SCRIPT)):
                con.execute(
                    f"update marts.{table} set customer_name = ? "
                    "where business_id = 'acme' and customer_id = ?",
                    [name, customer],
                )
        for statement in statements:
            con.execute(statement)
    return warehouse


def _read_csv(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as file:
        return list(csv.DictReader(file))


def test_csv_tables_round_trip_names_and_write_plain_decimals_and_iso_dates(handmade_run, tmp_path):
    warehouse = _copy(handmade_run, tmp_path)
    out = tmp_path / "out"
    before = warehouse.stat()
    result = export(warehouse, out)
    after = warehouse.stat()
    # Opened read-only: the file is untouched and no write-ahead log appears.
    assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)
    assert not warehouse.with_name(warehouse.name + ".wal").exists()
    assert result.businesses == ["acme", "euro"]
    assert result.notes == []
    for business in ("acme", "euro"):
        assert sorted(p.name for p in (out / business).glob("*.csv")) == sorted(
            f"{table}.csv" for table in TABLES
        )
    raw = (out / "acme" / "customer_sheet.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # no BOM unless asked
    assert raw.split(b"\n", 1)[0].endswith(b"\r")  # RFC 4180 line ends
    # The line break inside the quoted name is the name's own (\n), not a record end.
    assert b'"Smith, ""Sons""\nLtd"' in raw
    sheet = {row["customer_id"]: row for row in _read_csv(out / "acme" / "customer_sheet.csv")}
    assert sheet["C1"]["customer_name"] == SMITH
    assert sheet["C2"]["customer_name"] == SCRIPT
    # Hand-worked (module docstring): LTVs, dates, days to pay, balances.
    assert [sheet[c]["ltv"] for c in ("C1", "C2", "C3")] == ["1400.00", "350.00", "1312.00"]
    assert (sheet["C1"]["first_purchase_date"], sheet["C1"]["last_purchase_date"]) == (
        "2024-01-10",
        "2024-03-05",
    )
    assert sheet["C1"]["avg_days_to_pay"] == "26.0"
    assert sheet["C2"]["avg_days_to_pay"] == ""  # null: nothing paid yet
    assert sheet["C1"]["as_of_date"] == "2024-07-01"
    # Rows in revenue rank order: 1,400.00 > 1,312.00 > 350.00.
    assert list(sheet) == ["C1", "C3", "C2"]
    aging = {row["customer_id"]: row for row in _read_csv(out / "acme" / "ar_aging.csv")}
    assert aging["C1"]["customer_name"] == SMITH
    assert aging["C1"]["past_due_61_90_home"] == "540.00"  # 88 days past due
    assert aging["C1"]["max_days_past_due"] == "88"
    euro = _read_csv(out / "euro" / "customer_sheet.csv")
    assert [(r["customer_id"], r["ltv"], r["home_currency"]) for r in euro] == [
        ("C1", "500.00", "EUR")
    ]
    # Every other table: each row as an independent query of the mart reads it, as text.
    for table in ("segment_summary", "revenue_retention", "cohorts"):
        rows = _read_csv(out / "acme" / f"{table}.csv")
        expected = query(warehouse, f"select * from marts.{table} where business_id = 'acme'")
        as_text = sorted(
            tuple(
                "" if v is None else v.isoformat() if isinstance(v, dt.date) else str(v)
                for v in row
            )
            for row in expected
        )
        assert sorted(tuple(row.values()) for row in rows) == as_text, table


def test_bom_option_and_business_option(handmade_run, tmp_path):
    warehouse = _copy(handmade_run, tmp_path)
    out = tmp_path / "out"
    result = export(warehouse, out, business="acme", bom=True)
    assert result.businesses == ["acme"]
    assert not (out / "euro").exists()
    raw = (out / "acme" / "customer_sheet.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfbusiness_id,customer_id,")
    sheet = _read_csv(out / "acme" / "customer_sheet.csv", encoding="utf-8-sig")
    assert {row["customer_name"] for row in sheet} == {SMITH, SCRIPT, "Gamma Freight (Canada)"}
    # The CRM files never carry a BOM (it would join the first header in the import).
    assert (out / "acme" / "crm" / "hubspot_companies.csv").read_bytes().startswith(b"Ledger")


def test_xlsx_has_typed_cells_currency_headers_frozen_header_and_filter(handmade_run, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    warehouse = _copy(handmade_run, tmp_path)
    out = tmp_path / "out"
    export(warehouse, out, fmt="xlsx")
    book = openpyxl.load_workbook(out / "acme" / "acme.xlsx")
    assert book.sheetnames == list(TABLES)
    sheet = book["customer_sheet"]
    header = [cell.value for cell in sheet[1]]
    assert header[:6] == [
        "business_id",
        "customer_id",
        "customer_name",
        "home_currency",
        "ltv (USD)",
        "ttm_sales (USD)",
    ]
    assert "revenue_share" in header and "first_purchase_date" in header  # no currency
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}4"
    rows = {
        row[1]: dict(zip(header, row, strict=True))
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert rows["C1"]["customer_name"] == SMITH
    assert rows["C2"]["customer_name"] == SCRIPT
    assert rows["C1"]["ltv (USD)"] == 1400  # a number, not text
    assert isinstance(rows["C1"]["ltv (USD)"], int | float)
    assert rows["C1"]["first_purchase_date"] == dt.datetime(2024, 1, 10)  # an Excel date
    assert rows["C1"]["purchases"] == 2
    assert rows["C2"]["avg_days_to_pay"] is None
    ltv_cell = sheet.cell(row=2, column=header.index("ltv (USD)") + 1)
    assert ltv_cell.data_type == "n" and ltv_cell.number_format == "#,##0.00"
    date_cell = sheet.cell(row=2, column=header.index("first_purchase_date") + 1)
    assert date_cell.is_date and date_cell.number_format == "yyyy-mm-dd"
    aging = book["ar_aging"]
    aging_header = [cell.value for cell in aging[1]]
    assert "past_due_61_90_home (USD)" in aging_header
    euro = openpyxl.load_workbook(out / "euro" / "euro.xlsx")["customer_sheet"]
    assert [cell.value for cell in euro[1]][4] == "ltv (EUR)"
    assert euro.cell(row=2, column=5).value == 500


def test_parquet_keeps_decimals(handmade_run, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    warehouse = _copy(handmade_run, tmp_path)
    out = tmp_path / "out"
    export(warehouse, out, fmt="parquet")
    table = pq.read_table(out / "acme" / "customer_sheet.parquet")
    assert table.schema.field("ltv").type == pa.decimal128(18, 2)
    assert table.schema.field("revenue_share").type == pa.decimal128(18, 6)
    assert table.schema.field("first_purchase_date").type == pa.date32()
    by_customer = dict(zip(table["customer_id"].to_pylist(), table["ltv"].to_pylist(), strict=True))
    assert by_customer == {"C1": D("1400.00"), "C2": D("350.00"), "C3": D("1312.00")}
    names = set(table["customer_name"].to_pylist())
    assert SMITH in names and SCRIPT in names
    aging = pq.read_table(out / "acme" / "ar_aging.parquet")
    assert aging.schema.field("open_balance_home").type == pa.decimal128(18, 2)


def test_crm_files_headers_and_values(handmade_run, tmp_path):
    warehouse = _copy(handmade_run, tmp_path)
    out = tmp_path / "out"
    export(warehouse, out)
    crm = out / "acme" / "crm"
    assert sorted(p.name for p in crm.iterdir()) == [
        "hubspot_companies.csv",
        "hubspot_companies_changes.csv",
        "salesforce_accounts.csv",
        "salesforce_accounts_changes.csv",
    ]
    with (crm / "hubspot_companies.csv").open(encoding="utf-8", newline="") as file:
        assert next(csv.reader(file)) == HUBSPOT
    with (crm / "salesforce_accounts.csv").open(encoding="utf-8", newline="") as file:
        assert next(csv.reader(file)) == SALESFORCE
    hubspot = {row["Ledgerlens ID"]: row for row in _read_csv(crm / "hubspot_companies.csv")}
    salesforce = {
        row["Ledgerlens_Id__c"]: row for row in _read_csv(crm / "salesforce_accounts.csv")
    }
    # The same values under the two systems' headers, row for row.
    assert [list(r.values()) for r in hubspot.values()] == [
        list(r.values()) for r in salesforce.values()
    ]
    assert list(hubspot) == ["acme:C1", "acme:C2", "acme:C3"]
    c1, c2, c3 = hubspot["acme:C1"], hubspot["acme:C2"], hubspot["acme:C3"]
    assert c1["Company name"] == SMITH and c2["Company name"] == SCRIPT
    assert (c1["Ledgerlens lifetime sales"], c1["Ledgerlens TTM sales"]) == ("1400.00", "1400.00")
    assert c1["Ledgerlens currency"] == "USD"
    assert c1["Ledgerlens average days to pay"] == "26.0"
    # Timeliness 5 (within terms) is low risk; C2 has paid no credit invoice yet.
    assert (c1["Ledgerlens late-payment risk"], c3["Ledgerlens late-payment risk"]) == (
        "low",
        "low",
    )
    assert c2["Ledgerlens late-payment risk"] == "unknown"
    assert c1["Ledgerlens as of date"] == "2024-07-01"
    # Previous segment and when it changed: the segment history, read independently.
    history = query(
        warehouse,
        "select customer_id, month_end_date, segment from marts.segment_history"
        " where business_id = 'acme' order by customer_id, month_end_date",
    )
    for customer, row in (("C1", c1), ("C2", c2), ("C3", c3)):
        months = [(d, s) for c, d, s in history if c == customer]
        changes = [(a[1], b[0]) for a, b in zip(months, months[1:], strict=False) if a[1] != b[1]]
        previous, changed_on = changes[-1]
        assert row["Ledgerlens previous segment"] == previous, customer
        assert row["Ledgerlens segment changed on"] == changed_on.isoformat(), customer
    clv = dict(
        query(
            warehouse,
            "select customer_id, clv_36m from marts.customer_clv where business_id = 'acme'",
        )
    )
    assert c1["Ledgerlens CLV 36 months"] == format(clv["C1"], "f")
    # Nothing changed between 2024-06-30 and the as-of date in acme; euro's C1 is new.
    assert _read_csv(crm / "hubspot_companies_changes.csv") == []
    euro = _read_csv(out / "euro" / "crm" / "salesforce_accounts_changes.csv")
    assert [(r["Ledgerlens_Id__c"], r["Name"], r["Ledgerlens_Segment__c"]) for r in euro] == [
        ("euro:C1", "Erste Kunde AG", "New")
    ]
    assert euro[0]["Ledgerlens_Prev_Late_Payment_Risk__c"] == ""
    assert euro[0]["Ledgerlens_Previous_Segment__c"] == ""


def test_changes_only_file_on_a_case_worked_by_hand(handmade_run, tmp_path):
    """In the copy, acme's month end 2024-06-30 is rewritten: C3 was a Champion paying
    late (timeliness 2 -> high risk) and C1 paid within 15 days beyond terms on average
    (timeliness 3 -> medium). At the as-of date 2024-07-01 both are Promising and pay
    within terms (5 -> low), so:
    - C1 changed risk only (medium -> low); its segment has been Promising since 2024-02-29;
    - C3 changed segment (Champion -> Promising on 2024-07-01) and risk (high -> low);
    - C2 (Possible Mismatch at both dates, timeliness unknown at both) is not listed.
    The profitability and CLV marts are dropped: skipped with a note, no CLV column."""
    warehouse = _copy(
        handmade_run,
        tmp_path,
        "update marts.segment_history set segment = 'Champion', t_score = 2"
        " where business_id = 'acme' and customer_id = 'C3' and month_end_date = '2024-06-30'",
        "update marts.segment_history set t_score = 3"
        " where business_id = 'acme' and customer_id = 'C1' and month_end_date = '2024-06-30'",
        "drop table marts.customer_clv",
        "drop table marts.customer_profitability",
    )
    out = tmp_path / "out"
    result = export(warehouse, out, business="acme", fmt="xlsx")
    assert result.notes == [
        "marts.customer_profitability is not in the warehouse: skipped",
        "marts.customer_clv is not in the warehouse: skipped",
    ]
    openpyxl = pytest.importorskip("openpyxl")
    assert openpyxl.load_workbook(out / "acme" / "acme.xlsx").sheetnames == list(TABLES[:5])
    crm = out / "acme" / "crm"
    changes = _read_csv(crm / "salesforce_accounts_changes.csv")
    assert list(changes[0]) == [h for h in SALESFORCE if h != "Ledgerlens_CLV_36m__c"]
    got = [
        (
            r["Ledgerlens_Id__c"],
            r["Name"],
            r["Ledgerlens_Previous_Segment__c"],
            r["Ledgerlens_Segment_Changed_On__c"],
            r["Ledgerlens_Segment__c"],
            r["Ledgerlens_Prev_Late_Payment_Risk__c"],
            r["Ledgerlens_Late_Payment_Risk__c"],
        )
        for r in changes
    ]
    assert got == [
        ("acme:C1", SMITH, "New", "2024-02-29", "Promising", "medium", "low"),
        ("acme:C3", "Gamma Freight (Canada)", "Champion", "2024-07-01", "Promising", "high", "low"),
    ]
    hubspot = _read_csv(crm / "hubspot_companies_changes.csv")
    assert [r["Ledgerlens ID"] for r in hubspot] == ["acme:C1", "acme:C3"]
    assert len(_read_csv(crm / "hubspot_companies.csv")) == 3


def test_cli_export_and_unknown_business(handmade_run, tmp_path, monkeypatch):
    warehouse = _copy(handmade_run, tmp_path)
    out = tmp_path / "out"
    printed = io.StringIO()  # the console is bound to the real stdout at import
    monkeypatch.setattr(render.console, "file", printed)
    command = ["export", "--warehouse", str(warehouse), "--to", str(out), "--business"]
    assert main([*command, "euro", "--format", "csv"]) == 0
    text = printed.getvalue()
    assert "euro: 1 customer in the CRM files, 1 changed since the previous month end" in text
    assert "11 files for 1 business" in text  # 7 tables + 4 CRM files
    assert (out / "euro" / "crm" / "salesforce_accounts.csv").exists()
    assert main([*command, "nope"]) == 2
    assert "no business 'nope' in the warehouse" in printed.getvalue()
    # A table longer than an xlsx sheet stops the export with the way out; acme's
    # customer sheet has 3 rows, against a limit lowered to 3 (2 rows and the header).
    monkeypatch.setattr(export_module, "XLSX_MAX_ROWS", 3)
    assert main([*command, "acme", "--format", "xlsx"]) == 2
    assert "acme/customer_sheet: 3 rows do not fit an xlsx sheet" in printed.getvalue()
