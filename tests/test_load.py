"""The loader on real DuckDB files: every rule sends rows to quarantine, nothing is lost."""

from __future__ import annotations

import datetime
from decimal import Decimal

import duckdb
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from ledgerlens import load as load_mod
from ledgerlens.contract import TABLES_BY_NAME, load_order
from ledgerlens.load import ContractError, load_table

HEADER = ",".join(TABLES_BY_NAME["invoices"].column_names)
GOOD = "acme,I1,C1,invoice,2024-01-10,2024-02-09,USD,1,paid,1080.00,80.00"


def _load_all(con, data_dir):
    return {table: load_table(con, table, data_dir) for table in load_order()}


def _write_invoices(data_dir, *rows: str, header: str = HEADER) -> None:
    (data_dir / "invoices.csv").write_text("\n".join([header, *rows]) + "\n")


def _quarantine(con, table="invoices"):
    return con.execute(
        f"select source_row, rule, column_name, detail from quarantine.{table} order by source_row"
    ).fetchall()


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        yield connection


def _load_parents(con, data_dir):
    for table in ("businesses", "customers"):
        load_table(con, table, data_dir)


@pytest.mark.parametrize(
    ("row", "rule", "column"),
    [
        ("acme,I2,C1,invoice,2024-02-30,,USD,1,open,10.00,0", "not_a_date", "invoice_date"),
        ("acme,I2,C1,invoice,10/01/2024,,USD,1,open,10.00,0", "not_a_date", "invoice_date"),
        ("acme,I2,C1,invoice,2024-01-10,,USD,1,open,ten,0", "not_a_number", "total_amount"),
        ("acme,I2,C1,invoice,2024-01-10,,USD,1,open,10.005,0", "too_many_decimals", "total_amount"),
        # A digit past the tenth place counts too (it once loaded as 10.00).
        (
            "acme,I2,C1,invoice,2024-01-10,,USD,1,open,10.00000000001,0",
            "too_many_decimals",
            "total_amount",
        ),
        # The rules in their order: too many decimals before too large a number.
        (
            "acme,I2,C1,invoice,2024-01-10,,USD,1,open,99999999999999999999999999999.001,0",
            "too_many_decimals",
            "total_amount",
        ),
        (
            "acme,I2,C1,invoice,2024-01-10,,USD,1,open,99999999999999999999,0",
            "out_of_range",
            "total_amount",
        ),
        ("acme,I2,C1,invoice,2024-01-10,,USD,1,open,-10.00,0", "below_minimum", "total_amount"),
        ("acme,I2,C1,invoice,2024-01-10,,USD,0,open,10.00,0", "below_minimum", "exchange_rate"),
        ("acme,I2,C1,bill,2024-01-10,,USD,1,open,10.00,0", "not_accepted_value", "document_type"),
        (
            "acme,I2,C1,invoice,2024-01-10,,US Dollar,1,open,10.00,0",
            "not_a_currency_code",
            "currency",
        ),
        ("acme,,C1,invoice,2024-01-10,,USD,1,open,10.00,0", "missing_value", "invoice_id"),
        ("acme,I2,C404,invoice,2024-01-10,,USD,1,open,10.00,0", "unknown_customer", "customer_id"),
        ("nope,I2,C1,invoice,2024-01-10,,USD,1,open,10.00,0", "unknown_business", "business_id"),
        ("acme,I2,C1,invoice,2024-01-10", "malformed_row", None),
        ("acme,I2,C1,invoice,2024-01-10,,USD,1,open,10.00,0,extra", "malformed_row", None),
    ],
)
def test_each_rule_quarantines_the_row_with_its_line(con, handmade_copy, row, rule, column):
    _load_parents(con, handmade_copy)
    _write_invoices(handmade_copy, GOOD, row, GOOD.replace("I1", "I3"))
    result = load_table(con, "invoices", handmade_copy)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    [(line, got_rule, got_column, detail)] = _quarantine(con)
    assert (line, got_rule, got_column) == (3, rule, column)
    assert detail
    # the good rows around the bad one keep their own line numbers
    lines = con.execute("select _source_row from raw.invoices order by 1").fetchall()
    assert lines == [(2,), (4,)]


