"""Great Expectations gates: the rules a person reviews in GX Data Docs.

Each rule is checked in one place (DECISIONLOG.md, 2026-12-01): the loader
(ledgerlens.load) quarantines rows that break a row-level contract rule (a missing
required value, a value outside its accepted set or range, a bad currency code, a
duplicate key, an orphan row); dbt tests assert keys, relationships and accounting
identities. GX checks what neither does: soft rules on the raw tables that a person
judges (dates far outside the data's window, a due date before the invoice date, a
payment allocated beyond its amount) and the values of `marts.customer_sheet`, the mart
people read first (scores 1-5, no negative open balance on unpaid invoices, overdue
within open).

Why GX's pandas data source fed from DuckDB, and not GX's SQL data source: GX 1.24's SQL
data source over duckdb-engine fails on every expectation ("list index out of range" in
`resolve_metric_bundle`, GX issues #10738 / #11579; `tests/test_quality.py` keeps an
xfail(strict=True) reproduction). DuckDB computes each suite's batch (the table's rows
plus derived columns for what one row cannot say alone: how much was allocated against
a payment) and streams it through Arrow; GX validates it in pandas frames of
`BATCH_ROWS` rows, and the outcomes are added up. Python holds about one frame, whatever
the table's size (DuckDB's own work stays under the connection's memory cap).

Severity: `error` for a mart value that cannot be right (a score outside 1-5, a negative
open balance on unpaid invoices): the Dagster check is blocking and the run publishes
nothing. `warning` for the soft rules on raw tables.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from ledgerlens.contract import TABLES, TABLES_BY_NAME, Table

BATCH_ROWS = 500_000
EXAMPLES = 5
# Dates are compared as UTC timestamps (`_frame`), so the bounds are UTC too.
EARLIEST_SANE_DATE = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
# The latest date whose "a year later" still fits a Python datetime (the loader accepts
# any YYYY-MM-DD, 9999-12-31 included).
LATEST_BOUNDED_DATE = dt.date.max - dt.timedelta(days=366)


@dataclass(frozen=True)
class Rule:
    expectation: object  # a great_expectations Expectation
    severity: str  # "error" or "warning"
    why: str


@dataclass(frozen=True)
class Suite:
    name: str
    sql: str  # the batch: every row to validate, with derived columns
    rules: tuple[Rule, ...]


@dataclass
class Outcome:
    expectation: str
    column: str
    severity: str
    why: str
    checked: int = 0
    unexpected: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.unexpected == 0


@dataclass
class SuiteResult:
    suite: str
    rows: int
    batches: int
    seconds: float
    outcomes: list[Outcome]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def has_errors(self) -> bool:
        return any(o.severity == "error" for o in self.failed)

    @property
    def success(self) -> bool:
        return not self.failed

    def summary(self) -> dict[str, object]:
        return {
            f"{o.severity}: {o.expectation}({o.column})": {
                "unexpected": o.unexpected,
                "checked": o.checked,
                "examples": o.examples,
                "why": o.why,
            }
            for o in self.failed
        }


def _gx():
    # No usage statistics: the machines ledgerlens runs on may have no network. Set on
    # first use rather than at import, so importing the library writes no environment.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    with warnings.catch_warnings():
        # GX imports pyspark when it is installed (ledgerlens installs it for the Spark
        # target), and pyspark 4.3 warns on import that it does not yet fully support
        # pandas 3: two FutureWarnings in every run's output, DuckDB runs included. GX's
        # DataFrame checks here run on pandas, not Spark.
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
        import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    return gx


def _quoted(name: str) -> str:
    return '"' + name + '"'


def _batch_column(table: Table, name: str) -> str:
    """Dates go to GX as timestamps (made UTC in `_frame`)."""
    column = table.column(name)
    if column.sql_type == "date":
        return f"cast(t.{_quoted(name)} as timestamp) as {_quoted(name)}"
    return f"t.{_quoted(name)}"


def _has_soft_date_range(table: Table, column) -> bool:
    """Dates of documents and records get the soft 1990 .. latest invoice + 1 year range.
    Not businesses.export_complete_to_date: businesses load before any invoice, so its
    range could only be 1990-2100, close to what the loader's date rule accepts."""
    return column.kind == "date" and table.name != "businesses"


