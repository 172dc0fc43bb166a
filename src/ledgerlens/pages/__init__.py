"""`ledgerlens report`: one self-contained HTML page per business and a portfolio page.

Each page holds its styles, its one small script (sorting and filtering the customer table)
and its charts (SVG drawn by pygal in Python) inline: it opens from a file, offline, and can
be mailed as it is. Every text from the data goes through Jinja's autoescaping, so a
customer called `<script>` shows as text. A section whose marts this warehouse lacks is
left out with a note naming them, never a broken page.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path

import duckdb
from jinja2 import Environment, FunctionLoader, select_autoescape
from markupsafe import Markup

from ledgerlens.pages import charts, data
from ledgerlens.pages.format import Cell, Table, money, number, pct

SEGMENT_COLOURS = {
    "Champion": "#16a34a",
    "Good": "#65a30d",
    "Promising": "#0891b2",
    "New": "#2563eb",
    "Give Attention": "#f59e0b",
    "Don't Lose Them": "#dc2626",
    "Late Payer": "#7c3aed",
    "Possible Mismatch": "#db2777",
    "Hibernating": "#9ca3af",
}


@dataclass
class ReportResult:
    out_dir: Path
    pages: list[Path] = field(default_factory=list)
    bytes_written: int = 0
    seconds: float = 0.0


def _environment() -> Environment:
    # Templates are package resources; the two pages share the table macro (_table.html.j2).
    env = Environment(
        loader=FunctionLoader(_asset),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    env.globals["css"] = Markup(_asset("report.css"))
    env.globals["js"] = Markup(_asset("report.js"))
    return env


def _asset(name: str) -> str:
    return resources.files("ledgerlens.pages").joinpath(name).read_text(encoding="utf-8")


def _slug(business_id: str) -> str:
    """A file name for a business id: letters, digits, '-' and '_' kept, the rest '_'."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in business_id) or "_"


def write_report(
    warehouse: str | Path, out_dir: str | Path, business_id: str | None = None
) -> ReportResult:
    """Write `index.html` (the portfolio) and `<business>.html` per business into out_dir."""
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = ReportResult(out_dir=out)
    env = _environment()
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        marts = data.Marts(con)
        if not marts.has("business_overview"):
            raise ValueError(
                f"{warehouse} has no marts.business_overview: run `ledgerlens run` first"
            )
        businesses = data.businesses(marts, business_id)
        if business_id is not None and not businesses:
            raise ValueError(f"business {business_id!r} is not in {warehouse}")
        portfolio_rows = []
        for business in businesses:
            page = _business_page(marts, business)
            page["generated"] = generated
            path = out / f"{_slug(business['business_id'])}.html"
            html = env.get_template("business.html.j2").render(**page)
            path.write_text(html, encoding="utf-8")
            result.pages.append(path)
            portfolio_rows.append((business, page["headline"], path.name))
        index = out / "index.html"
        html = env.get_template("portfolio.html.j2").render(
            **_portfolio_page(marts, portfolio_rows), generated=generated
        )
        index.write_text(html, encoding="utf-8")
        result.pages.insert(0, index)
    result.bytes_written = sum(p.stat().st_size for p in result.pages)
    result.seconds = time.perf_counter() - started
    return result


def _missing(marts: data.Marts, section: str) -> str | None:
    missing = marts.missing(section)
    if not missing:
        return None
    names = ", ".join(f"marts.{m}" for m in missing)
    return f"Left out: this warehouse has no {names} (a later `ledgerlens run` builds it)."


def _business_page(marts: data.Marts, business: dict) -> dict:
    bid, cur = business["business_id"], business["home_currency"]
    head = data.headline(marts, bid)
    page: dict = {"business": business, "currency": cur, "headline": head}
    page["cards"] = _cards(business, head, cur)
    sections = []
    for key, title, build in (
        ("segments", "Segments", _segments),
        ("retention", "Retention", _retention),
        ("receivables", "Receivables and cash", _receivables),
        ("pulse", "Monthly and weekly pulse", _pulse),
        ("profitability", "Contribution by customer", _profitability),
        ("clv", "Customer lifetime value", _clv),
        ("statements", "Segment statements", _statements),
        ("alerts", "Alerts", _alerts),
    ):
        note = _missing(marts, key)
        section = {"id": key, "title": title, "note": note, "blocks": []}
        if note is None:
            section["blocks"] = build(marts, business, cur)
        sections.append(section)
    page["sections"] = sections
    return page


