"""Exports for spreadsheets and CRMs: `ledgerlens export`.

Reads a built warehouse read-only and writes, per business, the marts a person hands on
(customer sheet, segment summary, retention, aging, and profitability and CLV when the
warehouse has them) as CSV, Parquet or one xlsx workbook, plus CRM import files for
HubSpot (companies) and Salesforce (accounts), in full and changes-only (docs/crm.md).

Money comes out of DuckDB as `decimal.Decimal` and is written from it: CSV as plain
decimals ("1234.50"), Parquet as decimal128 columns. An xlsx cell is an IEEE double by the
file format (DECISIONLOG.md, "Exports and CRM files").
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

FORMATS = ("csv", "parquet", "xlsx")
XLSX_MAX_ROWS = 1_048_576  # rows per sheet in Excel, LibreOffice Calc and Google Sheets' import


@dataclass(frozen=True)
class Table:
    """A mart exported per business, in a fixed row order."""

    name: str
    order_by: str


# The marts a person hands on, in the order of the workbook's sheets. A table missing from
# the warehouse (profitability and CLV come with their own issues) is skipped with a note.
TABLES = (
    Table("customer_sheet", "revenue_rank, customer_id"),
    Table("segment_summary", "segment_priority, segment"),
    Table("revenue_retention", "period_grain, period_end_date"),
    Table("cohorts", "cohort_grain, cohort_start_date, period_offset"),
    Table("ar_aging", "open_balance_home desc, customer_id"),
    Table("customer_profitability", "customer_id"),
    Table("customer_clv", "customer_id"),
)


@dataclass
class ExportResult:
    businesses: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # "<business>/<file stem>" -> rows


class ExportError(ValueError):
    """A request the warehouse cannot answer (unknown business, no marts)."""


# ---------------------------------------------------------------------------- values


def _decimal_text(value: Decimal) -> str:
    return format(value, "f")  # never an exponent ("0E-6"), never a thousands separator


def csv_value(value) -> str:
    """A value as CSV text: plain decimals, ISO dates, true/false, empty for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, float):  # no mart column is a float (house rule); be exact anyway
        raise TypeError(f"float value {value!r}: marts hold decimals")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _write_csv(path: Path, header: list[str], rows: Iterable[Iterable], bom: bool) -> None:
    # RFC 4180: comma, double quotes around a field with a comma, quote or line break,
    # quotes doubled, CRLF line ends.
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as file:
        writer = csv.writer(file, dialect="excel", lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([csv_value(value) for value in row])


# ---------------------------------------------------------------------------- warehouse


def _marts(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Each mart's columns and their DuckDB types, in column order."""
    tables: dict[str, dict[str, str]] = {}
    for table, column, data_type in con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' order by table_name, ordinal_position"
    ).fetchall():
        tables.setdefault(table, {})[column] = data_type
    return tables


_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _businesses(con, marts, business: str | None) -> list[tuple[str, str]]:
    if "business_overview" not in marts:
        raise ExportError("the warehouse has no marts.business_overview: run the pipeline first")
    found = con.execute(
        "select business_id, home_currency from marts.business_overview order by business_id"
    ).fetchall()
    if business is not None:
        found = [row for row in found if row[0] == business]
        if not found:
            raise ExportError(f"no business {business!r} in the warehouse")
    for business_id, _ in found:
        if not _SAFE_ID.fullmatch(business_id):  # it names a folder
            raise ExportError(f"business id {business_id!r} cannot name a folder")
    return found


def _scale(data_type: str) -> int | None:
    match = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", data_type)
    return int(match.group(2)) if match else None


# ---------------------------------------------------------------------------- tables


def _select(table: Table, columns: dict[str, str]) -> str:
    names = ", ".join(f'"{name}"' for name in columns)
    return f"select {names} from marts.{table.name} where business_id = ? order by {table.order_by}"


def _write_xlsx(path: Path, sheets: list[tuple[str, dict[str, str], list[tuple]]], currency):
    import xlsxwriter

    # write_string / write_number / write_datetime only (never write()): a name such as
    # "=1+1" or "http://x" stays text, not a formula or a link.
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    header = workbook.add_format({"bold": True, "text_wrap": False, "bottom": 1})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    formats = {
        "money": workbook.add_format({"num_format": "#,##0.00"}),
        "ratio": workbook.add_format({"num_format": "0.00%"}),
    }
    for name, columns, rows in sheets:
        sheet = workbook.add_worksheet(name[:31])
        for col, (column, data_type) in enumerate(columns.items()):
            scale = _scale(data_type)
            title = f"{column} ({currency})" if scale == 2 else column
            sheet.write_string(0, col, title, header)
            if data_type == "DATE":
                cell_format = date
            elif scale == 2:
                cell_format = formats["money"]
            elif data_type == "DECIMAL(18,6)":
                cell_format = formats["ratio"]
            elif scale is not None:
                key = f"0.{'0' * scale}" if scale else "0"
                if key not in formats:
                    formats[key] = workbook.add_format({"num_format": key})
                cell_format = formats[key]
            else:
                cell_format = None
            width = max(len(title) + 2, 12 if data_type == "DATE" else 10)
            sheet.set_column(col, col, min(width, 40), cell_format)
            for row_number, row in enumerate(rows, start=1):
                value = row[col]
                if value is None:
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(row_number, col, value)
                elif isinstance(value, dt.date):
                    sheet.write_datetime(row_number, col, value, cell_format)
                elif isinstance(value, int | Decimal):
                    sheet.write_number(row_number, col, value, cell_format)
                else:
                    sheet.write_string(row_number, col, str(value))
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)
    workbook.close()


