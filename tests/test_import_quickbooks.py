"""`ledgerlens import quickbooks-fivetran`: QuickBooks Online as Fivetran lands it.

tests/data/import/quickbooks_fivetran holds two companies in the column names of Fivetran's
QuickBooks connector (the headers of fivetran/dbt_quickbooks_source's seeds):
- northwind (USD, multicurrency on), synced 2024-06-01:
  - customer 1 Alpha Dental: INV 101 1,000.00 + 80.00 tax = 1,080.00, partly paid by two
    payments, 201 (500.00) and 202 (300.00): 280.00 open. CM 302 (50.00 + 4.00 tax) is
    left as account credit. INV 106 and payment 207 (108.00 each) are deleted in
    QuickBooks (`_fivetran_deleted`).
  - customer 2 Beta Bakery: payment 203 of 1,000.00 covers INV 102 (648.00) and INV 103
    (324.00) and leaves 28.00 unapplied (an overpayment). CM 301 (100.00 + 8.00 tax) is
    applied to INV 104 (540.00) through payment 205, which brings the cash: 540.00 - 108.00
    = 432.00. INV 107 is void (zero amounts, "Voided" note).
  - customer 3 Gamma Freight: INV 105 1,000.00 CAD at 0.75, paid 600.00 CAD at 0.74.
  - customer 4 Delta Group: INV 108, a bundle (2 starter kits: 4 widgets at 10.00 and 2
    cables at 5.00 = 50.00), 3 hours at 100.00, a subtotal line and a 10 % discount (35.00);
    customer 5 Store East, a sub-customer of 4: INV 109, 250.00 less a 20.00 discount.
  - customer 7 Foxtrot Cafe: sales receipt 501 (65.00 + 5.20 tax) and refund receipt 601
    (20.00 + 1.60 tax).
- maple (CAD, multicurrency off: no exchange rates at all), synced 2024-03-05: INV 1 of
  200.00 + 10.00 GST, paid; INV 2 of 100.00 + 5.00, settled by CM 11 (105.00) through
  payment 2 of 0.00 (credit moved, no cash).
"""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ledgerlens.importers import Company, import_books
from tests.conftest import query
from tests.test_postgres import postgres  # noqa: F401  (the server fixture, reused)

FIXTURE = Path(__file__).parent / "data" / "import" / "quickbooks_fivetran"
D = Decimal

# Fivetran's column types (fivetran/dbt_quickbooks_source, macros/get_<table>_columns.sql):
# text ids, FLOAT amounts, TIMESTAMP for _at/_synced, DATE for transaction and due dates,
# BOOLEAN flags; the rest text.
FIVETRAN_TIMESTAMPS = {"_fivetran_synced", "created_at", "updated_at", "delivery_time"}
FIVETRAN_DATES = {"transaction_date", "due_date", "open_balance_date"}
FIVETRAN_DOUBLES = {
    "amount", "balance", "balance_with_jobs", "bundle_quantity", "deposit", "exchange_rate",
    "home_balance", "home_total_amount", "item_quantity", "purchase_cost", "quantity",
    "remaining_credit", "sales_item_quantity", "sales_item_unit_price", "total_amount",
    "total_tax", "unapplied_amount", "unit_price", "due_days",
}  # fmt: skip
FIVETRAN_BOOLEANS = {
    "_fivetran_deleted", "active", "job", "bill_with_parent", "taxable", "sub_item",
    "apply_tax_after_discount", "print_grouped_items", "process_payment",
    "track_quantity_on_hand", "discount_percent_based",
}  # fmt: skip


def _fivetran_type(table: str, column: str) -> str:
    if column in FIVETRAN_BOOLEANS:
        return "boolean"
    if column in FIVETRAN_TIMESTAMPS:
        return "timestamp"
    if column in FIVETRAN_DATES:
        return "date"
    if column in FIVETRAN_DOUBLES and not (table == "credit_memo" and column == "total_tax"):
        return "double"  # credit_memo.total_tax is a string in Fivetran's schema
    return "varchar"