def test_a_quarantined_row_keeps_the_file_text_its_detail_quotes(con, handmade_copy):
    """The rejected rows are the only ones written after the rules, with the file's text
    read back by line: a row's detail and text columns are its own line's, as written
    (spaces included), not a neighbour's and not the typed value."""
    _load_parents(con, handmade_copy)
    bad_date = "acme,I2,C1,invoice,2024-02-30,,USD,1,open,10.00,0"
    bad_amount = "acme,I4,C1,invoice,2024-01-11,,USD,1, open ,1 0.50,0"
    _write_invoices(handmade_copy, GOOD, bad_date, GOOD.replace("I1", "I3"), bad_amount)
    load_table(con, "invoices", handmade_copy)
    rows = con.execute(
        "select source_row, rule, detail, invoice_id, invoice_date, status, total_amount"
        " from quarantine.invoices order by source_row"
    ).fetchall()
    assert rows == [
        (
            3,
            "not_a_date",
            "invoice_date '2024-02-30' is not a date (YYYY-MM-DD)",
            "I2",
            "2024-02-30",
            "open",
            "10.00",
        ),
        (
            5,
            "not_a_number",
            "total_amount '1 0.50' is not a number",
            "I4",
            "2024-01-11",
            " open ",
            "1 0.50",
        ),
    ]


def test_exact_duplicate_keeps_first_conflicting_duplicate_keeps_none(con, handmade_copy):
    _load_parents(con, handmade_copy)
    other = GOOD.replace("I1", "I2")
    _write_invoices(handmade_copy, GOOD, other, GOOD, other.replace("1080.00", "1090.00"))
    result = load_table(con, "invoices", handmade_copy)
    assert result.rows_loaded == 1
    assert [(line, rule) for line, rule, _, _ in _quarantine(con)] == [
        (3, "conflicting_duplicate_key"),
        (4, "duplicate_row"),
        (5, "conflicting_duplicate_key"),
    ]


def test_quarantined_parent_quarantines_its_children(con, handmade_copy):
    results = _load_all(con, handmade_copy)
    # invoice I8 has a bad date, so its line cannot be loaded either
    assert results["invoices"].quarantined_by_rule == {"not_a_date": 1}
    assert results["invoice_lines"].quarantined_by_rule == {"unknown_invoice": 1}
    rows = con.execute("select invoice_id, line_amount from quarantine.invoice_lines").fetchall()
    assert rows == [("I8", "5000.00")]


def test_credit_note_for_another_customers_invoice_is_quarantined(con, handmade_copy):
    path = handmade_copy / "credit_notes.csv"
    path.write_text(path.read_text() + "acme,CN9,C2,I1,2024-02-01,USD,1,10.00,0,wrong customer\n")
    results = _load_all(con, handmade_copy)
    assert results["credit_notes"].quarantined_by_rule == {"customer_mismatch": 1}


def test_every_row_is_loaded_or_quarantined_and_money_is_conserved(con, handmade_copy):
    results = _load_all(con, handmade_copy)
    for table, result in results.items():
        lines = (handmade_copy / f"{table}.csv").read_text().strip().splitlines()
        assert result.rows_read == len(lines) - 1, table
        assert result.rows_loaded + result.rows_quarantined == result.rows_read
    # money: the file's total equals what was loaded plus what was quarantined
    file_total = con.execute(
        "select sum(cast(total_amount as decimal(18, 2)))"
        f" from read_csv('{handmade_copy}/invoices.csv', all_varchar = true)"
    ).fetchone()[0]
    loaded = con.execute("select sum(total_amount) from raw.invoices").fetchone()[0]
    held = con.execute(
        "select sum(cast(total_amount as decimal(18, 2))) from quarantine.invoices"
    ).fetchone()[0]
    assert loaded + held == file_total


def test_missing_column_fails_naming_the_file_and_column(con, handmade_copy):
    _write_invoices(handmade_copy, "acme,I1", header="business_id,invoice_id")
    with pytest.raises(ContractError, match=r"invoices\.csv: missing column\(s\) customer_id"):
        load_table(con, "invoices", handmade_copy)


def test_semicolon_file_gets_a_delimiter_hint(con, handmade_copy):
    _write_invoices(handmade_copy, GOOD.replace(",", ";"), header=HEADER.replace(",", ";"))
    with pytest.raises(ContractError, match="does not seem to be comma-separated"):
        load_table(con, "invoices", handmade_copy)


def test_empty_file_fails_clearly(con, handmade_copy):
    (handmade_copy / "invoices.csv").write_text("")
    with pytest.raises(ContractError, match=r"invoices\.csv: the file is empty"):
        load_table(con, "invoices", handmade_copy)


def test_missing_file_fails_clearly(con, handmade_copy):
    (handmade_copy / "invoices.csv").unlink()
    with pytest.raises(ContractError, match="no file for table 'invoices'"):
        load_table(con, "invoices", handmade_copy)


