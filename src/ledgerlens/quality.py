"""Great Expectations gates: one expectation suite per raw table, derived from the data
contract, and suites on the key marts.

Why GX's pandas data source fed from DuckDB, and not GX's SQL data source: GX 1.24's SQL
data source over duckdb-engine fails on every expectation ("list index out of range" in
`resolve_metric_bundle`, GX issues #10738 / #11579; `tests/test_quality.py` keeps an
xfail(strict=True) reproduction). DuckDB computes each suite's batch (the table's rows
plus derived columns for what one row cannot say alone: how many rows share its key,
whether its parent exists, how much was allocated against a payment) and streams it in
Arrow record batches of `BATCH_ROWS` rows; GX validates each batch as a pandas frame,
and the outcomes are added up. Memory stays at one batch, whatever the table's size.

Severity: `error` for contract breaks (a missing required value, a value outside its
accepted set or range, a duplicate key, an orphan row): the Dagster check is blocking
and the run publishes nothing. `warning` for soft rules (a date far outside the data's
window, a due date before the invoice date, a payment allocated beyond its amount).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ledgerlens.contract import TABLES, Table

BATCH_ROWS = 500_000
EXAMPLES = 5
EARLIEST_SANE_DATE = dt.datetime(1990, 1, 1)


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
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    return gx


def _quoted(name: str) -> str:
    return '"' + name + '"'


def _batch_column(table: Table, name: str) -> str:
    """Money and other decimals are validated as doubles (signs and ranges, no
    arithmetic), dates as timestamps: the types pandas and GX compare fastest."""
    column = table.column(name)
    if column.sql_type.startswith("decimal"):
        return f"cast(t.{_quoted(name)} as double) as {_quoted(name)}"
    if column.sql_type == "date":
        return f"cast(t.{_quoted(name)} as timestamp) as {_quoted(name)}"
    return f"t.{_quoted(name)}"


def raw_suite(table: Table, latest_date: dt.date | None = None) -> Suite:
    """The suite of `raw.<table>`, derived from the contract."""
    E = _gx().expectations
    rules: list[Rule] = []
    derived: list[str] = []
    for column in table.columns:
        if column.required:
            rules.append(
                Rule(E.ExpectColumnValuesToNotBeNull(column=column.name), "error", "required")
            )
        if column.accepted_values:
            rules.append(
                Rule(
                    E.ExpectColumnValuesToBeInSet(
                        column=column.name, value_set=list(column.accepted_values)
                    ),
                    "error",
                    "accepted values",
                )
            )
        if column.min_value is not None or column.max_value is not None:
            rules.append(
                Rule(
                    E.ExpectColumnValuesToBeBetween(
                        column=column.name,
                        min_value=column.min_value,
                        max_value=column.max_value,
                        strict_min=column.min_exclusive,
                    ),
                    "error",
                    "range",
                )
            )
        if column.kind == "currency":
            rules.append(
                Rule(
                    E.ExpectColumnValueLengthsToEqual(column=column.name, value=3),
                    "error",
                    "ISO 4217 code",
                )
            )
        if column.kind == "date":
            latest = dt.datetime.combine(latest_date or dt.date(2100, 1, 1), dt.time())
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
    # One row per key.
    key = ", ".join(f"t.{_quoted(c)}" for c in table.key)
    derived.append(f"count(*) over (partition by {key}) as _rows_with_key")
    rules.append(
        Rule(
            E.ExpectColumnValuesToBeBetween(column="_rows_with_key", min_value=1, max_value=1),
            "error",
            f"unique key ({', '.join(table.key)})",
        )
    )
    # Every reference finds its parent.
    for reference in table.references:
        match = " and ".join(
            f"p.{_quoted(pc)} = t.{_quoted(c)}"
            for c, pc in zip(reference.columns, reference.parent_columns, strict=True)
        )
        found = f"exists (select 1 from raw.{reference.parent} as p where {match})"
        if reference.optional:
            found = f"(t.{_quoted(reference.columns[-1])} is null or {found})"
        name = f"_has_{reference.parent}"
        derived.append(f"{found} as {name}")
        rules.append(
            Rule(
                E.ExpectColumnValuesToBeInSet(column=name, value_set=[True]),
                "error",
                f"{', '.join(reference.columns)} found in {reference.parent}",
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
    columns = [_batch_column(table, c.name) for c in table.columns]
    sql = f"select {', '.join(columns + derived)} from raw.{table.name} as t"
    return Suite(f"raw.{table.name}", sql, tuple(rules))


def sql_table_suite(table: Table) -> Suite:
    """The rules of `raw_suite` that need no derived column, plus the key as a compound
    unique expectation: what GX's SQL data source checks on a PostgreSQL target, where
    it works (dbt's relationships tests check the references there)."""
    E = _gx().expectations
    rules = [
        rule
        for rule in raw_suite(table).rules
        if not any(
            getattr(rule.expectation, name, "").startswith("_")
            for name in ("column", "column_A", "column_B")
        )
        and rule.severity == "error"
    ]
    unique = (
        E.ExpectCompoundColumnsToBeUnique(column_list=list(table.key))
        if len(table.key) > 1
        else E.ExpectColumnValuesToBeUnique(column=table.key[0])
    )
    rules.append(Rule(unique, "error", f"unique key ({', '.join(table.key)})"))
    return Suite(f"raw.{table.name}", f"raw.{table.name}", tuple(rules))


def raw_suites(con: duckdb.DuckDBPyConnection) -> dict[str, Suite]:
    """Every raw table's suite. Dates may run to a year after the latest invoice once
    invoices are loaded (customers and businesses load before them: 2100 until then)."""
    has_invoices = con.execute(
        "select count(*) from information_schema.tables"
        " where table_schema = 'raw' and table_name = 'invoices'"
    ).fetchone()[0]
    latest = (
        con.execute("select max(invoice_date) from raw.invoices").fetchone()[0]
        if has_invoices
        else None
    )
    return {table.name: raw_suite(table, latest) for table in TABLES}


def mart_suites() -> dict[str, Suite]:
    """Suites on the marts people read first."""
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
            "select r_score, f_score, m_score, t_score, segment,"
            " cast(open_balance as double) as open_balance,"
            " cast(overdue_balance as double) as overdue_balance"
            " from marts.customer_sheet",
            (
                *scores,
                Rule(E.ExpectColumnValuesToNotBeNull(column="segment"), "error", "one segment"),
                Rule(
                    E.ExpectColumnValuesToBeBetween(column="open_balance", min_value=0),
                    "error",
                    "no negative open balance",
                ),
                Rule(
                    E.ExpectColumnPairValuesAToBeGreaterThanB(
                        column_A="open_balance", column_B="overdue_balance", or_equal=True
                    ),
                    "error",
                    "overdue is part of open",
                ),
            ),
        ),
        "segment_summary": Suite(
            "marts.segment_summary",
            "select summary.business_id, summary.customers as segment_customers,"
            " coalesce(sheet.customers, 0) as sheet_customers"
            " from (select business_id, sum(customers) as customers"
            " from marts.segment_summary group by business_id) as summary"
            " left join (select business_id, count(*) as customers"
            " from marts.customer_sheet group by business_id) as sheet"
            " using (business_id)",
            (
                Rule(
                    E.ExpectColumnPairValuesToBeEqual(
                        column_A="segment_customers", column_B="sheet_customers"
                    ),
                    "error",
                    "segment counts add up to the customer sheet",
                ),
            ),
        ),
    }


