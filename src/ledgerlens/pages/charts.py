"""Charts for the HTML report: pygal draws each one as an SVG string, inlined in the page.

pygal renders in Python, so a page needs no charting script and no network (DECISIONLOG.md,
"HTML report"). Every text pygal writes passes through its XML serialiser, so a customer
name is escaped like any other text. pygal also writes a small <script> per chart that only
configures its optional tooltip script, which the report never loads: it is removed, so the
page runs no code but its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pygal
from pygal.style import Style

PALETTE = (
    "#2563eb",  # blue
    "#16a34a",  # green
    "#dc2626",  # red
    "#f59e0b",  # amber
    "#7c3aed",  # violet
    "#0891b2",  # cyan
    "#db2777",  # pink
    "#65a30d",  # lime
    "#9ca3af",  # grey
)

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2937",
    foreground_strong="#111827",
    foreground_subtle="#6b7280",
    opacity=".85",
    opacity_hover="1",
    colors=PALETTE,
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=11,
    title_font_size=13,
    value_font_size=10,
    tooltip_font_size=11,
)

_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)


def _options(**overrides) -> dict:
    options = dict(
        style=STYLE,
        js=[],
        disable_xml_declaration=True,
        width=760,
        height=320,
        legend_at_bottom=True,
        legend_at_bottom_columns=4,
        show_minor_x_labels=True,
        truncate_label=24,
        truncate_legend=30,
        margin=8,
        margin_bottom=28,
        spacing=8,
        print_values=False,
    )
    options.update(overrides)
    return options


def _render(chart) -> str:
    return _SCRIPT.sub("", chart.render(is_unicode=True))


def _floats(values: Sequence) -> list[float | None]:
    # Charts place points on a screen: float is fine here, and only here (the tables beside
    # them print the decimals as stored).
    return [None if v is None else float(v) for v in values]


def bar(
    labels: Sequence[str],
    series: dict[str, Sequence],
    *,
    horizontal: bool = False,
    stacked: bool = False,
    value_format: str = "{:,.0f}",
    height: int = 300,
    colors: Sequence[str] | None = None,
    bar_colors: Sequence[str] | None = None,
    legend_columns: int = 4,
    legend: bool = True,
) -> str:
    """bar_colors: one colour per label (a one-series chart coloured by category)."""
    kind = {
        (False, False): pygal.Bar,
        (True, False): pygal.HorizontalBar,
        (False, True): pygal.StackedBar,
        (True, True): pygal.HorizontalStackedBar,
    }[(horizontal, stacked)]
    style = STYLE
    if colors:
        style = Style(**{**STYLE.to_dict(), "colors": tuple(colors)})
    chart = kind(
        **_options(
            height=height,
            style=style,
            show_legend=legend and len(series) > 1,
            legend_at_bottom_columns=legend_columns,
            x_label_rotation=0 if horizontal or len(labels) <= 8 else 30,
            # many bars: every label would overlap; label every few and keep the ticks
            show_minor_x_labels=horizontal or len(labels) <= 12,
            x_labels_major_every=None if horizontal else max(1, len(labels) // 8),
            value_formatter=lambda v: value_format.format(v),
        )
    )
    labels = list(labels)
    if horizontal:
        # pygal draws the first label at the bottom; a reader reads the top first.
        labels = labels[::-1]
        series = {name: list(values)[::-1] for name, values in series.items()}
        bar_colors = list(bar_colors)[::-1] if bar_colors else None
    chart.x_labels = labels
    for name, values in series.items():
        points = _floats(values)
        if bar_colors:
            points = [{"value": v, "color": c} for v, c in zip(points, bar_colors, strict=True)]
        chart.add(name, points)
    return _render(chart)


def line(
    labels: Sequence[str],
    series: dict[str, Sequence],
    *,
    value_format: str = "{:,.0f}",
    height: int = 300,
    dashed: Sequence[str] = (),
    fill: bool = False,
    colors: Sequence[str] | None = None,
) -> str:
    style = STYLE
    if colors:
        style = Style(**{**STYLE.to_dict(), "colors": tuple(colors)})
    chart = pygal.Line(
        **_options(
            height=height,
            style=style,
            fill=fill,
            show_legend=len(series) > 1,
            x_label_rotation=30 if len(labels) > 8 else 0,
            show_minor_x_labels=len(labels) <= 16,
            x_labels_major_every=max(1, len(labels) // 8),
            dots_size=2.5,
            value_formatter=lambda v: value_format.format(v),
        )
    )
    chart.x_labels = list(labels)
    for name, values in series.items():
        extra = {"stroke_style": {"dasharray": "6, 4", "width": 1.5}} if name in dashed else {}
        chart.add(name, _floats(values), **extra)
    return _render(chart)


def xy(
    series: dict[str, Sequence[tuple]],
    *,
    x_title: str = "",
    y_title: str = "",
    value_format: str = "{:,.0f}",
    height: int = 320,
    show_dots: bool = False,
    show_legend: bool = True,
    y_labels: Sequence[dict] | None = None,
    colors: Sequence[str] | None = None,
    stroke: bool = True,
) -> str:
    """stroke=False draws dots only (a scatter)."""
    style = STYLE
    if colors:
        style = Style(**{**STYLE.to_dict(), "colors": tuple(colors)})
    options = _options(
        stroke=stroke,
        height=height,
        style=style,
        x_title=x_title,
        y_title=y_title,
        show_dots=show_dots,
        dots_size=3,
        show_legend=show_legend,
        value_formatter=lambda v: value_format.format(v),
        x_value_formatter=lambda v: value_format.format(v),
        x_label_rotation=30,
    )
    if y_labels is not None:
        options["y_labels"] = list(y_labels)
    chart = pygal.XY(**options)
    for name, points in series.items():
        chart.add(
            name,
            [(float(x), float(y)) for x, y in points if x is not None and y is not None],
        )
    return _render(chart)
