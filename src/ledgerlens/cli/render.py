"""Terminal rendering for the `ledgerlens` command: every table and line a person reads.

The command functions (ledgerlens.cli) parse arguments and call the run driver; what
they print is here, so the two can change apart.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table

from ledgerlens import dbt_vars

# Bound to the real stdout: the run driver redirects sys.stdout (dbt's log) to a file.
console = Console(file=sys.stdout, highlight=False, width=None if sys.stdout.isatty() else 120)


def new_table(title: str, *columns: str, compact: bool = False) -> Table:
    """A summary table; a column whose name starts with ">" is right-aligned (numbers).
    A compact table has no vertical rules, for when many columns must fit 120 characters."""
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD if compact else box.HEAVY_HEAD,
        show_edge=not compact,
        pad_edge=not compact,
    )
    for column in columns:
        right = column.startswith(">")
        name = column.removeprefix(">")
        table.add_column(
            name,
            justify="right" if right else "left",
            no_wrap=not right,
            # Headers wrap between words, never inside one.
            min_width=max(len(word) for word in name.split()),
        )
    return table


def stamp(started: float) -> str:
    return f"[dim]{time.perf_counter() - started:6.1f}s[/dim]"


def print_generated(counts: dict[str, int], started: float) -> None:
    rows = new_table("Rows written", "table", ">rows")
    for name, count in counts.items():
        rows.add_row(name, f"{count:,}")
    console.print(rows)
    console.print(f"done in {time.perf_counter() - started:.1f}s")


def print_run(summary) -> None:
    """What a run loaded, what failed or warned (one line each, with what to do), and,
    after a successful run, the warehouse's headline figures."""
    from ledgerlens.report import read_run_report

    loads = new_table("Raw files loaded", "table", ">loaded", ">quarantined", "rules broken")
    # A messy export breaks many rules per table: the list wraps rather than squeezing the
    # table names and counts out of the line.
    loads.columns[-1].no_wrap = False
    for load in summary.loads:
        rules = ", ".join(f"{rule} {count:,}" for rule, count in load.quarantined_by_rule.items())
        loads.add_row(load.table, f"{load.rows_loaded:,}", f"{load.rows_quarantined:,}", rules)
    if summary.loads:
        console.print(loads)
    console.print(
        f"dbt models built: {len(summary.models_built)}; "
        f"checks passed: {summary.checks_passed}, failed: {len(summary.checks_failed)}, "
        f"warnings: {len(summary.checks_warned)}"
    )
    for problem in summary.problems:
        colour = "yellow" if problem.startswith("warning") else "red"
        console.print(f"[{colour}]{problem}[/{colour}]")
    for failure in summary.failures:
        console.print(f"[red]failed: {failure}[/red]")
    if summary.log_file and not summary.success:
        console.print(f"[dim]dbt's full log: {summary.log_file}[/dim]")
    if summary.dagster_home and summary.run_id:
        console.print(
            f"[dim]run {summary.run_id[:8]} is in the Dagster UI: `ledgerlens ui` "
            f"(Dagster home {summary.dagster_home})[/dim]"
        )
    warehouse = Path(summary.warehouse) if summary.warehouse else None
    if not summary.success:
        if warehouse is not None:
            console.print(
                f"{warehouse} is unchanged: nothing was published"
                if summary.warehouse_existed
                else f"{warehouse} was not created: nothing was published"
            )
        return
    if warehouse is None or not warehouse.exists():
        return
    if getattr(summary, "target", "duckdb") != "duckdb":
        # The headline report reads the marts from the DuckDB file (ledgerlens.report);
        # on another target they are in its database.
        console.print(
            f"The marts are in the {summary.target} database (schema marts); {warehouse} "
            "holds the loaded raw and quarantine tables."
        )
        return
    try:
        report = read_run_report(warehouse)
    except Exception as error:  # a mart the summary reads may be missing
        console.print(f"[yellow]summary not readable: {error}[/yellow]")
        return
    as_of = report.as_of_date
    if report.data_quality:
        quarantined = new_table(
            "Quarantined, by business, file and rule (marts.data_quality_report)",
            "business",
            "file",
            "rule",
            ">rows",
            ">amount as written",
            ">first line",
        )
        for row in report.data_quality:
            amount = (
                f"{row['amount_quarantined']:,.2f} ({row['amount_column']})"
                if row["amount_column"]
                else ""
            )
            if row["rows_with_unreadable_amount"]:
                amount += f" + {row['rows_with_unreadable_amount']:,} unreadable"
            quarantined.add_row(
                row["business_id"],
                f"{row['table_name']}.csv",
                row["rule"],
                f"{row['rows_quarantined']:,}",
                amount,
                str(row["first_source_row"]),
            )
        console.print(quarantined)
    table = new_table(
        f"Businesses, as of {as_of}" if as_of else "Businesses, each as of its own date",
        "business",
        "name",
        "as of",
        ">customers",
        ">net sales, all time",
        ">purchases",
        "first sale",
        "last sale",
    )
    for row in report.businesses:
        table.add_row(
            row["business_id"],
            row["business_name"],
            str(row["as_of_date"]),
            f"{row['customers']:,}",
            f"{row['net_sales']:,.2f} {row['home_currency']}",
            f"{row['purchases']:,}",
            str(row["first_purchase_date"]),
            str(row["last_purchase_date"]),
        )
    console.print(table)
    for business in report.businesses:
        segments = [s for s in report.segments if s["business_id"] == business["business_id"]]
        _print_segments(business, segments)
    for business in report.businesses:
        _print_retention(
            business,
            [r for r in report.retention if r["business_id"] == business["business_id"]],
            [c for c in report.concentration if c["business_id"] == business["business_id"]],
        )
    _print_receivables(report)
    for business in report.businesses:
        _print_profitability(business, report)
    for business in report.businesses:
        _print_clv(business, report)
    for business in report.businesses:
        _print_statements(business, report)
    for business in report.businesses:
        _print_acquisition(business, report)
    by_business: dict[str, list[dict]] = {}
    for row in report.top_customers:
        by_business.setdefault(row["business_id"], []).append(row)
    for business_id, customers in by_business.items():
        currency = customers[0]["home_currency"]
        table = new_table(
            f"Top customers by LTV: {customers[0]['business_name']} ({business_id}), "
            f"as of {report.as_of_dates.get(business_id)}",
            "customer",
            "name",
            f">ltv ({currency})",
            ">purchases",
            "first purchase",
            "last purchase",
        )
        for row in customers:
            table.add_row(
                row["customer_id"],
                row["customer_name"],
                f"{row['ltv']:,.2f}",
                f"{row['purchases']:,}",
                str(row["first_purchase_date"]),
                str(row["last_purchase_date"]),
            )
        console.print(table)


