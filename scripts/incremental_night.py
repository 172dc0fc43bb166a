"""Data for measuring an incremental night (DECISIONLOG.md "Nightly runs that do only the
new work"); not part of a run.

    python scripts/incremental_night.py clone SRC DST --copies 5
        DST holds SRC's businesses COPIES times (copy k > 1 renamed `<id>_<k>`): the demo
        generator's four businesses become twenty. The files are copied as text.
    python scripts/incremental_night.py add-day DATA --business northwind_3
        Appends one day of documents to one business's files: its invoices (with their
        lines) and payments of its latest day, one day later under new ids; a copied
        payment keeps only its allocations to the copied invoices.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import duckdb

TABLES = (
    "businesses",
    "customers",
    "customer_costs",
    "invoices",
    "invoice_lines",
    "payments",
    "payment_allocations",
    "credit_notes",
)


def _read(path: Path) -> str:
    return f"read_csv('{path}', all_varchar = true, header = true)"


def clone(source: Path, target: Path, copies: int) -> None:
    target.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    for table in TABLES:
        path = source / f"{table}.csv"
        renamed = "business_id || '_' || copy_number as business_id"
        if table == "businesses":
            renamed += ", business_name || ' ' || copy_number as business_name"
        con.execute(
            f"""
            copy (
                select * from {_read(path)}
                union all by name
                select * exclude (copy_number) replace ({renamed})
                from {_read(path)}, range(2, {copies + 1}) as copies(copy_number)
            ) to '{target / f"{table}.csv"}' (header, quote '"')
            """
        )


def _append(con: duckdb.DuckDBPyConnection, path: Path, select: str) -> int:
    extra = path.with_suffix(".day.csv")
    con.execute(f"copy ({select}) to '{extra}' (header false)")
    rows = 0
    with path.open("a") as out, extra.open() as lines:
        for line in lines:
            out.write(line)
            rows += 1
    extra.unlink()
    return rows


def add_day(data: Path, business: str) -> dict[str, int]:
    con = duckdb.connect()
    shift = "strftime(cast({0} as date) + 1, '%Y-%m-%d') as {0}"
    for table, date in (("invoices", "invoice_date"), ("payments", "payment_date")):
        con.execute(
            f"""
            create table day_{table} as
            select * from {_read(data / f"{table}.csv")}
            where business_id = '{business}' and {date} = (
                select max({date}) from {_read(data / f"{table}.csv")}
                where business_id = '{business}'
            )
            """
        )
    added = {}
    added["invoices"] = _append(
        con,
        data / "invoices.csv",
        f"select * replace (invoice_id || '-N1' as invoice_id,"
        f" {shift.format('invoice_date')}, {shift.format('due_date')}) from day_invoices",
    )
    added["invoice_lines"] = _append(
        con,
        data / "invoice_lines.csv",
        f"select lines.* replace (lines.invoice_id || '-N1' as invoice_id)"
        f" from {_read(data / 'invoice_lines.csv')} as lines"
        f" semi join day_invoices on lines.business_id = day_invoices.business_id"
        f" and lines.invoice_id = day_invoices.invoice_id",
    )
    added["payments"] = _append(
        con,
        data / "payments.csv",
        f"select * replace (payment_id || '-N1' as payment_id,"
        f" {shift.format('payment_date')}) from day_payments",
    )
    added["payment_allocations"] = _append(
        con,
        data / "payment_allocations.csv",
        f"select allocations.* replace (allocations.payment_id || '-N1' as payment_id,"
        f" allocations.invoice_id || '-N1' as invoice_id)"
        f" from {_read(data / 'payment_allocations.csv')} as allocations"
        f" semi join day_payments on allocations.business_id = day_payments.business_id"
        f" and allocations.payment_id = day_payments.payment_id"
        f" semi join day_invoices on allocations.business_id = day_invoices.business_id"
        f" and allocations.invoice_id = day_invoices.invoice_id",
    )
    return added


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    clone_parser = commands.add_parser("clone")
    clone_parser.add_argument("source", type=Path)
    clone_parser.add_argument("target", type=Path)
    clone_parser.add_argument("--copies", type=int, default=5)
    day_parser = commands.add_parser("add-day")
    day_parser.add_argument("data", type=Path)
    day_parser.add_argument("--business", required=True)
    args = parser.parse_args()
    if args.command == "clone":
        if args.target.exists():
            shutil.rmtree(args.target)
        clone(args.source, args.target, args.copies)
    else:
        print(add_day(args.data, args.business))


if __name__ == "__main__":
    main()