def _write_parquet(path: Path, con, sql: str, business_id: str) -> int:
    import pyarrow.parquet as pq

    # DuckDB hands DECIMAL(18,2) to Arrow as decimal128(18, 2): no float on the way.
    table = con.sql(sql, params=[business_id]).to_arrow_table()
    pq.write_table(table, str(path))
    return table.num_rows


# ---------------------------------------------------------------------------- CRM


@dataclass(frozen=True)
class CrmField:
    key: str
    hubspot: str  # column header: the HubSpot property's label
    hubspot_name: str  # the property's internal name (docs/crm.md)
    salesforce: str  # column header: the Account field's API name


CRM_FIELDS = (
    CrmField("external_id", "Ledgerlens ID", "ledgerlens_id", "Ledgerlens_Id__c"),
    CrmField("name", "Company name", "name", "Name"),
    CrmField("segment", "Ledgerlens segment", "ledgerlens_segment", "Ledgerlens_Segment__c"),
    CrmField(
        "previous_segment",
        "Ledgerlens previous segment",
        "ledgerlens_previous_segment",
        "Ledgerlens_Previous_Segment__c",
    ),
    CrmField(
        "segment_changed_on",
        "Ledgerlens segment changed on",
        "ledgerlens_segment_changed_on",
        "Ledgerlens_Segment_Changed_On__c",
    ),
    CrmField("ltv", "Ledgerlens lifetime sales", "ledgerlens_ltv", "Ledgerlens_LTV__c"),
    CrmField(
        "ttm_sales", "Ledgerlens TTM sales", "ledgerlens_ttm_sales", "Ledgerlens_TTM_Sales__c"
    ),
    CrmField("currency", "Ledgerlens currency", "ledgerlens_currency", "CurrencyIsoCode"),
    CrmField(
        "avg_days_to_pay",
        "Ledgerlens average days to pay",
        "ledgerlens_avg_days_to_pay",
        "Ledgerlens_Avg_Days_To_Pay__c",
    ),
    CrmField(
        "late_payment_risk",
        "Ledgerlens late-payment risk",
        "ledgerlens_late_payment_risk",
        "Ledgerlens_Late_Payment_Risk__c",
    ),
    CrmField(
        "previous_late_payment_risk",
        "Ledgerlens late-payment risk last month end",
        "ledgerlens_prev_late_payment_risk",
        "Ledgerlens_Prev_Late_Payment_Risk__c",
    ),
    CrmField("clv_36m", "Ledgerlens CLV 36 months", "ledgerlens_clv_36m", "Ledgerlens_CLV_36m__c"),
    CrmField("as_of_date", "Ledgerlens as of date", "ledgerlens_as_of_date", "Ledgerlens_As_Of__c"),
)


def late_payment_risk(t_score: int | None) -> str:
    """The customer's late-payment risk from its timeliness score (customer_sheet.t_score,
    segment_history.t_score; average days paid beyond terms): 5 or 4 (up to 7 days by
    default) low, 3 (up to 15) medium, 2 or 1 (beyond 15 days: the late-payment model's
    own "late" event, var late_days_beyond_terms) high; unknown before a paid invoice."""
    if t_score is None:
        return "unknown"
    return "low" if t_score >= 4 else "medium" if t_score == 3 else "high"