def raw_suite(table: Table, latest_date: dt.date | None = None) -> Suite:
    """The soft rules of `raw.<table>` (warnings): what the loader lets in and a person
    should still look at. The contract's hard rules are the loader's, not repeated here."""
    E = _gx().expectations
    rules: list[Rule] = []
    derived: list[str] = []
    for column in table.columns:
        if _has_soft_date_range(table, column):
            latest = dt.datetime.combine(
                min(latest_date or dt.date(2100, 1, 1), LATEST_BOUNDED_DATE),
                dt.time(),
                tzinfo=dt.UTC,
            )
            rules.append(
                Rule(
                    E.ExpectColumnValuesToBeBetween(
                        column=column.name,
                        min_value=EARLIEST_SANE_DATE,
                        max_value=latest + dt.timedelta(days=366),
                    ),
                    "warning",
                    "a date between 1990 and a year after the latest invoice",
                )
            )
    if table.name == "invoices":
        rules.append(
            Rule(
                E.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A="due_date",
                    column_B="invoice_date",
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                ),
                "warning",
                "due on or after the invoice date",
            )
        )
    if table.name == "payment_allocations":
        # Per allocation: its payment's amount and everything allocated against it.
        derived += [
            "cast((select max(p.amount) from raw.payments as p where p.business_id ="
            " t.business_id and p.payment_id = t.payment_id) as double) as _payment_amount",
            "cast(sum(t.amount_applied) over (partition by t.business_id, t.payment_id)"
            " as double) as _payment_allocated",
        ]
        rules.append(
            Rule(
                E.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A="_payment_amount",
                    column_B="_payment_allocated",
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                ),
                "warning",
                "allocations do not exceed their payment",
            )
        )
    # Only the columns the rules read go into the batch.
    read = {
        getattr(rule.expectation, name, None)
        for rule in rules
        for name in ("column", "column_A", "column_B")
    }
    columns = [_batch_column(table, c.name) for c in table.columns if c.name in read]
    sql = f"select {', '.join(columns + derived)} from raw.{table.name} as t"
    return Suite(f"raw.{table.name}", sql, tuple(rules))


# The raw tables `raw_suite` has a rule for (a date column, or allocations against
# payments) and the marts `mart_suites` covers: one GX suite and one Dagster check each.
RAW_SUITES: tuple[str, ...] = tuple(
    table.name
    for table in TABLES
    if table.name == "payment_allocations"
    or any(_has_soft_date_range(table, c) for c in table.columns)
)
MART_SUITES: tuple[str, ...] = ("customer_sheet",)


def raw_suites(con: duckdb.DuckDBPyConnection) -> dict[str, Suite]:
    """The suite of every table in RAW_SUITES. Dates may run to a year after the latest
    invoice once invoices are loaded (customers and businesses load before them: 2100
    until then)."""
    # fetchall, not fetchone: a DB-API result not fetched to its end holds the
    # connection, and the suites stream through it next (`_batches`).
    has_invoices = con.execute(
        "select count(*) from information_schema.tables"
        " where table_schema = 'raw' and table_name = 'invoices'"
    ).fetchall()[0][0]
    latest = (
        con.execute("select max(invoice_date) from raw.invoices").fetchall()[0][0]
        if has_invoices
        else None
    )
    return {name: raw_suite(TABLES_BY_NAME[name], latest) for name in RAW_SUITES}