def test_extra_columns_are_ignored_and_reported(con, handmade_copy):
    _load_parents(con, handmade_copy)
    _write_invoices(handmade_copy, "memo," + GOOD, header="memo," + HEADER)
    result = load_table(con, "invoices", handmade_copy)
    assert result.rows_loaded == 1
    assert result.ignored_columns == ["memo"]


def test_byte_order_mark_and_invalid_utf8(con, handmade_copy):
    _load_parents(con, handmade_copy)
    body = "\n".join([HEADER, GOOD, GOOD.replace("I1", "I2").replace("paid", "p\xe4id")])
    (handmade_copy / "invoices.csv").write_bytes(b"\xef\xbb\xbf" + body.encode("latin-1") + b"\n")
    result = load_table(con, "invoices", handmade_copy)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert _quarantine(con)[0][:2] == (3, "malformed_row")


def test_parquet_input_loads_the_same_rows(con, handmade_copy):
    csv_results = _load_all(con, handmade_copy)
    for table in load_order():
        path = handmade_copy / f"{table}.csv"
        arrow = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                strings_can_be_null=False,
                column_types={name: "string" for name in TABLES_BY_NAME[table].column_names},
            ),
        )
        pq.write_table(arrow, handmade_copy / f"{table}.parquet")
        path.unlink()
    parquet_results = _load_all(con, handmade_copy)
    for table in load_order():
        assert parquet_results[table].rows_loaded == csv_results[table].rows_loaded, table
        assert parquet_results[table].quarantined_by_rule == csv_results[table].quarantined_by_rule
    # Parquet has no header line: the bad invoice is row 8
    assert con.execute("select source_row from quarantine.invoices").fetchall() == [(8,)]


def test_both_csv_and_parquet_is_ambiguous(con, handmade_copy):
    (handmade_copy / "invoices.parquet").write_bytes(b"")
    with pytest.raises(ContractError, match="both invoices.csv and invoices.parquet"):
        load_table(con, "invoices", handmade_copy)


def test_not_a_parquet_file(con, handmade_copy):
    (handmade_copy / "invoices.csv").unlink()
    (handmade_copy / "invoices.parquet").write_text("this is not parquet")
    with pytest.raises(ContractError, match=r"invoices\.parquet: cannot be read as Parquet"):
        load_table(con, "invoices", handmade_copy)


def test_parquet_midnight_timestamps_are_dates_other_times_are_not(con, handmade_copy):
    _load_parents(con, handmade_copy)
    (handmade_copy / "invoices.csv").unlink()
    con.execute(
        f"""
        copy (
            select 'acme' as business_id, 'I' || i as invoice_id, 'C1' as customer_id,
                'invoice' as document_type,
                timestamp '2024-01-10 00:00:00' + i * interval 1 hour as invoice_date,
                date '2024-02-09' as due_date, 'USD' as currency,
                1.0::decimal(18, 6) as exchange_rate, 'paid' as status,
                108.00::decimal(18, 2) as total_amount, 8.00::decimal(18, 2) as tax_amount
            from range(2) as r(i)
        ) to '{handmade_copy}/invoices.parquet' (format parquet)
        """
    )
    result = load_table(con, "invoices", handmade_copy)
    assert (result.rows_loaded, result.quarantined_by_rule) == (1, {"not_a_date": 1})
    assert con.execute("select invoice_id, invoice_date::varchar from raw.invoices").fetchall() == [
        ("I0", "2024-01-10")
    ]


def test_credit_note_in_another_currency_than_its_invoice_is_quarantined(con, handmade_copy):
    path = handmade_copy / "credit_notes.csv"
    path.write_text(path.read_text() + "acme,CN9,C3,I5,2024-06-01,USD,1,10.00,0,wrong currency\n")
    results = _load_all(con, handmade_copy)
    assert results["credit_notes"].quarantined_by_rule == {"currency_mismatch": 1}


