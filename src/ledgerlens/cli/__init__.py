"""The `ledgerlens` command: parse the arguments, call the run driver or the library, print.

Each command is a few lines: what it calls is in `orchestration.run` (a pipeline run),
`orchestration.backtest`, `ledgerlens.demo` or `ledgerlens.benchmark`; what it prints is in
`ledgerlens.cli.render`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict
from importlib.metadata import version
from pathlib import Path

from ledgerlens.cli import render

DEFAULT_WAREHOUSE = "warehouse/ledgerlens.duckdb"
DEFAULT_DATA = "demo-data"
DEMO_BUSINESSES = "northwind,harbor,summit,rheinland"
# The importers' names, without importing them (`--help` stays quick).
SOURCE_NAMES = ("quickbooks-csv", "quickbooks-fivetran", "xero-csv", "xero-fivetran")
# ledgerlens.engines.TARGETS, likewise without importing it (tests/test_engines.py).
TARGET_NAMES = ("duckdb", "postgres", "spark")


def _progress(started: float):
    return lambda line: render.console.print(f"{render.stamp(started)} {line}")


def cmd_generate(args: argparse.Namespace) -> int:
    from ledgerlens.demo import generate

    if args.messy and args.format != "csv":
        render.console.print("[red]error:[/red] --messy writes bad rows as text: use --format csv")
        return 2
    started = time.perf_counter()
    render.console.print(
        f"Generating demo data into [bold]{args.out}[/bold] "
        f"(seed {args.seed}, ~{args.lines:,} invoice lines)"
    )
    counts = generate(
        args.out,
        seed=args.seed,
        lines=args.lines,
        fmt=args.format,
        progress=_progress(started),
        businesses=args.businesses.split(",") if args.businesses else None,
        messy=args.messy,
    )
    render.print_generated(counts, started)
    return 0


def _companies(args: argparse.Namespace, locations: list[str]):
    from ledgerlens.importers import Company, default_business_id

    ids = args.business_id or []
    if ids and len(ids) != len(locations):
        raise ValueError(
            f"--business-id given {len(ids)} times for {len(locations)} books: give one per "
            "--from, in the same order, or none"
        )
    ids = ids or [default_business_id(location) for location in locations]
    return [
        Company(location, business_id, home_currency=args.home_currency)
        for location, business_id in zip(locations, ids, strict=True)
    ]


def _import(args: argparse.Namespace, locations: list[str], to: str) -> bool:
    from ledgerlens.importers import ImporterError, import_books

    started = time.perf_counter()
    render.console.print(f"Importing {args.source}: {', '.join(locations)} -> [bold]{to}[/bold]")
    try:
        result = import_books(args.source, _companies(args, locations), to)
    except (ImporterError, ValueError, OSError) as error:
        render.console.print(f"[red]error:[/red] {error}")
        return False
    render.print_import(result, started)
    return True


def cmd_import(args: argparse.Namespace) -> int:
    return 0 if _import(args, args.sources, args.to) else 2


def cmd_run(args: argparse.Namespace) -> int:
    from orchestration.run import PipelineError, run_pipeline

    if getattr(args, "source", None):
        from ledgerlens import safe_run

        # The books are mapped into the warehouse's side files, then loaded as any export.
        folder = safe_run.side_files(Path(args.warehouse).expanduser().resolve()) / "import"
        if not _import(args, [args.data], str(folder)):
            return 2
        args.data = str(folder)
    started = time.perf_counter()
    render.console.print(
        f"Running the ledgerlens pipeline: [bold]{args.data}[/bold] -> "
        f"[bold]{args.warehouse}[/bold]"
    )
    try:
        summary = run_pipeline(
            args.data,
            args.warehouse,
            as_of_date=args.as_of,
            emit=_progress(started),
            memory_limit=args.memory_limit,
            verbose=args.verbose,
            full_refresh=getattr(args, "full_refresh", False),
            target=getattr(args, "target", None),
        )
    except PipelineError as error:
        render.console.print(f"[red]error:[/red] {error}")
        return 2
    render.print_run(summary)
    if args.summary_json:
        Path(args.summary_json).write_text(json.dumps(asdict(summary), indent=2, default=str))
    verdict = "[green]succeeded[/green]" if summary.success else "[red]FAILED[/red]"
    render.console.print(f"Run {verdict} in {summary.seconds:.1f}s")
    return 0 if summary.success else 1


def cmd_demo(args: argparse.Namespace) -> int:
    args.out = args.data
    if cmd_generate(args) != 0:
        return 1
    code = cmd_run(args)
    if code == 0 and args.report:
        args.out, args.business = args.report, None
        code = cmd_report(args)
    return code


def cmd_report(args: argparse.Namespace) -> int:
    from ledgerlens.pages import write_report

    try:
        result = write_report(args.warehouse, args.out, args.business)
    except (ValueError, OSError) as error:
        render.console.print(f"[red]error:[/red] {error}")
        return 2
    render.print_report(result)
    return 0


def cmd_benchmark(args: argparse.Namespace) -> int:
    from ledgerlens.benchmark import run_benchmark

    what = (
        f"the files in {args.data}"
        if args.data
        else f"~{args.lines:,} invoice lines, seed {args.seed}, {args.format}"
    )
    target = args.target or os.environ.get("LEDGERLENS_TARGET") or "duckdb"
    render.console.print(f"Benchmark: {what}, target {target}, in {args.workdir}")
    result = run_benchmark(
        args.lines,
        args.seed,
        args.workdir,
        args.format,
        args.as_of,
        data_dir=args.data,
        target=target,
    )
    render.print_benchmark(result, args.workdir)
    return 0 if all(phase["exit_code"] == 0 for phase in result["phases"]) else 1


def cmd_backtest(args: argparse.Namespace) -> int:
    from orchestration.backtest import run_backtest

    started = time.perf_counter()
    seeds = [int(seed) for seed in args.seeds.split(",")]
    render.console.print(
        f"Back-test of the late-payment model: seeds {seeds}, ~{args.lines:,} invoice lines, "
        f"in {args.workdir}"
    )
    report = run_backtest(
        seeds,
        args.lines,
        args.workdir,
        methods=args.methods.split(",") if args.methods else None,
        emit=_progress(started),
    )
    render.print_backtest(report, args.workdir)
    return 0


def cmd_clv_backtest(args: argparse.Namespace) -> int:
    from orchestration.backtest import run_clv_backtest

    started = time.perf_counter()
    seeds = [int(seed) for seed in args.seeds.split(",")]
    render.console.print(
        f"Back-test of the CLV model: seeds {seeds}, ~{args.lines:,} invoice lines, "
        f"in {args.workdir}"
    )
    report = run_clv_backtest(seeds, args.lines, args.workdir, emit=_progress(started))
    render.print_clv_backtest(report, args.workdir)
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    """`dagster dev` on the project's Dagster home and the given warehouse."""
    from orchestration.resources import DATA_ENV, REPO_ROOT, WAREHOUSE_ENV, absolute
    from orchestration.run import dagster_home

    home = dagster_home()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        WAREHOUSE_ENV: absolute(args.warehouse),
        DATA_ENV: absolute(args.data),
    }
    dagster = Path(sys.executable).parent / "dagster"
    command = [str(dagster) if dagster.exists() else "dagster", "dev"]
    command += ["-h", args.host, "-p", str(args.port)]
    render.console.print(
        f"Dagster UI on http://{args.host}:{args.port} (Dagster home {home}, "
        f"warehouse {args.warehouse}); Ctrl-C stops it"
    )
    os.chdir(REPO_ROOT)  # where pyproject.toml names the code location
    os.execvpe(command[0], command, env)
    return 0  # not reached: dagster dev replaces this process