def _print_receivables(report) -> None:
    dso = {row["business_id"]: row for row in report.dso}
    as_of = report.as_of_date or "the date of each business"
    table = new_table(
        f"Receivables aging, as of {as_of} (home currency)",
        "business",
        ">current",
        ">1-30",
        ">31-60",
        ">61-90",
        ">90+",
        ">open balance",
        ">customer credit",
    )
    for row in report.aging:
        table.add_row(
            f"{row['business_id']} ({row['home_currency']})",
            f"{row['current_home']:,.2f}",
            f"{row['past_due_1_30_home']:,.2f}",
            f"{row['past_due_31_60_home']:,.2f}",
            f"{row['past_due_61_90_home']:,.2f}",
            f"{row['past_due_over_90_home']:,.2f}",
            f"{row['open_balance_home']:,.2f}",
            f"{row['customer_credit_home']:,.2f}",
        )
    console.print(table)
    table = new_table(
        f"Days sales outstanding, as of {as_of}",
        "business",
        ">count-back DSO",
        ">simple DSO (90 days)",
        ">best possible DSO",
        ">days beyond terms",
    )
    for row in report.aging:
        days = dso.get(row["business_id"], {})
        table.add_row(
            row["business_id"],
            *(
                f"{days[key]:,.1f}" if days.get(key) is not None else "-"
                for key in (
                    "count_back_dso",
                    "simple_dso",
                    "best_possible_dso",
                    "days_beyond_terms",
                )
            ),
        )
    console.print(table)
    for business in report.businesses:
        _print_open_invoices(business, report)