def _cards(business: dict, head: dict, cur: str) -> list[dict]:
    cards = [
        {
            "label": "TTM net sales",
            "value": money(head.get("ttm_sales"), cur, whole=True),
            "sub": _change(head.get("ttm_sales"), head.get("prev_ttm_sales"), "on the TTM before"),
        },
        {
            "label": "Active customers",
            "value": number(head.get("active_customers")),
            "sub": f"{number(business['customers'])} ever bought",
        },
    ]
    if head.get("nrr") is not None:
        cards.append(
            {
                "label": "NRR (TTM)",
                "value": pct(head["nrr"]),
                "sub": f"GRR {pct(head['grr'])}, logos {pct(head['logo_retention'])}",
            }
        )
    if head.get("dso") is not None:
        cards.append(
            {
                "label": "DSO",
                "value": f"{head['dso']} days",
                "sub": f"{head['days_beyond_terms']} days beyond terms",
            }
        )
    cards.append(
        {
            "label": "Open receivables",
            "value": money(business["open_balance_home"], cur, whole=True),
            "sub": f"{money(business['overdue_home'], cur, whole=True)} overdue",
        }
    )
    return cards


def _change(now, before, words: str) -> str:
    if now is None or not before:
        return ""
    change = (Decimal(now) - Decimal(before)) / Decimal(before)
    return f"{'+' if change >= 0 else ''}{pct(change)} {words}"


def _block(title: str, chart: str | None = None, table: Table | None = None, **extra) -> dict:
    return {"title": title, "chart": Markup(chart) if chart else None, "table": table, **extra}


# ---------------------------------------------------------------- segments


def _segments(marts: data.Marts, business: dict, cur: str) -> list[dict]:
    s = data.segments(marts, business["business_id"], business["as_of_date"])
    names = [r["segment"] for r in s["summary"]]
    colours = [SEGMENT_COLOURS.get(n, "#64748b") for n in names]
    summary = Table(
        [
            "segment",
            ">customers",
            f">avg LTV ({cur})",
            f">TTM sales ({cur})",
            ">share",
            ">days to pay",
        ],
        [
            [
                Cell(r["segment"]),
                Cell.num(r["customers"], number(r["customers"])),
                Cell.num(r["avg_ltv"], money(r["avg_ltv"])),
                Cell.num(r["total_ttm_sales"], money(r["total_ttm_sales"])),
                Cell.num(r["share_of_ttm_sales"], pct(r["share_of_ttm_sales"])),
                Cell.num(r["avg_days_to_pay"], number(r["avg_days_to_pay"])),
            ]
            for r in s["summary"]
        ],
    )
    bars = charts.bar(
        names,
        {
            "customers": [r["customers"] for r in s["summary"]],
        },
        horizontal=True,
        bar_colors=colours,
        height=40 + 28 * max(1, len(names)),
    )
    month_labels = [d.isoformat() for d in s["month_ends"]]
    counts = {(r["month_end_date"], r["segment"]): r["customers"] for r in s["membership"]}
    membership = charts.bar(
        month_labels,
        {n: [counts.get((m, n), 0) for m in s["month_ends"]] for n in names},
        stacked=True,
        colors=colours,
        legend_columns=5,
        height=380,
    )
    flows = Table(
        ["from", "to", ">customers"],
        [
            [
                Cell(r["from_segment"]),
                Cell(r["to_segment"]),
                Cell.num(r["customers"], number(r["customers"])),
            ]
            for r in s["flows"]
        ],
    )
    customers = Table(
        [
            "customer",
            "segment",
            "previous segment",
            f">LTV ({cur})",
            f">TTM sales ({cur})",
            f">previous TTM ({cur})",
            ">days to pay",
            ">days since purchase",
            "why this segment",
        ],
        [
            [
                Cell(r["customer_name"] or r["customer_id"]),
                Cell(r["segment"]),
                Cell(r["previous_segment"] or ""),
                Cell.num(r["ltv"], money(r["ltv"])),
                Cell.num(r["ttm_sales"], money(r["ttm_sales"])),
                Cell.num(r["prev_ttm_sales"], money(r["prev_ttm_sales"])),
                Cell.num(r["avg_days_to_pay"], number(r["avg_days_to_pay"])),
                Cell.num(r["recency_days"], number(r["recency_days"])),
                Cell(r["segment_reason"] or "", css="text-long"),
            ]
            for r in s["customers"]
        ],
        sortable=True,
        table_id="customers",
    )
    return [
        _block("Customers per segment", chart=bars, table=summary),
        _block(
            "Segment membership at the last 12 month ends",
            chart=membership,
            table=flows,
            table_title="Largest moves between segments in those months",
        ),
        _block(
            "Customer sheet",
            table=customers,
            wide=True,
            filter=True,
            note="Click a column to sort; type to filter. Largest lifetime value first.",
        ),
    ]


# ---------------------------------------------------------------- retention