def mart_suites() -> dict[str, Suite]:
    """Suites on the marts people read first (MART_SUITES). Segment counts adding up to
    the sheet, a segment on every customer: dbt tests (data-tests/integrity/, the yml)."""
    E = _gx().expectations
    scores = [
        Rule(
            E.ExpectColumnValuesToBeBetween(column=score, min_value=1, max_value=5),
            "error",
            "scores are 1-5",
        )
        for score in ("r_score", "f_score", "m_score", "t_score")
    ]
    return {
        "customer_sheet": Suite(
            "marts.customer_sheet",
            # Scores as bigint: GX compares int64 and float64 columns in one vectorised
            # step and every other integer type value by value in Python.
            "select cast(r_score as bigint) as r_score, cast(f_score as bigint) as f_score,"
            " cast(m_score as bigint) as m_score, cast(t_score as bigint) as t_score,"
            # The balances stay decimal in SQL (each engine spells double its own way) and
            # reach GX as doubles (`_frame`). An invoice settled past its total counts
            # below zero in them, as in ar_aging: the rules hold for the rest, what is
            # owed on invoices not yet paid (the balances less the over-applied ones).
            " sheet.open_balance - coalesce(over_applied.owed, 0) as unpaid_balance,"
            " sheet.overdue_balance - coalesce(over_applied.overdue, 0)"
            " as unpaid_overdue_balance"
            " from marts.customer_sheet as sheet"
            " left join ("
            " select business_id, customer_id, sum(open_amount_home) as owed,"
            " sum(case when due_date < as_of_date then open_amount_home else 0 end)"
            " as overdue"
            " from intermediate.int_invoices_over_applied_at_snapshots"
            " where is_current"
            " group by business_id, customer_id"
            ") as over_applied"
            " on sheet.business_id = over_applied.business_id"
            " and sheet.customer_id = over_applied.customer_id",
            (
                *scores,
                Rule(
                    E.ExpectColumnValuesToBeBetween(column="unpaid_balance", min_value=0),
                    "error",
                    "no negative open balance on unpaid invoices",
                ),
                Rule(
                    E.ExpectColumnPairValuesAToBeGreaterThanB(
                        column_A="unpaid_balance",
                        column_B="unpaid_overdue_balance",
                        or_equal=True,
                    ),
                    "error",
                    "overdue is part of open",
                ),
            ),
        ),
    }


def _frame(table: pa.Table):
    """A pandas frame for GX, timestamps as UTC timestamps. GX 1.24 compares a datetime
    column with its bounds in one vectorised step only when it is nanosecond or time-zone
    aware; DuckDB's timestamps arrive in microseconds, which GX compares value by value
    in Python (two dates on 500,000 rows: 6 s of CPU instead of 0.1 s). UTC rather than
    nanoseconds: nanoseconds end in 2262, and the loader accepts any YYYY-MM-DD date,
    which this rule must be able to flag. The cast only labels the values: the dates
    they show stay the same. Decimals go as doubles, which GX compares in one step (a
    decimal column is Python objects): the rules compare them with 0 and with each other,
    and rounding to the nearest double keeps both the sign and the order."""
    schema = pa.schema(
        field.with_type(pa.timestamp(field.type.unit, tz="UTC"))
        if pa.types.is_timestamp(field.type) and field.type.tz is None
        else field.with_type(pa.float64())
        if pa.types.is_decimal(field.type)
        else field
        for field in table.schema
    )
    return table.cast(schema).to_pandas()


def _batches(con, sql: str) -> Iterator:
    """The suite's rows as pandas frames of BATCH_ROWS rows (the last one fewer), from a
    DuckDB connection or an Engine (ledgerlens.engines: the marts on another target).

    A relation's reader streams: DuckDB computes the rows as they are read, so this side
    holds at most one frame and the Arrow batches that make the next one (a DB-API
    result, `con.execute(sql)` then `con.to_arrow_reader`, holds every row of the result
    and copies them again into Arrow). DuckDB hands out batches of about one row group
    (122,880 rows) whatever size is asked for; they are put together into frames of
    BATCH_ROWS because each GX validation costs about as much for a few rows as for a
    whole frame (`definition.run`: the metric graph, the stores, a stored result)."""
    from ledgerlens.engines import Engine

    reader = (
        con.batches(sql, BATCH_ROWS)
        if isinstance(con, Engine)
        else con.sql(sql).to_arrow_reader(BATCH_ROWS)
    )
    try:
        pending: list[pa.RecordBatch] = []
        rows = 0
        for record_batch in reader:
            pending.append(record_batch)
            rows += record_batch.num_rows
            while rows >= BATCH_ROWS:
                table = pa.Table.from_batches(pending)
                yield _frame(table.slice(0, BATCH_ROWS))
                rest = table.slice(BATCH_ROWS)
                pending, rows = rest.to_batches(), rest.num_rows
        if rows:
            yield _frame(pa.Table.from_batches(pending))
    finally:
        reader.close()  # a generator's close runs an Engine's own clean-up too