def _print_open_invoices(business: dict, report) -> None:
    """Two lists to act on: the invoices not yet due most money is expected to be paid late
    from, and the largest overdue ones. Each fits an 80-column log: the reasons, sentences,
    go under the table, each beside its invoice, rather than in a column squeezed beside
    the numbers."""
    business_id = business["business_id"]
    currency = business["home_currency"]
    as_of = report.as_of_dates.get(business_id)
    not_due = [r for r in report.not_yet_due_invoices if r["business_id"] == business_id]
    if not_due:
        table = new_table(
            f"Not yet due, most money expected to be paid late first: {business_id}, as of {as_of}",
            "invoice",
            "customer",
            f">open ({currency})",
            "due",
            ">P(late)",
            f">expected\nlate ({currency})",
            compact=True,
        )
        late_days = dbt_vars.load()["late_days_beyond_terms"]
        table.caption = (
            f"P(late): the chance it is paid more than {late_days} days after due;"
            " expected late = P(late) x open amount"
        )
        table.caption_justify = "left"
        for row in not_due:
            table.add_row(
                row["invoice_id"],
                row["customer_name"] or "",
                f"{row['open_amount_home']:,.2f}",
                str(row["due_date"]),
                f"{row['late_probability']:.0%}",
                f"{row['expected_late_home']:,.2f}",
            )
        _print_with_reasons(table, not_due)
    overdue = [r for r in report.overdue_invoices if r["business_id"] == business_id]
    if overdue:
        table = new_table(
            f"Overdue, largest first: {business_id}, as of {as_of}",
            "invoice",
            "customer",
            f">open ({currency})",
            "due",
            ">days\noverdue",
            "expected\npaid",
            compact=True,
        )
        for row in overdue:
            table.add_row(
                row["invoice_id"],
                row["customer_name"] or "",
                f"{row['open_amount_home']:,.2f}",
                str(row["due_date"]),
                f"{row['days_past_due']:,}",
                str(row["expected_paid_date"]),
            )
        _print_with_reasons(table, overdue)


def _print_with_reasons(table: Table, invoices: list[dict]) -> None:
    # Only a customer's name wraps (between its words): the ids, dates and numbers keep
    # their width, their headers broken over two lines where written so.
    for index, column in enumerate(table.columns):
        column.no_wrap = index != 1
    console.print(table)
    reasons = Table.grid(padding=(0, 2))
    reasons.add_column(no_wrap=True)
    reasons.add_column()
    for row in invoices:
        if row["top_reasons"]:
            reasons.add_row(row["invoice_id"], row["top_reasons"])
    if reasons.row_count:
        console.print("why (what raises P(late) most, first):")
        console.print(Padding(reasons, (0, 0, 0, 2)))


def _print_segments(business: dict, segments: list[dict]) -> None:
    currency = business["home_currency"]
    table = new_table(
        f"Segments: {business['business_name']} ({business['business_id']})",
        "segment",
        ">customers",
        f">avg LTV ({currency})",
        ">avg purchases",
        f">TTM sales ({currency})",
        ">share of TTM",
        ">avg days to pay",
    )
    for row in segments:
        share = row["share_of_ttm_sales"]
        days = row["avg_days_to_pay"]
        table.add_row(
            row["segment"],
            f"{row['customers']:,}",
            f"{row['avg_ltv']:,.2f}",
            f"{row['avg_purchases']:,.1f}",
            f"{row['total_ttm_sales']:,.2f}",
            f"{share:.1%}" if share is not None else "",
            f"{days:,.1f}" if days is not None else "",
        )
    console.print(table)