def crm_rows(con, marts, business_id: str) -> tuple[list[dict], list[dict]]:
    """The CRM rows of one business (one per customer on the customer sheet) and the
    changes-only subset: customers whose segment or late-payment risk differs from the
    previous month end's (segment_history), customers new since then included."""
    sheet = con.execute(
        "select customer_id, customer_name, segment, t_score, ltv, ttm_sales, home_currency, "
        "avg_days_to_pay, as_of_date from marts.customer_sheet where business_id = ? "
        "order by customer_id",
        [business_id],
    ).fetchall()
    if not sheet:
        return [], []
    as_of = sheet[0][8]
    history: dict[str, list[tuple[dt.date, str, int | None]]] = {}
    if "segment_history" in marts:
        for customer_id, month_end, segment, t_score in con.execute(
            "select customer_id, month_end_date, segment, t_score from marts.segment_history "
            "where business_id = ? and month_end_date < ? order by customer_id, month_end_date",
            [business_id, as_of],
        ).fetchall():
            history.setdefault(customer_id, []).append((month_end, segment, t_score))
    last_month_end = max((rows[-1][0] for rows in history.values()), default=None)
    clv: dict[str, Decimal | None] = {}
    if "customer_clv" in marts:
        clv = dict(
            con.execute(
                "select customer_id, clv_36m from marts.customer_clv where business_id = ?",
                [business_id],
            ).fetchall()
        )
    rows, changes = [], []
    for customer_id, name, segment, t_score, ltv, ttm, currency, days, _ in sheet:
        series = history.get(customer_id, []) + [(as_of, segment, t_score)]
        previous_segment = changed_on = None
        for (_, earlier, _), (date, later, _) in zip(series, series[1:], strict=False):
            if earlier != later:  # the latest change wins: the run of the current segment
                previous_segment, changed_on = earlier, date
        at_month_end = series[-2] if len(series) > 1 and series[-2][0] == last_month_end else None
        row = {
            "external_id": f"{business_id}:{customer_id}",
            "name": name if name else customer_id,
            "segment": segment,
            "previous_segment": previous_segment,
            "segment_changed_on": changed_on,
            "ltv": ltv,
            "ttm_sales": ttm,
            "currency": currency,
            "avg_days_to_pay": days,
            "late_payment_risk": late_payment_risk(t_score),
            "previous_late_payment_risk": (
                late_payment_risk(at_month_end[2]) if at_month_end else None
            ),
            "clv_36m": clv.get(customer_id),
            "as_of_date": as_of,
        }
        rows.append(row)
        if (
            at_month_end is None
            or at_month_end[1] != segment
            or row["previous_late_payment_risk"] != row["late_payment_risk"]
        ):
            changes.append(row)
    return rows, changes


def _write_crm(folder: Path, rows, changes, with_clv: bool, result: ExportResult, key: str):
    folder.mkdir(parents=True, exist_ok=True)
    fields = [f for f in CRM_FIELDS if with_clv or f.key != "clv_36m"]
    for system, stem in (("hubspot", "hubspot_companies"), ("salesforce", "salesforce_accounts")):
        header = [getattr(f, system) for f in fields]
        for suffix, subset in (("", rows), ("_changes", changes)):
            path = folder / f"{stem}{suffix}.csv"
            # No BOM: HubSpot and Salesforce read UTF-8 and a BOM would join the first header.
            _write_csv(path, header, ([row[f.key] for f in fields] for row in subset), bom=False)
            result.files.append(path)
            result.rows[f"{key}/crm/{path.stem}"] = len(subset)


# ---------------------------------------------------------------------------- export


def export(
    warehouse: str | Path,
    to: str | Path,
    business: str | None = None,
    fmt: str = "csv",
    bom: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ExportResult:
    """Write the exports of each business (or of `business`) into `to`/<business_id>/."""
    if fmt not in FORMATS:
        raise ExportError(f"format {fmt!r}: one of {', '.join(FORMATS)}")
    if not Path(warehouse).exists():
        raise ExportError(f"no warehouse at {warehouse}")
    result = ExportResult()
    say = progress or (lambda line: None)
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException as error:  # e.g. a run holds the file's write lock
        raise ExportError(f"cannot open {warehouse} read-only: {error}") from error
    with con:
        marts = _marts(con)
        businesses = _businesses(con, marts, business)
        for table in TABLES:
            if table.name not in marts:
                result.notes.append(f"marts.{table.name} is not in the warehouse: skipped")
        for business_id, currency in businesses:
            result.businesses.append(business_id)
            folder = Path(to) / business_id
            folder.mkdir(parents=True, exist_ok=True)
            sheets = []
            for table in TABLES:
                if table.name not in marts:
                    continue
                columns = marts[table.name]
                sql = _select(table, columns)
                key = f"{business_id}/{table.name}"
                if fmt == "parquet":
                    path = folder / f"{table.name}.parquet"
                    result.rows[key] = _write_parquet(path, con, sql, business_id)
                    result.files.append(path)
                    continue
                rows = con.execute(sql, [business_id]).fetchall()
                result.rows[key] = len(rows)
                if fmt == "xlsx" and len(rows) >= XLSX_MAX_ROWS:
                    raise ExportError(
                        f"{key}: {len(rows):,} rows do not fit an xlsx sheet "
                        f"({XLSX_MAX_ROWS:,} with the header): use --format csv or parquet"
                    )
                if fmt == "csv":
                    path = folder / f"{table.name}.csv"
                    _write_csv(path, list(columns), rows, bom)
                    result.files.append(path)
                else:
                    sheets.append((table.name, columns, rows))
            if fmt == "xlsx":
                path = folder / f"{business_id}.xlsx"
                _write_xlsx(path, sheets, currency)
                result.files.append(path)
            rows, changes = crm_rows(con, marts, business_id)
            _write_crm(folder / "crm", rows, changes, "customer_clv" in marts, result, business_id)
            say(
                f"{business_id}: {len(rows):,} customer{'s' if len(rows) != 1 else ''} in the "
                f"CRM files, {len(changes):,} changed since the previous month end"
            )
    return result
