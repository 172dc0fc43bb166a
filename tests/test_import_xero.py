"""xero-fivetran against the fixture tables, in Fivetran's column names
(tests/data/import/xero/<company>/<table>.csv; docs/import-xero.md says where each comes from).

harbourside (NZD, GST 15%), one case per customer:
- Aroha (c1): INV-0001 1,150.00 part paid by two payments (300.00 + 200.00; a third,
  100.00, deleted in Xero); a mixed RECEIVE bank transaction: 115.00 of sales (a cash sale)
  and a 1,000.00 bond (not revenue: skipped); CN-0004 23.00 refunded in cash (an
  ARCREDITPAYMENT of 23.00: its refunded_amount).
- Bluegum (c2): INV-0002 230.00 and INV-0003 460.00 paid by one batch payment (690.00);
  a 100.00 prepayment allocated to INV-0015 230.00.
- Cobalt (c3): INV-0004 115.00 paid; a 50.00 overpayment, 20.00 allocated to INV-0005
  100.00, 10.00 refunded, 20.00 left as credit.
- Driftwood (c4): CN-0001 115.00 applied to INV-0006; CN-0002 57.50 left as account credit;
  CN-0003 230.00 split: 115.00 to INV-0006, 57.50 to INV-0007, 57.50 left, of which
  12.50 + 7.50 refunded in cash (two ARCREDITPAYMENTs: the untied row's refunded_amount).
- Eastside (c5): a USD customer: INV-0008 USD 1,000.00 at CurrencyRate 0.6 (NZD 1 = USD 0.6),
  paid USD 400.00 at 0.625.
- Fernleaf (c6): a deleted (_fivetran_deleted), a voided, a draft and a DELETED invoice;
  INV-0013 with a 10% line discount and a -30.00 "Loyalty discount" line; a draft and a
  voided credit note.
- Greenway (c7): INV-0014 tax-inclusive (115.00 incl. 15.00 GST); a 57.50 cash sale.
- a supplier's bill, bill payment and supplier credit note (ACCPAY): skipped.
tasman (AUD): one customer, an invoice paid and one open; only the five core tables.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ledgerlens.contract import TABLES
from ledgerlens.importers import Company, import_books

FIXTURES = Path(__file__).parent / "data" / "import" / "xero"
D = Decimal


def cid(n: int) -> str:
    return f"c{n:07d}-0000-4000-8000-{n:012d}"


CUSTOMERS = {
    cid(n): name
    for n, name in enumerate(
        ["Aroha", "Bluegum", "Cobalt", "Driftwood", "Eastside", "Fernleaf", "Greenway"], start=1
    )
}
TASMAN = "c0000101-0000-4000-8000-000000000101"

# Hand-worked, per customer, home currency (NZD; AUD for tasman):
# (net sales, payments received, open balance, unapplied cash, untied credit)
EXPECTED = {
    # 1000.00 (INV-0001) + 100.00 (cash sale) - 20.00 (CN-0004) = 1080.00;
    # 300.00 + 200.00 + 115.00 (the cash sale's payment) = 615.00; 1150.00 - 500.00 = 650.00;
    # CN-0004 (20.00 + 3.00) was refunded in cash: 23.00 - 23.00 refunded = 0.00 credit left
    ("harbourside", cid(1)): (D("1080.00"), D("615.00"), D("650.00"), D("0.00"), D("0.00")),
    # 200.00 + 400.00 + 200.00; 690.00 + 100.00; INV-0015 230.00 - 100.00 = 130.00
    ("harbourside", cid(2)): (D("800.00"), D("790.00"), D("130.00"), D("0.00"), D("0.00")),
    # 100.00 + 100.00; 115.00 + (50.00 - 10.00 refunded) = 155.00; 100.00 - 20.00 = 80.00;
    # 40.00 - 20.00 allocated = 20.00 unapplied
    ("harbourside", cid(3)): (D("200.00"), D("155.00"), D("80.00"), D("20.00"), D("0.00")),
    # 500.00 + 200.00 - 100.00 - 50.00 - 200.00 = 350.00; INV-0006 575.00 - 115.00 - 115.00
    # = 345.00 and INV-0007 230.00 - 57.50 = 172.50: 517.50; untied CN-0002 57.50 + CN-0003's
    # 57.50 less 12.50 + 7.50 refunded in cash = 57.50 + 37.50 = 95.00
    ("harbourside", cid(4)): (D("350.00"), D("0.00"), D("517.50"), D("0.00"), D("95.00")),
    # USD 1000.00 x (1 / 0.6 = 1.666667) = 1666.667 -> 1666.67; USD 400.00 x 1.6 = 640.00;
    # open USD 600.00 at the invoice's rate: 600 x 1.666667 = 1000.0002 -> 1000.00
    ("harbourside", cid(5)): (D("1666.67"), D("640.00"), D("1000.00"), D("0.00"), D("0.00")),
    # INV-0013 only (lines 180.00 + 50.00 - 30.00 = 200.00); void, deleted, drafts: nothing
    ("harbourside", cid(6)): (D("200.00"), D("0.00"), D("230.00"), D("0.00"), D("0.00")),
    # 115.00 incl. 15.00 GST = 100.00 + the cash sale 50.00; its payment 57.50
    ("harbourside", cid(7)): (D("150.00"), D("57.50"), D("115.00"), D("0.00"), D("0.00")),
    # 300.00 + 200.00; 330.00; T-101 220.00
    ("tasman", TASMAN): (D("500.00"), D("330.00"), D("220.00"), D("0.00"), D("0.00")),
}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("xero") / "xero-import"
    import_books(
        "xero-fivetran",
        [
            Company(str(FIXTURES / "harbourside"), "harbourside"),
            Company(str(FIXTURES / "tasman"), "tasman"),
        ],
        folder,
    )
    return folder


def folder_query(folder: Path, sql: str) -> list[tuple]:
    """`sql` over the contract files, each a view named after its table."""
    con = duckdb.connect()
    try:
        for table in TABLES:
            types = ", ".join(f"'{c.name}': '{c.sql_type}'" for c in table.columns)
            con.execute(
                f"create view {table.name} as select * from read_csv("
                f"'{folder / (table.name + '.csv')}', header = true, columns = {{{types}}})"
            )
        skipped = folder / "import_report" / "skipped_rows.csv"
        con.execute(
            f"create view skipped as select * from read_csv('{skipped}', all_varchar = true)"
        )
        return con.execute(sql).fetchall()
    finally:
        con.close()


def fixture_con() -> duckdb.DuckDBPyConnection:
    """The fixture tables of both companies as text, each with a `company` column."""
    con = duckdb.connect()
    tables = {file.stem for file in FIXTURES.glob("*/*.csv")}
    for table in sorted(tables):
        parts = [
            f"select '{folder.name}' as company, * from read_csv('{folder / (table + '.csv')}', "
            "all_varchar = true, header = true)"
            for folder in sorted(FIXTURES.iterdir())
            if (folder / f"{table}.csv").exists()
        ]
        con.execute(f"create view {table} as {' union all by name '.join(parts)}")
    return con


# The independent figures, straight from the Xero tables (not through the importer): Xero's
# own sub totals, amounts due and payment amounts, home = document amount / CurrencyRate.
INDEPENDENT = """
with
invoices as (
    select company, contact_id, cast(sub_total as decimal(18, 2)) as sub_total,
        cast(amount_due as decimal(18, 2)) as amount_due, cast(currency_rate as double) as rate
    from invoice
    where type = 'ACCREC' and status in ('AUTHORISED', 'PAID')
        and not coalesce(cast(_fivetran_deleted as boolean), false)
),
cash_sales as (
    select bank.company, bank.contact_id, cast(line.line_amount as decimal(18, 2)) as amount,
        cast(line.tax_amount as decimal(18, 2)) as tax
    from bank_transaction as bank
    inner join bank_transaction_line_item as line
        on bank.company = line.company and bank.bank_transaction_id = line.bank_transaction_id
    inner join account on line.company = account.company and line.account_code = account.code
    where bank.type = 'RECEIVE' and bank.contact_id is not null and account.class = 'REVENUE'
),
credits as (
    select company, contact_id, cast(sub_total as decimal(18, 2)) as sub_total
    from credit_note
    where type = 'ACCRECCREDIT' and status in ('AUTHORISED', 'PAID')
),
sales as (
    select company, contact_id, round(sub_total / rate, 2) as amount from invoices
    union all select company, contact_id, amount from cash_sales
    union all select company, contact_id, -sub_total from credits
),
received as (
    select payment.company, invoice.contact_id,
        round(cast(payment.amount as decimal(18, 2)) / cast(payment.currency_rate as double), 2)
            as amount
    from payment
    inner join invoice
        on payment.company = invoice.company and payment.invoice_id = invoice.invoice_id
    where payment.payment_type = 'ACCRECPAYMENT' and payment.status = 'AUTHORISED'
    union all
    select company, contact_id, cast(total as decimal(18, 2)) from overpayment
    where type = 'RECEIVE-OVERPAYMENT' and status <> 'DELETED'
    union all
    select company, contact_id, cast(total as decimal(18, 2)) from prepayment
    where type = 'RECEIVE-PREPAYMENT' and status <> 'DELETED'
    union all
    select payment.company, overpayment.contact_id, -cast(payment.amount as decimal(18, 2))
    from payment
    inner join overpayment
        on payment.company = overpayment.company
        and payment.overpayment_id = overpayment.overpayment_id
    where payment.payment_type = 'AROVERPAYMENTPAYMENT' and payment.status = 'AUTHORISED'
    union all
    select company, contact_id, amount + tax from cash_sales
),
open as (
    select company, contact_id, round(amount_due / rate, 2) as amount from invoices
)
select company, contact_id,
    (select sum(amount) from sales where sales.company = keys.company
        and sales.contact_id = keys.contact_id),
    coalesce((select sum(amount) from received where received.company = keys.company
        and received.contact_id = keys.contact_id), 0),
    coalesce((select sum(amount) from open where open.company = keys.company
        and open.contact_id = keys.contact_id), 0)