def _print_profitability(business: dict, report) -> None:
    business_id = business["business_id"]
    summary = [row for row in report.profitability if row["business_id"] == business_id]
    if not summary:
        return
    [row] = summary
    currency = business["home_currency"]

    def share(value) -> str:
        return f"{value:.1%}" if value is not None else "n/a"

    table = new_table(
        f"Profitability by segment, TTM: {business['business_name']} ({business_id})",
        "segment",
        ">customers",
        ">key",
        ">core",
        ">unprof.",
        f">contribution ({currency})",
        ">margin",
        ">% of contrib.",
        ">% of effort",
        compact=True,
    )
    for segment in report.segment_profitability:
        if segment["business_id"] != business_id:
            continue
        table.add_row(
            segment["segment"],
            f"{segment['customers']:,}",
            f"{segment['key_accounts']:,}",
            f"{segment['core_accounts']:,}",
            f"{segment['unprofitable_accounts']:,}",
            f"{segment['ttm_contribution']:,.2f}",
            share(segment["ttm_contribution_margin"]),
            share(segment["contribution_share"]),
            share(segment["effort_share"]),
        )
    console.print(table)
    console.print(
        f"80/20: the top 20% of {row['active_customers']:,} active customers earn"
        f" {share(row['top_20_percent_contribution_share'])} of the TTM contribution"
        f" ({row['ttm_contribution']:,.2f} {currency},"
        f" {share(row['ttm_contribution_margin'])} of sales). Key accounts"
        f" ({row['key_accounts']:,}): {share(row['key_sales_share'])} of sales,"
        f" {share(row['key_contribution_share'])} of contribution,"
        f" {share(row['key_effort_share'])} of effort. Unprofitable"
        f" ({row['unprofitable_accounts']:,}) destroy {row['contribution_destroyed']:,.2f}"
        f" {currency}; core: {share(row['core_share_of_active'])} of active customers."
    )
    extremes = [r for r in report.profit_extremes if r["business_id"] == business_id]
    if extremes:
        console.print(f"Most and least profitable customers, TTM ({business_id}):")
    for customer in extremes:
        console.print(
            f"  {customer['customer_id']} {customer['customer_name']}"
            f" ({customer['value_class']}, {customer['segment'] or 'no purchase'}):"
            f" {customer['ttm_contribution']:,.2f} {currency}; {customer['value_reason']}."
            f" {customer['suggested_action']}",
            soft_wrap=True,
        )


def _print_clv(business: dict, report) -> None:
    business_id = business["business_id"]
    fits = [row for row in report.clv_fits if row["business_id"] == business_id]
    top = [row for row in report.clv_top if row["business_id"] == business_id]
    if not fits or not top:
        return
    [fit] = fits
    currency = business["home_currency"]

    def amount(value) -> str:
        return f"{value:,.0f}" if value is not None else "-"

    table = new_table(
        f"Largest CLV, next 36 months ({currency}, 80% interval): "
        f"{business['business_name']} ({business_id})",
        "customer",
        "name",
        "segment",
        ">p_alive",
        ">purchases/yr",
        ">CLV 36m",
        ">low",
        ">high",
        ">contribution",
        compact=True,
    )
    for row in top:
        table.add_row(
            row["customer_id"],
            row["customer_name"],
            row["segment"] or "",
            f"{row['p_alive']:.2f}" if row["p_alive"] is not None else "-",
            f"{row['expected_purchases_365d']:.1f}",
            amount(row["clv_36m"]),
            amount(row["clv_36m_low"]),
            amount(row["clv_36m_high"]),
            amount(row["clv_contribution_36m"]),
        )
    console.print(table)
    segments = [row for row in report.clv_segments if row["business_id"] == business_id]
    console.print(
        f"CLV by segment ({business_id}, mean per customer, 36 months, {currency}): "
        + "; ".join(
            f"{row['segment'] or 'no purchase'} {amount(row['avg_clv_36m'])}" for row in segments
        ),
        soft_wrap=True,
    )
    console.print(
        f"Model ({business_id}): {fit['purchase_model']} ({fit['fit_scope']} fit) +"
        f" {fit['spend_model']} spend, {fit['customers']:,} customers,"
        f" {fit['repeat_buyers']:,} repeat buyers.",
        soft_wrap=True,
    )


