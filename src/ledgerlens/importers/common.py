"""What every importer shares: where a company's tables are read from (`open_source`), where
contract rows and skipped rows go (`Output`), and the written folder (`ImportResult`).

All mapping runs in one in-memory DuckDB connection: a source's tables are views (a folder
of CSV/Parquet files, a schema of a DuckDB file) or copies (a PostgreSQL schema, read once
through COPY), and each importer turns them into contract rows with `insert ... select`, so
a million-line company maps in seconds and money stays DECIMAL throughout.

SQL helpers the connection defines for importers (source columns arrive as text from CSV
and PostgreSQL, typed from DuckDB and Parquet, so every read goes through one of them):
- `ll_text(x)`: trimmed text, blank -> null (an integer id 42 -> '42');
- `ll_date(x)`: the date of a date, a timestamp or their ISO text (first 10 characters);
- `ll_money(x)`: decimal(18, 2), rounded half away from zero from floats or text (sync
  tools land QuickBooks and Xero amounts as floating point: 0.1 + 0.2 is 0.30 here);
- `ll_number(x, places)`: the same to `places` decimals, as decimal(18, places) when cast;
- `ll_bool(x)`: true for true/t/1/yes/y (any case), false for false/f/0/no/n, else null.
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from ledgerlens.contract import TABLES, TABLES_BY_NAME

SKIPPED_COLUMNS = {
    # the business the row would have belonged to
    "business_id": "varchar",
    # the source table or report file, and the row's id there (or its line in a file)
    "source_table": "varchar",
    "source_id": "varchar",
    # a short rule-like reason (e.g. `deleted_in_source`, `not_accounts_receivable`)
    "reason": "varchar",
    # what a person needs to act on it, in words
    "detail": "varchar",
    # what the row was worth in its own currency, when it has an amount
    "amount": "decimal(18, 2)",
    "currency": "varchar",
}
REPORT_FOLDER = "import_report"


class ImporterError(Exception):
    """A source that cannot be read or mapped at all: the message names it and why."""


@dataclass(frozen=True)
class Company:
    """One company's books: where they are, and the business id they get in the folder."""

    location: str
    business_id: str
    # Used where the source does not say (a report export carries no company name).
    business_name: str | None = None
    home_currency: str | None = None


@dataclass
class Source:
    """A company's source tables, readable by name in `con`."""

    location: str
    con: duckdb.DuckDBPyConnection
    # The folder, for sources that parse report files themselves (quickbooks-csv, xero-csv).
    folder: Path | None
    _names: dict[str, str] = field(default_factory=dict)  # lower-case name -> relation
    _lazy: dict[str, str] = field(default_factory=dict)  # lower-case name -> file path

    @property
    def tables(self) -> set[str]:
        return set(self._names) | set(self._lazy)

    def has(self, name: str) -> bool:
        return name.lower() in self.tables

    def table(self, name: str) -> str:
        """The relation to select from for source table `name` (case-insensitive)."""
        key = name.lower()
        if key in self._lazy:
            self._names[key] = _file_view(self.con, self._lazy.pop(key))
        if key not in self._names:
            raise ImporterError(
                f"{self.location}: no table {name!r} (found: {', '.join(sorted(self.tables))})"
            )
        return self._names[key]

    def columns(self, name: str) -> list[str]:
        relation = self.table(name)
        return [row[0].lower() for row in self.con.execute(f"describe {relation}").fetchall()]


_view_counter = iter(range(1, 1 << 30))


def _file_view(con: duckdb.DuckDBPyConnection, path: str) -> str:
    view = f"src_file_{next(_view_counter)}"
    literal = "'" + path.replace("'", "''") + "'"
    if path.lower().endswith(".parquet"):
        con.execute(f"create temp view {view} as select * from read_parquet({literal})")
    else:
        # Every column as text: ids keep their leading zeros and the importer decides each
        # type; a sync tool's CSV has a header row and RFC 4180 quoting.
        con.execute(
            f"create temp view {view} as select * from read_csv({literal}, header = true, "
            "all_varchar = true, auto_detect = true)"
        )
    return view