from (select distinct company, contact_id from sales) as keys
order by 1, 2
"""


def independent() -> dict[tuple[str, str], tuple[Decimal, Decimal, Decimal]]:
    con = fixture_con()
    try:
        return {
            (company, customer): (D(str(sales)), D(str(received)), D(str(open_)))
            for company, customer, sales, received, open_ in con.execute(INDEPENDENT).fetchall()
        }
    finally:
        con.close()


# The same three figures from the contract folder the importer wrote, the way the warehouse
# reads them (net sales: lines less credit notes; open: totals less allocations and tied
# credit notes), home currency at each document's rate.
FROM_FOLDER = """
with
sales as (
    select invoices.business_id, invoices.customer_id,
        round(invoice_lines.line_amount * invoices.exchange_rate, 2) as amount
    from invoice_lines
    inner join invoices using (business_id, invoice_id)
    where invoices.status <> 'void'
    union all
    select business_id, customer_id, -round(amount * exchange_rate, 2) from credit_notes
),
received as (
    select business_id, customer_id, round(amount * exchange_rate, 2) as amount from payments
),
settled as (
    select business_id, invoice_id, amount_applied as amount from payment_allocations
    union all
    select business_id, invoice_id, amount + tax_amount from credit_notes
    where invoice_id is not null
),
open as (
    select invoices.business_id, invoices.customer_id,
        round((invoices.total_amount - coalesce(sum(settled.amount), 0))
            * invoices.exchange_rate, 2) as amount
    from invoices
    left join settled using (business_id, invoice_id)
    where invoices.document_type = 'invoice' and invoices.status <> 'void'
    group by invoices.business_id, invoices.customer_id, invoices.invoice_id,
        invoices.total_amount, invoices.exchange_rate
)
select keys.business_id, keys.customer_id,
    (select sum(amount) from sales where sales.business_id = keys.business_id
        and sales.customer_id = keys.customer_id),
    coalesce((select sum(amount) from received where received.business_id = keys.business_id
        and received.customer_id = keys.customer_id), 0),
    coalesce((select sum(amount) from open where open.business_id = keys.business_id
        and open.customer_id = keys.customer_id), 0)
