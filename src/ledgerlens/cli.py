"""The `ledgerlens` command: generate demo data, run the pipeline, print what it found."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

# Bound to the real stdout: the pipeline redirects sys.stdout (dbt's log) to a file.
console = Console(file=sys.stdout, highlight=False, width=None if sys.stdout.isatty() else 120)

DEFAULT_WAREHOUSE = "warehouse/ledgerlens.duckdb"


def _table(title: str, *columns: str, compact: bool = False) -> Table:
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


def _stamp(started: float) -> str:
    return f"[dim]{time.perf_counter() - started:6.1f}s[/dim]"


def cmd_generate(args: argparse.Namespace) -> int:
    from ledgerlens.demo import generate

    started = time.perf_counter()
    console.print(
        f"Generating demo data into [bold]{args.out}[/bold] "
        f"(seed {args.seed}, ~{args.lines:,} invoice lines)"
    )
    counts = generate(
        args.out,
        seed=args.seed,
        lines=args.lines,
        fmt=args.format,
        progress=lambda line: console.print(f"{_stamp(started)} {line}"),
        businesses=args.businesses.split(",") if args.businesses else None,
    )
    table = _table("Rows written", "table", ">rows")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    console.print(f"done in {time.perf_counter() - started:.1f}s")
    return 0


def _print_summary(summary, warehouse: Path) -> None:
    from ledgerlens.report import read_run_report

    loads = _table("Raw files loaded", "table", ">loaded", ">quarantined", "rules broken")
    for load in summary.loads:
        rules = ", ".join(f"{rule} {count:,}" for rule, count in load.quarantined_by_rule.items())
        loads.add_row(load.table, f"{load.rows_loaded:,}", f"{load.rows_quarantined:,}", rules)
    console.print(loads)
    if any(load.rows_quarantined for load in summary.loads):
        console.print(
            "[yellow]Quarantined rows are kept in the warehouse's quarantine schema "
            "with file, line and rule.[/yellow]"
        )
    console.print(
        f"dbt models built: {len(summary.models_built)}; "
        f"checks passed: {summary.checks_passed}, failed: {len(summary.checks_failed)}, "
        f"warnings: {len(summary.checks_warned)}"
    )
    for name in summary.checks_failed:
        console.print(f"  [red]failed[/red] {name}")
    for failure in summary.failures:
        console.print(f"[red]step failed[/red] {failure}")
    if summary.log_file:
        console.print(f"[dim]dbt's full log: {summary.log_file}[/dim]")
    if not summary.success or not warehouse.exists():
        return
    try:
        report = read_run_report(warehouse)
    except Exception as error:  # the marts may not exist after a failed build
        console.print(f"[yellow]customer sheet not readable: {error}[/yellow]")
        return
    as_of = report.as_of_date
    if report.data_quality:
        quarantined = _table(
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
    table = _table(
        f"Businesses, as of {as_of}",
        "business",
        "name",
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
    by_business: dict[str, list[dict]] = {}
    for row in report.top_customers:
        by_business.setdefault(row["business_id"], []).append(row)
    for business_id, customers in by_business.items():
        currency = customers[0]["home_currency"]
        table = _table(
            f"Top customers by LTV: {customers[0]['business_name']} ({business_id}), as of {as_of}",
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
    table = _table(
        f"Receivables aging, as of {report.as_of_date} (home currency)",
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
    table = _table(
        f"Days sales outstanding, as of {report.as_of_date}",
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
    by_business: dict[str, list[dict]] = {}
    for row in report.riskiest_invoices:
        by_business.setdefault(row["business_id"], []).append(row)
    for business_id, invoices in by_business.items():
        table = _table(
            f"Riskiest open invoices not yet late: {business_id}, as of {report.as_of_date}",
            "invoice",
            "customer",
            f">open ({invoices[0]['home_currency']})",
            "due",
            ">P(late)",
            "expected paid",
            "why",
        )
        # The reasons are sentences: they wrap, so the numbers beside them keep their width.
        table.columns[-1].no_wrap = False
        for row in invoices:
            table.add_row(
                row["invoice_id"],
                row["customer_name"] or "",
                f"{row['open_amount_home']:,.2f}",
                str(row["due_date"]),
                f"{row['late_probability']:.0%}",
                str(row["expected_paid_date"]),
                row["top_reasons"],
            )
        console.print(table)


def _print_segments(business: dict, segments: list[dict]) -> None:
    currency = business["home_currency"]
    table = _table(
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


def _print_retention(business: dict, periods: list[dict], concentration: list[dict]) -> None:
    if not periods:
        return
    currency = business["home_currency"]
    table = _table(
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


def cmd_run(args: argparse.Namespace) -> int:
    from ledgerlens.pipeline import PipelineError, run_pipeline

    started = time.perf_counter()
    warehouse = Path(args.warehouse)
    console.print(
        f"Running the ledgerlens pipeline: [bold]{args.data}[/bold] -> [bold]{warehouse}[/bold]"
    )
    try:
        summary = run_pipeline(
            args.data,
            warehouse,
            as_of_date=args.as_of,
            emit=lambda line: console.print(f"{_stamp(started)} {line}"),
        )
    except PipelineError as error:
        console.print(f"[red]error:[/red] {error}")
        return 2
    _print_summary(summary, warehouse.resolve())
    if getattr(args, "summary_json", None):
        Path(args.summary_json).write_text(json.dumps(asdict(summary), indent=2, default=str))
    verdict = "[green]succeeded[/green]" if summary.success else "[red]FAILED[/red]"
    console.print(f"Run {verdict} in {summary.seconds:.1f}s")
    return 0 if summary.success else 1


def cmd_demo(args: argparse.Namespace) -> int:
    args.out = args.data
    if cmd_generate(args) != 0:
        return 1
    return cmd_run(args)


def cmd_benchmark(args: argparse.Namespace) -> int:
    from ledgerlens.benchmark import run_benchmark

    console.print(
        f"Benchmark: ~{args.lines:,} invoice lines, seed {args.seed}, {args.format}, "
        f"in {args.workdir}"
    )
    result = run_benchmark(args.lines, args.seed, args.workdir, args.format, args.as_of)
    table = _table(
        f"{result['invoice_lines_loaded']:,} invoice lines loaded",
        "phase",
        ">seconds",
        ">peak RSS (MiB)",
        ">exit",
    )
    for phase in result["phases"]:
        table.add_row(
            phase["name"],
            f"{phase['seconds']:.1f}",
            f"{phase['peak_rss_mib']:,.0f}",
            str(phase["exit_code"]),
        )
    for step, seconds in result["pipeline_steps_seconds"].items():
        table.add_row(f"  step {step}", f"{seconds:.1f}", "", "")
    for folder, seconds in result["dbt_model_seconds_by_folder"].items():
        table.add_row(f"    dbt models in {folder}", f"{seconds:.1f}", "", "")
    console.print(table)
    console.print(
        f"warehouse size: {result['warehouse_mib']} MiB; "
        f"details in {Path(args.workdir) / 'benchmark.json'}"
    )
    return 0 if all(phase["exit_code"] == 0 for phase in result["phases"]) else 1


def cmd_backtest(args: argparse.Namespace) -> int:
    from ledgerlens.backtest import run_backtest

    started = time.perf_counter()
    seeds = [int(seed) for seed in args.seeds.split(",")]
    console.print(
        f"Back-test of the late-payment model: seeds {seeds}, ~{args.lines:,} invoice lines, "
        f"in {args.workdir}"
    )
    report = run_backtest(
        seeds,
        args.lines,
        args.workdir,
        methods=args.methods.split(",") if args.methods else None,
        emit=lambda line: console.print(f"{_stamp(started)} {line}"),
    )
    for seed in report["seeds"]:
        table = _table(
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
        cash = _table(
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
    console.print(f"details in {Path(args.workdir) / 'backtest.json'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ledgerlens", description="Customer intelligence from accounting data."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def add_generate_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
        command.add_argument(
            "--lines", type=int, default=200_000, help="approximate invoice lines (default 200000)"
        )
        command.add_argument("--format", choices=["csv", "parquet"], default="csv")
        command.add_argument(
            "--businesses",
            help="comma-separated subset of the demo businesses "
            "(northwind,harbor,summit,rheinland; default all)",
        )

    generate = commands.add_parser("generate", help="write a demo dataset in the raw data contract")
    generate.add_argument("--out", required=True, help="folder to write into")
    add_generate_options(generate)
    generate.set_defaults(func=cmd_generate)

    def add_run_options(command: argparse.ArgumentParser, data_required: bool) -> None:
        command.add_argument(
            "--data",
            required=data_required,
            default="demo-data",
            help="folder with one file per contract table",
        )
        command.add_argument(
            "--warehouse",
            default=DEFAULT_WAREHOUSE,
            help=f"DuckDB file (default {DEFAULT_WAREHOUSE})",
        )
        command.add_argument(
            "--as-of", dest="as_of", help="as-of date YYYY-MM-DD (default: latest invoice date)"
        )

    run = commands.add_parser("run", help="load a data folder and build the warehouse")
    add_run_options(run, data_required=True)
    run.add_argument("--summary-json", help="also write the run summary to this JSON file")
    run.set_defaults(func=cmd_run)

    demo = commands.add_parser("demo", help="generate demo data, then run the pipeline on it")
    add_run_options(demo, data_required=False)
    add_generate_options(demo)
    demo.set_defaults(func=cmd_demo)

    bench = commands.add_parser(
        "benchmark", help="time and peak memory of generate + run at a size"
    )
    bench.add_argument(
        "--workdir", default="bench", help="where data and warehouse go (default bench/)"
    )
    bench.add_argument("--as-of", dest="as_of")
    add_generate_options(bench)
    bench.set_defaults(func=cmd_benchmark)

    backtest = commands.add_parser(
        "backtest",
        help="time-split back-test of the late-payment model and the cash forecast",
    )
    backtest.add_argument("--seeds", default="7,11", help="generator seeds (default 7,11)")
    backtest.add_argument(
        "--lines", type=int, default=200_000, help="approximate invoice lines (default 200000)"
    )
    backtest.add_argument(
        "--methods",
        help="comma-separated methods (default all: logistic,gradient_boosting,late_rate)",
    )
    backtest.add_argument(
        "--workdir", default="bench/backtest", help="where data and warehouses go"
    )
    backtest.set_defaults(func=cmd_backtest)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
