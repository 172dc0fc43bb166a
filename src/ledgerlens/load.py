"""Load raw contract files into the warehouse's `raw` schema, quarantining bad rows.

Every raw row ends up in exactly one place: `raw.<table>` (typed, valid) or
`quarantine.<table>` (the raw text as read, with file, row number and the rule it broke).
All work is set-based DuckDB SQL; nothing loops over rows in Python.

Row numbers are file line numbers counting the header as line 1 (a record with a quoted
line break counts as one line), which is how DuckDB reports malformed records too.
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ledgerlens import contract
from ledgerlens.contract import DECIMAL_PLACES, TABLES_BY_NAME, Column, Table

DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
NUMBER_PATTERN = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
CURRENCY_PATTERN = r"[A-Z]{3}"


class ContractError(Exception):
    """A raw file that cannot be loaded at all (missing, unreadable, wrong columns)."""


@dataclass
class LoadResult:
    table: str
    source_file: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    quarantined_by_rule: dict[str, int] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Rows of businesses whose rows were kept from the last load (`keep_unchanged`).
    rows_kept: int = 0


def find_source_file(data_dir: Path, table: str) -> Path:
    """The one file holding `table` in `data_dir` (subfolders are ignored)."""
    candidates = [data_dir / f"{table}.{ext}" for ext in ("csv", "parquet")]
    found = [path for path in candidates if path.is_file()]
    if not found:
        raise ContractError(
            f"{data_dir}: no file for table '{table}' (expected {table}.csv or {table}.parquet)"
        )
    if len(found) > 1:
        raise ContractError(
            f"{data_dir}: both {table}.csv and {table}.parquet exist; keep exactly one"
        )
    return found[0]


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _read_csv_header(path: Path) -> list[str]:
    with path.open("rb") as handle:
        first = handle.readline(1_000_000)
    if not first.strip():
        raise ContractError(f"{path}: the file is empty (expected a header row)")
    if first.startswith(codecs.BOM_UTF8):
        first = first[len(codecs.BOM_UTF8) :]
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ContractError(
            f"{path}: the header row is not UTF-8 text (byte {error.start}); "
            "save the export as UTF-8 CSV"
        ) from error
    # Names are matched without regard to case or surrounding spaces: "Invoice_ID " is
    # invoice_id. The values are read by position, so renaming here is safe.
    return [name.strip().lower() for name in next(csv.reader(io.StringIO(text)))]


def _check_header(path: Path, table: Table, header: list[str]) -> list[str]:
    """Raise on missing or repeated contract columns; return the ignored extra columns."""
    expected = table.column_names
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ContractError(f"{path}: column(s) {', '.join(repeated)} appear more than once")
    missing = [
        column.name
        for column in table.columns
        if column.name not in header and not column.may_be_absent
    ]
    if missing:
        hint = ""
        if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
            hint = " (the file does not seem to be comma-separated)"
        raise ContractError(
            f"{path}: missing column(s) {', '.join(missing)}{hint}; "
            f"expected {', '.join(expected)}; found {', '.join(header) or 'nothing'}"
        )
    return [name for name in header if name not in expected]


def _read_csv(
    con: duckdb.DuckDBPyConnection,
    file_sql: str,
    columns: str,
    *,
    into: str = "_ll_read",
    select: str = "*",
    where: str = "true",
) -> None:
    """Temp table `into`: `select` over the file's records in file order (those `where`
    keeps), every column text; the lines that cannot be split are in
    `_ll_reject_errors`. Insertion order is file order, so a row's rowid is its place
    among the records read."""
    # DuckDB appends to an existing rejects table: start empty, or a connection that
    # loads several files would charge one file's bad lines to the next.
    con.execute("drop table if exists _ll_reject_errors")
    con.execute("drop table if exists _ll_reject_scans")
    con.execute(
        f"""
        create or replace temp table {into} as
        select {select} from read_csv(
            {file_sql}, header = true, auto_detect = false, delim = ',',
            quote = '"', escape = '"', columns = {columns},
            store_rejects = true, rejects_table = '_ll_reject_errors',
            rejects_scan = '_ll_reject_scans', rejects_limit = 0
        )
        where {where}
        """
    )


def _csv_columns(header: list[str]) -> str:
    """read_csv's `columns`: explicit, every one text. Typing happens later, per value,
    with a rule for every failure, so that one bad value never rejects a whole file."""
    return "{" + ", ".join(f"{_sql_string(name)}: 'varchar'" for name in header) + "}"


def _contract_columns(table: Table, header: list[str]) -> list[str]:
    """The contract's columns as read from a file with `header`: a column the file may
    leave out reads as blank when it does."""
    return [
        _quote(name) if name in header else f"null::varchar as {_quote(name)}"
        for name in table.column_names
    ]


def _read_malformed(con: duckdb.DuckDBPyConnection) -> int:
    """Temp table `_ll_malformed` from the last read's rejects: one row per line that
    cannot be split into the header's columns. Returns how many."""
    con.execute(
        """
        create or replace temp table _ll_malformed as
        select
            line as _source_row,
            string_agg(distinct cast(error_type as varchar), '; ') as detail,
            max(csv_line) as raw_line
        from _ll_reject_errors
        group by line
        """
    )
    return con.execute("select count(*) from _ll_malformed").fetchone()[0]


def _good_lines(records: str) -> str:
    """A query of `line_number` and `good_index` (from 1): the n-th record DuckDB read
    from the file, of the `records` read, sits on the n-th line it did not reject
    (`_ll_malformed`)."""
    return f"""
        select
            line_number,
            row_number() over (order by line_number) as good_index
        from range(2, 2 + (select count(*) from {records})
                         + (select count(*) from _ll_malformed)) as r(line_number)
        where line_number not in (select _source_row from _ll_malformed)
    """


