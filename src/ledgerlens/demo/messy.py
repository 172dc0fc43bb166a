"""`generate(..., messy=True)`: a few bad rows in the demo files, so the demo shows the
quarantine.

Real exports carry a few rows per thousand that break the contract: a date typed by hand,
a row exported twice, a payment applied to an invoice that was deleted. After the clean
files are written, this module rewrites them with such rows: about PER_MILLE per thousand
rows of each table, and at least one row for every rule the loader has
(`ledgerlens.load`, docs/contract.md), each in a table that has the columns it needs.

A bad row is either a clean row changed in one value (so it stands where the clean row
stood) or an extra row inserted after a clean one (a repeat, a conflicting repeat). The
rows are listed in `truth/messy_rows.csv`: table, source_row (the file line, the header
being line 1, as the loader numbers them), rule, column. A conflicting repeat quarantines
both rows with its key, so both are listed. The rows that fall with a quarantined parent
(the lines of a quarantined invoice: `unknown_invoice`) are consequences and are not
listed. Rows are changed only where their parents are untouched, so each listed row
breaks exactly the rule it is listed with.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ledgerlens.contract import DECIMAL_PLACES

PER_MILLE = 2.0
MESSY_COLUMNS = ("table", "source_row", "rule", "column")
UNKNOWN_INVOICE = "INV-0000-99999"
UNKNOWN_PAYMENT = "PAY-0000-99999"
UNKNOWN_CUSTOMER = "C99999"


def _reformat_date(value: str) -> str:
    """2024-02-14 -> 14/02/2024: a date typed the European way."""
    year, month, day = value.split("-")
    return f"{day}/{month}/{year}"


def _impossible_date(value: str) -> str:
    """2026-02-14 -> 2026-02-30: the right shape, no such day."""
    return value[:8] + "30" if value[5:7] == "02" else value[:5] + "13" + value[7:]


def _more_decimals(places: int):
    """1296.00 -> 1296.005 (money, 2 places); 8 -> 8.00005 (quantity, 4): one decimal
    more than the column's type holds."""

    def change(value: str) -> str:
        whole, _, decimals = (value or "0").partition(".")
        return f"{whole}.{decimals.ljust(places, '0')}5"

    return change


# Per table: (rule, column, how the value changes); `None` as the change: a whole-row
# fault (a repeat, a conflicting repeat, a truncated line). Reference rules change a key
# to one that is not loaded.
CHANGES = {
    "customers": (
        ("duplicate_row", "customer_id", None),
        ("missing_value", "customer_name", lambda v: ""),
        ("not_a_date", "created_date", _reformat_date),
        ("above_maximum", "payment_terms_days", lambda v: "9999"),
        ("not_a_number", "payment_terms_days", lambda v: "net 30"),
    ),
    "invoices": (
        ("duplicate_row", "invoice_id", None),
        ("conflicting_duplicate_key", "invoice_id", None),
        ("not_accepted_value", "status", lambda v: "cancelled"),
        ("not_a_currency_code", "currency", lambda v: "US$"),
        ("below_minimum", "exchange_rate", lambda v: "0"),
        ("missing_value", "invoice_date", lambda v: ""),
        ("not_a_date", "due_date", _impossible_date),
        ("unknown_customer", "customer_id", lambda v: UNKNOWN_CUSTOMER),
        ("too_many_decimals", "total_amount", _more_decimals(DECIMAL_PLACES["money"])),
    ),
    "invoice_lines": (
        ("duplicate_row", "line_number", None),
        ("conflicting_duplicate_key", "line_number", None),
        ("below_minimum", "quantity", lambda v: "-" + v if v.strip("0.") else "-1"),
        ("not_a_number", "unit_price", lambda v: v + " EUR"),
        ("too_many_decimals", "line_amount", _more_decimals(DECIMAL_PLACES["money"])),
        ("missing_value", "line_amount", lambda v: ""),
    ),
    "payments": (
        ("duplicate_row", "payment_id", None),
        ("out_of_range", "amount", lambda v: "123456789012345678901.00"),
        ("unknown_customer", "customer_id", lambda v: UNKNOWN_CUSTOMER),
        ("missing_value", "payment_date", lambda v: ""),
        ("not_a_date", "payment_date", _reformat_date),
    ),
    "payment_allocations": (
        ("duplicate_row", "invoice_id", None),
        ("unknown_invoice", "invoice_id", lambda v: UNKNOWN_INVOICE),
        ("unknown_payment", "payment_id", lambda v: UNKNOWN_PAYMENT),
        ("below_minimum", "amount_applied", lambda v: "0.00"),
    ),
    "credit_notes": (
        ("duplicate_row", "credit_note_id", None),
        ("customer_mismatch", "customer_id", None),  # another customer of the business
        ("currency_mismatch", "currency", lambda v: "GBP" if v != "GBP" else "CHF"),
        ("unknown_invoice", "invoice_id", lambda v: UNKNOWN_INVOICE),
        ("unknown_business", "business_id", lambda v: v + "-old"),
    ),
    "customer_costs": (
        ("duplicate_row", "cost_id", None),
        ("not_accepted_value", "category", lambda v: "marketing"),
        ("unknown_business", "business_id", lambda v: v + "-old"),
        ("missing_value", "amount", lambda v: ""),
        ("too_many_decimals", "hours", _more_decimals(DECIMAL_PLACES["quantity"])),
        ("malformed_row", None, None),
    ),
}
# Rules that quarantine the row they are on (every rule but an exact repeat, which keeps
# its first row): the row's children fall with it.
KEEPS_ROW = {"duplicate_row"}