def _retention(marts: data.Marts, business: dict, cur: str) -> list[dict]:
    r = data.retention(marts, business["business_id"])
    blocks = []
    trend = r["trend"]
    if trend:
        labels = [t["period_end_date"].isoformat() for t in trend]
        blocks.append(
            _block(
                "NRR, GRR and logo retention, trailing 12 months",
                chart=charts.line(
                    labels,
                    {
                        "NRR": [t["nrr"] * 100 if t["nrr"] is not None else None for t in trend],
                        "GRR": [t["grr"] * 100 if t["grr"] is not None else None for t in trend],
                        "logo retention": [
                            t["logo_retention"] * 100 if t["logo_retention"] is not None else None
                            for t in trend
                        ],
                    },
                    value_format="{:.1f}%",
                ),
                table=Table(
                    [
                        "12 months to",
                        ">NRR",
                        ">GRR",
                        ">logo retention",
                        ">customers at start",
                        ">data coverage",
                    ],
                    [
                        [
                            Cell(t["period_end_date"].isoformat()),
                            Cell.num(t["nrr"], pct(t["nrr"])),
                            Cell.num(t["grr"], pct(t["grr"])),
                            Cell.num(t["logo_retention"], pct(t["logo_retention"])),
                            Cell.num(t["starting_customers"], number(t["starting_customers"])),
                            Cell.num(t["data_coverage"], pct(t["data_coverage"])),
                        ]
                        for t in trend
                    ],
                ),
            )
        )
        last = trend[-1]
        steps = [
            ("revenue a year before", last["starting_revenue"]),
            ("new", last["new_revenue"]),
            ("reactivated", last["reactivated_revenue"]),
            ("expansion", last["expansion_revenue"]),
            ("contraction", -last["contraction_revenue"]),
            ("churned", -last["churned_revenue"]),
            ("revenue now", last["revenue"]),
        ]
        blocks.append(
            _block(
                f"Revenue bridge, 12 months to {last['period_end_date'].isoformat()}",
                chart=charts.bar(
                    [s[0] for s in steps],
                    {
                        "gained": [
                            v if v >= 0 and i not in (0, 6) else None
                            for i, (_, v) in enumerate(steps)
                        ],
                        "lost": [v if v < 0 else None for _, v in steps],
                        "revenue": [v if i in (0, 6) else None for i, (_, v) in enumerate(steps)],
                    },
                    colors=["#16a34a", "#dc2626", "#2563eb"],
                    legend=False,
                ),
                table=Table(
                    ["", f">{cur}"],
                    [[Cell(name), Cell.num(v, money(v))] for name, v in steps],
                ),
            )
        )
    if r["cohorts"]:
        blocks.append(_cohort_block(r["cohorts"]))
    blocks.append(_lorenz_block(r, cur))
    return blocks


def _cohort_block(rows: list[dict]) -> dict:
    offsets = sorted({c["period_offset"] for c in rows})[:13]
    starts = sorted({c["cohort_start_date"] for c in rows})[-12:]
    cells = {(c["cohort_start_date"], c["period_offset"]): c for c in rows}
    heat = []
    for start in starts:
        first = cells.get((start, 0))
        line = [
            Cell(start.isoformat()),
            Cell.num(
                first["cohort_customers"] if first else None,
                number(first["cohort_customers"]) if first else "",
            ),
        ]
        for offset in offsets:
            c = cells.get((start, offset))
            value = c["customer_retention"] if c else None
            cell = Cell.heat(value, pct(value, digits=0) if value is not None else "")
            if c and c["revenue_retention"] is not None:
                cell.title = (
                    f"net sales {pct(c['revenue_retention'], digits=0)} of the first quarter's"
                )
            line.append(cell)
        heat.append(line)
    return _block(
        "Cohorts: active customers as a share of each quarter's new customers",
        table=Table(["cohort", ">customers", *[f">Q+{o}" for o in offsets]], heat, css="heat"),
        note="Darker is more customers kept. Hover a cell for the cohort's net sales as a share"
        " of its first quarter's.",
    )