def _print_statements(business: dict, report) -> None:
    business_id = business["business_id"]
    rows = [row for row in report.statements if row["business_id"] == business_id]
    if not rows:
        return

    def amount(value) -> str:
        return f"{value:,.0f}" if value is not None else "-"

    table = new_table(
        f"Segments as small businesses, {rows[0]['month_end_date']:%B %Y} "
        f"({business['home_currency']}): {business['business_name']} ({business_id})",
        "segment",
        ">customers",
        ">net sales",
        ">contribution",
        ">assets",
        ">liabilities",
        ">customer equity",
        ">change in month",
        compact=True,
    )
    for row in rows:
        table.add_row(
            row["segment"],
            f"{row['customers']:,}",
            amount(row["net_sales"]),
            amount(row["contribution"]),
            amount(row["total_assets"]),
            amount(row["total_liabilities"]),
            amount(row["customer_equity"]),
            f"{row['equity_change']:+,.0f}" if row["equity_change"] is not None else "-",
        )
    console.print(table)


def _print_acquisition(business: dict, report) -> None:
    business_id = business["business_id"]
    rows = [row for row in report.acquisition if row["business_id"] == business_id]
    if not rows:
        return
    table = new_table(
        f"Acquisition by channel ({business['home_currency']}): "
        f"{business['business_name']} ({business_id})",
        "channel",
        ">won",
        ">spend",
        ">CAC",
        ">LTV:CAC",
        ">payback",
        ">active a year on",
        compact=True,
    )
    for row in rows:
        table.add_row(
            "all channels" if row["acquisition_channel"] == "all" else row["acquisition_channel"],
            f"{row['customers_won']:,}",
            f"{row['spend']:,.0f}",
            f"{row['cac']:,.0f}" if row["cac"] is not None else "-",
            f"{row['ltv_to_cac']:,.1f}" if row["ltv_to_cac"] is not None else "-",
            f"{row['payback_months']} mo" if row["payback_months"] is not None else "-",
            f"{row['share_active_after_12_months']:.0%}"
            if row["share_active_after_12_months"] is not None
            else "-",
        )
    console.print(table)


def _print_retention(business: dict, periods: list[dict], concentration: list[dict]) -> None:
    if not periods:
        return
    currency = business["home_currency"]
    table = new_table(
        f"Retention, 365-day windows, {currency} thousands: {business['business_id']}"
        " (base: customers who bought in the window before; +new: new and reactivated)",
        "window to",
        ">base",
        ">kept",
        ">logo",
        ">starting",
        ">+expand",
        ">-contract",
        ">-churned",
        ">+new",
        ">revenue",
        ">NRR",
        ">GRR",
        compact=True,
    )

    def share(value) -> str:
        return f"{value:.1%}" if value is not None else ""

    def thousands(value) -> str:
        return f"{value / 1000:,.1f}"

    for row in periods:
        table.add_row(
            str(row["period_end_date"]),
            f"{row['starting_customers']:,}",
            f"{row['retained_customers']:,}",
            share(row["logo_retention"]),
            thousands(row["starting_revenue"]),
            thousands(row["expansion_revenue"]),
            thousands(row["contraction_revenue"]),
            thousands(row["churned_revenue"]),
            thousands(row["new_and_reactivated_revenue"]),
            thousands(row["revenue"]),
            share(row["nrr"]),
            share(row["grr"]),
        )
    console.print(table)
    for row in concentration:
        console.print(
            f"Concentration at {row['month_end_date']}: {row['customers_with_sales']:,}"
            f" customers with TTM sales; the top customer ({row['top_customer_id']}) holds"
            f" {share(row['top_1_share'])} ({row['revenue_drop_if_top_customer_lost']:,.2f}"
            f" {currency}), the top 10 {share(row['top_10_share'])}, the top 20% of"
            f" customers {share(row['top_20_percent_share'])}; HHI {row['hhi']:,.0f},"
            f" Gini {row['gini']:.2f}: {row['concentration_risk']} risk."
        )