def _temp_kind(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """'table' or 'view' for a temp object of that name, None when there is none."""
    found = con.execute(
        "select 'view' from duckdb_views() where temporary and view_name = $name"
        " union all"
        " select 'table' from duckdb_tables() where temporary and table_name = $name",
        {"name": name},
    ).fetchone()
    return found[0] if found else None


def _drop_temp(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop the temp table or view `name`, whichever it is (`_ll_input` is either).
    Tried both ways rather than looked up: DuckDB's catalog functions took 0.3 s."""
    for kind in ("view", "table"):
        try:
            con.execute(f"drop {kind} if exists {name}")
        except duckdb.CatalogException:
            pass  # the other kind


def _normalise_line_endings(source: Path, target: Path, chunk: int = 1 << 24) -> bool:
    """Copy `source` to `target` with every CRLF as LF; False if there was no CRLF."""
    found = False
    with source.open("rb") as read, target.open("wb") as write:
        carry = b""
        while block := read.read(chunk):
            block = carry + block
            # A CR at the end of a block may be the first half of a CRLF.
            carry = b"\r" if block.endswith(b"\r") else b""
            if carry:
                block = block[:-1]
            found = found or b"\r\n" in block
            write.write(block.replace(b"\r\n", b"\n"))
        write.write(carry)
    return found


def _read_source(con: duckdb.DuckDBPyConnection, path: Path, table: Table) -> list[str]:
    """Create temp table `_ll_input` (all text, `_source_row`) and `_ll_malformed`.

    Returns the file's columns that are not in the contract (ignored).
    """
    file_sql = _sql_string(str(path))
    if path.suffix == ".csv":
        header = _read_csv_header(path)
        ignored = _check_header(path, table, header)
        columns = _csv_columns(header)
        try:
            _read_csv(con, file_sql, columns)
        except duckdb.Error as error:
            # Some lines end in CRLF and others in LF (a file edited by hand in another
            # program): DuckDB's reader wants one kind. Read a copy with LF throughout;
            # line numbers stay the same.
            with tempfile.TemporaryDirectory(prefix="ledgerlens-") as scratch:
                copy = Path(scratch) / path.name
                if not _normalise_line_endings(path, copy):
                    raise ContractError(f"{path}: cannot be read as CSV: {error}") from error
                try:
                    _read_csv(con, _sql_string(str(copy)), columns)
                except duckdb.Error as second:
                    raise ContractError(f"{path}: cannot be read as CSV: {second}") from second
        malformed_lines = _read_malformed(con)
        selected = ", ".join(_contract_columns(table, header))
        _drop_temp(con, "_ll_input")
        if malformed_lines == 0:
            # Insertion order is file order: record n (from 0) is on line n + 2. A view,
            # not a copy: copying the rows took 2.7 of the 23.4 s that invoice_lines
            # took at 10 million lines (DECISIONLOG.md, 2026-12-05 (months)). A row
            # keeps its rowid when others are deleted (`_keep_unchanged`).
            con.execute(
                "create temp view _ll_input as"
                f" select rowid + 2 as _source_row, {selected} from _ll_read"
            )
            return ignored
        # Good records keep file order (insertion order), so the n-th good record
        # sits on the n-th line that DuckDB did not reject.
        con.execute(
            f"""
            create temp table _ll_input as
            with numbered as (
                select rowid + 1 as good_index, {selected} from _ll_read
            ),
            lines as ({_good_lines("_ll_read")})
            select lines.line_number as _source_row, numbered.* exclude (good_index)
            from numbered
            join lines on numbered.good_index = lines.good_index
            """
        )
        con.execute("drop table _ll_read")
        return ignored
    if path.suffix == ".parquet":
        try:
            described = con.execute(f"describe select * from read_parquet({file_sql})").fetchall()
        except duckdb.Error as error:
            raise ContractError(f"{path}: cannot be read as Parquet: {error}") from error
        ignored = _check_header(path, table, [row[0] for row in described])
        types = {row[0]: str(row[1]).upper() for row in described}

        def as_text(column: Column) -> str:
            name = _quote(column.name)
            if column.name not in types:  # a column the file may leave out
                return "null::varchar"
            # Parquet writers often store dates as midnight timestamps: read those as the
            # date; a timestamp with a time of day stays text and breaks `not_a_date`.
            if column.kind == "date" and types[column.name].startswith("TIMESTAMP"):
                return (
                    f"case when cast({name} as time) = time '00:00:00'"
                    f" then cast(cast({name} as date) as varchar)"
                    f" else cast({name} as varchar) end"
                )
            return f"cast({name} as varchar)"

        selected = ", ".join(f"{as_text(c)} as {_quote(c.name)}" for c in table.columns)
        # Parquet has no header line: rows are numbered from 1.
        _drop_temp(con, "_ll_input")
        con.execute(
            f"""
            create temp table _ll_input as
            select file_row_number + 1 as _source_row, {selected}
            from read_parquet({file_sql}, file_row_number = true)
            """
        )
        con.execute(
            "create or replace temp table _ll_malformed as "
            "select 0::bigint as _source_row, ''::varchar as detail, ''::varchar as raw_line "
            "where false"
        )
        return ignored
    raise ContractError(f"{path}: unsupported file type (use .csv or .parquet)")


# Each value is trimmed once, into these prepared columns, and typed once from them; the
# rules read them. (DuckDB does not share a repeated expression between the branches of a
# CASE, and re-trimming and re-casting each value per rule made validation 3x slower.)


def _value(column: Column) -> str:
    """The trimmed text of a column, NULL when blank."""
    return _quote("text__" + column.name)


def _typed(column: Column) -> str:
    return _quote("typed__" + column.name)


def _trimmed(name: str) -> str:
    """SQL for a text column's value as every rule reads it: trimmed, NULL when blank.

    DuckDB's `trim` removes the 17 characters of Unicode's space-separator category (the
    ASCII space is the only ASCII one; a tab is kept), and reads and copies every value
    to find them: on the 10 million lines of `invoice_lines` the ten trims alone took
    3.3 s, all of the typing's expressions 4.9 (DECISIONLOG.md, 2026-12-06 (loader)).
    A value that is pure ASCII (as many bytes as characters) and neither starts nor ends
    with a space is its own trim, so `trim` runs only on the others: the same value for
    every code point as the first, last or only character (`tests/test_load.py`), in
    1.7 s instead of 3.3."""
    value = _quote(name)
    return (
        f"nullif(case when strlen({value}) <> length({value}) or starts_with({value}, ' ')"
        f" or ends_with({value}, ' ') then trim({value}) else {value} end, '')"
    )


def _prepared_columns(column: Column) -> list[str]:
    return [f"{_trimmed(column.name)} as {_value(column)}"]


def _too_many_decimals(column: Column, places: int) -> str:
    """SQL: the number's text carries more than `places` decimal places, trailing zeros
    not counted ('10.50' and '10.500' carry one, '10.05' two). Read from the text, so
    every digit counts: the rule used to compare the value cast to decimal(38, 10) with
    its rounding, and that cast dropped the digits past the tenth place ('10.00000000001'
    loaded as 10.0000; DECISIONLOG.md, 2026-12-05). Reached only for a number: the
    `not_a_number` rule comes first, so there is at most one point.
    The digits after the point, trailing zeros aside, are the text without its trailing
    zeros less everything up to the point: rtrim stops at the point, which is no zero.
    Not `split_part(..., '.', 2)`: it took three times as long, and was most of the
    typing of `invoice_lines` (DECISIONLOG.md, 2026-12-05 (evening)). The rtrim runs only
    where the text has more than `places` characters after the point: most values have
    no more (the typing of `invoice_lines` at 10 million lines: 8.7 -> 7.6 s;
    DECISIONLOG.md, 2026-12-05 (writing less))."""
    value = _value(column)
    point = f"strpos({value}, '.')"
    return (
        f"case when {point} = 0 or length({value}) - {point} <= {places} then false"
        f" else length(rtrim({value}, '0')) - {point} > {places} end"
    )


def _typed_expression(column: Column) -> str:
    value = _value(column)
    if column.kind in ("id", "text"):
        return value
    if column.kind == "enum":
        return f"lower({value})"
    if column.kind == "currency":
        return f"upper({value})"
    return f"try_cast({value} as {column.sql_type})"


def _row_rules(column: Column) -> list[tuple[str, str, str]]:
    """(rule, condition on the raw text, detail) for one column, most basic first."""
    value = _value(column)
    shown = f"'{column.name} ' || coalesce('''' || {_quote(column.name)} || '''', 'is blank')"
    rules: list[tuple[str, str, str]] = []
    if column.required:
        rules.append(("missing_value", f"{value} is null", f"'{column.name} is blank'"))
    if column.kind == "date":
        rules.append(
            (
                "not_a_date",
                f"{value} is not null and (not regexp_full_match({value}, '{DATE_PATTERN}')"
                f" or {_typed(column)} is null)",
                f"{shown} || ' is not a date (YYYY-MM-DD)'",
            )
        )
    elif column.kind in DECIMAL_PLACES or column.kind == "integer":
        places = DECIMAL_PLACES.get(column.kind, 0)
        rules.append(
            (
                "not_a_number",
                f"{value} is not null and not regexp_full_match({value}, '{NUMBER_PATTERN}')",
                f"{shown} || ' is not a number'",
            )
        )
        rules.append(
            (
                "too_many_decimals",
                _too_many_decimals(column, places),
                f"{shown} || ' has more than {places} decimal places'",
            )
        )
        rules.append(
            (
                "out_of_range",
                f"{value} is not null and {_typed(column)} is null",
                f"{shown} || ' does not fit {column.sql_type}'",
            )
        )
    elif column.kind == "currency":
        rules.append(
            (
                "not_a_currency_code",
                f"{value} is not null and not regexp_full_match(upper({value}), "
                f"'{CURRENCY_PATTERN}')",
                f"{shown} || ' is not an ISO 4217 currency code'",
            )
        )
    if column.accepted_values:
        listed = ", ".join(_sql_string(v) for v in column.accepted_values)
        rules.append(
            (
                "not_accepted_value",
                f"{value} is not null and lower({value}) not in ({listed})",
                f"{shown} || ' is not one of {', '.join(column.accepted_values)}'",
            )
        )
    if column.min_value is not None:
        op = "<=" if column.min_exclusive else "<"
        word = "greater than" if column.min_exclusive else "at least"
        rules.append(
            (
                "below_minimum",
                f"{_typed(column)} {op} {column.min_value}",
                f"{shown} || ' must be {word} {column.min_value}'",
            )
        )
    if column.max_value is not None:
        rules.append(
            (
                "above_maximum",
                f"{_typed(column)} > {column.max_value}",
                f"{shown} || ' must be at most {column.max_value}'",
            )
        )
    return rules


def _first_broken(rules: list[tuple[str, str, str, str]]) -> str:
    """SQL for the position of the first rule of `rules` a row breaks (null: none).

    Each rule is (name, condition, detail, column), all SQL. The conditions (regular
    expressions, anti-joins) are evaluated once, into an index; the rule's name, column
    and detail are then picked by that index (`_pick`), not evaluated again.
    """
    if not rules:
        return "null::integer"
    whens = " ".join(f"when {cond} then {i}" for i, (_, cond, _, _) in enumerate(rules))
    return f"case {whens} end"


def _pick(rules: list[tuple[str, str, str, str]], index: str, part: int) -> str:
    if not rules:
        return "null"
    return (
        f"case {index} "
        + " ".join(f"when {i} then {rule[part]}" for i, rule in enumerate(rules))
        + " end"
    )


def _validate(con: duckdb.DuckDBPyConnection, table: Table, typed: str, source_file: str) -> None:
    """Create the table `typed` (every input row's typed values, `typed__<column>`, its
    `_source_file` and `_source_row`, and `row_rule_index`, the first row rule it breaks)
    and the temp table `_ll_rejected` (the rows that break any rule, each with the first
    rule it breaks and its detail). `typed` is the temp table `_ll_typed`, or on a whole
    load the table `raw.<table>` itself, which `_typed_to_loaded` then makes the loaded
    rows (load_table)."""
    prepared = [item for column in table.columns for item in _prepared_columns(column)]
    typed_names = ", ".join(_typed(column) for column in table.columns)
    # Cast to the column's type here: these are the loaded table's columns (a whole load
    # writes `raw.<table>` in this pass).
    typed_columns = ", ".join(
        f"cast({_typed_expression(column)} as {column.sql_type}) as {_typed(column)}"
        for column in table.columns
    )
    row_rules = [
        (f"'{name}'", cond, text, f"'{column.name}'")
        for column in table.columns
        for name, cond, text in _row_rules(column)
    ]
    if table.name == "credit_notes":
        # Checked after every column rule (the values are typed by then). A refund is cash
        # paid back out of the credit: no more than the credit note's total, and only on
        # a credit note tied to no invoice, since a tied one settles its invoice in full
        # (the cash could not also have gone back). DECISIONLOG.md, refunds.
        row_rules += [
            (
                "'refund_exceeds_credit'",
                "typed__refunded_amount > typed__amount + typed__tax_amount",
                "'refunded_amount ' || cast(typed__refunded_amount as varchar)"
                " || ' exceeds the credit note''s total (amount + tax_amount) '"
                " || cast(typed__amount + typed__tax_amount as varchar)",
                "'refunded_amount'",
            ),
            (
                "'refund_on_tied_credit_note'",
                "typed__refunded_amount > 0 and typed__invoice_id is not null",
                "'refunded_amount ' || cast(typed__refunded_amount as varchar)"
                " || ' on a credit note tied to invoice ' || typed__invoice_id"
                " || ': a credit note refunded in cash must be tied to no invoice'",
                "'refunded_amount'",
            ),
        ]
    keys = ", ".join(_quote("typed__" + name) for name in table.key)
    everything = ", ".join(_quote("typed__" + name) for name in table.column_names)
    key_shown = " || '/' || ".join(
        f"coalesce({_quote('typed__' + name)}, '')" for name in table.key
    )

    # Every rule below reads only the row's own business's rows of the parent tables
    # (`table.parents`): a nightly load keeps a business's rows while its rows in those
    # tables are unchanged (`_fingerprint`). A rule reading another table must make it a
    # parent in the contract.
    # A parent that rules beyond the reference read too (the invoice of an allocation or
    # a credit note, the payment of an allocation) is joined once, on its whole key, so
    # at most one of its rows matches (its loaded rows are unique on the key;
    # `tests/test_contract.py` holds every reference to its parent's key), and every rule
    # on it reads the joined row. An `exists` per rule read the parent once per rule: at
    # 10 million lines, `payment_allocations`' four rules on invoices and payments took
    # 3.5 s as `exists` and 0.7 s as two joins. A parent read by its reference alone stays
    # a `not exists`: as a join, the loads of invoices, invoice_lines and payments took
    # 0.7-0.9 s longer each (DECISIONLOG.md, 2026-12-06 (loader)). A parent that does not
    # match leaves its columns null, so a comparison with them is not true, as `exists`
    # was false.
    joined = {"payment_allocations": ("invoices", "payments"), "credit_notes": ("invoices",)}

    def parent(name: str) -> str:
        return f"parent_{name}"

    parent_joins = []
    reference_rules = []
    for reference in table.references:
        alias = parent(reference.parent)
        match = " and ".join(
            f"{alias}.{_quote(parent_col)} = keyed.{_quote('typed__' + col)}"
            for col, parent_col in zip(reference.columns, reference.parent_columns, strict=True)
        )
        if reference.parent in joined.get(table.name, ()):
            parent_joins.append(f"left join raw.{reference.parent} as {alias} on {match}")
            missing = f"{alias}.{_quote(reference.parent_columns[0])} is null"
        else:
            missing = f"not exists (select 1 from raw.{reference.parent} as {alias} where {match})"
        if reference.optional:
            own = " and ".join(
                f"keyed.{_quote('typed__' + col)} is not null" for col in reference.columns
            )
            missing = f"({own} and {missing})"
        shown = " || '/' || ".join(f"keyed.{_quote('typed__' + c)}" for c in reference.columns)
        reference_rules.append(
            (
                f"'{reference.rule}'",
                missing,
                f"{_sql_string(reference.parent[:-1] + ' ')} || {shown} || "
                "' is not loaded (absent from its file, or quarantined)'",
                f"'{reference.columns[-1]}'",
            )
        )
    invoice, payment = parent("invoices"), parent("payments")
    if table.name in ("credit_notes", "payment_allocations"):
        # A void invoice counts for nothing, so nothing can settle it: a credit note or an
        # allocation naming one would lower net sales twice or make the cash vanish from
        # customer credit. The export is inconsistent (QuickBooks unapplies payments and
        # credits when an invoice is voided; Xero will not void a paid invoice): a person
        # must look. The payment stays loaded, so its cash is customer credit meanwhile.
        reference_rules.append(
            (
                "'void_invoice'",
                f"{invoice}.status = 'void'",
                "'invoice ' || keyed.typed__invoice_id || ' is void: nothing can be applied to it'",
                "'invoice_id'",
            )
        )
    if table.name == "payment_allocations":
        # amount_applied is in the invoice's currency; the payment's rate values it only
        # when the payment is in that currency too (QuickBooks and Xero require it).
        reference_rules.append(
            (
                "'currency_mismatch'",
                f"{invoice}.currency <> {payment}.currency",
                "'payment ' || keyed.typed__payment_id || ' is in another currency than"
                " invoice ' || keyed.typed__invoice_id",
                "'payment_id'",
            )
        )
    if table.name == "credit_notes":
        # A credit note tied to an invoice must credit that invoice's own customer.
        reference_rules.append(
            (
                "'customer_mismatch'",
                f"{invoice}.customer_id <> keyed.typed__customer_id",
                "'credit note customer ' || keyed.typed__customer_id"
                " || ' differs from the customer of invoice ' || keyed.typed__invoice_id",
                "'customer_id'",
            )
        )
        # Settlement compares a tied credit note with its invoice in one currency.
        reference_rules.append(
            (
                "'currency_mismatch'",
                f"{invoice}.currency <> keyed.typed__currency",
                "'credit note currency ' || keyed.typed__currency"
                " || ' differs from the currency of invoice ' || keyed.typed__invoice_id",
                "'currency'",
            )
        )
    later_rules = [
        (
            "'conflicting_duplicate_key'",
            "keyed.key_conflicts",
            f"'key ' || {key_shown.replace(chr(34) + 'typed__', 'keyed.' + chr(34) + 'typed__')}"
            " || ' appears on ' || keyed.key_rows || ' rows with different values;"
            " none is loaded'",
            f"'{table.key[-1]}'",
        ),
        (
            "'duplicate_row'",
            "keyed.key_position > 1",
            "'exact repeat of the row at line ' || keyed.key_first_row",
            f"'{table.key[-1]}'",
        ),
        *reference_rules,
    ]
    row_index = _first_broken(row_rules)
    later_index = _first_broken(later_rules)

    # 1. Type every value and find the first row-level rule it breaks (one pass). Only the
    # typed values and the rule are kept: the trimmed and widened values serve the rules
    # alone, and writing them too made this step a third slower (invoice_lines at 10
    # million lines: 32.8 against 43.8 CPU-s). The file's text is read back from
    # `_ll_input` for the rejected rows alone (step 3; DECISIONLOG.md, 2026-12-05
    # (writing less)).
    temp = "temp " if typed == "_ll_typed" else ""
    con.execute(
        f"""
        create or replace {temp}table {typed} as
        with prepared as (
            select _source_row, {", ".join(prepared)}
            from _ll_input
        ),
        typed as (
            select *, {typed_columns}
            from prepared
        )
        select
            {typed_names}, {_sql_string(source_file)} as _source_file,
            cast(_source_row as bigint) as _source_row, {row_index} as row_rule_index
        from typed
        """
    )
    # 2. Duplicate keys among the valid rows: found by a grouping, so the windows that
    # tell repeats from conflicts sort only the few rows whose key is repeated.
    con.execute(
        f"""
        create or replace temp table _ll_duplicates as
        with repeated_keys as (
            select {keys}
            from {typed} as _ll_typed
            where row_rule_index is null
            group by {keys}
            having count(*) > 1
        )
        select
            _source_row,
            count(*) over by_key as key_rows,
            min(hash({everything})) over by_key <> max(hash({everything})) over by_key
                as key_conflicts,
            row_number() over (by_key order by _source_row) as key_position,
            min(_source_row) over by_key as key_first_row
        from {typed} as _ll_typed
        semi join repeated_keys using ({keys})
        where row_rule_index is null
        window by_key as (partition by {keys})
        """
    )
    # 3. Rules on keys and references, then name the rule each rejected row broke, with
    # the file's text (the details quote it). Only the rejected rows are written: the
    # loaded rows are read from `_ll_typed` (writing every row again, text and typed,
    # took 9.3 of the 33.7 s that invoice_lines took at 10 million lines; DECISIONLOG.md,
    # 2026-12-05 (writing less)).
    con.execute(
        f"""
        create or replace temp table _ll_rejected as
        with keyed as (
            select _ll_typed.*, _ll_duplicates.* exclude (_source_row)
            from {typed} as _ll_typed
            left join _ll_duplicates on _ll_typed._source_row = _ll_duplicates._source_row
        ),
        judged as (
            select
                keyed.*,
                case when keyed.row_rule_index is null then {later_index} end
                    as later_rule_index
            from keyed
            {" ".join(parent_joins)}
        ),
        rejected as (
            select *
            from judged
            where row_rule_index is not null or later_rule_index is not null
        )
        select
            keyed._source_row,
            coalesce({_pick(row_rules, "row_rule_index", 0)},
                     {_pick(later_rules, "later_rule_index", 0)}) as rule,
            coalesce({_pick(row_rules, "row_rule_index", 3)},
                     {_pick(later_rules, "later_rule_index", 3)}) as rule_column,
            coalesce({_pick(row_rules, "row_rule_index", 2)},
                     {_pick(later_rules, "later_rule_index", 2)}) as detail
        from rejected as keyed
        inner join _ll_input on keyed._source_row = _ll_input._source_row
        """
    )
    con.execute("drop table _ll_duplicates")


# Per table and business, what the rows of `raw.<table>` and `quarantine.<table>` were
# made from: written with them, in the same transaction (`keep_unchanged` below).
LOADED_FINGERPRINTS = "raw.loaded_fingerprints"


@functools.cache
def loader_version() -> str:
    """The rules a row is judged by: this module, the contract and DuckDB's casts."""
    digest = hashlib.sha256(duckdb.__version__.encode())
    for module in (__file__, contract.__file__):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()[:16]


def _business() -> str:
    """A row's business as the rules see it (its key's first part, `_trimmed`)."""
    return _trimmed("business_id")


def table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    """Whether `schema.name` is a table or view of the connection's own database (not of
    one attached to it)."""
    schema, name = qualified.split(".")
    return bool(
        con.execute(
            "select count(*) from information_schema.tables"
            " where table_catalog = current_database() and table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )


def _ancestors(table: Table) -> list[str]:
    """Every table whose loaded rows the rules of `table` read, directly or through its
    parents (the references and the void, currency and customer rules read only these)."""
    found: list[str] = []
    pending = [parent for parent in table.parents if parent != table.name]
    while pending:
        name = pending.pop(0)
        if name not in found:
            found.append(name)
            pending += [p for p in TABLES_BY_NAME[name].parents if p not in (name, *found)]
    return sorted(found)


def _ancestors_fingerprinted(con: duckdb.DuckDBPyConnection, ancestors: list[str]) -> bool:
    if not table_exists(con, LOADED_FINGERPRINTS):
        return False
    listed = ", ".join(_sql_string(name) for name in ancestors)
    found = con.execute(
        f"select count(distinct table_name) from {LOADED_FINGERPRINTS}"
        f" where table_name in ({listed})"
    ).fetchone()[0]
    return found == len(ancestors)


def _row_hash_sums(rows: str, business: str) -> str:
    """Per `business` (an expression) of `rows`, its rows and the sum of their hashes,
    each of a row's line (`_source_row`) and its contract columns' hash (`row_hash`)."""
    return f"""
        select
            {business} as business_id,
            count(*) as row_count,
            sum(hash(_source_row, row_hash)::hugeint) as row_hashes
        from {rows}
        group by all
    """


def _input_hash_sums(table: Table) -> str:
    """`_row_hash_sums` of `_ll_input`."""
    columns = ", ".join(_quote(name) for name in table.column_names)
    return _row_hash_sums(f"(select *, hash({columns}) as row_hash from _ll_input)", _business())


def _fingerprint(con: duckdb.DuckDBPyConnection, table: Table, path: Path, sums: str) -> None:
    """Temp table `_ll_fingerprints`: per business of the file just read (`sums`, a
    `_row_hash_sums`, one business's rows possibly in several parts), a hash of its
    rows, each with its line, and of what its rows are judged against: the file's name,
    the loader's version and the same fingerprint of its rows in every table the rules
    read (their latest loads). Two loads with the same fingerprint for a business make
    the same raw and quarantine rows for it."""
    ancestors = _ancestors(table)
    parents = "''"
    if ancestors and _ancestors_fingerprinted(con, ancestors):
        listed = ", ".join(_sql_string(name) for name in ancestors)
        # string_agg in table order; a business absent from a parent file is ''.
        parents = (
            "coalesce((select string_agg(parent.table_name || ':' || parent.fingerprint, ','"
            " order by parent.table_name) from " + LOADED_FINGERPRINTS + " as parent"
            f" where parent.table_name in ({listed})"
            " and parent.business_id = rows.business_id), '')"
        )
    elif ancestors:
        # A table the rules read was loaded without fingerprints: nothing can be kept.
        parents = "'unknown:' || cast(uuid() as varchar)"
    salt = _sql_string(f"{path}|{loader_version()}|{','.join(ancestors)}")
    con.execute(
        f"""
        create or replace temp table _ll_fingerprints as
        with rows as (
            select
                business_id,
                sum(row_count) as row_count,
                sum(row_hashes)::hugeint as row_hashes
            from ({sums})
            group by business_id
        )
        select
            business_id,
            row_count,
            md5({salt} || '|' || row_count || '|' || row_hashes || '|' || {parents})
                as fingerprint
        from rows
        """
    )


def _has_fingerprints(con: duckdb.DuckDBPyConnection, table: Table) -> bool:
    """Whether the last load of `table` may have left rows to keep: its raw and quarantine
    tables and the fingerprints table exist (`_find_kept` says which businesses)."""
    return (
        table_exists(con, LOADED_FINGERPRINTS)
        and table_exists(con, f"raw.{table.name}")
        and table_exists(con, f"quarantine.{table.name}")
    )


def _find_kept(con: duckdb.DuckDBPyConnection, table: Table) -> int:
    """Temp table `_ll_kept`: the businesses whose rows the last load of this table made
    from the same fingerprint (`_fingerprint`); their rows are taken from `raw.<table>`
    and `quarantine.<table>` as they are. Returns how many rows of the file are theirs."""
    con.execute("create or replace temp table _ll_kept (business_id varchar)")
    if not _has_fingerprints(con, table):
        return 0
    con.execute(
        f"""
        insert into _ll_kept
        select now.business_id
        from _ll_fingerprints as now
        join {LOADED_FINGERPRINTS} as before
            on before.table_name = {_sql_string(table.name)}
            and before.business_id = now.business_id
            and before.fingerprint = now.fingerprint
        """
    )
    kept = con.execute(
        "select coalesce(sum(row_count), 0) from _ll_fingerprints"
        " where business_id in (select business_id from _ll_kept)"
    ).fetchone()[0]
    return int(kept)


def _keep_unchanged(con: duckdb.DuckDBPyConnection, table: Table) -> int:
    """`_find_kept`, then the kept businesses' rows leave `_ll_input`. Returns their
    rows."""
    kept = _find_kept(con, table)
    if kept:
        # `_ll_input` is a view of `_ll_read` when the file read cleanly (`_read_source`).
        rows = "_ll_read" if _temp_kind(con, "_ll_input") == "view" else "_ll_input"
        con.execute(f"delete from {rows} where {_business()} in (select business_id from _ll_kept)")
    return kept


def _read_changed_csv(
    con: duckdb.DuckDBPyConnection, path: Path, table: Table
) -> tuple[list[str], int] | None:
    """The nightly read of a CSV file: `_fingerprint` from a first pass that keeps each
    record's business and hash only, then a second pass that reads in full the records
    of the businesses not kept (`_find_kept`) into `_ll_input`, each with its line.
    Reading every record in full, hashing it and deleting the kept ones took 9.7 of the
    13.3 s of `invoice_lines` on a night at 10 million lines; this takes 4.5
    (DECISIONLOG.md, 2026-12-06).

    Returns the ignored columns and the rows kept, or None when the file is to be read
    whole (`_read_source`): nothing kept, a mix of line endings, or a second pass that
    did not give the first pass's records in its order (a file changed in between)."""
    file_sql = _sql_string(str(path))
    header = _read_csv_header(path)
    ignored = _check_header(path, table, header)
    columns = _csv_columns(header)
    # The values `_input_hash_sums` hashes in `_ll_input`, so that both reads give the
    # same fingerprints.
    contract_values = ", ".join(
        _quote(name) if name in header else "null::varchar" for name in table.column_names
    )
    # DuckDB checks a value's text (UTF-8) only in the columns a query reads: the
    # columns the contract ignores are read here too, so that this pass rejects the
    # lines the whole read rejects.
    also_read = ""
    if ignored:
        also_read = f", hash({', '.join(_quote(name) for name in ignored)}) as ignored_hash"
    try:
        _read_csv(
            con,
            file_sql,
            columns,
            into="_ll_hashes",
            select=(
                f"business_id as raw_business_id, hash({contract_values}) as row_hash{also_read}"
            ),
        )
    except duckdb.Error:
        con.execute("drop table if exists _ll_hashes")
        return None
    _drop_temp(con, "_ll_hashed")
    if _read_malformed(con) == 0:
        con.execute(
            "create temp view _ll_hashed as"
            " select rowid + 2 as _source_row, raw_business_id, row_hash from _ll_hashes"
        )
    else:
        con.execute(
            f"""
            create temp table _ll_hashed as
            with lines as ({_good_lines("_ll_hashes")})
            select lines.line_number as _source_row, raw_business_id, row_hash
            from (select rowid + 1 as good_index, * from _ll_hashes) as hashes
            join lines on hashes.good_index = lines.good_index
            """
        )
    # Summed per business_id as written first: the same sums, with `trim` on a few
    # values instead of every row (1.7 of 2.2 s at 10 million lines).
    con.execute(
        "create or replace temp table _ll_hash_sums as"
        + _row_hash_sums("_ll_hashed", "raw_business_id")
    )
    _fingerprint(
        con,
        table,
        path,
        f"select {_trimmed('business_id')} as business_id, row_count, row_hashes"
        " from _ll_hash_sums",
    )
    kept = _find_kept(con, table)
    if kept == 0:
        _drop_hashes(con)
        return None
    # The values of business_id, as written, of the rows not kept. The second read
    # filters on them, not on the business (trimmed) itself: DuckDB's reader filters
    # a column as written while it reads, and with `trim` the read took 3.0 s instead
    # of 1.9 (invoice_lines, 10 million lines). As a list literal, not `in (select
    # ...)`: DuckDB makes that a join, whose rows do not keep the file's order.
    unkept = con.execute(
        f"""
        select raw_business_id from (
            select business_id as raw_business_id from _ll_hash_sums
            where business_id is not null and (
                {_business()} is null
                or {_business()} not in (select business_id from _ll_kept)
            )
        )
        order by raw_business_id
        """
    ).fetchall()
    listed = "[" + ", ".join(_sql_string(value) for (value,) in unkept) + "]::varchar[]"

    def is_unkept(column: str) -> str:
        return f"{column} is null or list_contains({listed}, {column})"

    selected = ", ".join(_contract_columns(table, header))
    contract = ", ".join(_quote(name) for name in table.column_names)
    _drop_temp(con, "_ll_input")
    # Read again, the records of the businesses not kept alone, in file order: the n-th
    # of them is the n-th such record of the first pass, whose line it has. Each is
    # checked against that record's hash, so that a file changed between the two reads
    # (or rows out of order) is read whole instead.
    _read_csv(con, file_sql, columns, where=is_unkept("business_id"))
    con.execute(
        f"""
        create or replace temp table _ll_paired as
        with lines as (
            select
                _source_row,
                row_hash,
                row_number() over (order by _source_row) as position
            from _ll_hashed
            where {is_unkept("raw_business_id")}
        ),
        records as (
            select rowid + 1 as position, {selected} from _ll_read
        )
        select
            lines._source_row,
            records.* exclude (position),
            hash({contract}) is not distinct from lines.row_hash as is_same_record
        from records
        full join lines on records.position = lines.position
        """
    )
    con.execute("drop table _ll_read")
    differing = con.execute(
        "select count(*) from _ll_paired where is_same_record is distinct from true"
    ).fetchone()[0]
    _drop_hashes(con)
    if differing:
        con.execute("drop table _ll_paired")
        return None
    con.execute(f"create temp view _ll_input as select _source_row, {contract} from _ll_paired")
    return ignored, kept


def _drop_hashes(con: duckdb.DuckDBPyConnection) -> None:
    _drop_temp(con, "_ll_hashed")
    con.execute("drop table if exists _ll_hashes")
    con.execute("drop table if exists _ll_hash_sums")


def _typed_to_loaded(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """On a whole load, `raw.<table>` as `_validate` wrote it (every row, typed) becomes
    the loaded rows alone: the rejected rows deleted, the rule column dropped, the
    columns named as in the contract. Writing the loaded rows into a table of their own
    wrote every row a second time: 4.1-4.5 of the 20 s that `invoice_lines` took at 10
    million lines (DECISIONLOG.md, 2026-12-06 (loader)).

    load_table writes it with DuckDB's `preserve_insertion_order` off (a setting of the
    database, not of the connection: restored when the load ends). Written in the order
    it was read, `raw.payments` at 10 million lines left the file at 78 MB instead of 45,
    and the next checkpoint wrote it again (1.2 s; `payment_allocations` 2.3 s). The
    order of a raw table's rows means nothing: each row carries its line."""
    name = f"raw.{table.name}"
    con.execute(f"delete from {name} where _source_row in (select _source_row from _ll_rejected)")
    con.execute(f"alter table {name} drop column row_rule_index")
    for column in table.column_names:
        con.execute(
            f"alter table {name} rename column {_quote('typed__' + column)} to {_quote(column)}"
        )


def load_table(
    con: duckdb.DuckDBPyConnection,
    table_name: str,
    data_dir: str | Path,
    *,
    keep_unchanged: bool = False,
) -> LoadResult:
    """Replace `raw.<table>` and `quarantine.<table>` with the contents of its file.

    `keep_unchanged` (the nightly run): a business whose rows in this file, and in every
    file its rules read, are what the last load of this warehouse judged (same lines,
    same text, same file name and loader) keeps that load's raw and quarantine rows
    instead of being judged again (DECISIONLOG.md, 2026-12-05). The tables come out the
    same either way."""
    started = time.perf_counter()
    table = TABLES_BY_NAME[table_name]
    path = find_source_file(Path(data_dir), table_name)
    read = None
    if keep_unchanged and path.suffix == ".csv" and _has_fingerprints(con, table):
        read = _read_changed_csv(con, path, table)
    if read is not None:
        ignored, kept_rows = read
    else:
        ignored = _read_source(con, path, table)
        kept_rows = 0
        if keep_unchanged:
            _fingerprint(con, table, path, _input_hash_sums(table))
            kept_rows = _keep_unchanged(con, table)

    file_sql = _sql_string(str(path))
    loaded_columns = ", ".join(
        f"{_quote('typed__' + name)} as {_quote(name)}" for name in table.column_names
    )
    raw_text = ", ".join(_quote(name) for name in table.column_names)
    blank_text = ", ".join(f"null::varchar as {_quote(name)}" for name in table.column_names)
    loaded_sql = f"""
        select {loaded_columns}, _source_file, _source_row
        from _ll_typed anti join _ll_rejected using (_source_row)
    """
    quarantined_sql = f"""
        select
            {file_sql} as source_file, cast(_source_row as bigint) as source_row, rule,
            rule_column as column_name, detail, null::varchar as raw_line, {raw_text}
        from _ll_rejected inner join _ll_input using (_source_row)
        union all
        select
            {file_sql}, cast(_source_row as bigint), 'malformed_row', null,
            'the line cannot be split into the header''s columns: ' || detail,
            raw_line, {blank_text}
        from _ll_malformed
        order by source_row
    """
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists quarantine")
    # The judging is in the transaction too: a whole load writes `raw.<table>` as it
    # types the values. The file's rows are numbered by now (`_ll_input`): nothing below
    # needs rows written in the order they are read.
    order_kept = con.execute("select current_setting('preserve_insertion_order')").fetchone()[0]
    if not kept_rows:
        con.execute("set preserve_insertion_order = false")
    con.execute("begin transaction")
    try:
        if kept_rows:
            _validate(con, table, "_ll_typed", str(path))
            # The kept businesses' rows stay; every other row is replaced (a business
            # gone from the file, a malformed line and a blank business_id included).
            kept = "(select business_id from _ll_kept)"
            con.execute(f"delete from raw.{table.name} where business_id not in {kept}")
            con.execute(f"insert into raw.{table.name} {loaded_sql}")
            con.execute(
                f"delete from quarantine.{table.name}"
                f" where {_business()} is null or {_business()} not in {kept}"
            )
            con.execute(f"insert into quarantine.{table.name} {quarantined_sql}")
        else:
            _validate(con, table, f"raw.{table.name}", str(path))
            _typed_to_loaded(con, table)
            con.execute(f"create or replace table quarantine.{table.name} as {quarantined_sql}")
        if table_exists(con, LOADED_FINGERPRINTS):
            # Rewritten below when kept; else gone: these rows came from no fingerprint.
            con.execute(
                f"delete from {LOADED_FINGERPRINTS} where table_name = {_sql_string(table.name)}"
            )
        if keep_unchanged:
            con.execute(
                f"create table if not exists {LOADED_FINGERPRINTS}"
                " (table_name varchar, business_id varchar, row_count bigint,"
                " fingerprint varchar)"
            )
            # A blank business_id is never kept: it is judged again every time.
            con.execute(
                f"insert into {LOADED_FINGERPRINTS}"
                f" select {_sql_string(table.name)}, business_id, row_count, fingerprint"
                " from _ll_fingerprints where business_id is not null"
            )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        # Outside the transaction: an aborted one refuses even a SET.
        con.execute(f"set preserve_insertion_order = {'true' if order_kept else 'false'}")
    loaded = con.execute(f"select count(*) from raw.{table.name}").fetchone()[0]
    by_rule = dict(
        con.execute(
            f"select rule, count(*) from quarantine.{table.name} group by rule order by rule"
        ).fetchall()
    )
    _drop_temp(con, "_ll_input")
    for temp in (
        "_ll_read",
        "_ll_paired",
        "_ll_typed",
        "_ll_rejected",
        "_ll_malformed",
        "_ll_fingerprints",
        "_ll_kept",
    ):
        con.execute(f"drop table if exists {temp}")
    quarantined = sum(by_rule.values())
    return LoadResult(
        table=table.name,
        source_file=str(path),
        rows_read=loaded + quarantined,
        rows_loaded=loaded,
        rows_quarantined=quarantined,
        quarantined_by_rule=by_rule,
        ignored_columns=ignored,
        seconds=round(time.perf_counter() - started, 3),
        rows_kept=kept_rows,
    )