def _lorenz_block(r: dict, cur: str) -> dict:
    points = data.lorenz(r["ttm_sales_desc"])
    conc = r["concentration"]
    chart = charts.xy(
        {
            "customers, largest first": [(x * 100, y * 100) for x, y in points],
            "equal shares": [(0, 0), (100, 100)],
        },
        x_title="share of customers (%)",
        y_title="share of TTM sales (%)",
        value_format="{:.1f}%",
        colors=["#2563eb", "#9ca3af"],
    )
    rows = []
    sentence = None
    if conc:
        rows = [
            [Cell("top customer"), Cell.num(conc["top_1_share"], pct(conc["top_1_share"]))],
            [Cell("top 5"), Cell.num(conc["top_5_share"], pct(conc["top_5_share"]))],
            [Cell("top 10"), Cell.num(conc["top_10_share"], pct(conc["top_10_share"]))],
            [
                Cell("top 20% of customers"),
                Cell.num(conc["top_20_percent_share"], pct(conc["top_20_percent_share"])),
            ],
            [Cell("Gini"), Cell.num(conc["gini"], number(conc["gini"], digits=3))],
            [Cell("concentration risk"), Cell(conc["concentration_risk"] or "")],
        ]
        if conc["ttm_revenue"]:
            share = conc["revenue_drop_if_top_customer_lost"] / conc["ttm_revenue"]
            sentence = (
                f"Losing the top customer costs {pct(share)} of revenue "
                f"({money(conc['revenue_drop_if_top_customer_lost'], cur, whole=True)} "
                f"of {money(conc['ttm_revenue'], cur, whole=True)} in the 12 months to "
                f"{conc['month_end_date'].isoformat()})."
            )
    return _block(
        "Concentration: the Lorenz curve of TTM sales",
        chart=chart,
        table=Table(["share of TTM sales", ">"], rows) if rows else None,
        note=sentence,
    )


# ---------------------------------------------------------------- receivables


def _receivables(marts: data.Marts, business: dict, cur: str) -> list[dict]:
    r = data.receivables(marts, business["business_id"])
    b = business
    buckets = [
        ("not yet due", "current_home"),
        ("1-30 days", "past_due_1_30_home"),
        ("31-60 days", "past_due_31_60_home"),
        ("61-90 days", "past_due_61_90_home"),
        ("over 90 days", "past_due_over_90_home"),
    ]
    aging = marts.one(
        "select "
        + ", ".join(f"{c}" for _, c in buckets)
        + " from marts.business_overview where business_id = ?",
        [b["business_id"]],
    )
    blocks = [
        _block(
            f"Open receivables by age ({cur})",
            chart=charts.bar(
                [name for name, _ in buckets],
                {"open": [aging[c] for _, c in buckets]},
                colors=["#2563eb"],
            ),
            table=Table(
                ["past due", f">{cur}"],
                [[Cell(name), Cell.num(aging[c], money(aging[c]))] for name, c in buckets],
            ),
        )
    ]
    if r["dso"]:
        blocks.append(
            _block(
                "DSO at each month end (days)",
                chart=charts.line(
                    [d["as_of_date"].isoformat() for d in r["dso"]],
                    {
                        "count-back DSO": [d["count_back_dso"] for d in r["dso"]],
                        "best possible DSO": [d["best_possible_dso"] for d in r["dso"]],
                        "days beyond terms": [d["days_beyond_terms"] for d in r["dso"]],
                    },
                    value_format="{:.1f}",
                ),
            )
        )
    if r["forecast"]:
        f = r["forecast"]
        blocks.append(
            _block(
                f"Cash expected from open invoices, next 13 weeks ({cur})",
                chart=charts.line(
                    [w["week_start_date"].isoformat() for w in f],
                    {
                        "expected": [w["expected_collections_home"] for w in f],
                        "low (10%)": [w["low_collections_home"] for w in f],
                        "high (90%)": [w["high_collections_home"] for w in f],
                    },
                    dashed=("low (10%)", "high (90%)"),
                    colors=["#2563eb", "#9ca3af", "#9ca3af"],
                ),
                table=Table(
                    ["week from", ">invoices", f">expected ({cur})", f">range ({cur})"],
                    [
                        [
                            Cell(w["week_start_date"].isoformat()),
                            Cell.num(w["invoices_expected"], number(w["invoices_expected"])),
                            Cell.num(
                                w["expected_collections_home"],
                                money(w["expected_collections_home"]),
                            ),
                            Cell(
                                f"{money(w['low_collections_home'])} to "
                                f"{money(w['high_collections_home'])}",
                                css="num",
                            ),
                        ]
                        for w in f
                    ],
                ),
            )
        )
    blocks.append(
        _block(
            "Overdue invoices, largest first",
            table=Table(
                ["invoice", "customer", ">due", ">days past due", f">open ({cur})"],
                [
                    [
                        Cell(i["invoice_id"]),
                        Cell(i["customer_name"] or ""),
                        Cell(i["due_date"].isoformat(), css="num"),
                        Cell.num(i["days_past_due"], number(i["days_past_due"])),
                        Cell.num(i["open_amount_home"], money(i["open_amount_home"])),
                    ]
                    for i in r["overdue"]
                ],
            ),
        )
    )
    blocks.append(
        _block(
            "Open invoices not yet due, most expected to be paid late first",
            wide=True,
            table=Table(
                [
                    "invoice",
                    "customer",
                    ">due",
                    f">open ({cur})",
                    ">P(late)",
                    f">expected late ({cur})",
                    "why",
                ],
                [
                    [
                        Cell(i["invoice_id"]),
                        Cell(i["customer_name"] or ""),
                        Cell(i["due_date"].isoformat(), css="num"),
                        Cell.num(i["open_amount_home"], money(i["open_amount_home"])),
                        Cell.num(i["late_probability"], pct(i["late_probability"], digits=0)),
                        Cell.num(i["expected_late_home"], money(i["expected_late_home"])),
                        Cell(i["top_reasons"] or "", css="text-long"),
                    ]
                    for i in r["not_yet_due"]
                ],
            ),
            note="Expected late = P(late) x open amount: where a reminder before the due date"
            " pays most.",
        )
    )
    return blocks