def test_allocation_in_another_currency_than_its_invoice_is_quarantined(con, handmade_copy):
    # I5 is a CAD invoice of C3; P9 is a USD payment of C3. Its 100.00 applied to I5 would
    # be CAD valued at the USD rate: it is quarantined, and P9's whole 100.00 stays
    # customer credit (the payment itself loads).
    payments = handmade_copy / "payments.csv"
    payments.write_text(payments.read_text() + "acme,P9,C3,2024-06-20,USD,1,100.00\n")
    allocations = handmade_copy / "payment_allocations.csv"
    allocations.write_text(allocations.read_text() + "acme,P9,I5,100.00\n")
    results = _load_all(con, handmade_copy)
    assert results["payments"].rows_quarantined == 0
    # P4 -> I99 was already quarantined (unknown_invoice) in the hand-made file
    assert results["payment_allocations"].quarantined_by_rule == {
        "currency_mismatch": 1,
        "unknown_invoice": 1,
    }
    assert con.execute(
        "select payment_id, invoice_id, amount_applied, column_name from"
        " quarantine.payment_allocations where rule = 'currency_mismatch'"
    ).fetchall() == [("P9", "I5", "100.00", "payment_id")]


def test_credit_note_and_allocation_to_a_void_invoice_are_quarantined(con, handmade_copy):
    # I3 (C1, 216.00) is void in the hand-made file.
    credit_notes = handmade_copy / "credit_notes.csv"
    credit_notes.write_text(
        credit_notes.read_text() + "acme,CN9,C1,I3,2024-04-05,USD,1,50.00,4.00,on a void\n"
    )
    payments = handmade_copy / "payments.csv"
    payments.write_text(payments.read_text() + "acme,P9,C1,2024-04-10,USD,1,216.00\n")
    allocations = handmade_copy / "payment_allocations.csv"
    allocations.write_text(allocations.read_text() + "acme,P9,I3,216.00\n")
    results = _load_all(con, handmade_copy)
    assert results["credit_notes"].quarantined_by_rule == {"void_invoice": 1}
    assert results["payment_allocations"].quarantined_by_rule == {
        "unknown_invoice": 1,
        "void_invoice": 1,
    }
    assert results["payments"].rows_quarantined == 0
    rows = con.execute(
        "select 'credit_notes', invoice_id, amount, column_name from quarantine.credit_notes"
        " union all select 'payment_allocations', invoice_id, amount_applied, column_name"
        " from quarantine.payment_allocations where rule = 'void_invoice' order by 1"
    ).fetchall()
    assert rows == [
        ("credit_notes", "I3", "50.00", "invoice_id"),
        ("payment_allocations", "I3", "216.00", "invoice_id"),
    ]


CREDIT_HEADER = ",".join(TABLES_BY_NAME["credit_notes"].column_names)


def test_a_refund_above_its_credit_or_on_a_tied_credit_note_is_quarantined(con, handmade_copy):
    # I1 is C1's USD invoice in the hand-made file. refunded_amount is the part of
    # amount + tax_amount paid back in cash: at most that total, and only untied.
    (handmade_copy / "credit_notes.csv").write_text(
        "\n".join(
            [
                CREDIT_HEADER,
                "acme,CN1,C1,I1,2024-01-20,USD,1,100.00,8.00,,tied and no refund",  # line 2
                "acme,CN2,C2,,2024-03-01,USD,1,50.00,4.00,54.00,refunded in full",  # 3
                "acme,CN4,C2,,2024-03-02,USD,1,10.00,0.80,10.81,a cent too much",  # 4
                "acme,CN5,C1,I1,2024-03-03,USD,1,10.00,0.80,5.00,tied and refunded",  # 5
                "acme,CN6,C1,I1,2024-03-04,USD,1,10.00,0.80,0,tied and refunds 0",  # 6
                "acme,CN7,C2,,2024-03-05,USD,1,10.00,0.80,-1.00,negative",  # 7
                "acme,CN8,C2,,2024-03-06,USD,1,10.00,0.80,10.801,too precise",  # 8
            ]
        )
        + "\n"
    )
    results = _load_all(con, handmade_copy)
    assert results["credit_notes"].rows_loaded == 3  # CN1, CN2, CN6
    rows = con.execute(
        "select source_row, rule, column_name, credit_note_id, detail"
        " from quarantine.credit_notes order by source_row"
    ).fetchall()
    assert [row[:4] for row in rows] == [
        (4, "refund_exceeds_credit", "refunded_amount", "CN4"),  # 10.81 > 10.00 + 0.80
        (5, "refund_on_tied_credit_note", "refunded_amount", "CN5"),
        (7, "below_minimum", "refunded_amount", "CN7"),
        (8, "too_many_decimals", "refunded_amount", "CN8"),
    ]
    assert rows[0][4] == (
        "refunded_amount 10.81 exceeds the credit note's total (amount + tax_amount) 10.80"
    )
    assert "tied to invoice I1" in rows[1][4]
    loaded = con.execute(
        "select credit_note_id, refunded_amount from raw.credit_notes order by 1"
    ).fetchall()
    # blank is kept as null in raw (staging reads it as 0); 0 stays 0
    assert [(cn, None if r is None else str(r)) for cn, r in loaded] == [
        ("CN1", None),
        ("CN2", "54.00"),
        ("CN6", "0.00"),
    ]