@contextlib.contextmanager
def open_source(location: str, con: duckdb.DuckDBPyConnection) -> Iterator[Source]:
    """The company's tables, from one of:
    - a folder of `<table>.csv` / `<table>.parquet` files (one per source table);
    - a DuckDB file, `path.duckdb` or `path.duckdb:schema` (default: its only schema
      with tables besides `main`, else `main`), attached read-only;
    - a PostgreSQL schema, `postgresql://user@host:port/db?schema=name` (password from
      PGPASSWORD), each table copied once when first read (psycopg2, the `postgres` extra).
    """
    if re.match(r"^postgres(ql)?://", location):
        with _postgres_source(location, con) as source:
            yield source
        return
    path_text, _, schema = location.partition(".duckdb:")
    if schema:
        path_text += ".duckdb"
    path = Path(path_text).expanduser()
    if path.is_dir():
        source = Source(location, con, folder=path)
        for file in sorted(path.iterdir()):
            if file.suffix.lower() in (".csv", ".parquet") and file.is_file():
                if file.stem.lower() in source._lazy:
                    raise ImporterError(f"{location}: both CSV and Parquet for {file.stem}")
                source._lazy[file.stem.lower()] = str(file.resolve())
        yield source
        return
    if path.is_file() and path.suffix == ".duckdb":
        with _duckdb_source(location, path, schema or None, con) as source:
            yield source
        return
    raise ImporterError(
        f"{location}: not a folder, a .duckdb file or a postgresql:// URL"
        if not path.exists()
        else f"{location}: not a folder or a .duckdb file"
    )


_alias_counter = iter(range(1, 1 << 30))


@contextlib.contextmanager
def _duckdb_source(location: str, path: Path, schema: str | None, con) -> Iterator[Source]:
    alias = f"src_db_{next(_alias_counter)}"
    literal = "'" + str(path.resolve()).replace("'", "''") + "'"
    con.execute(f"attach {literal} as {alias} (read_only)")
    try:
        rows = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = ?",
            [alias],
        ).fetchall()
        schemas = sorted({row[0] for row in rows})
        if schema is None:
            others = [name for name in schemas if name != "main"]
            schema = others[0] if len(others) == 1 else "main"
        if schema not in schemas:
            raise ImporterError(
                f"{location}: no schema {schema!r} with tables (found: {', '.join(schemas)})"
            )
        source = Source(location, con, folder=None)
        for table_schema, table in rows:
            if table_schema == schema:
                source._names[table.lower()] = f'{alias}."{schema}"."{table}"'
        yield source
    finally:
        con.execute(f"detach {alias}")


@contextlib.contextmanager
def _postgres_source(location: str, con) -> Iterator[Source]:
    from urllib.parse import parse_qs, urlsplit, urlunsplit

    try:
        import psycopg2
    except ModuleNotFoundError as error:
        raise ImporterError(
            "reading PostgreSQL needs psycopg2: pip install 'ledgerlens[postgres]'"
        ) from error
    parts = urlsplit(location)
    schema = parse_qs(parts.query).get("schema", ["public"])[0]
    dsn = urlunsplit(parts._replace(query=""))
    scratch = Path(tempfile.mkdtemp(prefix="ledgerlens-import-"))
    try:
        with psycopg2.connect(dsn) as pg, pg.cursor() as cursor:
            cursor.execute(
                "select table_name from information_schema.tables where table_schema = %s",
                [schema],
            )
            names = [row[0] for row in cursor.fetchall()]
            if not names:
                raise ImporterError(f"{location}: schema {schema!r} has no tables")
            source = Source(location, con, folder=None)
            for name in names:
                # Text, exactly as PostgreSQL prints it: numerics keep every digit.
                file = scratch / f"{name}.csv"
                with file.open("w", encoding="utf-8", newline="") as handle:
                    cursor.copy_expert(
                        f'copy (select * from "{schema}"."{name}") to stdout '
                        "with (format csv, header true)",
                        handle,
                    )
                view = _file_view(con, str(file))
                # Materialise: the scratch folder goes when the block ends.
                table = f"{view}_copy"
                con.execute(f"create temp table {table} as select * from {view}")
                source._names[name.lower()] = table
            yield source
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


