"""QuickBooks Online report exports (Reports -> Export to CSV) -> contract rows.

Reads every `.csv` in the company's folder and recognises two reports by their title rows
(else by their columns):
- "Transaction List by Customer" (required): one row per transaction, grouped under a row
  naming the customer, with "Total for <customer>" rows; default columns Date,
  Transaction Type, Num, Posting, Memo/Description, Account, Amount.
- "Invoice List" (optional): one row per invoice with Date, Num, Customer, Due Date,
  Amount, Open Balance; gives the invoices' due dates and what is still open on them.

The exports carry no ids, no lines, no tax, no exchange rates and no link between a
payment and the invoices it paid: docs/import-quickbooks.md says how each is filled in
and how the marts degrade. The report rows are parsed in Python (title, group and total
rows are text to recognise); the mapping is SQL on the parsed rows.
"""

from __future__ import annotations

import csv
import re
import tempfile
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ledgerlens.importers.common import Company, ImporterError, Output, Source, read_report_csv

DESCRIPTION = (
    "QuickBooks Online report exports in a folder: Transaction List by Customer (and "
    "Invoice List for due dates and open balances); needs --home-currency"
)

TRANSACTION_LIST = "transaction list by customer"
INVOICE_LIST = "invoice list"

# Column headings as the reports print them (lower case), by what they hold.
COLUMNS = {
    "date": ("date", "transaction date"),
    "type": ("transaction type", "type"),
    "num": ("num", "no.", "no", "number", "invoice no.", "invoice number"),
    "name": ("name", "customer", "customer full name", "customer name", "customer/project"),
    "memo": ("memo/description", "memo", "description"),
    "due": ("due date",),
    "amount": ("amount", "total", "total amount"),
    "open": ("open balance", "balance", "balance due"),
    "tax": ("tax amount", "tax", "sales tax"),
    "currency": ("currency",),
    "rate": ("exchange rate",),
}

# QuickBooks transaction types (as the reports name them) -> what they become.
KINDS = {
    "invoice": "invoice",
    "sales receipt": "sales_receipt",
    "payment": "payment",
    "receive payment": "payment",
    "credit memo": "credit_memo",
    "refund": "refund_receipt",
    "refund receipt": "refund_receipt",
}
NOT_POSTING = {"estimate", "delayed charge", "delayed credit", "purchase order"}


def _money(text: str) -> Decimal | None:
    """A report amount: "1,234.56", "$1,234.56", "-54.00", "(54.00)", "" -> None."""
    cleaned = re.sub(r"[^0-9.()\-]", "", text or "")
    if not cleaned or cleaned in ("-", "()"):
        return None
    negative = cleaned.startswith("(") or cleaned.startswith("-")
    try:
        value = Decimal(cleaned.strip("()-"))
    except InvalidOperation:
        return None
    return -value if negative else value


_DATE = re.compile(r"^(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})$")


def _date_parts(text: str) -> tuple[int, int, int] | None:
    match = _DATE.match((text or "").strip())
    return tuple(int(part) for part in match.groups()) if match else None  # type: ignore[return-value]


def _date_order(values: list[str], location: str) -> str:
    """'ymd', 'mdy' or 'dmy' for a file's dates: QuickBooks prints them in the company's
    locale (MM/DD/YYYY in the US, DD/MM/YYYY in the UK, Canada, Australia)."""
    parts = [p for p in (_date_parts(v) for v in values) if p]
    if parts and all(p[0] > 31 for p in parts):
        return "ymd"
    first_over_12 = any(p[0] > 12 for p in parts)
    second_over_12 = any(p[1] > 12 for p in parts)
    if first_over_12 and second_over_12:
        raise ImporterError(f"{location}: dates are neither all MM/DD/YYYY nor DD/MM/YYYY")
    return "dmy" if first_over_12 else "mdy"


def _to_date(text: str, order: str) -> date | None:
    parts = _date_parts(text)
    if not parts:
        return None
    a, b, c = parts
    year, month, day = {"ymd": (a, b, c), "mdy": (c, a, b), "dmy": (c, b, a)}[order]
    if year < 100:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