def test_the_refunded_amount_column_may_be_left_out(con, handmade_copy):
    # The hand-made credit_notes.csv predates the column: every row loads, as not refunded.
    header = (handmade_copy / "credit_notes.csv").read_text().splitlines()[0]
    assert "refunded_amount" not in header
    results = _load_all(con, handmade_copy)
    assert results["credit_notes"].rows_quarantined == 0
    assert con.execute(
        "select count(*), count(refunded_amount) from raw.credit_notes"
    ).fetchone() == (3, 0)


def test_trailing_zeros_are_not_decimal_places(con, handmade_copy):
    # 10.5000000 carries one decimal place, -0.000 none, 7. none: each fits total_amount's
    # two, and is loaded as the number it is.
    _load_parents(con, handmade_copy)
    rows = [
        GOOD.replace(",1080.00,", f",{amount},").replace("I1", invoice)
        for invoice, amount in (("I2", "10.5000000"), ("I3", "7."), ("I4", ".250"))
    ]
    tax = GOOD.replace("I1", "I5").rsplit(",", 1)[0] + ",-0.000"
    _write_invoices(handmade_copy, *rows, tax)
    result = load_table(con, "invoices", handmade_copy)
    assert (result.rows_loaded, result.rows_quarantined) == (4, 0)
    assert [
        (invoice, str(total), str(tax))
        for invoice, total, tax in con.execute(
            "select invoice_id, total_amount, tax_amount from raw.invoices order by 1"
        ).fetchall()
    ] == [
        ("I2", "10.50", "80.00"),
        ("I3", "7.00", "80.00"),
        ("I4", "0.25", "80.00"),
        ("I5", "1080.00", "0.00"),
    ]


def test_the_loader_s_trim_is_duckdb_s_trim_for_every_code_point():
    """`_trimmed` calls DuckDB's `trim` only on a value that is not pure ASCII or starts
    or ends with a space. Against `nullif(trim(v), '')` itself, for every Unicode code
    point alone, first, last, first and last, and inside a value."""
    with duckdb.connect() as db:
        db.execute(
            "create table code_points as select chr(i::integer) as c from range(1, 1114112) as"
            " r(i) where i < 55296 or i > 57343"  # the surrogates are not characters
        )
        # Each form, and how many of its values `trim` changes: the 17 space separators
        # at an edge (below), none inside.
        forms = {
            "c": 17,
            "c || 'x'": 17,
            "'x' || c": 17,
            "c || 'x' || c": 17,
            "c || c": 17,
            "'x' || c || 'y'": 0,
        }
        for form, changed in forms.items():
            differ, trimmed = db.execute(
                f"select count(*) filter (where {load_mod._trimmed('v')}"
                " is distinct from nullif(trim(v), '')),"
                " count(*) filter (where trim(v) <> v)"
                f" from (select {form} as v from code_points)"
            ).fetchone()
            assert (differ, trimmed) == (0, changed), form
        spaces = db.execute(
            "select list(ord(c) order by ord(c)) from code_points where trim(c) = ''"
        ).fetchone()[0]
    assert spaces == [32, 160, 5760, *range(8192, 8203), 8239, 8287, 12288]


def test_values_padded_with_unicode_spaces_load_trimmed(con, handmade_copy):
    # A no-break space (U+00A0), an ideographic space (U+3000) and ASCII spaces around
    # values: each loads as the value, and a value of spaces alone is blank. A tab is
    # no space separator: DuckDB keeps it, so the number breaks `not_a_number`.
    _load_parents(con, handmade_copy)
    nbsp, ideographic = "\u00a0", "\u3000"
    padded = (
        f"{nbsp}acme ,I2{ideographic},C1,invoice, 2024-01-10{nbsp},{nbsp},usd,1,open,"
        f"{ideographic}10.50{nbsp}, 0.00{ideographic}"
    )
    tab = "acme,I3,C1,invoice,2024-01-10,,USD,1,open,\t10.50,0"
    _write_invoices(handmade_copy, padded, tab)
    result = load_table(con, "invoices", handmade_copy)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert con.execute(
        "select business_id, invoice_id, invoice_date, due_date, currency, total_amount,"
        " tax_amount from raw.invoices"
    ).fetchall() == [
        ("acme", "I2", datetime.date(2024, 1, 10), None, "USD", Decimal("10.50"), Decimal("0.00"))
    ]
    assert [row[:3] for row in _quarantine(con)] == [(3, "not_a_number", "total_amount")]


