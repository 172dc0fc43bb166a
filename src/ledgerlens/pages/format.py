"""How the report writes numbers, and the table cells it renders.

Money keeps its cents and its thousands separators ("1,234,567.89"); cards round to whole
units with the currency code ("1,234,568 USD"). Shares are percentages with one decimal.
Dates are ISO. Sortable cells carry their raw value in data-value, so sorting never parses
a formatted string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal


def money(value, currency: str | None = None, *, whole: bool = False) -> str:
    if value is None:
        return ""
    amount = Decimal(value)
    if whole:
        text = f"{amount.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"
    else:
        text = f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
    return f"{text} {currency}" if currency else text


def number(value, digits: int | None = None) -> str:
    if value is None:
        return ""
    if digits is not None:
        return f"{Decimal(value):,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{Decimal(value):,}"


def pct(value, digits: int = 1) -> str:
    if value is None:
        return ""
    share = (Decimal(value) * 100).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{share:,}%"


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


@dataclass
class Cell:
    text: str
    value: object = None
    css: str = ""
    href: str | None = None
    style: str = ""
    title: str = ""

    @classmethod
    def num(cls, value, text: str, *, signed: bool = False) -> Cell:
        css = "num"
        if signed and value is not None and value < 0:
            css += " neg"
        return cls(text=text, value="" if value is None else str(value), css=css)

    @classmethod
    def heat(cls, share, text: str) -> Cell:
        """A cohort cell shaded by the share kept: 0% white, 100% and above full blue."""
        if share is None:
            return cls(text="", css="cell")
        strength = max(Decimal(0), min(Decimal(1), Decimal(share)))
        alpha = (Decimal("0.08") + strength * Decimal("0.8")).quantize(Decimal("0.01"))
        ink = "#fff" if strength > Decimal("0.55") else "#111827"
        return cls(
            text=text,
            value=str(share),
            css="cell",
            style=f"background: rgba(37, 99, 235, {alpha}); color: {ink}",
        )


@dataclass
class Table:
    """Columns named with a leading '>' are numbers: right-aligned, sorted as numbers."""

    columns: list[str]
    rows: list[list[Cell]]
    sortable: bool = False
    table_id: str | None = None
    css: str = ""
    headers: list[dict] = field(init=False)

    def __post_init__(self):
        self.headers = [
            {"name": c.removeprefix(">"), "num": c.startswith(">")} for c in self.columns
        ]