from (select distinct business_id, customer_id from sales) as keys
order by 1, 2
"""


def test_per_customer_sales_payments_and_open_balance_match_the_xero_tables(imported):
    mine = {
        (business, customer): (D(str(sales)), D(str(received)), D(str(open_)))
        for business, customer, sales, received, open_ in folder_query(imported, FROM_FOLDER)
    }
    theirs = independent()
    assert mine == theirs
    assert mine == {key: figures[:3] for key, figures in EXPECTED.items()}


def test_the_documents_are_mapped_as_worked_out_by_hand(imported):
    def rows(sql):
        return folder_query(imported, sql)

    # fiscal year ends in March (financial_year_end_month 3) -> starts in April; as of the sync
    assert rows("select * from businesses order by 1") == [
        (
            "harbourside",
            "Harbourside Creative",
            "NZD",
            4,
            30,
            date(2025, 6, 30),
        ),
        ("tasman", "Tasman Print Co", "AUD", 7, 30, date(2025, 6, 29)),
    ]
    # CurrencyRate 0.6 -> exchange_rate 1 / 0.6 = 1.666667; VOIDED kept as void
    assert rows(
        "select status, currency, exchange_rate from invoices "
        "where invoice_id in ('a0000008-0000-4000-8000-000000000008', "
        "'a0000010-0000-4000-8000-000000000010') order by invoice_id"
    ) == [("open", "USD", D("1.666667")), ("void", "NZD", D("1.000000"))]
    # INV-0013: the -30.00 line spread over 180.00 and 50.00: 30 x 180 / 230 = 23.478 -> 23.48,
    # 30.00 - 23.48 = 6.52; line 1 also carries its own 10% (2 x 100.00 - 180.00 = 20.00)
    assert rows(
        "select line_number, quantity, unit_price, discount_amount, line_amount, unit_cost "
        "from invoice_lines where invoice_id = 'a0000013-0000-4000-8000-000000000013' "
        "order by line_number"
    ) == [
        (1, D("2"), D("100"), D("43.48"), D("156.52"), D("40")),
        (2, D("1"), D("50"), D("6.52"), D("43.48"), None),
    ]
    # INV-0014 tax inclusive: 115.00 - 15.00 = 100.00; unit 57.50 x 100 / 115 = 50.00
    assert rows(
        "select quantity, unit_price, line_amount from invoice_lines "
        "where invoice_id = 'a0000014-0000-4000-8000-000000000014'"
    ) == [(D("2"), D("50"), D("100.00"))]
    # CN-0003 230.00 (200.00 + 30.00): 115.00 -> 100.00 + 15.00, 57.50 -> 50.00 + 7.50,
    # the 57.50 left -> 50.00 + 7.50 untied, with the refunds 12.50 + 7.50 = 20.00 (never on
    # a tied row); CN-0004, allocated to nothing, keeps its id and its 23.00 refund
    cn3 = "cd000003-0000-4000-8000-000000000003"
    cn4 = "cd000004-0000-4000-8000-000000000004"
    assert rows(
        "select credit_note_id, invoice_id, amount, tax_amount, refunded_amount "
        f"from credit_notes where credit_note_id like '{cn3}%' or credit_note_id like '{cn4}%' "
        "order by 1"
    ) == [
        (f"{cn3}-1", "a0000006-0000-4000-8000-000000000006", D("100.00"), D("15.00"), None),
        (f"{cn3}-2", "a0000007-0000-4000-8000-000000000007", D("50.00"), D("7.50"), None),
        (f"{cn3}-unallocated", None, D("50.00"), D("7.50"), D("20.00")),
        (cn4, None, D("20.00"), D("3.00"), D("23.00")),
    ]
    # nothing else refunded: the three refund payments are 23.00 + 12.50 + 7.50 = 43.00
    assert rows("select sum(refunded_amount) from credit_notes") == [(D("43.00"),)]
    # the batch payment is one payment of 230.00 + 460.00 = 690.00 on two invoices
    batch = "ba7c0001-0000-4000-8000-000000000001"
    assert rows(f"select amount from payments where payment_id = '{batch}'") == [(D("690.00"),)]
    assert rows(
        "select count(*), sum(amount_applied) from payment_allocations "
        f"where payment_id = '{batch}'"
    ) == [(2, D("690.00"))]
    # contacts: the seven customers with documents (Greenway is not marked is_customer)
    assert rows(
        "select customer_id, customer_name, created_date from customers "
        "where business_id = 'harbourside' and customer_id = '" + cid(7) + "'"
    ) == [(cid(7), "Greenway Grocers", date(2025, 6, 2))]


def test_each_skipped_row_has_its_reason_and_amount(imported):
    def short(source_id: str) -> str:
        return source_id[:8]

    skipped = {
        (table, short(source_id), reason, amount)
        for table, source_id, reason, amount in folder_query(
            imported, "select source_table, source_id, reason, amount from skipped"
        )
    }
    assert skipped == {
        ("contact", "c0000008", "deleted_in_source", None),
        ("contact", "c0000009", "not_a_customer", None),
        ("invoice", "a0000009", "deleted_in_source", "115.00"),  # _fivetran_deleted
        ("invoice", "a0000012", "deleted_in_source", "46.00"),  # status DELETED
        ("invoice", "a0000011", "draft", "57.50"),
        ("invoice", "a0000016", "not_accounts_receivable", "92.00"),  # ACCPAY bill
        # lines of skipped documents carry no amount (their document counts it once)
        ("invoice_line_item", "1a000009", "deleted_in_source", None),
        ("invoice_line_item", "1a000012", "deleted_in_source", None),
        ("invoice_line_item", "1a000011", "draft", None),
        ("invoice_line_item", "1a000018", "not_accounts_receivable", None),
        ("invoice_line_item", "1a000019", "description_only", None),
        ("payment", "b0000003", "deleted_in_source", "100.00"),
        ("payment", "b0000008", "not_accounts_receivable", "92.00"),
        ("payment", "b0000010", "refund_netted", "10.00"),
        ("credit_note", "cd000005", "draft", "11.50"),
        ("credit_note", "cd000006", "voided", "23.00"),
        ("credit_note", "cd000007", "not_accounts_receivable", "9.20"),
        ("bank_transaction", "ba000002", "recorded_as_overpayment", None),
        ("bank_transaction", "ba000003", "recorded_as_prepayment", None),
        ("bank_transaction", "ba000004", "not_a_sale", "575.00"),  # SPEND
        ("bank_transaction", "ba000005", "no_customer", "3.20"),
        ("bank_transaction_line_item", "1b000002", "recorded_as_overpayment", None),
        ("bank_transaction_line_item", "1b000003", "recorded_as_prepayment", None),
        ("bank_transaction_line_item", "1b000004", "not_a_sale", None),
        ("bank_transaction_line_item", "1b000005", "no_customer", None),
        ("bank_transaction_line_item", "1b000007", "not_revenue", "1000.00"),  # the bond
    }


def test_every_source_row_ends_in_one_place(imported):
    con = fixture_con()
    try:
        counts = dict(
            con.execute(
                "select 'invoice', count(*) from invoice union all "
                "select 'invoice_line_item', count(*) from invoice_line_item union all "
                "select 'bank_transaction', count(*) from bank_transaction union all "
                "select 'bank_transaction_line_item', count(*) from bank_transaction_line_item "
                "union all select 'credit_note', count(*) from credit_note"
            ).fetchall()
        )
    finally:
        con.close()
    skipped = dict(folder_query(imported, "select source_table, count(*) from skipped group by 1"))
    invoices = dict(
        folder_query(imported, "select document_type, count(*) from invoices group by 1")
    )
    # 18 invoices = 14 mapped + 4 skipped; 19 + 2 lines: 15 mapped + 5 skipped + the
    # discount line spread over its invoice's other lines (no row of its own)
    assert counts["invoice"] == invoices["invoice"] + skipped["invoice"]
    lines = folder_query(imported, "select count(*) from invoice_lines")[0][0]
    receipt_lines = folder_query(
        imported,
        "select count(*) from invoice_lines inner join invoices using (business_id, invoice_id) "
        "where document_type = 'sales_receipt'",
    )[0][0]
    assert counts["invoice_line_item"] == (lines - receipt_lines + skipped["invoice_line_item"] + 1)
    assert counts["bank_transaction"] == invoices["sales_receipt"] + skipped["bank_transaction"]
    assert counts["bank_transaction_line_item"] == (
        receipt_lines + skipped["bank_transaction_line_item"]
    )
    # 7 credit notes: 4 mapped (as 6 rows: CN-0003 is three) + 3 skipped
    mapped_notes = folder_query(
        imported, "select count(distinct left(credit_note_id, 36)) from credit_notes"
    )[0][0]
    assert counts["credit_note"] == mapped_notes + skipped["credit_note"]


# Xero's own credit left per customer (credit_note.remaining_credit: the total less what was
# allocated to invoices and refunded in cash; home = / CurrencyRate), against the untied
# credit-note rows less their refunds as the warehouse reads them (ar_aging's untied credit).
INDEPENDENT_CREDIT = """
select company, contact_id,
    sum(round(cast(remaining_credit as decimal(18, 2)) / cast(currency_rate as double), 2))