class _Report:
    def __init__(self, path: Path):
        self.path = path
        self.rows = read_report_csv(path)
        self.header_index = next(
            (
                i
                for i, row in enumerate(self.rows)
                if {"date", "amount"} <= {cell.strip().lower() for cell in row}
                or {"date", "total"} <= {cell.strip().lower() for cell in row}
            ),
            None,
        )
        titles = self.rows[: self.header_index or 0]
        self.title_text = [" ".join(c.strip() for c in row if c.strip()) for row in titles]
        header = [c.strip().lower() for c in self.rows[self.header_index or 0]]
        # the first heading found wins (the tuples list the likelier heading first)
        self.columns: dict[str, int] = {}
        for key, names in COLUMNS.items():
            for name in names:
                if name in header:
                    self.columns[key] = header.index(name)
                    break
        lowered = " ".join(self.title_text).lower()
        if TRANSACTION_LIST in lowered or ("type" in self.columns and "name" not in self.columns):
            self.kind = "transactions"
        elif INVOICE_LIST in lowered or ("open" in self.columns and "due" in self.columns):
            self.kind = "invoices"
        else:
            self.kind = None

    def cell(self, row: list[str], key: str) -> str:
        index = self.columns.get(key)
        return row[index].strip() if index is not None and index < len(row) else ""

    def body(self):
        """(line number in the file, row) below the header."""
        for i in range(self.header_index + 1, len(self.rows)):
            yield i + 1, self.rows[i]

    def company_name(self) -> str | None:
        """The title row that is neither the report's name nor its period."""
        for text in self.title_text:
            low = text.lower()
            if not text or TRANSACTION_LIST in low or INVOICE_LIST in low:
                continue
            if re.search(r"\d{4}", text) or low.startswith("all dates"):
                continue
            return text
        return None

    def period_end(self) -> date | None:
        """The end of "January 1, 2024 - June 1, 2024" (or "As of June 1, 2024")."""
        for text in self.title_text:
            found = re.findall(r"([A-Z][a-z]+ \d{1,2}, \d{4})", text)
            if found:
                try:
                    return datetime.strptime(found[-1], "%B %d, %Y").date()
                except ValueError:
                    continue
        return None


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(["" if v is None else str(v) for v in row] for row in rows)