def _load_typed(con: duckdb.DuckDBPyConnection, folder: Path, schema: str, typed: bool):
    """The company's CSVs as tables of `schema`: with Fivetran's types, or as DuckDB
    guesses them (integer ids and amounts, as another sync tool might land them)."""
    con.execute(f"create schema {schema}")
    for file in sorted(folder.glob("*.csv")):
        if typed:
            with file.open() as handle:
                header = next(csv.reader(handle))
            columns = ", ".join(
                f'cast(nullif("{c}", \'\') as {_fivetran_type(file.stem, c)}) as "{c}"'
                for c in header
            )
            source = f"read_csv('{file}', all_varchar = true, header = true)"
        else:
            columns, source = "*", f"read_csv('{file}', header = true)"
        con.execute(f"create table {schema}.{file.stem} as select {columns} from {source}")


COMPANIES = [
    Company(str(FIXTURE / "northwind"), "northwind", business_name="Northwind Traders"),
    Company(str(FIXTURE / "maple"), "maple"),
]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("import") / "quickbooks-fivetran-import"
    result = import_books("quickbooks-fivetran", COMPANIES, folder)
    return folder, result


@pytest.fixture(scope="module")
def books() -> duckdb.DuckDBPyConnection:
    """The fixture tables, typed as Fivetran types them, one schema per company: what the
    independent queries below read (never the importer's output)."""
    con = duckdb.connect()
    for company in ("northwind", "maple"):
        _load_typed(con, FIXTURE / company, company, typed=True)
    yield con
    con.close()


