"""The raw data contract: the one documented input interface of ledgerlens.

Everything that reads or writes raw files (the demo generator, the loader, the dbt
sources file, docs/contract.md) takes table and column definitions from here, so the
contract is written down once. `tests/test_contract.py` proves the dbt sources agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Logical column kinds and the warehouse type each one is loaded as.
SQL_TYPES: dict[str, str] = {
    "id": "varchar",
    "text": "varchar",
    "currency": "varchar",
    "enum": "varchar",
    "date": "date",
    "integer": "integer",
    "money": "decimal(18, 2)",
    "rate": "decimal(18, 6)",
    "quantity": "decimal(18, 4)",
    "price": "decimal(18, 4)",
}

# How many decimal places a value of a numeric kind may carry before it is rejected:
# rounding a raw amount silently would lose fractions of a cent.
DECIMAL_PLACES: dict[str, int] = {"money": 2, "rate": 6, "quantity": 4, "price": 4}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    description: str
    required: bool = False
    accepted_values: tuple[str, ...] | None = None
    # Inclusive lower bound; `min_exclusive` makes it strict (exchange_rate > 0).
    min_value: int | None = None
    min_exclusive: bool = False
    max_value: int | None = None
    # Blank means "use a default" rather than "unknown" (documented per column).
    blank_means: str | None = None
    # The file may leave the column out altogether (read as blank): a column added to
    # the contract after exports were written, which older exports need not carry.
    may_be_absent: bool = False

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]


@dataclass(frozen=True)
class Reference:
    """Rows whose `columns` do not match a loaded row of `parent` are quarantined."""

    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    rule: str
    # A reference whose own column is blank is not checked (e.g. an untied credit note).
    optional: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: tuple[Reference, ...] = field(default_factory=tuple)
    example: dict[str, str] = field(default_factory=dict)
    # The money column that says what a row is worth (a document's total, a payment's
    # amount): what marts.data_quality_report sums for quarantined rows.
    amount_column: str | None = None

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)

    @property
    def parents(self) -> list[str]:
        return sorted({reference.parent for reference in self.references})


def _business_id() -> Column:
    return Column(
        "business_id",
        "id",
        "The business (set of books) the row belongs to. One warehouse serves many "
        "businesses, e.g. every client of an accounting firm.",
        required=True,
    )


_BUSINESS_REF = Reference(("business_id",), "businesses", ("business_id",), "unknown_business")
_CUSTOMER_REF = Reference(
    ("business_id", "customer_id"),
    "customers",
    ("business_id", "customer_id"),
    "unknown_customer",
)

TABLES: tuple[Table, ...] = (
    Table(
        "businesses",
        "One row per business whose books are loaded.",
        (
            _business_id(),
            Column("business_name", "text", "Display name of the business.", required=True),
            Column(
                "home_currency",
                "currency",
                "ISO 4217 code of the currency the books are kept in; every `*_home` "
                "amount in the warehouse is in this currency.",
                required=True,
            ),
            Column(
                "fiscal_year_start_month",
                "integer",
                "Month (1-12) in which the business's fiscal year starts.",
                required=True,
                min_value=1,
                max_value=12,
            ),
            Column(
                "default_payment_terms_days",
                "integer",
                "Payment terms in days for customers that have none of their own.",
                required=True,
                min_value=0,
                max_value=3650,
            ),
            Column(
                "export_complete_to_date",
                "date",
                "The last day the export holds every document of (the day it was taken, or "
                "the last day of the period exported): the business's as-of date when the "
                "run gives none. The column may be left out of the file.",
                blank_means="the date of the business's latest non-void sales document",
                may_be_absent=True,
            ),
        ),
        key=("business_id",),
        example={
            "business_id": "northwind",
            "business_name": "Northwind Advisory LLC",
            "home_currency": "USD",
            "fiscal_year_start_month": "1",
            "default_payment_terms_days": "30",
            "export_complete_to_date": "2025-03-31",
        },
    ),
    Table(
        "customers",
        "One row per customer of a business.",
        (
            _business_id(),
            Column("customer_id", "id", "Customer id, unique within the business.", required=True),
            Column("customer_name", "text", "Customer display name.", required=True),
            Column("created_date", "date", "Date the customer record was created.", required=True),
            Column(
                "payment_terms_days",
                "integer",
                "Customer's own payment terms in days.",
                min_value=0,
                max_value=3650,
                blank_means="the business's default_payment_terms_days",
            ),
            Column(
                "sales_rep", "text", "Salesperson responsible for the customer.", blank_means="none"
            ),
            Column(
                "acquisition_channel",
                "text",
                "How the customer was won (referral, web, outbound, ...).",
                blank_means="unknown",
            ),
            Column(
                "parent_customer_id",
                "id",
                "Customer id of the parent account (a subsidiary's head office).",
                blank_means="no parent",
            ),
            Column(
                "referred_by_customer_id",
                "id",
                "Customer id of the customer who referred this one.",
                blank_means="not referred",
            ),
        ),
        key=("business_id", "customer_id"),
        references=(_BUSINESS_REF,),
        example={
            "business_id": "northwind",
            "customer_id": "C0042",
            "customer_name": "Blue Heron Dental",
            "created_date": "2023-02-14",
            "payment_terms_days": "",
            "sales_rep": "Dana Ortiz",
            "acquisition_channel": "referral",
            "parent_customer_id": "",
            "referred_by_customer_id": "C0007",
        },
    ),
    Table(
        "invoices",
        "One row per sales document: an invoice (sold on credit) or a sales receipt "
        "(paid at the time of sale).",
        (
            _business_id(),
            Column("invoice_id", "id", "Document id, unique within the business.", required=True),
            Column("customer_id", "id", "Customer the document was issued to.", required=True),
            Column(
                "document_type",
                "enum",
                "`invoice` (sold on credit, paid later) or `sales_receipt` (paid at sale).",
                required=True,
                accepted_values=("invoice", "sales_receipt"),
            ),
            Column("invoice_date", "date", "Document date.", required=True),
            Column(
                "due_date",
                "date",
                "Date payment is due.",
                blank_means="invoice_date plus the customer's payment terms",
            ),
            Column(
                "currency", "currency", "ISO 4217 code of the document currency.", required=True
            ),
            Column(
                "exchange_rate",
                "rate",
                "Home-currency units per one document-currency unit (1 when the document "
                "is in the home currency).",
                required=True,
                min_value=0,
                min_exclusive=True,
            ),
            Column(
                "status",
                "enum",
                "`open`, `paid` or `void` as the accounting system reports it. Void "
                "documents count for nothing.",
                required=True,
                accepted_values=("open", "paid", "void"),
            ),
            Column(
                "total_amount",
                "money",
                "Document total including tax, in the document currency.",
                required=True,
                min_value=0,
            ),
            Column(
                "tax_amount", "money", "Tax included in total_amount.", required=True, min_value=0
            ),
        ),
        key=("business_id", "invoice_id"),
        references=(_BUSINESS_REF, _CUSTOMER_REF),
        amount_column="total_amount",
        example={
            "business_id": "northwind",
            "invoice_id": "INV-10231",
            "customer_id": "C0042",
            "document_type": "invoice",
            "invoice_date": "2025-03-01",
            "due_date": "2025-03-31",
            "currency": "USD",
            "exchange_rate": "1",
            "status": "paid",
            "total_amount": "1296.00",
            "tax_amount": "96.00",
        },
    ),
    Table(
        "invoice_lines",
        "One row per line of a sales document.",
        (
            _business_id(),
            Column("invoice_id", "id", "Document the line belongs to.", required=True),
            Column(
                "line_number",
                "integer",
                "Line position on the document (1, 2, ...).",
                required=True,
                min_value=1,
            ),
            Column("item_code", "text", "Product or service code.", blank_means="no item"),
            Column("description", "text", "Line description.", blank_means="none"),
            Column(
                "quantity",
                "quantity",
                "Quantity sold (hours, units, ...).",
                required=True,
                min_value=0,
            ),
            Column(
                "unit_price",
                "price",
                "Price per unit, document currency, excl. tax.",
                required=True,
                min_value=0,
            ),
            Column(
                "discount_amount",
                "money",
                "Discount on the line, document currency.",
                min_value=0,
                blank_means="0",
            ),
            Column(
                "line_amount",
                "money",
                "quantity * unit_price - discount_amount, excl. tax, document currency.",
                required=True,
                min_value=0,
            ),
            Column(
                "unit_cost",
                "price",
                "Cost per unit, document currency.",
                min_value=0,
                blank_means="unknown cost",
            ),
        ),
        key=("business_id", "invoice_id", "line_number"),
        references=(
            Reference(
                ("business_id", "invoice_id"),
                "invoices",
                ("business_id", "invoice_id"),
                "unknown_invoice",
            ),
        ),
        amount_column="line_amount",
        example={
            "business_id": "northwind",
            "invoice_id": "INV-10231",
            "line_number": "1",
            "item_code": "RET-M",
            "description": "Monthly advisory retainer",
            "quantity": "8",
            "unit_price": "150.00",
            "discount_amount": "0",
            "line_amount": "1200.00",
            "unit_cost": "80.00",
        },
    ),
    Table(
        "payments",
        "One row per payment received from a customer.",
        (
            _business_id(),
            Column("payment_id", "id", "Payment id, unique within the business.", required=True),
            Column("customer_id", "id", "Customer who paid.", required=True),
            Column("payment_date", "date", "Date the money was received.", required=True),
            Column("currency", "currency", "ISO 4217 code of the payment currency.", required=True),
            Column(
                "exchange_rate",
                "rate",
                "Home-currency units per one payment-currency unit on the payment date.",
                required=True,
                min_value=0,
                min_exclusive=True,
            ),
            Column(
                "amount",
                "money",
                "Amount received, payment currency. May exceed what is applied to "
                "invoices (unapplied cash is customer credit).",
                required=True,
                min_value=0,
            ),
        ),
        key=("business_id", "payment_id"),
        references=(_BUSINESS_REF, _CUSTOMER_REF),
        amount_column="amount",
        example={
            "business_id": "northwind",
            "payment_id": "PAY-88120",
            "customer_id": "C0042",
            "payment_date": "2025-03-27",
            "currency": "USD",
            "exchange_rate": "1",
            "amount": "1296.00",
        },
    ),
    Table(
        "payment_allocations",
        "One row per payment applied to an invoice (a payment may pay several "
        "invoices; an invoice may be paid by several payments).",
        (
            _business_id(),
            Column("payment_id", "id", "Payment being applied.", required=True),
            Column("invoice_id", "id", "Invoice the payment is applied to.", required=True),
            Column(
                "amount_applied",
                "money",
                "Amount applied, in the invoice's currency.",
                required=True,
                min_value=0,
                min_exclusive=True,
            ),
        ),
        key=("business_id", "payment_id", "invoice_id"),
        references=(
            Reference(
                ("business_id", "payment_id"),
                "payments",
                ("business_id", "payment_id"),
                "unknown_payment",
            ),
            Reference(
                ("business_id", "invoice_id"),
                "invoices",
                ("business_id", "invoice_id"),
                "unknown_invoice",
            ),
        ),
        amount_column="amount_applied",
        example={
            "business_id": "northwind",
            "payment_id": "PAY-88120",
            "invoice_id": "INV-10231",
            "amount_applied": "1296.00",
        },
    ),
    Table(
        "credit_notes",
        "One row per credit note (a refund or reduction of a sale).",
        (
            _business_id(),
            Column(
                "credit_note_id", "id", "Credit note id, unique within the business.", required=True
            ),
            Column("customer_id", "id", "Customer credited.", required=True),
            Column(
                "invoice_id",
                "id",
                "Invoice the credit note reduces.",
                blank_means="not tied to one invoice (a general credit)",
            ),
            Column("credit_note_date", "date", "Date of the credit note.", required=True),
            Column(
                "currency", "currency", "ISO 4217 code of the credit note currency.", required=True
            ),
            Column(
                "exchange_rate",
                "rate",
                "Home-currency units per one credit-note-currency unit.",
                required=True,
                min_value=0,
                min_exclusive=True,
            ),
            Column(
                "amount",
                "money",
                "Amount credited excl. tax, positive.",
                required=True,
                min_value=0,
            ),
            Column("tax_amount", "money", "Tax credited.", required=True, min_value=0),
            Column(
                "refunded_amount",
                "money",
                "The part of the credit note's total (amount + tax_amount), in its currency, "
                "paid back to the customer in cash: not customer credit. At most the total; "
                "only on a credit note tied to no invoice. The column may be left out of "
                "the file.",
                min_value=0,
                blank_means="0",
                may_be_absent=True,
            ),
            Column("reason", "text", "Why the credit was given.", blank_means="none"),
        ),
        key=("business_id", "credit_note_id"),
        references=(
            _BUSINESS_REF,
            _CUSTOMER_REF,
            Reference(
                ("business_id", "invoice_id"),
                "invoices",
                ("business_id", "invoice_id"),
                "unknown_invoice",
                optional=True,
            ),
        ),
        amount_column="amount",
        example={
            "business_id": "northwind",
            "credit_note_id": "CN-0311",
            "customer_id": "C0042",
            "invoice_id": "INV-10231",
            "credit_note_date": "2025-03-12",
            "currency": "USD",
            "exchange_rate": "1",
            "amount": "150.00",
            "tax_amount": "12.00",
            "refunded_amount": "",
            "reason": "one session not delivered",
        },
    ),
    Table(
        "customer_costs",
        "One row per cost incurred to win or serve a customer.",
        (
            _business_id(),
            Column("cost_id", "id", "Cost id, unique within the business.", required=True),
            Column("customer_id", "id", "Customer the cost was spent on.", required=True),
            Column("cost_date", "date", "Date the cost was incurred.", required=True),
            Column(
                "category",
                "enum",
                "What the cost was for.",
                required=True,
                accepted_values=(
                    "acquisition",
                    "onboarding",
                    "support",
                    "delivery",
                    "rework",
                    "reimbursement",
                    "other",
                ),
            ),
            Column("amount", "money", "Cost in home currency.", required=True, min_value=0),
            Column("hours", "quantity", "Staff hours spent.", min_value=0, blank_means="unknown"),
        ),
        key=("business_id", "cost_id"),
        references=(_BUSINESS_REF, _CUSTOMER_REF),
        amount_column="amount",
        example={
            "business_id": "northwind",
            "cost_id": "COST-5521",
            "customer_id": "C0042",
            "cost_date": "2025-03-05",
            "category": "support",
            "amount": "240.00",
            "hours": "3",
        },
    ),
)

TABLES_BY_NAME: dict[str, Table] = {table.name: table for table in TABLES}


def load_order() -> list[str]:
    """Table names, parents before children (references are checked against parents)."""
    ordered: list[str] = []
    pending = list(TABLES)
    while pending:
        for table in pending:
            if all(parent in ordered or parent == table.name for parent in table.parents):
                ordered.append(table.name)
                pending.remove(table)
                break
    return ordered