@pytest.mark.parametrize("setting", [True, False])
def test_a_load_leaves_the_insertion_order_setting_as_it_found_it(con, handmade_copy, setting):
    # A whole load turns DuckDB's preserve_insertion_order (a setting of the database)
    # off while it writes; a load that keeps businesses, and one that fails inside its
    # transaction, must leave it as it was too.
    def current():
        return con.execute("select current_setting('preserve_insertion_order')").fetchone()[0]

    con.execute(f"set preserve_insertion_order = {setting}")
    for parent in ("businesses", "customers"):  # with fingerprints: a later load may keep
        load_table(con, parent, handmade_copy, keep_unchanged=True)
    _write_invoices(handmade_copy, GOOD, GOOD.replace("I1", "I2"))
    assert load_table(con, "invoices", handmade_copy, keep_unchanged=True).rows_loaded == 2
    assert current() is setting
    assert load_table(con, "invoices", handmade_copy, keep_unchanged=True).rows_kept == 2
    assert current() is setting
    # raw.invoice_lines as a view: the whole load's `create or replace table` fails.
    con.execute("create view raw.invoice_lines as select 1 as one")
    with pytest.raises(duckdb.CatalogException, match="invoice_lines"):
        load_table(con, "invoice_lines", handmade_copy)
    assert current() is setting
    assert con.execute("select * from raw.invoice_lines").fetchall() == [(1,)]


def test_decimal_places_at_the_boundary(con, handmade_copy):
    # total_amount carries two places. Two after the point load; three load when the
    # third is a zero and are refused when it is not, however far the digit is.
    _load_parents(con, handmade_copy)
    amounts = {"I2": "10.05", "I3": "10.050", "I4": "10.051", "I5": "10.0500001", "I6": "1.0"}
    _write_invoices(
        handmade_copy,
        *(GOOD.replace(",1080.00,", f",{a},").replace("I1", i) for i, a in amounts.items()),
    )
    load_table(con, "invoices", handmade_copy)
    loaded = con.execute("select invoice_id, total_amount from raw.invoices order by 1").fetchall()
    assert [(invoice, str(total)) for invoice, total in loaded] == [
        ("I2", "10.05"),
        ("I3", "10.05"),
        ("I6", "1.00"),
    ]
    assert [(line, rule) for line, rule, _, _ in _quarantine(con)] == [
        (4, "too_many_decimals"),
        (5, "too_many_decimals"),
    ]


# --- Keeping the rows of businesses whose files did not change (the nightly run) ---


def _contract_tables(con) -> list[str]:
    return [f"{schema}.{table}" for table in load_order() for schema in ("raw", "quarantine")]


def _differences(con, other: str) -> dict[str, tuple[int, int]]:
    """Rows only in this warehouse's table, rows only in `other`'s, per contract table."""
    differences = {}
    for name in _contract_tables(con):
        mine = con.execute(
            f"select count(*) from (from {name} except all from {other}.{name})"
        ).fetchone()[0]
        theirs = con.execute(
            f"select count(*) from (from {other}.{name} except all from {name})"
        ).fetchone()[0]
        if mine or theirs:
            differences[name] = (mine, theirs)
    return differences


def _rows_of(data_dir, table: str, business: str) -> int:
    lines = (data_dir / f"{table}.csv").read_text().splitlines()[1:]
    return sum(line.startswith(business + ",") for line in lines)