def convert(source: Source, out: Output, company: Company) -> None:
    if source.folder is None:
        raise ImporterError(f"{source.location}: quickbooks-csv reads a folder of report CSVs")
    if not company.home_currency:
        raise ImporterError(
            f"{source.location}: QuickBooks report exports do not say the home currency: "
            "pass --home-currency"
        )
    home = company.home_currency.upper()
    business = company.business_id
    reports = [_Report(path) for path in sorted(source.folder.glob("*.csv"))]
    transactions = [r for r in reports if r.kind == "transactions" and r.header_index is not None]
    invoice_lists = [r for r in reports if r.kind == "invoices" and r.header_index is not None]
    if not transactions:
        raise ImporterError(
            f"{source.location}: no Transaction List by Customer export among "
            f"{', '.join(p.path.name for p in reports) or 'no CSV files'}"
        )

    # ---- 1. parse: one row per transaction, with its customer and the file line
    parsed: list[list] = []
    for report in transactions:
        order = _date_order([report.cell(row, "date") for _, row in report.body()], report.path)
        customer = None
        for line, row in report.body():
            cells = [c.strip() for c in row]
            if not any(cells):
                continue
            first = cells[0]
            others = [c for c in cells[1:] if c]
            if first.lower().startswith("total for ") or first.lower() == "total":
                continue  # the report's own subtotals
            when = _to_date(report.cell(row, "date"), order)
            if when is None:
                if first and not others:
                    customer = first  # the group row naming the customer
                continue  # a footer ("Accrual basis ..."), a blank
            name = report.cell(row, "name") or customer
            parsed.append(
                [
                    report.path.name,
                    line,
                    name,
                    when.isoformat(),
                    report.cell(row, "type"),
                    report.cell(row, "num"),
                    report.cell(row, "memo"),
                    _money(report.cell(row, "amount")),
                    _money(report.cell(row, "tax")),
                    (report.cell(row, "currency") or home).upper(),
                    report.cell(row, "rate") or None,
                ]
            )
    invoice_rows: list[list] = []
    for report in invoice_lists:
        order = _date_order([report.cell(row, "date") for _, row in report.body()], report.path)
        for line, row in report.body():
            when = _to_date(report.cell(row, "date"), order)
            if when is None:
                continue
            due = _to_date(report.cell(row, "due"), order)
            invoice_rows.append(
                [
                    report.path.name,
                    line,
                    report.cell(row, "name"),
                    report.cell(row, "num"),
                    when.isoformat(),
                    due.isoformat() if due else None,
                    _money(report.cell(row, "amount")),
                    _money(report.cell(row, "open")),
                ]
            )

    con = out.con
    with tempfile.TemporaryDirectory(prefix="ledgerlens-qbcsv-") as scratch:
        rows_file = Path(scratch) / "rows.csv"
        _write(
            rows_file,
            [
                "file",
                "line",
                "customer",
                "txn_date",
                "txn_type",
                "num",
                "memo",
                "amount",
                "tax",
                "currency",
                "rate",
            ],  # fmt: skip
            parsed,
        )
        con.execute(
            "create or replace temp table qbc_rows as select * from read_csv(?, header = true, "
            "all_varchar = true)",
            [str(rows_file)],
        )
        list_file = Path(scratch) / "invoice_list.csv"
        _write(
            list_file,
            ["file", "line", "customer", "num", "txn_date", "due_date", "amount", "open"],
            invoice_rows,
        )
        con.execute(
            "create or replace temp table qbc_invoice_list as select * from read_csv(?, "
            "header = true, all_varchar = true)",
            [str(list_file)],
        )

    kinds = " ".join(f"when '{name}' then '{kind}'" for name, kind in KINDS.items())
    not_posting = ", ".join(f"'{name}'" for name in sorted(NOT_POSTING))
    # ---- 2. each transaction: its kind, its id (the Num, else its line), its fate
    con.execute(f"""
        create or replace temp table qbc_docs as
        with typed as (
            select
                file, cast(line as integer) as line, ll_text(customer) as customer_id,
                cast(txn_date as date) as txn_date, ll_text(txn_type) as txn_type,
                ll_text(num) as num, ll_text(memo) as memo,
                ll_money(amount) as signed_amount, abs(ll_money(amount)) as amount,
                coalesce(abs(ll_money(tax)), 0) as tax,
                upper(ll_text(currency)) as currency,
                case when upper(ll_text(currency)) = '{home}' then 1
                    else ll_number(rate, 6) end as exchange_rate,
                case lower(ll_text(txn_type)) {kinds} end as kind
            from qbc_rows
        ),
        named as (
            select typed.*,
                case kind
                    when 'invoice' then 'INV-' when 'sales_receipt' then 'SR-'
                    when 'payment' then 'PMT-' when 'credit_memo' then 'CM-'
                    when 'refund_receipt' then 'RR-' end
                || coalesce(num, 'L' || line) as contract_id,
                -- a voided transaction keeps its row, at 0, with "Voided" in its memo
                coalesce(lower(memo) like 'voided%', false) as is_void
            from typed
        ),
        counted as (
            select named.*,
                count(*) over (partition by contract_id) as same_id
            from named
        )
        select counted.*,
            case
                when customer_id is null then 'no_customer'
                when lower(txn_type) in ({not_posting}) then 'not_posting'
                when kind is null then 'not_accounts_receivable'
                when contract_id is not null and same_id > 1 then 'repeated_number'
                when is_void and kind in ('credit_memo', 'refund_receipt', 'payment')
                    then 'voided'
                when exchange_rate is null or exchange_rate <= 0 then 'no_exchange_rate'
                when amount is null then 'no_amount'
            end as skip_reason
        from counted""")
    out.skip(f"""
        select '{business}' as business_id, file as source_table,
            cast(line as varchar) as source_id, skip_reason as reason,
            coalesce(txn_type, '(no type)') || ' ' || coalesce(num, '') || ': '
                || case skip_reason
                    when 'no_customer' then 'no customer above it or in its row'
                    when 'not_posting' then 'does not post to the books'
                    when 'not_accounts_receivable' then 'not a sale, credit or payment'
                    when 'repeated_number' then 'its number is on several rows of this type'
                    when 'voided' then 'voided (zero amount)'
                    when 'no_exchange_rate' then currency || ' without an exchange rate'
                    when 'no_amount' then 'no amount'
                end as detail,
            amount, currency
        from qbc_docs where skip_reason is not null""")

    # ---- 3. due dates and open balances from the Invoice List, by number and customer
    con.execute("""
        create or replace temp table qbc_listed as
        select ll_text(num) as num, ll_text(customer) as customer_id,
            max(cast(due_date as date)) as due_date, max(ll_money(open)) as open_balance,
            count(*) as rows
        from qbc_invoice_list
        group by ll_text(num), ll_text(customer)""")
    # An invoice's Invoice List row: same number, the same customer first (the two
    # reports may name a sub-customer differently).
    con.execute("""
        create or replace temp table qbc_invoices as
        select d.*, l.due_date, l.open_balance,
            -- settled: what the Invoice List says is no longer open; without the list,
            -- unknown (null): the invoice stays open in full
            case when d.is_void then 0 else d.amount - l.open_balance end as settled
        from qbc_docs as d
        left join qbc_listed as l on l.num = d.num
        where d.skip_reason is null and d.kind = 'invoice'
        qualify row_number() over (
            partition by d.contract_id
            order by case when l.customer_id = d.customer_id then 0 else 1 end
        ) = 1""")

    # ---- 4. contract rows
    name = company.business_name or next(
        (r.company_name() for r in transactions if r.company_name()), business
    )
    period_end = max((r.period_end() for r in transactions if r.period_end()), default=None)
    con.execute(
        "insert into out.businesses by name select ? as business_id, ? as business_name, "
        "? as home_currency, 1 as fiscal_year_start_month, 30 as default_payment_terms_days, "
        "? as export_complete_to_date",
        [business, name, home, period_end],
    )
    # Customers: the names the report groups by (QuickBooks display names are unique);
    # "Parent:Child" is a sub-customer; created on its first transaction's date.
    out.insert(
        "customers",
        f"""
        select '{business}' as business_id, customer_id,
            case when customer_id like '%:%'
                then regexp_extract(customer_id, '[^:]*$') else customer_id end
                as customer_name,
            min(txn_date) as created_date,
            case when customer_id like '%:%'
                then regexp_replace(customer_id, ':[^:]*$', '') end as parent_customer_id
        from qbc_docs where skip_reason is null
        group by customer_id
        union all
        -- a parent named only through its sub-customers
        select '{business}', parent, regexp_extract(parent, '[^:]*$'), min(txn_date),
            case when parent like '%:%' then regexp_replace(parent, ':[^:]*$', '') end
        from (
            select regexp_replace(customer_id, ':[^:]*$', '') as parent, txn_date
            from qbc_docs where skip_reason is null and customer_id like '%:%'
        ) as children
        where parent not in (
            select customer_id from qbc_docs where skip_reason is null
        )
        group by parent""",
    )
    out.insert(
        "invoices",
        f"""
        select '{business}' as business_id, contract_id as invoice_id, customer_id,
            'invoice' as document_type, txn_date as invoice_date, due_date, currency,
            exchange_rate,
            case when is_void then 'void' when open_balance = 0 then 'paid' else 'open' end
                as status,
            amount as total_amount, tax as tax_amount
        from qbc_invoices
        union all
        select '{business}', contract_id, customer_id, 'sales_receipt', txn_date, txn_date,
            currency, exchange_rate, case when is_void then 'void' else 'paid' end,
            amount, tax
        from qbc_docs where skip_reason is null and kind = 'sales_receipt'""",
    )
    # One line per document: the exports have no lines (Transaction List by Customer
    # shows the document's total).
    out.insert(
        "invoice_lines",
        f"""
        select '{business}' as business_id, contract_id as invoice_id, 1 as line_number,
            memo as description, 1 as quantity, amount - tax as unit_price,
            0 as discount_amount, amount - tax as line_amount
        from qbc_docs
        where skip_reason is null and kind in ('invoice', 'sales_receipt')""",
    )
    out.insert(
        "payments",
        f"""
        select '{business}' as business_id, contract_id as payment_id, customer_id,
            txn_date as payment_date, currency, exchange_rate, amount
        from qbc_docs where skip_reason is null and kind = 'payment' and amount > 0
        union all
        select '{business}', contract_id, customer_id, txn_date, currency, exchange_rate,
            amount
        from qbc_docs
        where skip_reason is null and kind = 'sales_receipt' and not is_void and amount > 0""",
    )
    # Allocations: the exports do not link payments to invoices. Each invoice's settled
    # amount (Invoice List) is taken from its customer's payments oldest first, invoices
    # oldest first: the amounts per invoice are QuickBooks's, the pairing is inferred.
    con.execute("""
        create or replace temp table qbc_allocations as
        with owed as (
            select customer_id, currency, contract_id as invoice_id, settled,
                sum(settled) over (partition by customer_id, currency
                    order by txn_date, line
                    rows between unbounded preceding and current row) as upto
            from qbc_invoices where settled > 0
        ),
        paid as (
            select customer_id, currency, contract_id as payment_id, amount,
                sum(amount) over (partition by customer_id, currency
                    order by txn_date, line
                    rows between unbounded preceding and current row) as upto
            from qbc_docs where skip_reason is null and kind = 'payment' and amount > 0
        )
        select paid.payment_id, owed.invoice_id, owed.customer_id,
            least(owed.upto, paid.upto) - greatest(owed.upto - owed.settled,
                paid.upto - paid.amount) as amount_applied
        from owed
        inner join paid
            on owed.customer_id = paid.customer_id and owed.currency = paid.currency
            and owed.upto - owed.settled < paid.upto and paid.upto - paid.amount < owed.upto""")
    out.insert(
        "payment_allocations",
        f"""
        select '{business}' as business_id, payment_id, invoice_id, amount_applied
        from qbc_allocations where amount_applied > 0
        union all
        select '{business}', contract_id, contract_id, amount
        from qbc_docs
        where skip_reason is null and kind = 'sales_receipt' and not is_void and amount > 0""",
    )
    # Settled amounts the customer's payments do not cover (credit memos applied, or
    # payments outside the exported period): reported, the invoice stays open by them.
    out.skip(f"""
        select '{business}' as business_id, 'Invoice List' as source_table,
            i.contract_id as source_id, 'settlement_not_in_export' as reason,
            'the Invoice List shows ' || i.settled || ' settled, the exported payments of '
                || i.customer_id || ' cover ' || coalesce(a.applied, 0)
                || ': the rest stays open in the marts' as detail,
            i.settled - coalesce(a.applied, 0) as amount, i.currency
        from qbc_invoices as i
        left join (select invoice_id, sum(amount_applied) as applied
                   from qbc_allocations group by invoice_id) as a
            on a.invoice_id = i.contract_id
        where i.settled > coalesce(a.applied, 0)""")
    out.skip(f"""
        select '{business}' as business_id, 'Invoice List' as source_table,
            contract_id as source_id, 'not_in_invoice_list' as reason,
            'no Invoice List row for invoice ' || coalesce(num, contract_id)
                || ': no due date, and what was paid on it is unknown (open in full)'
                as detail,
            null as amount, currency
        from qbc_invoices
        where open_balance is null and not is_void
            and exists (select 1 from qbc_invoice_list)""")
    out.insert(
        "credit_notes",
        f"""
        select '{business}' as business_id, contract_id as credit_note_id, customer_id,
            txn_date as credit_note_date, currency, exchange_rate, amount - tax as amount,
            tax as tax_amount,
            -- a refund paid its whole total back in cash: no credit is left
            case when kind = 'refund_receipt' then amount end as refunded_amount,
            coalesce(memo, case kind when 'refund_receipt' then 'refund' end) as reason
        from qbc_docs
        where skip_reason is null and kind in ('credit_memo', 'refund_receipt')""",
    )