def cmd_export(args: argparse.Namespace) -> int:
    from ledgerlens.export import ExportError, export

    started = time.perf_counter()
    render.console.print(
        f"Exporting [bold]{args.warehouse}[/bold] -> [bold]{args.to}[/bold] ({args.format})"
    )
    try:
        result = export(
            args.warehouse,
            args.to,
            business=args.business,
            fmt=args.format,
            bom=args.bom,
            progress=_progress(started),
        )
    except ExportError as error:
        render.console.print(f"[red]error:[/red] {error}")
        return 2
    render.print_export(result, args.to, started)
    return 0


def build_parser() -> argparse.ArgumentParser:
    defaults = argparse.ArgumentDefaultsHelpFormatter
    parser = argparse.ArgumentParser(
        prog="ledgerlens",
        description="Customer intelligence from accounting data: load an export into a "
        "DuckDB warehouse and build the marts.",
        formatter_class=defaults,
    )
    parser.add_argument("--version", action="version", version=version("ledgerlens"))
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    def add_generate_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--seed", type=int, default=7, help="random seed")
        command.add_argument("--lines", type=int, default=200_000, help="about this many lines")
        command.add_argument(
            "--format", choices=["csv", "parquet"], default="csv", help="file format"
        )
        command.add_argument(
            "--businesses",
            help=f"comma-separated subset of the demo businesses ({DEMO_BUSINESSES}); default all",
        )

    def add_messy_option(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--messy",
            action="store_true",
            help="also write a few bad rows per thousand (at least one per loader rule, listed "
            "in truth/messy_rows.csv), so the run shows the quarantine; CSV only",
        )

    def add_run_options(command: argparse.ArgumentParser, data_required: bool) -> None:
        command.add_argument(
            "--data",
            required=data_required,
            default=DEFAULT_DATA,
            help="folder with one file per contract table (docs/contract.md)",
        )
        command.add_argument("--warehouse", default=DEFAULT_WAREHOUSE, help="DuckDB file")
        command.add_argument(
            "--as-of",
            dest="as_of",
            help="as-of date YYYY-MM-DD for every business; default: each business's "
            "export_complete_to_date, else its latest non-void sale",
        )
        command.add_argument(
            "--memory-limit",
            help="DuckDB memory cap, e.g. 4GB; default LEDGERLENS_DUCKDB_MEMORY_LIMIT or 2.2GB",
        )
        command.add_argument(
            "--target",
            choices=TARGET_NAMES,
            help="engine dbt and the Python steps run on (profiles/profiles.yml): the raw "
            "files are validated into --warehouse, then published there; postgres connects "
            "with LEDGERLENS_PG_HOST/PORT/USER/PASSWORD/DATABASE; spark starts a local "
            "session on LEDGERLENS_SPARK_HOME (default <warehouse>.files/spark); default "
            "LEDGERLENS_TARGET or duckdb",
        )
        command.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            help="also print the orchestrator's own log lines",
        )
        command.add_argument("--summary-json", help="also write the run summary to this file")
        command.add_argument(
            "--full-refresh",
            action="store_true",
            help="rebuild every model for every business; default: only the businesses "
            "whose books changed since the last run (a change of the dbt project or of "
            "--as-of rebuilds everything anyway)",
        )

    generate = commands.add_parser(
        "generate", help="write a demo dataset in the raw data contract", formatter_class=defaults
    )
    generate.add_argument("--out", required=True, help="folder to write into")
    add_generate_options(generate)
    add_messy_option(generate)
    generate.set_defaults(func=cmd_generate)

    def add_import_options(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--business-id",
            action="append",
            metavar="ID",
            help="business id of each company, in the order of the sources (repeat the "
            "option); default each source's folder, file or schema name",
        )
        command.add_argument(
            "--home-currency",
            metavar="CODE",
            help="home currency where the source does not say it (report exports)",
        )

    run = commands.add_parser(
        "run", help="load a data folder and build the warehouse", formatter_class=defaults
    )
    add_run_options(run, data_required=True)
    run.add_argument(
        "--source",
        choices=sorted(SOURCE_NAMES),
        help="--data is this accounting source, not a contract folder: import it first "
        "(into the warehouse's side files), then run (see `ledgerlens import`)",
    )
    add_import_options(run)
    run.set_defaults(func=cmd_run)

    import_ = commands.add_parser(
        "import",
        help="map QuickBooks Online or Xero books (a sync tool's tables or the apps' report "
        "exports) into a contract folder, one business per company (docs/import-*.md)",
        formatter_class=defaults,
    )
    import_.add_argument("source", choices=sorted(SOURCE_NAMES), help="what the books are")
    import_.add_argument(
        "--from",
        dest="sources",
        action="append",
        required=True,
        metavar="PATH",
        help="a company's books: a folder of CSV/Parquet files, a DuckDB file "
        "(file.duckdb[:schema]) or postgresql://user@host/db?schema=NAME; repeat for "
        "several companies",
    )
    import_.add_argument("--to", required=True, help="contract folder to write")
    add_import_options(import_)
    import_.set_defaults(func=cmd_import)

    demo = commands.add_parser(
        "demo",
        help="generate demo data into --data, then run the pipeline on it",
        formatter_class=defaults,
    )
    add_run_options(demo, data_required=False)
    add_generate_options(demo)
    add_messy_option(demo)
    demo.add_argument(
        "--report",
        default="warehouse/report",
        help="also write the HTML report here after a successful run ('' for none)",
    )
    demo.set_defaults(func=cmd_demo)

    report = commands.add_parser(
        "report",
        help="write the HTML report: a page per business and a portfolio page (index.html), "
        "self-contained, offline",
        formatter_class=defaults,
    )
    report.add_argument("--warehouse", default=DEFAULT_WAREHOUSE, help="DuckDB file")
    report.add_argument("--out", default="warehouse/report", help="folder to write the pages")
    report.add_argument("--business", help="only this business id; default all")
    report.set_defaults(func=cmd_report)

    ui = commands.add_parser(
        "ui",
        help="the Dagster UI (dagster dev) on the project's Dagster home: runs, "
        "materialisations, checks, the nightly schedule",
        formatter_class=defaults,
    )
    ui.add_argument("--warehouse", default=DEFAULT_WAREHOUSE, help="DuckDB file")
    ui.add_argument("--data", default=DEFAULT_DATA, help="folder the UI's runs load")
    ui.add_argument("--host", default="127.0.0.1", help="address to listen on")
    ui.add_argument("--port", type=int, default=3000, help="port to listen on")
    ui.set_defaults(func=cmd_ui)

    bench = commands.add_parser(
        "benchmark",
        help="time and peak memory of generate + run at a size, against the floor",
        formatter_class=defaults,
    )
    bench.add_argument("--workdir", default="bench", help="where data and warehouse go")
    bench.add_argument("--as-of", dest="as_of", help="as-of date YYYY-MM-DD")
    bench.add_argument(
        "--data",
        help="existing raw files to run on (read only) instead of generating them; "
        "--lines, --seed and --format are then ignored",
    )
    bench.add_argument(
        "--target",
        choices=TARGET_NAMES,
        help="engine of the run (as `ledgerlens run --target`); the floor stays DuckDB's "
        "own query on the files; default LEDGERLENS_TARGET or duckdb",
    )
    add_generate_options(bench)
    bench.set_defaults(func=cmd_benchmark)

    backtest = commands.add_parser(
        "backtest",
        help="time-split back-test of the late-payment model and the cash forecast",
        formatter_class=defaults,
    )
    backtest.add_argument("--seeds", default="7,11", help="generator seeds, comma-separated")
    backtest.add_argument("--lines", type=int, default=200_000, help="about this many lines")
    backtest.add_argument(
        "--methods",
        help="comma-separated methods: logistic,gradient_boosting,late_rate; default all",
    )
    backtest.add_argument(
        "--workdir", default="bench/backtest", help="where data and warehouses go"
    )
    backtest.set_defaults(func=cmd_backtest)

    clv_backtest = commands.add_parser(
        "clv-backtest",
        help="back-test of the CLV model: a year predicted against what happened",
        formatter_class=defaults,
    )
    clv_backtest.add_argument("--seeds", default="7,11", help="generator seeds, comma-separated")
    clv_backtest.add_argument("--lines", type=int, default=200_000, help="about this many lines")
    clv_backtest.add_argument(
        "--workdir", default="bench/clv-backtest", help="where data and warehouses go"
    )
    clv_backtest.set_defaults(func=cmd_clv_backtest)

    export = commands.add_parser(
        "export",
        help="write the marts per business for spreadsheets (CSV, Parquet or xlsx) and CRM "
        "import files for HubSpot and Salesforce (docs/crm.md)",
        formatter_class=defaults,
    )
    export.add_argument("--warehouse", default=DEFAULT_WAREHOUSE, help="DuckDB file, read only")
    export.add_argument("--to", required=True, help="folder to write into: <to>/<business_id>/")
    export.add_argument("--business", help="export this business only; default every business")
    export.add_argument(
        "--format",
        choices=["csv", "parquet", "xlsx"],
        default="csv",
        help="tables as CSV files, Parquet files or one xlsx workbook per business (the CRM "
        "files are CSV always)",
    )
    export.add_argument(
        "--bom",
        action="store_true",
        help="start the CSV tables with a UTF-8 byte order mark, for spreadsheet tools that "
        "otherwise guess another encoding (never on the CRM files)",
    )
    export.set_defaults(func=cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