def test_a_load_that_keeps_unchanged_businesses_equals_a_whole_load(tmp_path, handmade_copy):
    """Night after night into one warehouse with `keep_unchanged`, each night also loaded
    whole into a new warehouse: the raw and quarantine tables are equal (EXCEPT ALL both
    ways: file, line, rule and detail included), and the businesses kept are those whose
    rows, and the rows of every table their rules read, did not change."""
    data = handmade_copy
    # north: acme's rows under another id, so that one business changes while another
    # with the same kinds of rows (quarantined ones included) does not.
    for path in data.glob("*.csv"):
        header, *rows = path.read_text().splitlines()
        north = [row.replace("acme,", "north,", 1) for row in rows if row.startswith("acme,")]
        path.write_text("\n".join([header, *rows, *north]) + "\n")
    kept = duckdb.connect(str(tmp_path / "kept.duckdb"))

    def night(name: str) -> dict[str, int]:
        results = {
            table: load_table(kept, table, data, keep_unchanged=True) for table in load_order()
        }
        whole = tmp_path / f"whole-{len(list(tmp_path.glob('whole-*.duckdb')))}.duckdb"
        with duckdb.connect(str(whole)) as con:
            _load_all(con, data)
        kept.execute(f"attach '{whole}' as whole (read_only)")
        try:
            assert _differences(kept, "whole") == {}, name
        finally:
            kept.execute("detach whole")
        return {table: result.rows_kept for table, result in results.items()}

    def append(table: str, line: str) -> None:
        with (data / f"{table}.csv").open("a") as file:
            file.write(line + "\n")

    # The first load keeps nothing; the same files again keep every business's rows.
    assert set(night("first").values()) == {0}
    assert night("same") == {
        table: sum(_rows_of(data, table, b) for b in ("acme", "euro", "north"))
        for table in load_order()
    }
    # A line for acme's invoice I7: acme's lines are judged again, the others' kept.
    append("invoice_lines", "acme,I7,2,CONS,Consulting hours,1,100.00,0,100.00,")
    after = night("acme line")
    assert after["invoice_lines"] == _rows_of(data, "invoice_lines", "euro") + _rows_of(
        data, "invoice_lines", "north"
    )
    assert after["invoices"] == sum(
        _rows_of(data, "invoices", b) for b in ("acme", "euro", "north")
    )
    # euro voids I1: its lines, allocation and credits are judged again (the allocation
    # to a void invoice is now quarantined: void_invoice), though their files are the same.
    invoices = data / "invoices.csv"
    invoices.write_text(
        invoices.read_text().replace(
            "euro,I1,C1,invoice,2024-04-10,2024-04-24,EUR,1,paid,",
            "euro,I1,C1,invoice,2024-04-10,2024-04-24,EUR,1,void,",
        )
    )
    after = night("euro void")
    assert after["payment_allocations"] == sum(
        _rows_of(data, "payment_allocations", b) for b in ("acme", "north")
    )
    assert kept.execute(
        "select rule from quarantine.payment_allocations where business_id = 'euro'"
    ).fetchall() == [("void_invoice",)]
    # A north line before all others moves every line down: nothing of that file is kept.
    lines = (data / "invoice_lines.csv").read_text().splitlines()
    lines.insert(1, "north,I7,2,CONS,Consulting hours,1,100.00,0,100.00,")
    (data / "invoice_lines.csv").write_text("\n".join(lines) + "\n")
    assert night("lines moved")["invoice_lines"] == 0
    # A blank business_id and a line that cannot be split are judged every time.
    append("payments", ",P9,C1,2024-07-02,USD,1,10.00")
    append("payments", "acme,P10,C1,2024-07-02,USD,1,10.00,one column too many")
    night("bad rows")
    # (the line with a column too many starts with "acme,": it is not one of acme's rows)
    assert night("bad rows again")["payments"] == (
        sum(_rows_of(data, "payments", b) for b in ("acme", "euro", "north")) - 1
    )
    # north's customers gone: its documents now name no customer, and are judged again.
    customers = data / "customers.csv"
    customers.write_text(
        "\n".join(
            line for line in customers.read_text().splitlines() if not line.startswith("north,")
        )
        + "\n"
    )
    after = night("north's customers gone")
    assert after["invoices"] == sum(_rows_of(data, "invoices", b) for b in ("acme", "euro"))
    # A table loaded without fingerprints (a load by hand): nothing whose rules read it
    # is kept until it is loaded with them again.
    load_table(kept, "invoices", data)
    assert load_table(kept, "invoice_lines", data, keep_unchanged=True).rows_kept == 0
    assert night("after a load by hand")["invoices"] == 0
    kept.close()


def _night_equals_whole_load(kept, data, tmp_path, tables) -> dict[str, int]:
    """Load `tables` with `keep_unchanged` into `kept` and whole into a new warehouse;
    assert their raw and quarantine tables equal (lines included). Returns rows kept."""
    results = {table: load_table(kept, table, data, keep_unchanged=True) for table in tables}
    whole = tmp_path / f"whole-{len(list(tmp_path.glob('whole-*.duckdb')))}.duckdb"
    with duckdb.connect(str(whole)) as con:
        for table in tables:
            load_table(con, table, data)
    kept.execute(f"attach '{whole}' as whole (read_only)")
    try:
        for table in tables:
            for schema in ("raw", "quarantine"):
                name = f"{schema}.{table}"
                for one, other in ((name, f"whole.{name}"), (f"whole.{name}", name)):
                    assert not kept.execute(
                        f"select count(*) from (from {one} except all from {other})"
                    ).fetchone()[0], name
    finally:
        kept.execute("detach whole")
    return {table: result.rows_kept for table, result in results.items()}