def _raised(expectation_result) -> str | None:
    """The message of an exception GX caught while validating, or None. GX reports one
    raised while it resolved a metric under that metric's id (the usual case), and one
    raised by the expectation itself at the top level."""
    info = expectation_result.exception_info or {}
    infos = [info] if "raised_exception" in info else list(info.values())
    for one in infos:
        if isinstance(one, dict) and one.get("raised_exception"):
            return str(one.get("exception_message"))
    return None


class Validator:
    """A GX file context in `docs_dir` (GX's project in `<docs_dir>/gx/`) with one pandas
    data source; each suite is validated batch by batch and every result is stored, so
    `build_docs()` renders GX Data Docs to
    `<docs_dir>/gx/uncommitted/data_docs/local_site/index.html`."""

    def __init__(self, docs_dir: str | Path):
        gx = _gx()
        Path(docs_dir).mkdir(parents=True, exist_ok=True)
        self.context = gx.get_context(mode="file", project_root_dir=str(docs_dir))
        self.context.variables.progress_bars = {"globally": False}
        self.source = self.context.data_sources.add_or_update_pandas("ledgerlens")

    def validate(self, con: duckdb.DuckDBPyConnection, suite: Suite) -> SuiteResult:
        gx = _gx()
        started = time.perf_counter()
        try:
            asset = self.source.get_asset(suite.name)
        except LookupError:
            asset = self.source.add_dataframe_asset(suite.name)
        try:
            batch_definition = asset.get_batch_definition("batch")
        except KeyError:
            batch_definition = asset.add_batch_definition_whole_dataframe("batch")
        expectation_suite = self.context.suites.add_or_update(
            gx.ExpectationSuite(
                name=suite.name,
                expectations=[rule.expectation for rule in suite.rules],
            )
        )
        definition = self.context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=suite.name, data=batch_definition, suite=expectation_suite)
        )
        outcomes = [
            Outcome(
                expectation=rule.expectation.expectation_type,
                column=getattr(rule.expectation, "column", None)
                or f"{rule.expectation.column_A}, {rule.expectation.column_B}",
                severity=rule.severity,
                why=rule.why,
            )
            for rule in suite.rules
        ]
        rows = batches = 0
        for frame in _batches(con, suite.sql):
            batches += 1
            rows += len(frame)
            with warnings.catch_warnings():
                # GX lists a failed column pair's values through Series.values, which on
                # a UTC column warns that pandas 4 will return the DatetimeArray instead
                # of a NumPy array: both pair up the same values.
                warnings.filterwarnings(
                    "ignore", message="Series.values returning an ndarray that drops timezone"
                )
                result = definition.run(
                    batch_parameters={"dataframe": frame}, result_format="SUMMARY"
                )
            for outcome, expectation_result in zip(outcomes, result.results, strict=True):
                detail = expectation_result.result or {}
                outcome.checked += int(detail.get("element_count") or len(frame))
                raised = _raised(expectation_result)
                if raised is not None:
                    outcome.unexpected += len(frame)
                    outcome.examples.append(raised[:200])
                    continue
                if not expectation_result.success:
                    outcome.unexpected += int(detail.get("unexpected_count") or 0) or 1
                    for value in detail.get("partial_unexpected_list") or []:
                        if len(outcome.examples) < EXAMPLES:
                            outcome.examples.append(str(value))
        return SuiteResult(
            suite.name, rows, batches, round(time.perf_counter() - started, 2), outcomes
        )

    def build_docs(self) -> Path | None:
        sites = self.context.build_data_docs()
        local = sites.get("local_site") if sites else None
        if not local:
            return None
        return Path(local.removeprefix("file://"))