# ---------------------------------------------------------------- pulse


def _pulse(marts: data.Marts, business: dict, cur: str) -> list[dict]:
    p = data.pulse(marts, business["business_id"])
    months, weeks = p["monthly"], p["weekly"]
    blocks = []
    if months:

        def label(m):
            # the as-of month runs to the as-of date only: say so on its label
            end = m["month_end_date"].isoformat()
            return end if m["is_complete_month"] else f"{end} (to date)"

        labels = [label(m) for m in months]
        blocks.append(
            _block(
                f"Net sales and cash collected per month ({cur})",
                chart=charts.bar(
                    labels,
                    {
                        "net sales": [m["net_sales_home"] for m in months],
                        "cash collected": [m["cash_collected_home"] for m in months],
                    },
                    colors=["#2563eb", "#16a34a"],
                ),
                note="Cash collected is customer payments, tax included; net sales exclude"
                " tax, so a business paid as it bills collects about 1 + its tax rate.",
            )
        )
        blocks.append(
            _block(
                f"TTM net sales at each month end ({cur})",
                chart=charts.line(
                    labels, {"TTM net sales": [m["ttm_net_sales_home"] for m in months]}
                ),
            )
        )
        blocks.append(
            _block(
                "The last 12 months, latest first",
                wide=True,
                table=Table(
                    [
                        "month to",
                        f">net sales ({cur})",
                        f">cash collected ({cur})",
                        ">TTM vs a year before",
                        ">new",
                        ">lost",
                        ">active",
                        ">days beyond terms",
                    ],
                    [
                        [
                            Cell(label(m)),
                            Cell.num(m["net_sales_home"], money(m["net_sales_home"])),
                            Cell.num(m["cash_collected_home"], money(m["cash_collected_home"])),
                            Cell.num(
                                m["ttm_growth_vs_12_months_before"],
                                pct(m["ttm_growth_vs_12_months_before"]),
                                signed=True,
                            ),
                            Cell.num(m["new_customers"], number(m["new_customers"])),
                            Cell.num(m["lost_customers"], number(m["lost_customers"])),
                            Cell.num(m["active_customers"], number(m["active_customers"])),
                            Cell.num(
                                m["days_beyond_terms_paid"], number(m["days_beyond_terms_paid"])
                            ),
                        ]
                        for m in months[-12:][::-1]
                    ],
                ),
            )
        )
    if weeks:
        labels = [
            w["week_start_date"].isoformat() + ("" if w["is_complete_week"] else " (to date)")
            for w in weeks
        ]
        blocks.append(
            _block(
                "This week against the 26 weeks before it (1 = the average week)",
                chart=charts.line(
                    labels,
                    {
                        "net sales": [w["net_sales_to_26_week_avg"] for w in weeks],
                        "cash collected": [w["cash_collected_to_26_week_avg"] for w in weeks],
                    },
                    value_format="{:.2f}",
                    colors=["#2563eb", "#16a34a"],
                ),
                note="A sudden drop in collections shows here within the week.",
            )
        )
        blocks.append(
            _block(
                "Days beyond terms of what was paid each week",
                chart=charts.line(
                    labels,
                    {
                        "this week": [w["days_beyond_terms_paid"] for w in weeks],
                        "26 weeks before": [w["days_beyond_terms_paid_26_week_avg"] for w in weeks],
                    },
                    value_format="{:.1f}",
                    dashed=("26 weeks before",),
                    colors=["#7c3aed", "#9ca3af"],
                ),
            )
        )
    return blocks


# ---------------------------------------------------------------- value