def test_a_large_file_read_twice_keeps_every_line(tmp_path, monkeypatch):
    """A night reads a CSV file twice (`_read_changed_csv`): the hashes, then the rows
    of the businesses not kept, whose lines come from their order in the first read.
    DuckDB reads a large file on several threads: filtered through a join (`in (select
    ...)`), the second read gave 140,261 of 200,000 rows another row's line (a reviewer's
    reproducer, 400,000 invoices). 200,000 invoices, one in ten of b1, the others of b0,
    which changes a line: every row keeps its own line, and the second read is the one
    that gave them (not the whole read it falls back to)."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "businesses.csv").write_text(
        "business_id,business_name,home_currency,fiscal_year_start_month,"
        "default_payment_terms_days,export_complete_to_date\n"
        "b0,B0,USD,1,30,\nb1,B1,USD,1,30,\n"
    )
    (data / "customers.csv").write_text(
        "business_id,customer_id,customer_name,created_date,payment_terms_days,sales_rep,"
        "acquisition_channel,parent_customer_id,referred_by_customer_id\n"
        "b0,C1,X,2024-01-01,30,,,,\nb1,C1,Y,2024-01-01,30,,,,\n"
    )
    invoices = data / "invoices.csv"
    rows = [
        f"b{int(n % 10 == 0)},I{n},C1,invoice,2024-01-10,2024-02-09,USD,1,open,"
        f"{n % 9000 + 100}.00,0.00"
        for n in range(200_000)
    ]
    invoices.write_text("\n".join([HEADER, *rows]) + "\n")
    reads = []
    read_changed = load_mod._read_changed_csv

    def recorded(con, path, table):
        result = read_changed(con, path, table)
        reads.append(result)
        return result

    monkeypatch.setattr(load_mod, "_read_changed_csv", recorded)
    tables = ["businesses", "customers", "invoices"]
    kept = duckdb.connect(str(tmp_path / "kept.duckdb"))
    _night_equals_whole_load(kept, data, tmp_path, tables)
    rows[1001] = rows[1001].replace(",open,", ",paid,")
    invoices.write_text("\n".join([HEADER, *rows]) + "\n")
    assert _night_equals_whole_load(kept, data, tmp_path, tables)["invoices"] == 20_000
    assert reads[-1] == ([], 20_000)
    # Every line is its own: I<n> is on line n + 2.
    assert not kept.execute(
        "select count(*) from raw.invoices where _source_row <> cast(substr(invoice_id, 2)"
        " as bigint) + 2"
    ).fetchone()[0]
    kept.close()


def test_a_column_out_of_the_contract_is_read_by_both_reads(tmp_path, handmade_copy):
    """DuckDB checks a value's text only in the columns a query reads: a line whose
    ignored column is not UTF-8 is malformed for the whole read. The first of a night's
    two reads reads that column too, so both reject the same line (a reviewer found the
    night failing on such a file, and, once a night had kept nothing, the line lost
    from the quarantine)."""
    data = handmade_copy
    invoices = data / "invoices.csv"
    header, *lines = invoices.read_bytes().rstrip(b"\n").split(b"\n")
    lines = [line + (b",b\xe4d" if n == 2 else b",ok") for n, line in enumerate(lines)]
    invoices.write_bytes(b"\n".join([header + b",memo", *lines]) + b"\n")
    kept = duckdb.connect(str(tmp_path / "kept.duckdb"))
    tables = load_order()
    _night_equals_whole_load(kept, data, tmp_path, tables)
    assert _night_equals_whole_load(kept, data, tmp_path, tables)["invoices"] > 0
    # A line before all others: nothing of the file kept, then the same file again.
    header, *lines = invoices.read_bytes().rstrip(b"\n").split(b"\n")
    moved = lines[0].replace(b",I1,", b",I99,", 1)
    invoices.write_bytes(b"\n".join([header, moved, *lines]) + b"\n")
    assert _night_equals_whole_load(kept, data, tmp_path, tables)["invoices"] == 0
    assert _night_equals_whole_load(kept, data, tmp_path, tables)["invoices"] > 0
    assert (
        kept.execute(
            "select count(*) from quarantine.invoices where rule = 'malformed_row'"
        ).fetchone()[0]
        == 1
    )
    kept.close()