from credit_note
where type = 'ACCRECCREDIT' and status in ('AUTHORISED', 'PAID')
group by 1, 2
"""
FROM_FOLDER_CREDIT = """
select business_id, customer_id,
    sum(round(amount * exchange_rate, 2) + round(tax_amount * exchange_rate, 2)
        - round(coalesce(refunded_amount, 0) * exchange_rate, 2))
from credit_notes
where invoice_id is null
group by 1, 2
"""


def test_untied_credit_less_refunds_matches_xeros_remaining_credit(imported):
    con = fixture_con()
    try:
        theirs = {(c, k): D(str(v)) for c, k, v in con.execute(INDEPENDENT_CREDIT).fetchall()}
    finally:
        con.close()
    mine = {(b, k): D(str(v)) for b, k, v in folder_query(imported, FROM_FOLDER_CREDIT)}
    # Aroha (CN-0004 refunded whole) and Driftwood (CN-0002, CN-0003's untied part)
    assert set(theirs) == {("harbourside", cid(1)), ("harbourside", cid(4))}
    assert mine == theirs == {key: EXPECTED[key][4] for key in theirs}


def guid(prefix: str, n: int) -> str:
    return f"{prefix}{n:0{8 - len(prefix)}d}-0000-4000-8000-{n:012d}"


def test_a_refund_beyond_the_untied_credit_is_skipped_with_its_excess(tmp_path):
    # Xero keeps a credit note's allocations plus refunds within its total; should a sync
    # hold more, the refunds fill the untied row in date order and the excess is skipped.
    books = tmp_path / "harbourside"
    shutil.copytree(FIXTURES / "harbourside", books)
    with (books / "payment.csv").open(newline="") as file:
        reader = csv.DictReader(file)
        header, template = reader.fieldnames, list(reader)[-1]  # an ARCREDITPAYMENT
    extra = [
        # CN-0003: 57.50 untied, 12.50 + 7.50 already refunded: 37.50 of 40.00 fits, 2.50 over
        (13, 3, "40.00"),
        # CN-0001 is allocated whole to INV-0006 (one tied row, no untied credit): all over
        (14, 1, "10.00"),
        # the voided CN-0006 (skipped), and a credit note not in the sync
        (15, 6, "5.00"),
        (16, 99, "6.00"),
    ]
    with (books / "payment.csv").open("a", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=header, lineterminator="\n")
        for payment, credit_note, amount in extra:
            writer.writerow(
                template
                | {
                    "payment_id": guid("b", payment),
                    "credit_note_id": guid("cd", credit_note),
                    "amount": amount,
                    "bank_amount": amount,
                    "date": "2025-06-20",
                }
            )
    folder = tmp_path / "out"
    import_books("xero-fivetran", [Company(str(books), "harbourside")], folder)
    # 57.50 refunded of CN-0003's untied 57.50 (12.50 + 7.50 + 37.50); none on a tied row
    assert folder_query(
        folder,
        "select credit_note_id, refunded_amount from credit_notes "
        "where refunded_amount is not null order by 1",
    ) == [
        (guid("cd", 3) + "-unallocated", D("57.50")),
        (guid("cd", 4), D("23.00")),
    ]
    skipped = folder_query(
        folder,
        "select source_id, reason, amount, detail from skipped where source_table = 'payment' "
        "and source_id in ('" + "', '".join(guid("b", n) for n, _, _ in extra) + "') order by 1",
    )
    assert [row[:3] for row in skipped] == [
        (guid("b", 13), "refund_exceeds_untied_credit", "2.50"),
        (guid("b", 14), "refund_exceeds_untied_credit", "10.00"),
        (guid("b", 15), "credit_note_not_imported", "5.00"),
        (guid("b", 16), "credit_note_not_imported", "6.00"),
    ]
    assert "skipped as voided" in skipped[2][3]
    # every refunded amount in one place: 23.00 + 12.50 + 7.50 + 40.00 + 10.00 + 5.00 + 6.00
    # = 104.00 = 57.50 + 23.00 refunded + 2.50 + 10.00 + 5.00 + 6.00 skipped
    refunded = folder_query(folder, "select sum(refunded_amount) from credit_notes")[0][0]
    assert refunded + sum(D(row[2]) for row in skipped) == D("104.00")


def test_tables_under_their_other_names_import_the_same(imported, tmp_path):
    books = tmp_path / "harbourside"
    shutil.copytree(FIXTURES / "harbourside", books)
    (books / "organization.csv").rename(books / "organisation.csv")
    (books / "credit_note_allocation.csv").rename(books / "credit_note_allocations.csv")
    renamed = tmp_path / "renamed"
    import_books("xero-fivetran", [Company(str(books), "harbourside")], renamed)
    for name in ("businesses.csv", "credit_notes.csv"):
        lines = (imported / name).read_text().splitlines()
        expected = [lines[0], *(line for line in lines[1:] if line.startswith("harbourside,"))]
        assert (renamed / name).read_text().splitlines() == expected, name


SYNC_TYPES = {
    # Fivetran's destination types: dates and timestamps as timestamps, amounts as doubles,
    # flags as booleans, the financial year's month as an integer.
    "timestamp": ("date", "due_date", "fully_paid_on_date", "expected_payment_date"),
    "timestamptz": ("_fivetran_synced", "updated_date_utc", "created_date_utc"),
    "double": (
        "amount",
        "amount_credited",
        "amount_due",
        "amount_paid",
        "applied_amount",
        "bank_amount",
        "currency_rate",
        "line_amount",
        "quantity",
        "remaining_credit",
        "sub_total",
        "tax_amount",
        "total",
        "total_tax",
        "unit_amount",
        "discount_rate",
        "purchase_details_unit_price",
        "sales_details_unit_price",
    ),
    "boolean": (
        "_fivetran_deleted",
        "is_customer",
        "is_supplier",
        "has_attachments",
        "has_errors",
        "is_discounted",
        "sent_to_contact",
        "is_reconciled",
        "is_purchased",
        "is_sold",
        "discount_entered_as_percent",
    ),
    "integer": ("financial_year_end_month", "financial_year_end_day"),
}


def test_a_duckdb_schema_in_the_sync_types_imports_the_same(imported, tmp_path):
    database = tmp_path / "fivetran.duckdb"
    types = {column: kind for kind, columns in SYNC_TYPES.items() for column in columns}
    with duckdb.connect(str(database)) as con:
        con.execute("create schema xero_harbourside")
        for file in sorted((FIXTURES / "harbourside").glob("*.csv")):
            columns = [
                row[0]
                for row in con.execute(
                    f"describe select * from read_csv('{file}', all_varchar = true)"
                ).fetchall()
            ]
            selects = ", ".join(
                f'cast(nullif("{c}", \'\') as {types.get(c, "varchar")}) as "{c}"' for c in columns
            )
            con.execute(
                f"create table xero_harbourside.{file.stem} as select {selects} "
                f"from read_csv('{file}', all_varchar = true)"
            )
        assert con.execute(
            "select data_type from information_schema.columns where table_name = 'invoice' "
            "and column_name in ('date', 'total', '_fivetran_deleted') order by column_name"
        ).fetchall() == [("BOOLEAN",), ("TIMESTAMP",), ("DOUBLE",)]
    typed = tmp_path / "typed"
    import_books("xero-fivetran", [Company(f"{database}:xero_harbourside", "harbourside")], typed)
    for file in sorted(typed.glob("*.csv")):
        from_text = (imported / file.name).read_text().splitlines()
        header, body = from_text[0], [line for line in from_text[1:] if "harbourside" in line]
        assert file.read_text().splitlines() == [header, *body], file.name


CSV_EXPORT = Path(__file__).parent / "data" / "import" / "xero-csv" / "harbourside-csv"

# xero-csv on the app's Invoices export (the same customers, fewer documents; d/m/y dates):
# (net sales, payments, open balance) per customer, hand-worked.
CSV_EXPECTED = {
    # 1000.00 excl. GST; InvoiceAmountPaid 500.00 as one payment; 1150.00 - 500.00
    "Aroha Design": (D("1000.00"), D("500.00"), D("650.00")),
    "Bluegum Ltd": (D("200.00"), D("230.00"), D("0.00")),
    # InvoiceAmountDue 80.00, but the 20.00 credited (an overpayment) is not in the export:
    # open 100.00, and the 20.00 is in the skipped rows
    "Cobalt Cafe": (D("100.00"), D("0.00"), D("100.00")),
    # a "Sales credit note" of -57.50 (-50.00 + -7.50 GST): untied credit
    "Driftwood Co": (D("-50.00"), D("0.00"), D("0.00")),
    # the same lines as INV-0013 above: 180.00 + 50.00 - 30.00; void and draft count nothing
    "Fernleaf Studio": (D("200.00"), D("0.00"), D("230.00")),
    # lines add up to Total (115.00): tax inclusive, 115.00 - 15.00
    "Greenway Grocers": (D("100.00"), D("0.00"), D("115.00")),
}


@pytest.fixture(scope="module")
def imported_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("xero-csv") / "xero-csv-import"
    import_books(
        "xero-csv", [Company(str(CSV_EXPORT), "harbourside-csv", home_currency="NZD")], folder
    )
    return folder


def test_the_csv_export_maps_as_worked_out_by_hand(imported_csv):
    mine = {
        customer: (D(str(sales)), D(str(received)), D(str(open_)))
        for _, customer, sales, received, open_ in folder_query(imported_csv, FROM_FOLDER)
    }
    assert mine == CSV_EXPECTED
    # the open balance less the credit the export cannot place is the export's own
    # InvoiceAmountDue, per customer (read straight from the file)
    con = duckdb.connect()
    try:
        due = dict(
            con.execute(
                f'select "*ContactName", sum(cast(InvoiceAmountDue as decimal(18, 2))) '
                f'from (select distinct "*ContactName", "*InvoiceNumber", InvoiceAmountDue, '
                f"Status, Type, Currency from read_csv('{CSV_EXPORT / 'Invoices.csv'}', "
                "all_varchar = true)) where Status = 'Awaiting Payment' and Currency = 'NZD' "
                "and Type = 'Sales invoice' group by 1"
            ).fetchall()
        )
    finally:
        con.close()
    credited = {
        customer: D(amount)
        for customer, amount in folder_query(
            imported_csv,
            "select invoices.customer_id, skipped.amount from skipped "
            "inner join invoices on skipped.source_id = invoices.invoice_id "
            "where skipped.reason = 'credit_not_exported'",
        )
    }
    for customer, amount_due in due.items():
        assert mine[customer][2] - credited.get(customer, D(0)) == amount_due, customer
    # the one paid-in-part invoice's payment is dated its due date (the export has no dates)
    assert folder_query(
        imported_csv, "select payment_id, payment_date from payments order by 1"
    ) == [("PAID-INV-0001", date(2025, 4, 2)), ("PAID-INV-0002", date(2025, 4, 9))]


def test_the_csv_exports_skipped_rows(imported_csv):
    skipped = {
        (table, source_id, reason, amount)
        for table, source_id, reason, amount in folder_query(
            imported_csv, "select source_table, source_id, reason, amount from skipped"
        )
    }
    assert skipped == {
        ("invoice", "INV-0008", "no_exchange_rate", "1000.00"),  # USD: no rate exported
        ("invoice", "INV-0011", "draft", "57.50"),
        # lines: <invoice>:<line in the file>
        ("invoice_line_item", "INV-0008:000000005", "no_exchange_rate", None),
        ("invoice_line_item", "INV-0011:000000007", "draft", None),
        ("payment", "PAID-INV-0008", "invoice_not_imported", "400.00"),
        ("invoices_export", "INV-0005", "credit_not_exported", "20.00"),
    }


@pytest.mark.parametrize(
    ("values", "day_first"),
    [
        (["03/03/2025", "13/05/2025"], True),  # 13 cannot be a month
        (["05/13/2025", "03/03/2025"], False),  # nor here: m/d/y
        (["01/02/2025"], True),  # no proof either way: d/m/y (AU, NZ, UK)
    ],
)
def test_the_csv_exports_date_order_is_read_from_the_dates(values, day_first):
    from ledgerlens.importers.xero_csv import _day_first

    assert _day_first(values) is day_first


@pytest.mark.slow
def test_the_pipeline_on_the_imported_folder_shows_the_same_balances(
    imported, imported_csv, tmp_path_factory
):
    from tests.conftest import imported_books_run, query

    # The one run over every importer's fixture companies (tests/conftest.py), which
    # imports harbourside, tasman and the CSV export as this file does.
    summary, warehouse = imported_books_run(tmp_path_factory)
    assert all(load.rows_quarantined == 0 for load in summary.loads), [
        (load.table, load.rows_quarantined) for load in summary.loads
    ]
    sheet = {
        (business, customer): (ltv, open_balance)
        for business, customer, ltv, open_balance in query(
            warehouse,
            "select business_id, customer_id, ltv, open_balance from marts.customer_sheet",
        )
    }
    aging = {
        (business, customer): (open_, unapplied or D(0), untied or D(0))
        for business, customer, open_, unapplied, untied in query(
            warehouse,
            "select business_id, customer_id, open_balance_home, "
            "unapplied_payments_home, untied_credit_notes_home from marts.ar_aging",
        )
    }
    theirs = independent()
    for key, (sales, _, open_, unapplied, untied) in EXPECTED.items():
        assert sheet[key] == (sales, open_) == (theirs[key][0], theirs[key][2]), key
        assert aging.get(key, (D(0), D(0), D(0))) == (open_, unapplied, untied), key
    for customer, (sales, _, open_) in CSV_EXPECTED.items():
        key = ("harbourside-csv", customer)
        # a customer with only a credit note bought nothing: customer_sheet leaves it out
        assert sheet.get(key) == (None if sales < 0 else (sales, open_)), key
        untied = D("57.50") if customer == "Driftwood Co" else D(0)  # CN-0002
        assert aging.get(key, (D(0), D(0), D(0))) == (open_, D(0), untied), key