def _batches(con: duckdb.DuckDBPyConnection, sql: str, rows: int) -> Iterator:
    con.execute(sql)
    reader = con.to_arrow_reader(rows)
    for record_batch in reader:
        if record_batch.num_rows:
            yield record_batch.to_pandas()


class Validator:
    """A GX context with one pandas data source; each suite is validated batch by batch.
    With `docs_dir`, the context is a file context there (GX's project in
    `<docs_dir>/gx/`) and every result is stored, so `build_docs()` renders GX Data Docs
    to `<docs_dir>/gx/uncommitted/data_docs/local_site/index.html`."""

    def __init__(self, docs_dir: str | Path | None = None):
        gx = _gx()
        if docs_dir:
            Path(docs_dir).mkdir(parents=True, exist_ok=True)
            self.context = gx.get_context(mode="file", project_root_dir=str(docs_dir))
        else:
            self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = {"globally": False}
        self.source = self.context.data_sources.add_or_update_pandas("ledgerlens")

    def validate(
        self, con: duckdb.DuckDBPyConnection, suite: Suite, batch_rows: int = BATCH_ROWS
    ) -> SuiteResult:
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
        for frame in _batches(con, suite.sql, batch_rows):
            batches += 1
            rows += len(frame)
            result = definition.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")
            for outcome, expectation_result in zip(outcomes, result.results, strict=True):
                detail = expectation_result.result or {}
                outcome.checked += int(detail.get("element_count") or len(frame))
                if expectation_result.exception_info and expectation_result.exception_info.get(
                    "raised_exception"
                ):
                    outcome.unexpected += len(frame)
                    outcome.examples.append(
                        str(expectation_result.exception_info.get("exception_message"))[:200]
                    )
                    continue
                if not expectation_result.success:
                    outcome.unexpected += int(detail.get("unexpected_count") or 0) or 1
                    for value in detail.get("partial_unexpected_list") or []:
                        if len(outcome.examples) < EXAMPLES:
                            outcome.examples.append(str(value))
        return SuiteResult(
            suite.name, rows, batches, round(time.perf_counter() - started, 2), outcomes
        )

    def validate_sql_table(self, connection_string: str, schema: str, suite: Suite) -> SuiteResult:
        """Validate a table in place through GX's SQL data source (PostgreSQL): the
        database computes the metrics, nothing is fetched."""
        gx = _gx()
        started = time.perf_counter()
        source = self.context.data_sources.add_or_update_sql(
            name="ledgerlens_sql", connection_string=connection_string
        )
        table_name = suite.sql.split(".")[-1]
        asset = source.add_table_asset(name=suite.name, table_name=table_name, schema_name=schema)
        batch = asset.add_batch_definition_whole_table("all").get_batch()
        result = batch.validate(
            gx.ExpectationSuite(
                name=suite.name, expectations=[rule.expectation for rule in suite.rules]
            ),
            result_format="SUMMARY",
        )
        outcomes = []
        for rule, expectation_result in zip(suite.rules, result.results, strict=True):
            detail = expectation_result.result or {}
            outcome = Outcome(
                expectation=rule.expectation.expectation_type,
                column=getattr(rule.expectation, "column", None)
                or ", ".join(getattr(rule.expectation, "column_list", None) or []),
                severity=rule.severity,
                why=rule.why,
                checked=int(detail.get("element_count") or 0),
            )
            if not expectation_result.success:
                outcome.unexpected = int(detail.get("unexpected_count") or 0) or 1
                outcome.examples = [
                    str(value) for value in (detail.get("partial_unexpected_list") or [])[:EXAMPLES]
                ]
            outcomes.append(outcome)
        rows = max((o.checked for o in outcomes), default=0)
        return SuiteResult(suite.name, rows, 1, round(time.perf_counter() - started, 2), outcomes)

    def build_docs(self) -> Path | None:
        sites = self.context.build_data_docs()
        local = sites.get("local_site") if sites else None
        if not local:
            return None
        return Path(local.removeprefix("file://"))