@dataclass
class _Table:
    name: str
    header: str
    rows: list[list[str]]
    replaced: dict[int, str] = field(default_factory=dict)
    inserted: dict[int, list[tuple[str, str, str]]] = field(default_factory=dict)
    bad: dict[int, tuple[str, str]] = field(default_factory=dict)  # row -> (rule, column)

    def column(self, name: str) -> int:
        return self.header.split(",").index(name)


def _read(path: Path, name: str) -> _Table:
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    # The generator writes no quotes and no commas inside values: a split is exact.
    return _Table(name, lines[0], [line.split(",") for line in lines[1:] if line])


def write_messy_rows(out: str | Path, rng: np.random.Generator) -> dict[str, int]:
    """Rewrite the CSV files in `out` with bad rows; write `truth/messy_rows.csv`.
    Returns the rows inserted per table (repeats), which the files now hold besides
    the clean ones."""
    out = Path(out)
    tables = {name: _read(out / f"{name}.csv", name) for name in CHANGES}
    with open(out / "truth" / "planted_customers.csv", encoding="utf-8", newline="") as handle:
        truth = list(csv.DictReader(handle))
    # Customers quarantined here are one-off buyers: their few documents fall with them.
    one_off = {
        (r["business_id"], r["customer_id"]) for r in truth if r["behaviour"] == "one_off_small"
    }
    rejected: dict[str, set[tuple[str, str]]] = {
        "customers": set(),
        "invoices": set(),
        "payments": set(),
    }

    def eligible(table: _Table) -> np.ndarray:
        """Rows whose parents (customer, invoice, payment) are all untouched; for the
        customers table, the one-off buyers."""
        columns = table.header.split(",")
        if table.name == "customers":
            return np.array(
                [i for i, row in enumerate(table.rows) if (row[0], row[1]) in one_off], np.int64
            )
        checks = [
            (columns.index(column), rejected[parent])
            for column, parent in (
                ("customer_id", "customers"),
                ("invoice_id", "invoices"),
                ("payment_id", "payments"),
            )
            if column in columns and parent != table.name
        ]
        return np.array(
            [
                i
                for i, row in enumerate(table.rows)
                if not any((row[0], row[position]) in keys for position, keys in checks)
            ],
            np.int64,
        )

    customers_by_business: dict[str, list[str]] = {}
    for row in tables["customers"].rows:
        customers_by_business.setdefault(row[0], []).append(row[1])

    for name in (
        "customers",
        "invoices",
        "payments",
        "invoice_lines",
        "payment_allocations",
        "credit_notes",
        "customer_costs",
    ):
        table = tables[name]
        changes = CHANGES[name]
        if name in ("invoices", "payments"):  # the documents of a quarantined customer
            customer = table.column("customer_id")
            rejected[name] |= {
                (row[0], row[1])
                for row in table.rows
                if (row[0], row[customer]) in rejected["customers"]
            }
        per_rule = max(1, round(len(table.rows) * PER_MILLE / 1000 / len(changes)))
        pool = eligible(table)
        if name == "credit_notes":  # the mismatch rules need a tied credit note
            tied = pool[[bool(table.rows[i][3]) for i in pool]]
        chosen = set()
        for rule, column, change in changes:
            candidates = (
                tied
                if name == "credit_notes" and rule in ("customer_mismatch", "currency_mismatch")
                else pool
            )
            candidates = np.array([i for i in candidates if i not in chosen], np.int64)
            picks = rng.choice(candidates, min(per_rule, len(candidates)), replace=False)
            for i in sorted(int(p) for p in picks):
                chosen.add(i)
                row = list(table.rows[i])
                if rule == "duplicate_row":
                    table.inserted.setdefault(i, []).append((",".join(row), rule, column))
                    continue
                if rule == "conflicting_duplicate_key":
                    # The same key again with another value: status or description.
                    other = list(row)
                    if name == "invoices":
                        status = table.column("status")
                        other[status] = "open" if row[status] != "open" else "paid"
                    else:
                        other[table.column("description")] = (
                            row[table.column("description")] + " (corrected)"
                        )
                    table.inserted.setdefault(i, []).append((",".join(other), rule, column))
                    table.bad[i] = (rule, column)
                elif rule == "malformed_row":
                    table.replaced[i] = ",".join(row[:-2])  # the export cut the line short
                    table.bad[i] = (rule, "")
                elif rule == "customer_mismatch":
                    others = [
                        c
                        for c in customers_by_business[row[0]]
                        if c != row[2] and (row[0], c) not in rejected["customers"]
                    ]
                    row[2] = others[int(rng.integers(len(others)))]
                    table.replaced[i] = ",".join(row)
                    table.bad[i] = (rule, column)
                else:
                    position = table.column(column)
                    row[position] = change(row[position])
                    table.replaced[i] = ",".join(row)
                    table.bad[i] = (rule, column)
                if name in rejected and rule not in KEEPS_ROW:
                    rejected[name].add((table.rows[i][0], table.rows[i][1]))

    inserted: dict[str, int] = {}
    listed: list[tuple[str, int, str, str]] = []
    for name, table in tables.items():
        lines = [table.header]
        for i, row in enumerate(table.rows):
            lines.append(table.replaced.get(i, ",".join(row)))
            if i in table.bad:
                listed.append((name, len(lines), *table.bad[i]))
            for text, rule, column in table.inserted.get(i, []):
                lines.append(text)
                listed.append((name, len(lines), rule, column))
        (out / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        inserted[name] = sum(len(extra) for extra in table.inserted.values())
    with open(out / "truth" / "messy_rows.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(MESSY_COLUMNS)
        writer.writerows(listed)
    return inserted