class Output:
    """Contract rows and skipped rows of every company of one import, in DuckDB tables
    typed as the contract types them (`out.<table>`, `out.skipped`)."""

    def __init__(self) -> None:
        self.con = duckdb.connect()
        # DuckDB draws progress bars on a terminal for long queries: not in a command's output.
        self.con.execute("set enable_progress_bar = false")
        self.con.execute("create schema out")
        for table in TABLES:
            columns = ", ".join(f'"{c.name}" {c.sql_type}' for c in table.columns)
            self.con.execute(f"create table out.{table.name} ({columns})")
        columns = ", ".join(f"{name} {kind}" for name, kind in SKIPPED_COLUMNS.items())
        self.con.execute(f"create table out.skipped ({columns})")
        self.con.execute(_HELPERS)

    def insert(self, table: str, select_sql: str, params: list | None = None) -> int:
        """Add the rows of `select_sql` (columns named as the contract's; any left out are
        null) to contract table `table`; returns how many."""
        if table not in TABLES_BY_NAME:
            raise ValueError(f"not a contract table: {table}")
        return self._insert(f"out.{table}", select_sql, params)

    def skip(self, select_sql: str, params: list | None = None) -> int:
        """Add source rows that cannot be mapped (columns as SKIPPED_COLUMNS)."""
        return self._insert("out.skipped", select_sql, params)

    def _insert(self, target: str, select_sql: str, params: list | None) -> int:
        before = self.con.execute(f"select count(*) from {target}").fetchone()[0]
        self.con.execute(f"insert into {target} by name {select_sql}", params or [])
        return self.con.execute(f"select count(*) from {target}").fetchone()[0] - before

    def write(self, out_dir: Path, source_name: str) -> ImportResult:
        """Write the contract folder and the skipped-rows report; returns what was written."""
        for table in TABLES:
            keys = ", ".join(table.key)
            repeated = self.con.execute(
                f"select {keys}, count(*) from out.{table.name} group by all "
                "having count(*) > 1 limit 3"
            ).fetchall()
            if repeated:
                # An importer bug, not bad input: the loader would quarantine both rows.
                raise ImporterError(
                    f"{source_name}: mapped {table.name} repeats its key ({keys}): {repeated}"
                )
        out_dir.mkdir(parents=True, exist_ok=True)
        rows: dict[str, int] = {}
        for table in TABLES:
            for stale in (out_dir / f"{table.name}.csv", out_dir / f"{table.name}.parquet"):
                stale.unlink(missing_ok=True)
            columns = ", ".join(f'"{name}"' for name in table.column_names)
            keys = ", ".join(table.key)
            target = "'" + str(out_dir / f"{table.name}.csv").replace("'", "''") + "'"
            self.con.execute(
                f"copy (select {columns} from out.{table.name} order by {keys}) "
                f"to {target} (header, delimiter ',')"
            )
            rows[table.name] = self.con.execute(
                f"select count(*) from out.{table.name}"
            ).fetchone()[0]
        report = out_dir / REPORT_FOLDER
        report.mkdir(exist_ok=True)
        skipped_file = report / "skipped_rows.csv"
        target = "'" + str(skipped_file).replace("'", "''") + "'"
        self.con.execute(
            "copy (select * from out.skipped order by business_id, source_table, source_id) "
            f"to {target} (header, delimiter ',')"
        )
        skipped = [
            SkippedGroup(business, table, reason, count, amount)
            for business, table, reason, count, amount in self.con.execute(
                "select business_id, source_table, reason, count(*), sum(amount) "
                "from out.skipped group by all order by all"
            ).fetchall()
        ]
        result = ImportResult(
            source=source_name,
            folder=str(out_dir),
            businesses=[
                row[0]
                for row in self.con.execute(
                    "select business_id from out.businesses order by 1"
                ).fetchall()
            ],
            rows=rows,
            skipped=skipped,
            skipped_file=str(skipped_file),
        )
        (report / "summary.json").write_text(json.dumps(result.as_json(), indent=2) + "\n")
        return result

    def close(self) -> None:
        self.con.close()


_HELPERS = """
create macro ll_text(x) as nullif(trim(cast(x as varchar)), '');
create macro ll_date(x) as try_cast(left(trim(cast(x as varchar)), 10) as date);
create macro ll_money(x) as
    cast(round(cast(nullif(trim(cast(x as varchar)), '') as decimal(38, 10)), 2)
        as decimal(18, 2));
create macro ll_number(x, places) as
    round(cast(nullif(trim(cast(x as varchar)), '') as decimal(38, 10)), places);
create macro ll_bool(x) as case
    when lower(trim(cast(x as varchar))) in ('true', 't', '1', 'yes', 'y') then true
    when lower(trim(cast(x as varchar))) in ('false', 'f', '0', 'no', 'n') then false
end;
"""


@dataclass(frozen=True)
class SkippedGroup:
    business_id: str
    source_table: str
    reason: str
    rows: int
    amount: Decimal | None


@dataclass
class ImportResult:
    source: str
    folder: str
    businesses: list[str]
    rows: dict[str, int]
    skipped: list[SkippedGroup]
    skipped_file: str

    def as_json(self) -> dict:
        return {
            "source": self.source,
            "folder": self.folder,
            "businesses": self.businesses,
            "rows": self.rows,
            "skipped": [
                {
                    "business_id": group.business_id,
                    "source_table": group.source_table,
                    "reason": group.reason,
                    "rows": group.rows,
                    "amount": None if group.amount is None else str(group.amount),
                }
                for group in self.skipped
            ],
            "skipped_file": self.skipped_file,
        }


def read_report_csv(path: Path) -> list[list[str]]:
    """A report export's rows as lists of text (UTF-8 with or without BOM): title lines,
    blank lines and totals are the caller's to recognise."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))