def _profitability(marts: data.Marts, business: dict, cur: str) -> list[dict]:
    p = data.profitability(marts, business["business_id"])
    classes = p["by_class"]

    def rows(items):
        return [
            [
                Cell(i["customer_name"] or ""),
                Cell(i["segment"] or ""),
                Cell(i["value_class"] or ""),
                Cell.num(i["ttm_sales"], money(i["ttm_sales"])),
                Cell.num(i["ttm_contribution"], money(i["ttm_contribution"]), signed=True),
                Cell.num(i["ttm_contribution_margin"], pct(i["ttm_contribution_margin"])),
                Cell(i["suggested_action"] or ""),
            ]
            for i in items
        ]

    columns = [
        "customer",
        "segment",
        "class",
        f">TTM sales ({cur})",
        f">TTM contribution ({cur})",
        ">margin",
        "suggested action",
    ]
    return [
        _block(
            f"TTM contribution by value class ({cur})",
            chart=charts.bar(
                [c["value_class"] for c in classes],
                {
                    "TTM sales": [c["ttm_sales"] for c in classes],
                    "TTM contribution": [c["ttm_contribution"] for c in classes],
                },
            ),
            table=Table(
                ["class", ">customers", f">TTM sales ({cur})", f">TTM contribution ({cur})"],
                [
                    [
                        Cell(c["value_class"]),
                        Cell.num(c["customers"], number(c["customers"])),
                        Cell.num(c["ttm_sales"], money(c["ttm_sales"])),
                        Cell.num(c["ttm_contribution"], money(c["ttm_contribution"]), signed=True),
                    ]
                    for c in classes
                ],
            ),
        ),
        _block(
            f"Each customer's TTM contribution against its TTM sales ({cur})",
            chart=charts.xy(
                {
                    name: [
                        (i["ttm_sales"], i["ttm_contribution"])
                        for i in p["points"]
                        if i["value_class"] == name
                    ]
                    for name in ("key_account", "core", "unprofitable")
                },
                x_title=f"TTM sales ({cur})",
                y_title=f"TTM contribution ({cur})",
                show_dots=True,
                stroke=False,
                colors=["#16a34a", "#2563eb", "#dc2626"],
            ),
            note="Below zero: the customer costs more to serve, finance and supply than it brings.",
        ),
        _block(
            "Key accounts: the 10 largest contributions",
            table=Table(columns, rows(p["top"])),
            wide=True,
        ),
        _block(
            "Unprofitable: the 10 largest losses",
            wide=True,
            table=Table(columns, rows(p["bottom"])),
            note=None if p["bottom"] else "No customer lost money in the last 12 months.",
        ),
    ]


def _clv(marts: data.Marts, business: dict, cur: str) -> list[dict]:
    c = data.clv(marts, business["business_id"])
    blocks = []
    values = sorted(c["values"])
    if values:
        edges = _bins(values)
        counts = [0] * (len(edges) - 1)
        for v in values:
            for i in range(len(edges) - 1):
                if v < edges[i + 1] or i == len(edges) - 2:
                    counts[i] += 1
                    break
        labels = [
            f"{money(edges[i], whole=True)}-{money(edges[i + 1], whole=True)}"
            for i in range(len(counts))
        ]
        blocks.append(
            _block(
                f"CLV over the next 36 months: customers by value ({cur})",
                chart=charts.bar(labels, {"customers": counts}, colors=["#7c3aed"]),
            )
        )
    top = c["top"]
    if top:
        n = len(top)
        series = {}
        for i, t in enumerate(top):
            y = n - i
            series[t["customer_name"] or str(i)] = [(t["clv_36m_low"], y), (t["clv_36m_high"], y)]
        blocks.append(
            _block(
                f"The {n} largest CLVs with their 80% intervals ({cur})",
                wide=True,
                chart=charts.xy(
                    series,
                    x_title=f"CLV, 36 months ({cur})",
                    show_legend=False,
                    show_dots=True,
                    height=60 + 24 * n,
                    y_labels=[
                        {"label": (t["customer_name"] or "")[:24], "value": n - i}
                        for i, t in enumerate(top)
                    ],
                    colors=["#7c3aed"],
                ),
                table=Table(
                    [
                        "customer",
                        "segment",
                        ">P(alive)",
                        f">CLV 36m ({cur})",
                        f">80% interval ({cur})",
                        f">contribution 36m ({cur})",
                    ],
                    [
                        [
                            Cell(t["customer_name"] or ""),
                            Cell(t["segment"] or ""),
                            Cell.num(t["p_alive"], pct(t["p_alive"], digits=0)),
                            Cell.num(t["clv_36m"], money(t["clv_36m"])),
                            Cell(
                                f"{money(t['clv_36m_low'])} to {money(t['clv_36m_high'])}",
                                css="num",
                            ),
                            Cell.num(t["clv_contribution_36m"], money(t["clv_contribution_36m"])),
                        ]
                        for t in top
                    ],
                ),
            )
        )
    return blocks


def _bins(values: list[Decimal]) -> list[Decimal]:
    """Ten equal-width bins from 0 (or the smallest value) to the 95th percentile, the last
    open-ended: a few very large customers would squash every other bar into the first."""
    low = min(Decimal(0), values[0])
    high = values[min(len(values) - 1, int(len(values) * 0.95))]
    if high <= low:
        high = values[-1] if values[-1] > low else low + 1
    width = (high - low) / 10
    return [low + width * i for i in range(10)] + [max(values[-1], high)]