def print_export(result, to: str | Path, started: float) -> None:
    for note in result.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    table = new_table("Files written, per business", "Business", "File", ">Rows", compact=True)
    for key, rows in result.rows.items():
        business, name = key.split("/", 1)
        table.add_row(business, name, f"{rows:,}")
    console.print(table)
    console.print(
        f"{len(result.files)} files for {len(result.businesses)} "
        f"business{'es' if len(result.businesses) != 1 else ''} in {to} "
        f"({time.perf_counter() - started:.1f}s)"
    )


def print_import(result, started: float) -> None:
    table = new_table("Contract files written", "File", ">Rows", compact=True)
    for name, rows in result.rows.items():
        table.add_row(f"{name}.csv", f"{rows:,}")
    console.print(table)
    if result.skipped:
        skipped = new_table(
            "Source rows not imported (each with its reason in the file below)",
            "Business",
            "Source table",
            "Reason",
            ">Rows",
            ">Amount",
            compact=True,
        )
        for group in result.skipped:
            amount = "" if group.amount is None else f"{group.amount:,.2f}"
            skipped.add_row(
                group.business_id, group.source_table, group.reason, f"{group.rows:,}", amount
            )
        console.print(skipped)
    businesses = len(result.businesses)
    console.print(
        f"{businesses} business{'es' if businesses != 1 else ''} "
        f"({', '.join(result.businesses)}) in {result.folder}; skipped rows: "
        f"{result.skipped_file} ({time.perf_counter() - started:.1f}s)"
    )


def print_benchmark(result: dict, workdir: str | Path) -> None:
    table = new_table(
        f"{result['invoice_lines_loaded']:,} invoice lines loaded, "
        f"target {result.get('target', 'duckdb')}",
        "phase",
        ">seconds",
        ">CPU s",
        ">peak RSS (MiB)",
        ">exit",
    )
    for phase in result["phases"]:
        table.add_row(
            phase["name"],
            f"{phase['seconds']:.1f}",
            f"{phase['cpu_seconds']:.1f}",
            f"{phase['peak_rss_mib']:,.0f}",
            str(phase["exit_code"]),
        )
    for stage, seconds in result["pipeline_stages_seconds"].items():
        table.add_row(f"  {stage}", f"{seconds:.1f}", "", "", "")
    for folder, seconds in result["dbt_model_seconds_by_folder"].items():
        table.add_row(f"    dbt models in {folder}", f"{seconds:.1f}", "", "", "")
    console.print(table)
    floors = new_table(
        "the floor: the core of a mart by one hand-written DuckDB query over the files",
        "floor query",
        ">rows",
        ">floor s",
        ">pipeline s (loads + models)",
        ">ratio",
    )
    for query, floor in result["floor"].items():
        ratio = floor.get("ratio")
        floors.add_row(
            f"{query} ({floor['mart']}: {floor['models']} models)",
            f"{floor.get('rows', 0):,}",
            f"{floor.get('floor_seconds', 0):.2f}",
            f"{floor['load_seconds']:.1f} + {floor['dbt_model_seconds']:.1f}",
            f"{ratio:.1f}x" if ratio is not None else "-",
        )
    console.print(floors)
    invocations = ", ".join(f"{s:.1f}" for s in result.get("dbt_invocation_seconds", []))
    console.print(
        f"{result['invoice_lines_per_second'] or 0:,} invoice lines/s over the whole run; "
        f"dbt's own run time per dbt step: {invocations} s; dbt tests "
        f"{result['dbt_test_seconds']} s (summed over threads)"
    )
    console.print(
        f"warehouse size: {result['warehouse_mib']} MiB; load average at the end "
        f"{result['load_average_1m_at_end']}; details in {Path(workdir) / 'benchmark.json'}"
    )