def _contract(folder: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for table in (
        "businesses", "customers", "invoices", "invoice_lines", "payments",
        "payment_allocations", "credit_notes",
    ):  # fmt: skip
        con.execute(
            f"create view {table} as select * from read_csv('{folder / (table + '.csv')}', "
            "header = true, all_varchar = true)"
        )
    return con


# ---------------------------------------------------------------- independent queries
# Per customer, from QuickBooks's own header figures (not the lines the importer maps):
# - net sales: (total - tax) x rate of the invoices and sales receipts that are neither
#   deleted nor voided, minus the same of credit memos and refund receipts;
# - received: what payments and sales receipts brought in, document currency;
# - open: QuickBooks's own invoice balance x the invoice's rate.
def _rate(alias: str, home: str) -> str:
    return f"case when {alias}.currency_id = '{home}' then 1 else {alias}.exchange_rate end"


def independent(books: duckdb.DuckDBPyConnection, company: str, home: str) -> dict:
    def has(table: str) -> bool:
        return bool(
            books.execute(
                "select 1 from information_schema.tables where table_schema = ? and table_name = ?",
                [company, table],
            ).fetchall()
        )

    def kept(table: str) -> str:
        return (
            f"select * from {company}.{table} as t where not t._fivetran_deleted "
            "and coalesce(t.private_note, '') not like 'Voided%'"
        )

    sales = [f"select customer_id, (total_amount - total_tax) * ({_rate('t', home)}) as v "
             f"from ({kept('invoice')}) as t"]  # fmt: skip
    if has("sales_receipt"):
        sales.append(
            f"select customer_id, (total_amount - total_tax) * ({_rate('t', home)}) "
            f"from ({kept('sales_receipt')}) as t"
        )
    for table in ("credit_memo", "refund_receipt"):
        if has(table):
            sales.append(
                f"select customer_id, -(total_amount - cast(total_tax as double)) "
                f"* ({_rate('t', home)}) from ({kept(table)}) as t"
            )
    received = [f"select customer_id, total_amount as v from ({kept('payment')}) as t"]
    if has("sales_receipt"):
        received.append(f"select customer_id, total_amount from ({kept('sales_receipt')}) as t")
    figures = {}
    for name, parts in (("net_sales", sales), ("received", received)):
        for customer, value in books.execute(
            f"select customer_id, round(sum(v), 2) from ({' union all '.join(parts)}) "
            "group by customer_id"
        ).fetchall():
            figures.setdefault(customer, {})[name] = D(str(value)).quantize(D("0.01"))
    for customer, value in books.execute(
        f"select customer_id, round(sum(balance * ({_rate('t', home)})), 2) "
        f"from ({kept('invoice')}) as t group by customer_id"
    ).fetchall():
        figures.setdefault(customer, {})["open"] = D(str(value)).quantize(D("0.01"))
    for values in figures.values():
        for name in ("net_sales", "received", "open"):
            values.setdefault(name, D("0.00"))
    return figures


def imported_figures(folder: Path, business: str) -> dict:
    """The same three figures per customer, read off the contract folder."""
    con = _contract(folder)
    rows = con.execute(
        """
        with
        inv as (select * from invoices where business_id = $1),
        sold as (
            select inv.customer_id,
                sum(round(cast(l.line_amount as decimal(18, 2))
                    * cast(inv.exchange_rate as decimal(18, 6)), 2)) as v
            from invoice_lines as l
            join inv on l.invoice_id = inv.invoice_id and l.business_id = inv.business_id
            where inv.status <> 'void'
            group by inv.customer_id
        ),
        credited as (
            select customer_id, -sum(round(cast(amount as decimal(18, 2))
                * cast(exchange_rate as decimal(18, 6)), 2)) as v
            from credit_notes where business_id = $1 group by customer_id
        ),
        received as (
            select customer_id, sum(cast(amount as decimal(18, 2))) as v
            from payments where business_id = $1 group by customer_id
        ),
        settled as (
            select invoice_id, sum(v) as v from (
                select invoice_id, cast(amount_applied as decimal(18, 2)) as v
                from payment_allocations where business_id = $1
                union all
                select invoice_id, cast(amount as decimal(18, 2))
                    + cast(tax_amount as decimal(18, 2))
                from credit_notes where business_id = $1 and invoice_id is not null
            ) group by invoice_id
        ),
        open as (
            select inv.customer_id,
                sum(round((cast(inv.total_amount as decimal(18, 2)) - coalesce(settled.v, 0))
                    * cast(inv.exchange_rate as decimal(18, 6)), 2)) as v
            from inv left join settled on inv.invoice_id = settled.invoice_id
            where inv.document_type = 'invoice' and inv.status <> 'void'
            group by inv.customer_id
        ),
        customers_ as (select customer_id from customers where business_id = $1)
        select c.customer_id,
            coalesce(sold.v, 0) + coalesce(credited.v, 0),
            coalesce(received.v, 0), coalesce(open.v, 0)
        from customers_ as c
        left join sold using (customer_id)
        left join credited using (customer_id)
        left join received using (customer_id)
        left join open using (customer_id)
        """,
        [business],
    ).fetchall()
    con.close()
    return {
        customer: {"net_sales": D(s), "received": D(r), "open": D(o)} for customer, s, r, o in rows
    }


# ---------------------------------------------------------------- the folder


def test_each_customers_sales_payments_and_open_balance_match_the_books(imported, books):
    folder, _ = imported
    for company, home in (("northwind", "USD"), ("maple", "CAD")):
        expected = independent(books, company, home)
        got = imported_figures(folder, company)
        # customers without documents (none here) have zeros on both sides
        assert {k: v for k, v in got.items() if k in expected} == expected, company
        assert set(expected) <= set(got)


def test_hand_worked_figures(imported):
    folder, _ = imported
    got = imported_figures(folder, "northwind")
    # Alpha Dental: 1,000.00 sold - 50.00 credited (CM 302) = 950.00; paid 500.00 + 300.00
    # = 800.00 of 1,080.00: 280.00 open. The deleted INV 106 and payment 207 count nothing.
    assert got["1"] == {"net_sales": D("950.00"), "received": D("800.00"), "open": D("280.00")}
    # Beta Bakery: 600.00 + 300.00 + 500.00 - 100.00 (CM 301) = 1,300.00; the void INV 107
    # adds nothing; received 1,000.00 + 432.00 = 1,432.00; nothing open.
    assert got["2"] == {"net_sales": D("1300.00"), "received": D("1432.00"), "open": D("0.00")}
    # Gamma Freight: 1,000.00 CAD x 0.75 = 750.00 USD; 600.00 CAD received; open
    # (1,000.00 - 600.00) x 0.75 = 300.00 USD (at the invoice's rate, not the payment's).
    assert got["3"] == {"net_sales": D("750.00"), "received": D("600.00"), "open": D("300.00")}
    # Delta Group: bundle 40.00 + 10.00, hours 300.00 = 350.00 - 35.00 discount = 315.00,
    # + 25.20 tax = 340.20 open. Store East: 250.00 - 20.00 = 230.00 (+ 18.40 tax open).
    assert got["4"] == {"net_sales": D("315.00"), "received": D("0.00"), "open": D("340.20")}
    assert got["5"] == {"net_sales": D("230.00"), "received": D("0.00"), "open": D("248.40")}
    # Foxtrot Cafe: sales receipt 65.00 - refund receipt 20.00 = 45.00; the receipt's
    # 70.20 is its same-day payment.
    assert got["7"] == {"net_sales": D("45.00"), "received": D("70.20"), "open": D("0.00")}


def _rows(folder: Path, table: str, where: str = "true") -> list[tuple]:
    con = _contract(folder)
    try:
        return con.execute(f"select * exclude (business_id) from {table} where {where} "
                           "order by all").fetchall()  # fmt: skip
    finally:
        con.close()


def test_bundle_and_discounts_become_item_lines_with_the_discount_spread(imported):
    folder, _ = imported
    assert _rows(folder, "invoice_lines", "invoice_id in ('INV-108', 'INV-109')") == [
        # 35.00 spread over 40.00, 10.00 and 300.00 (of 350.00): 35 x 40 / 350 = 4.00,
        # 35 x 10 / 350 = 1.00, 35 x 300 / 350 = 30.00; the subtotal line is no line.
        ("INV-108", "1", "Widget", "Widget", "4.0000", "10.0000", "4.00", "36.00", "4.0000"),
        ("INV-108", "2", "Cable", "Cable", "2.0000", "5.0000", "1.00", "9.00", "2.0000"),
        (
            "INV-108",
            "3",
            "Consulting",
            "Installation hours",
            "3.0000",
            "100.0000",
            "30.00",
            "270.00",
            "60.0000",
        ),  # fmt: skip
        # a purchase cost of 0 is QuickBooks's "none entered": unknown, not free
        (
            "INV-109",
            "1",
            "Setup fee",
            "Store setup",
            "1.0000",
            "250.0000",
            "20.00",
            "230.00",
            None,
        ),  # fmt: skip
    ]


def test_documents_statuses_and_links(imported):
    folder, _ = imported
    invoices = {row[0]: row for row in _rows(folder, "invoices")}
    assert invoices["INV-107"][7] == "void"  # kept, as void
    assert "INV-106" not in invoices  # deleted in QuickBooks
    assert invoices["INV-101"][7] == "open" and invoices["INV-102"][7] == "paid"
    assert invoices["INV-105"][5:7] == ("CAD", "0.750000")
    assert invoices["SR-501"][2:4] == ("sales_receipt", "2024-05-02")
    # the cash part of payment 205 only: 540.00 - 108.00 credit = 432.00
    assert _rows(folder, "payment_allocations", "payment_id = 'PMT-205'") == [
        ("PMT-205", "INV-104", "432.00")
    ]
    # 1,000.00 received, 648.00 + 324.00 applied: 28.00 stays customer credit
    assert _rows(folder, "payment_allocations", "payment_id = 'PMT-203'") == [
        ("PMT-203", "INV-102", "648.00"),
        ("PMT-203", "INV-103", "324.00"),
    ]
    credit_notes = {row[0]: row for row in _rows(folder, "credit_notes")}
    assert credit_notes["CM-301"][2] == "INV-104"  # wholly applied to that one invoice
    assert credit_notes["CM-302"][2] is None  # left as account credit
    # maple: a payment of 0 moved CM 11 onto INV 2: tied, and no payment, no allocation
    assert credit_notes["CM-11"][2] == "INV-2"
    assert _rows(folder, "payments", "payment_id = 'PMT-2'") == []
    assert _rows(folder, "payment_allocations", "invoice_id = 'INV-2'") == []
    # the refund receipt paid its whole total, 20.00 + 1.60 = 21.60, back in cash; a credit
    # memo refunds nothing
    assert credit_notes["RR-601"][2] is None and credit_notes["RR-601"][6:9] == (
        "20.00",
        "1.60",
        "21.60",
    )
    assert credit_notes["CM-302"][8] is None
    customers = {row[0]: row for row in _rows(folder, "customers", "business_id = 'northwind'")}
    assert customers["5"][6] == "4"  # the sub-customer keeps its parent
    assert customers["1"][3] == "30" and customers["2"][3] == "15"  # from the term table
    assert "6" not in customers  # deleted, no documents
    # home currency read off the documents (maple has no rates at all); the last sync
    # as the date the export is complete to; no name in the tables: the id, or the option
    assert _rows(folder, "businesses") == [
        ("Northwind Traders", "USD", "1", "30", "2024-06-01"),
        ("maple", "CAD", "1", "30", "2024-03-05"),
    ]


def test_every_skipped_row_has_its_reason(imported):
    folder, result = imported
    with (folder / "import_report" / "skipped_rows.csv").open() as handle:
        skipped = [
            (
                row["business_id"],
                row["source_table"],
                row["source_id"],
                row["reason"],
                row["amount"],
            )  # fmt: skip
            for row in csv.DictReader(handle)
        ]
    assert skipped == [
        ("maple", "payment", "2", "credit_only_payment", "0.00"),
        ("northwind", "customer", "6", "deleted_in_source", ""),
        ("northwind", "invoice", "106", "deleted_in_source", "108.00"),
        ("northwind", "invoice_line", "101/1", "description_only", ""),
        ("northwind", "invoice_line", "106/0", "deleted_in_source", "100.00"),
        ("northwind", "invoice_line", "108/2", "subtotal_line", "350.00"),
        ("northwind", "payment", "207", "deleted_in_source", "108.00"),
        ("northwind", "payment_line", "207/0", "deleted_in_source", "108.00"),
    ]
    assert result.rows["invoices"] == 11 and result.rows["payment_allocations"] == 8


def test_every_source_line_ends_in_one_place(imported, books):
    """Each invoice and sales receipt line of the books is a contract line (a bundle by
    its items), a discount spread over the lines, or a skipped row."""
    folder, _ = imported
    [(source_lines,)] = books.execute(
        "select (select count(*) from northwind.invoice_line)"
        " + (select count(*) from northwind.sales_receipt_line)"
        " - (select count(*) from northwind.invoice_line where bundle_id is not null)"
        " + (select count(*) from northwind.invoice_line_bundle)"
        " - (select count(*) from northwind.invoice_line"
        "    where detail_type = 'DiscountLineDetail')"
    ).fetchall()
    contract_lines = len(_rows(folder, "invoice_lines", "business_id = 'northwind'"))
    skipped_lines = sum(
        1
        for row in csv.DictReader((folder / "import_report" / "skipped_rows.csv").open())
        if row["business_id"] == "northwind"
        and row["source_table"] in ("invoice_line", "sales_receipt_line", "invoice_line_bundle")
    )
    # 14 invoice lines + 2 receipt lines - 1 group line + 2 bundle items - 2 discounts = 15
    # = 12 contract lines + 3 skipped (deleted, description, subtotal)
    assert source_lines == 15 and contract_lines == 12 and skipped_lines == 3
    assert contract_lines + skipped_lines == source_lines


def test_a_duckdb_schema_with_the_sync_tools_types_imports_the_same(imported, tmp_path):
    """northwind as Fivetran types it (timestamps, booleans, doubles, text ids) and maple
    as DuckDB guesses it (integer ids, integer and double amounts), in one DuckDB file."""
    folder, _ = imported
    database = tmp_path / "fivetran.duckdb"
    with duckdb.connect(str(database)) as con:
        _load_typed(con, FIXTURE / "northwind", "quickbooks_northwind", typed=True)
        _load_typed(con, FIXTURE / "maple", "quickbooks_maple", typed=False)
        kinds = dict(
            con.execute(
                "select table_schema || '.' || table_name || '.' || column_name, data_type "
                "from information_schema.columns where column_name in "
                "('id', 'total_amount', '_fivetran_synced', '_fivetran_deleted') "
                "and table_name = 'invoice'"
            ).fetchall()
        )
    assert kinds["quickbooks_northwind.invoice.total_amount"] == "DOUBLE"
    assert kinds["quickbooks_northwind.invoice._fivetran_synced"] == "TIMESTAMP"
    assert kinds["quickbooks_maple.invoice.id"] == "BIGINT"
    again = tmp_path / "from-duckdb"
    import_books(
        "quickbooks-fivetran",
        [
            Company(f"{database}:quickbooks_northwind", "northwind", "Northwind Traders"),
            Company(f"{database}:quickbooks_maple", "maple"),
        ],
        again,
    )
    for file in sorted(folder.glob("*.csv")) + [folder / "import_report" / "skipped_rows.csv"]:
        assert (again / file.relative_to(folder)).read_text() == file.read_text(), file.name


def test_a_foreign_document_without_a_rate_takes_the_exchange_rate_table(tmp_path):
    """INV 105 (CAD) with its exchange_rate blanked: the latest rate of the exchange_rate
    table on or before its date (2024-04-05: the 2024-04-04 rate, 0.735); without the
    table it is skipped as no_exchange_rate, and its line with it."""
    books = tmp_path / "northwind"
    shutil.copytree(FIXTURE / "northwind", books)
    with (books / "invoice.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["id"] == "105":
            row["exchange_rate"] = ""
    with (books / "invoice.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    import_books("quickbooks-fivetran", [Company(str(books), "fx")], tmp_path / "without")
    with (tmp_path / "without" / "import_report" / "skipped_rows.csv").open() as handle:
        skipped = {(r["source_id"], r["reason"]) for r in csv.DictReader(handle)}
    assert {("105", "no_exchange_rate"), ("105/0", "no_exchange_rate")} <= skipped
    (books / "exchange_rate.csv").write_text(
        "source_currency_code,target_currency_code,as_of_date,rate,_fivetran_deleted\n"
        "CAD,USD,2024-04-01,0.7300,false\n"
        "CAD,USD,2024-04-04,0.7350,false\n"
        "CAD,USD,2024-04-06,0.7400,false\n"
        "CAD,EUR,2024-04-04,0.6800,false\n"
    )
    import_books("quickbooks-fivetran", [Company(str(books), "fx")], tmp_path / "with")
    assert _rows(tmp_path / "with", "invoices", "invoice_id = 'INV-105'")[0][5:7] == (
        "CAD",
        "0.735000",
    )


_PG_TYPES = {"boolean": "boolean", "timestamp": "timestamp", "date": "date",
             "double": "double precision", "varchar": "text"}  # fmt: skip


@pytest.mark.postgres
@pytest.mark.slow
def test_a_postgresql_schema_imports_the_same(imported, postgres, tmp_path):  # noqa: F811
    """northwind in a PostgreSQL schema with Fivetran's types (the server of
    tests/test_postgres.py, started for this module), next to maple from its folder."""
    import psycopg2

    folder, _ = imported
    with psycopg2.connect(**postgres) as pg, pg.cursor() as cursor:
        cursor.execute("create schema quickbooks_northwind")
        for file in sorted((FIXTURE / "northwind").glob("*.csv")):
            with file.open() as handle:
                header = next(csv.reader(handle))
                columns = ", ".join(
                    f'"{c}" {_PG_TYPES[_fivetran_type(file.stem, c)]}' for c in header
                )
                cursor.execute(f"create table quickbooks_northwind.{file.stem} ({columns})")
                handle.seek(0)
                cursor.copy_expert(
                    f"copy quickbooks_northwind.{file.stem} from stdin "
                    "with (format csv, header true)",
                    handle,
                )
    url = (
        f"postgresql://{postgres['user']}@{postgres['host']}:{postgres['port']}/"
        f"{postgres['dbname']}?schema=quickbooks_northwind"
    )
    again = tmp_path / "from-postgres"
    import_books(
        "quickbooks-fivetran",
        [Company(url, "northwind", "Northwind Traders"), COMPANIES[1]],
        again,
    )
    for file in sorted(folder.glob("*.csv")) + [folder / "import_report" / "skipped_rows.csv"]:
        assert (again / file.relative_to(folder)).read_text() == file.read_text(), file.name


# ---------------------------------------------------------------- one pipeline run


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one pipeline run over every importer's fixture companies (tests/conftest.py),
    which imports COMPANIES and HARBOR as this file does."""
    from tests.conftest import imported_books_run

    return imported_books_run(tmp_path_factory)[1]


@pytest.mark.slow
def test_the_marts_show_the_books_figures(warehouse, books):
    # the imported folder loads whole: nothing quarantined
    assert (
        query(
            warehouse,
            "select table_name, rule, rows_quarantined from marts.data_quality_report "
            "where rows_quarantined > 0",
        )
        == []
    )
    for company, home in (("northwind", "USD"), ("maple", "CAD")):
        expected = independent(books, company, home)
        sheet = {
            customer: (ltv, open_balance)
            for customer, ltv, open_balance in query(
                warehouse,
                "select customer_id, ltv, open_balance from marts.customer_sheet "
                "where business_id = ?",
                [company],
            )
        }
        aging = dict(
            query(
                warehouse,
                "select customer_id, open_balance_home from marts.ar_aging where business_id = ?",
                [company],
            )
        )
        for customer, figures in expected.items():
            assert sheet[customer] == (figures["net_sales"], figures["open"]), (company, customer)
            assert aging.get(customer, D("0.00")) == figures["open"], (company, customer)
    # harbor (report exports): as the reports add up, tax included in sales
    expected = harbor_independent()
    sheet = {
        customer: {"net_sales": ltv, "open": open_balance}
        for customer, ltv, open_balance in query(
            warehouse,
            "select customer_id, ltv, open_balance from marts.customer_sheet "
            "where business_id = 'harbor'",
        )
    }
    for customer, figures in expected.items():
        assert sheet[customer] == {"net_sales": figures["net_sales"], "open": figures["open"]}


@pytest.mark.slow
def test_customer_credit_and_the_parent_account(warehouse):
    credit = {
        customer: (unapplied, untied, net)
        for customer, unapplied, untied, net in query(
            warehouse,
            "select customer_id, unapplied_payments_home, untied_credit_notes_home, "
            "net_balance_home from marts.ar_aging where business_id = 'northwind'",
        )
    }
    # Alpha Dental: 280.00 open - 54.00 account credit (CM 302 with its tax) = 226.00
    assert credit["1"] == (D("0.00"), D("54.00"), D("226.00"))
    # Beta Bakery: the 28.00 overpayment of payment 203 is customer credit
    assert credit["2"] == (D("28.00"), D("0.00"), D("-28.00"))
    # Foxtrot Cafe: the refund receipt credits 20.00 + 1.60 = 21.60 and pays all 21.60 back
    # in cash (refunded_amount): 21.60 - 21.60 = 0.00 credit left; its sales receipt was
    # paid at sale (0.00 open), so its net balance is 0.00 - 0.00 = 0.00 and it holds no
    # row in the aging (a customer that owes nothing and holds no credit has none)
    assert "7" not in credit
    # Delta Group's account rolls up its sub-customer: 340.20 + 248.40 = 588.60, as
    # QuickBooks's balance_with_jobs of customer 4
    [(open_balance,)] = query(
        warehouse,
        "select open_balance from marts.account_sheet "
        "where business_id = 'northwind' and account_id = '4'",
    )
    assert open_balance == D("588.60")


# ---------------------------------------------------------------- quickbooks-csv

CSV_FIXTURE = Path(__file__).parent / "data" / "import" / "quickbooks_csv"
HARBOR = CSV_FIXTURE / "harbor"


@pytest.fixture(scope="module")
def imported_csv(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("import-csv") / "quickbooks-csv-import"
    result = import_books(
        "quickbooks-csv", [Company(str(HARBOR), "harbor", home_currency="USD")], folder
    )
    return folder, result


def harbor_independent() -> dict:
    """Per customer from the two report files read as plain CSV by DuckDB: net sales =
    invoices and sales receipts minus credit memos and refunds (Transaction List by
    Customer, customer from the group row above), received = payments and sales receipts,
    open = the Invoice List's Open Balance."""
    money = "cast(replace(replace(replace({0}, ',', ''), '$', ''), '-', '') as decimal(18, 2))"
    with duckdb.connect() as con:
        rows = con.execute(
            f"""
            with raw as (
                select row_number() over () as n, *
                from read_csv(?, skip = 4, header = true, all_varchar = true,
                    delim = ',', quote = '"', null_padding = true)
            ),
            grouped as (
                select *,
                    last_value(case when "Date" is null and column0 is not null
                        and column0 not like 'Total for %' then column0 end ignore nulls)
                        over (order by n) as customer
                from raw
            ),
            signed as (
                select customer,
                    case when "Transaction Type" in ('Invoice', 'Sales Receipt')
                        then {money.format('"Amount"')}
                        when "Transaction Type" in ('Credit Memo', 'Refund')
                        then -{money.format('"Amount"')} else 0 end as sales,
                    case when "Transaction Type" in ('Payment', 'Sales Receipt')
                        then {money.format('"Amount"')} else 0 end as received
                from grouped where "Date" is not null
            )
            select customer, sum(sales), sum(received) from signed group by customer
            """,
            [str(HARBOR / "Transaction List by Customer.csv")],
        ).fetchall()
        figures = {
            customer: {"net_sales": sales, "received": received, "open": D("0.00")}
            for customer, sales, received in rows
        }
        for customer, open_balance in con.execute(
            f"""
            select "Customer", sum({money.format('"Open Balance"')})
            from read_csv(?, skip = 4, header = true, all_varchar = true,
                delim = ',', quote = '"', null_padding = true)
            where "Date" is not null group by "Customer"
            """,
            [str(HARBOR / "Invoice List.csv")],
        ).fetchall():
            figures[customer]["open"] = open_balance
    return figures


def test_csv_each_customer_matches_the_reports(imported_csv):
    folder, _ = imported_csv
    got = imported_figures(folder, "harbor")
    expected = harbor_independent()
    assert {k: v for k, v in got.items() if k in expected} == expected
    # by hand: Alpha Dental 1,080.00 - 54.00 = 1,026.00 (tax is not in the export: sales
    # include it), 500.00 + 300.00 received, 280.00 open (Invoice List)
    assert got["Alpha Dental"] == {
        "net_sales": D("1026.00"), "received": D("800.00"), "open": D("280.00"),
    }  # fmt: skip
    # Beta Bakery: 648.00 + 324.00 (void 1004 counts nothing), paid by one payment of
    # 1,000.00: 28.00 unapplied
    assert got["Beta Bakery"] == {
        "net_sales": D("972.00"), "received": D("1000.00"), "open": D("0.00"),
    }  # fmt: skip
    # Foxtrot Cafe: sales receipt 70.20 - refund 21.60 = 48.60
    assert got["Foxtrot Cafe"]["net_sales"] == D("48.60")
    # the parent named only through its sub-customer is a customer without documents
    assert got["Delta Group"] == {"net_sales": 0, "received": 0, "open": 0}


def test_csv_payments_settle_invoices_oldest_first(imported_csv):
    folder, _ = imported_csv
    # the Invoice List says 1,080.00 - 280.00 = 800.00 of 1001 is settled: the customer's
    # two payments (no Num: ids from their lines in the file) cover it
    assert _rows(folder, "payment_allocations", "business_id = 'harbor'") == [
        ("PMT-4411", "INV-1002", "648.00"),
        ("PMT-4411", "INV-1003", "324.00"),
        ("PMT-L8", "INV-1001", "500.00"),
        ("PMT-L9", "INV-1001", "300.00"),
        ("SR-2001", "SR-2001", "70.20"),
    ]
    invoices = {row[0]: row for row in _rows(folder, "invoices")}
    assert invoices["INV-1004"][7] == "void"
    assert invoices["INV-1001"][4] == "2024-02-09"  # due date from the Invoice List
    customers = {row[0]: row for row in _rows(folder, "customers")}
    assert customers["Delta Group:Store East"][1] == "Store East"
    assert customers["Delta Group:Store East"][6] == "Delta Group"
    assert _rows(folder, "businesses") == [
        ("Harbor Supply Co.", "USD", "1", "30", "2024-06-01")  # the title rows
    ]
    # the Refund row (-21.60, no tax column) is a credit note refunded in full; the credit
    # memo (-54.00) refunds nothing
    credit_notes = {row[0]: row for row in _rows(folder, "credit_notes")}
    assert credit_notes["RR-2002"][6:9] == ("21.60", "0.00", "21.60")
    assert credit_notes["CM-7001"][6:9] == ("54.00", "0.00", None)


def test_csv_skipped_rows(imported_csv):
    folder, _ = imported_csv
    with (folder / "import_report" / "skipped_rows.csv").open() as handle:
        skipped = [(r["source_id"], r["reason"], r["amount"]) for r in csv.DictReader(handle)]
    assert skipped == [
        ("17", "not_posting", "150.00"),  # the estimate
        ("21", "not_accounts_receivable", "10.00"),  # the journal entry
    ]