def _statements(marts: data.Marts, business: dict, cur: str) -> list[dict]:
    s = data.statements(marts, business["business_id"])
    if s["month_end_date"] is None:
        return []
    when = s["month_end_date"].isoformat()
    income = s["income"]
    balance = s["balance"]
    return [
        _block(
            f"Income statement by segment, month to {when} ({cur})",
            wide=True,
            chart=charts.bar(
                [i["segment"] for i in income],
                {
                    "net sales": [i["net_sales"] for i in income],
                    "contribution": [i["contribution"] for i in income],
                },
            ),
            table=Table(
                [
                    "segment",
                    ">customers",
                    ">net sales",
                    ">gross margin",
                    ">cost to serve",
                    ">financing",
                    ">contribution",
                    ">margin",
                ],
                [
                    [
                        Cell(i["segment"]),
                        Cell.num(i["customers"], number(i["customers"])),
                        Cell.num(i["net_sales"], money(i["net_sales"])),
                        Cell.num(i["gross_margin"], money(i["gross_margin"])),
                        Cell.num(i["cost_to_serve"], money(i["cost_to_serve"])),
                        Cell.num(i["financing_cost"], money(i["financing_cost"])),
                        Cell.num(i["contribution"], money(i["contribution"]), signed=True),
                        Cell.num(i["contribution_margin"], pct(i["contribution_margin"])),
                    ]
                    for i in income
                ],
            ),
        ),
        _block(
            f"Balance sheet by segment at {when} ({cur})",
            wide=True,
            table=Table(
                [
                    "segment",
                    ">customers",
                    ">receivables",
                    ">customer value",
                    ">assets",
                    ">customer credit",
                    ">cost to serve ahead",
                    ">unearned acquisition",
                    ">liabilities",
                    ">customer equity",
                ],
                [
                    [
                        Cell(b["segment"]),
                        Cell.num(b["customers"], number(b["customers"])),
                        Cell.num(b["accounts_receivable"], money(b["accounts_receivable"])),
                        Cell.num(b["customer_value"], money(b["customer_value"])),
                        Cell.num(b["total_assets"], money(b["total_assets"])),
                        Cell.num(b["customer_credit"], money(b["customer_credit"])),
                        Cell.num(b["expected_cost_to_serve"], money(b["expected_cost_to_serve"])),
                        Cell.num(
                            b["unearned_acquisition_investment"],
                            money(b["unearned_acquisition_investment"]),
                        ),
                        Cell.num(b["total_liabilities"], money(b["total_liabilities"])),
                        Cell.num(b["customer_equity"], money(b["customer_equity"]), signed=True),
                    ]
                    for b in balance
                ],
            ),
        ),
    ]


# ---------------------------------------------------------------- alerts


def _alerts(marts: data.Marts, business: dict, cur: str) -> list[dict]:
    a = data.alerts(marts, business["business_id"])
    blocks = []
    if a["history"]:
        h = a["history"]
        blocks.append(
            _block(
                "Alerts raised at each snapshot",
                chart=charts.bar(
                    [r["as_of_date"].isoformat() for r in h],
                    {
                        "moved to an at-risk segment": [r["segment_alerts"] for r in h],
                        "paying later": [r["late_payment_alerts"] for r in h],
                        "sales fell sharply": [r["sales_drop_alerts"] for r in h],
                    },
                    stacked=True,
                    colors=["#dc2626", "#7c3aed", "#f59e0b"],
                ),
                wide=True,
            )
        )
    blocks.append(
        _block(
            f"To act on now ({len(a['current'])}), most at stake first",
            wide=True,
            table=Table(
                [
                    "customer",
                    "alert",
                    "segment",
                    f">TTM sales ({cur})",
                    ">vs a year before",
                    f">CLV 12m ({cur})",
                    "why",
                ],
                [
                    [
                        Cell(r["customer_name"] or r["customer_id"]),
                        Cell(r["alert_kinds"] or ""),
                        Cell(
                            f"{r['previous_segment']} to {r['segment']}"
                            if r["previous_segment"] and r["previous_segment"] != r["segment"]
                            else (r["segment"] or "")
                        ),
                        Cell.num(r["ttm_sales"], money(r["ttm_sales"])),
                        Cell.num(r["ttm_sales_change"], pct(r["ttm_sales_change"]), signed=True),
                        Cell.num(r["clv_12m"], money(r["clv_12m"])),
                        Cell(r["alert_reason"] or "", css="text-long"),
                    ]
                    for r in a["current"]
                ],
            ),
            note="Value at stake = TTM sales plus the CLV of the next 12 months.",
        )
    )
    return blocks