def print_backtest(report: dict, workdir: str | Path) -> None:
    for seed in report["seeds"]:
        table = new_table(
            f"Seed {seed['seed']}: invoices open at {seed['as_of_date']}, outcome by "
            f"{seed['data_end']} ({seed['evaluated']:,} evaluated, late share "
            f"{seed['late_share']:.1%}; {seed['already_late']:,} already late left out)",
            "method",
            ">AUC",
            ">Brier",
            "calibration by band: invoices, predicted / actual late share",
        )
        for method in [*report["methods"], "baseline"]:
            metrics = seed[method]
            bands = "; ".join(
                f"{band['band']} {band['invoices']:,}: "
                + (
                    f"{band['mean_predicted']:.2f} / {band['actual_late_share']:.2f}"
                    if band["invoices"]
                    else "-"
                )
                for band in metrics["calibration"]
            )
            auc = metrics["auc"]
            table.add_row(
                method, f"{auc:.3f}" if auc is not None else "", f"{metrics['brier']:.4f}", bands
            )
        console.print(table)
        names = [*report["methods"], "baseline"]
        bins = new_table(
            f"Seed {seed['seed']}: calibration by tenth of the predicted probability,"
            f" invoices: predicted / actual late share (lowest Brier: {seed['winner']})",
            "bin",
            *names,
        )
        for index, row in enumerate(seed["baseline"]["calibration_bins"]):
            cells = []
            for method in names:
                cell = seed[method]["calibration_bins"][index]
                cells.append(
                    f"{cell['invoices']:,}: {cell['mean_predicted']:.2f} /"
                    f" {cell['actual_late_share']:.2f}"
                    if cell["invoices"]
                    else "-"
                )
            bins.add_row(row["bin"], *cells)
        console.print(bins)
        cash = new_table(
            f"Seed {seed['seed']}: 13-week cash forecast vs collections",
            "business",
            ">weekly MAPE",
            ">WAPE",
            ">weeks inside low-high",
            ">forecast, 13 weeks",
            ">actual, 13 weeks",
        )
        for business, row in seed["cash_forecast"].items():
            mape = row["mape"]
            cash.add_row(
                business,
                f"{mape:.1%}" if mape is not None else "",
                f"{row['wape']:.1%}" if row["wape"] is not None else "",
                row["weeks_inside_range"],
                f"{row['forecast_13_weeks']:,.2f}",
                f"{row['actual_13_weeks']:,.2f}",
            )
        console.print(cash)
    console.print(f"details in {Path(workdir) / 'backtest.json'}")


def print_clv_backtest(report: dict, workdir: str | Path) -> None:
    """Per seed and business: the CLV model's and the baseline's errors on next year."""

    def share(value) -> str:
        return f"{value:+.1%}" if value is not None else "-"

    for seed in report["seeds"]:
        table = new_table(
            f'Seed {seed["seed"]}: CLV model vs "next year = last year", predicted as of '
            f"{seed['as_of_date']} for the {report['horizon_days']} days after",
            "business",
            ">customers",
            "model",
            ">purchases MAE model / baseline",
            ">aggregate model / baseline",
            ">sales MAE model / baseline",
            ">aggregate model / baseline",
        )
        for row in seed["businesses"]:
            purchases, base = row["purchases_model"], row["purchases_baseline"]
            sales, sales_base = row.get("sales_model"), row.get("sales_baseline")
            table.add_row(
                row["business_id"],
                f"{row['customers']:,}",
                ", ".join(row["models"]),
                f"{purchases['mae']:.2f} / {base['mae']:.2f}",
                f"{share(purchases['aggregate_error'])} / {share(base['aggregate_error'])}",
                f"{sales['mae']:,.0f} / {sales_base['mae']:,.0f}" if sales else "-",
                f"{share(sales['aggregate_error'])} / {share(sales_base['aggregate_error'])}"
                if sales
                else "-",
            )
        console.print(table)
    console.print(f"Report: {Path(workdir) / 'clv_backtest.json'}")


def print_report(result) -> None:
    pages = len(result.pages) - 1
    size = result.bytes_written / 1_000_000
    console.print(
        f"Report: [bold]{result.out_dir / 'index.html'}[/bold] and {pages} business "
        f"page{'s' if pages != 1 else ''} ({size:.1f} MB, {result.seconds:.1f}s); "
        "open index.html in a browser (no network needed)",
        # one line however long the path: a person copies it
        soft_wrap=True,
    )