# ---------------------------------------------------------------- portfolio


def _portfolio_page(marts: data.Marts, rows: list[tuple[dict, dict, str]]) -> dict:
    table = Table(
        [
            "business",
            "currency",
            ">as of",
            ">TTM net sales",
            ">change",
            ">NRR",
            ">DSO (count-back)",
            ">open receivables",
            ">overdue",
        ],
        [
            [
                Cell(b["business_name"] or b["business_id"], href=href),
                Cell(b["home_currency"]),
                Cell(b["as_of_date"].isoformat(), css="num"),
                Cell.num(
                    h.get("ttm_sales"), money(h.get("ttm_sales"), b["home_currency"], whole=True)
                ),
                Cell(_change(h.get("ttm_sales"), h.get("prev_ttm_sales"), ""), css="num"),
                Cell.num(h.get("nrr"), pct(h.get("nrr"))),
                Cell.num(h.get("dso"), number(h.get("dso"))),
                Cell.num(
                    b["open_balance_home"],
                    money(b["open_balance_home"], b["home_currency"], whole=True),
                ),
                Cell.num(
                    b["overdue_home"], money(b["overdue_home"], b["home_currency"], whole=True)
                ),
            ]
            for b, h, href in rows
        ],
        sortable=True,
        table_id="businesses",
    )
    by_currency: dict[str, list] = {}
    for b, h, _ in rows:
        by_currency.setdefault(b["home_currency"], []).append(
            (b["business_name"] or b["business_id"], h.get("ttm_sales"))
        )
    charts_ = [
        _block(
            f"TTM net sales by business ({cur})",
            chart=charts.bar(
                [n for n, _ in items],
                {"TTM net sales": [v for _, v in items]},
                horizontal=True,
                height=60 + 30 * len(items),
            ),
        )
        for cur, items in sorted(by_currency.items())
    ]
    overview_note = _missing_overview(marts)
    extras = []
    if overview_note is None:
        extras.extend(_benchmarks(marts))
    return {
        "table": table,
        "blocks": charts_,
        "overview_note": overview_note,
        "count": len(rows),
        "extras": extras,
    }


def _benchmarks(marts: data.Marts) -> dict:
    """Each business's figures beside its percentile among the warehouse's businesses
    (1 = best, the direction is on each mart column), and why it needs attention."""
    rows = data.portfolio(marts)

    def ranked(r, figure, text):
        rank = r.get(f"{figure}_percentile")
        shown = text if rank is None else f"{text} ({pct(rank, digits=0)})"
        return Cell.num(r.get(figure), shown)

    table = Table(
        [
            "business",
            ">TTM growth",
            ">NRR",
            ">GRR",
            ">logo retention",
            ">DSO (simple)",
            ">days beyond terms",
            ">overdue share",
            ">top customer",
            ">at-risk sales",
            ">contribution margin",
        ],
        [
            [
                Cell(r["business_name"] or r["business_id"]),
                ranked(r, "ttm_sales_growth", pct(r["ttm_sales_growth"])),
                ranked(r, "nrr", pct(r["nrr"])),
                ranked(r, "grr", pct(r["grr"])),
                ranked(r, "logo_retention", pct(r["logo_retention"])),
                ranked(r, "dso", number(r["dso"])),
                ranked(r, "days_beyond_terms", number(r["days_beyond_terms"])),
                ranked(r, "overdue_share", pct(r["overdue_share"])),
                ranked(r, "top_customer_share", pct(r["top_customer_share"])),
                ranked(r, "at_risk_sales_share", pct(r["at_risk_sales_share"])),
                ranked(r, "contribution_margin", pct(r["contribution_margin"])),
            ]
            for r in rows
        ],
        sortable=True,
        table_id="benchmarks",
    )
    attention = Table(
        ["business", "why it needs attention"],
        [
            [Cell(r["business_name"] or r["business_id"]), Cell(r["attention_reasons"] or "")]
            for r in rows
            if r["needs_attention"]
        ],
    )
    return [
        {
            "id": "attention",
            "title": f"Needs attention ({len(attention.rows)} of {len(rows)})",
            "note": "The bounds are the portfolio_attention_* vars in dbt_project.yml.",
            "table": attention,
        },
        {
            "id": "benchmarks",
            "title": "Benchmarks across the firm's businesses",
            "note": "In brackets: the business's percentile among the businesses in this"
            " warehouse, 100% the best (for DSO, overdue share and concentration, the"
            " lowest).",
            "table": table,
        },
    ]


def _missing_overview(marts: data.Marts) -> str | None:
    if marts.has("portfolio_overview"):
        return None
    return (
        "Benchmarks across the firm's businesses need marts.portfolio_overview, which this"
        " warehouse does not have."
    )
