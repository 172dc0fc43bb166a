"""Invoice lines: which items each document carries, in what quantity, at what price.

Amounts are integer cents and quantities integer hundredths. Hours are sold in quarter
hours at a whole-currency-unit rate and other items in whole units at a whole-cent
price, so quantity x unit price is always a whole number of cents and every line
identity of the contract holds exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ledgerlens.demo.businesses import Business, Item
from ledgerlens.demo.dates import DAYS_PER_YEAR, START
from ledgerlens.demo.document_kinds import (
    ANNUAL_BILL,
    MIRRORED_ORDER,
    MONTHLY_BILL,
    REGULAR_ORDER,
    RETAINER_BILL,
    SECOND_LINE_PROBABILITY,
    SMALL_ORDER,
)
from ledgerlens.demo.population import Population

# Units of catalogue items (`Item.unit`).
UNIT_HOUR, UNIT_COUNT, UNIT_LUMP_SUM, UNIT_SUBSCRIPTION = range(4)
UNITS = {"hour": UNIT_HOUR, "int": UNIT_COUNT, "lump": UNIT_LUMP_SUM, "sub": UNIT_SUBSCRIPTION}

DISCOUNT_PERCENTS = np.array([2, 5, 10, 15])
DISCOUNT_PERCENT_PROBABILITIES = [0.3, 0.35, 0.25, 0.1]


@dataclass
class InvoiceLines:
    """Lines of a block's documents, grouped by document in document order."""

    invoice: np.ndarray  # document index within the block
    item: np.ndarray  # index into the catalogue returned with the lines
    line_number: np.ndarray  # 1, 2, ... within the document
    quantity: np.ndarray  # hundredths
    unit_price: np.ndarray  # cents
    discount: np.ndarray  # cents
    amount: np.ndarray  # cents: quantity x unit_price - discount
    unit_cost: np.ndarray  # cents; -1: unknown


def draw_invoice_lines(
    biz: Business,
    pop: Population,
    rng: np.random.Generator,
    customer: np.ndarray,
    day: np.ndarray,
    kind: np.ndarray,
    size: np.ndarray,
    size_trend: np.ndarray,
    mirror_of: np.ndarray,
) -> tuple[InvoiceLines, np.ndarray, list[Item]]:
    """Lines of the documents (`customer` is the population index of each document's
    customer), each document's subtotal in cents, and the catalogue the lines index."""
    n = len(day)
    regular = list(biz.catalogue)
    retainer = [biz.retainer_item] if biz.retainer_item is not None else []
    catalogue = regular + retainer + list(biz.subscription)
    n_regular = len(regular)
    retainer_item = n_regular if retainer else -1
    retainer_extra_item = next(
        (k for k, item in enumerate(regular) if item.code == biz.retainer_extra_item_code), -1
    )
    annual_item, monthly_item = len(catalogue) - 2, len(catalogue) - 1
    item_unit = np.array([UNITS[item.unit] for item in catalogue])
    list_price = np.array([item.list_price for item in catalogue], float)
    item_cost = np.array(
        [-1 if item.unit_cost is None else item.unit_cost for item in catalogue], float
    )
    typical_quantity = np.array([item.typical_quantity for item in catalogue])
    pick_weight = np.array([item.pick_weight for item in regular])

    # Lines per document: regular orders by size, small orders and retainer bills one or
    # two, mirrored orders none of their own (they get their source's below).
    n_lines = np.ones(n, np.int64)
    m = kind == REGULAR_ORDER
    n_lines[m] += rng.binomial(biz.extra_lines[0], biz.extra_line_probability(size[m]))
    m = (kind == SMALL_ORDER) | (kind == RETAINER_BILL)
    n_lines[m] += rng.random(int(m.sum())) < SECOND_LINE_PROBABILITY
    n_lines[kind == MIRRORED_ORDER] = 0
    total = int(n_lines.sum())
    invoice = np.repeat(np.arange(n), n_lines)
    starts = np.cumsum(n_lines) - n_lines
    line_number = np.arange(total) - starts[invoice] + 1
    line_kind = kind[invoice]
    item = rng.choice(n_regular, total, p=pick_weight / pick_weight.sum())
    # Small purchases pick from the cheaper half of the catalogue.
    typical_value = np.array([it.list_price * it.typical_quantity for it in regular])
    cheap = np.nonzero(typical_value <= np.median(typical_value))[0]
    small = line_kind == SMALL_ORDER
    item[small] = cheap[rng.integers(0, len(cheap), int(small.sum()))]
    item = np.where(
        line_kind == RETAINER_BILL,
        np.where(line_number == 1, retainer_item, retainer_extra_item),
        item,
    )
    item = np.where(
        line_kind == ANNUAL_BILL,
        annual_item,
        np.where(line_kind == MONTHLY_BILL, monthly_item, item),
    )

    unit = item_unit[item]
    line_customer = customer[invoice]
    line_size = size[invoice]
    inflation = biz.yearly_inflation ** ((day[invoice] - START) / DAYS_PER_YEAR)
    fx_factor = pop.foreign_price_factor[line_customer]
    base_price = list_price[item] * inflation * fx_factor
    noise = np.clip(rng.standard_normal(total), -2.0, 2.0)
    is_retainer_hours = (line_kind == RETAINER_BILL) & (line_number == 1)
    quarter_hours = np.where(
        is_retainer_hours,
        4 * np.maximum(4, np.rint(pop.retainer_hours[line_customer] * size_trend[invoice])),
        np.clip(np.rint(typical_quantity[item] * line_size * np.exp(0.35 * noise) * 4), 1, 2_000),
    )
    whole_units = np.clip(
        np.rint(typical_quantity[item] * line_size * np.exp(0.5 * noise)), 1, 10_000
    )
    quantity = np.select(
        [unit == UNIT_HOUR, unit == UNIT_COUNT, unit == UNIT_SUBSCRIPTION],
        [quarter_hours * 25, whole_units * 100, np.where(line_kind == ANNUAL_BILL, 1200, 100)],
        100,
    ).astype(np.int64)
    lump_sum = np.maximum(
        biz.lump_sum_minimum,
        np.rint(base_price * line_size * np.exp(0.25 * noise) / 5_000) * 5_000,
    )
    unit_price = np.select(
        [unit == UNIT_HOUR, unit == UNIT_COUNT, unit == UNIT_LUMP_SUM],
        [
            np.rint(base_price * pop.price_factor[line_customer] / 100) * 100,  # whole units
            np.rint(base_price * pop.price_factor[line_customer]),
            lump_sum,
        ],
        pop.contract_dollars[line_customer] * 100,
    ).astype(np.int64)
    gross = quantity * unit_price // 100  # exact: see the module docstring
    unit_cost = np.where(
        item_cost[item] >= 0, np.rint(item_cost[item] * inflation * fx_factor), -1
    ).astype(np.int64)
    unit_cost[rng.random(total) < biz.blank_cost_probability] = -1
    discounted = (
        (rng.random(total) < biz.discount_probability)
        & (unit != UNIT_SUBSCRIPTION)
        & ~is_retainer_hours
    )
    discount_percent = DISCOUNT_PERCENTS[
        rng.choice(len(DISCOUNT_PERCENTS), total, p=DISCOUNT_PERCENT_PROBABILITIES)
    ]
    discount = np.where(discounted, (gross * discount_percent + 50) // 100, 0)
    columns = {
        "item": item,
        "line_number": line_number,
        "quantity": quantity,
        "unit_price": unit_price,
        "discount": discount,
        "amount": gross - discount,
        "unit_cost": unit_cost,
    }

    # Mirrored orders copy the lines of their source document.
    mirrored = np.nonzero(kind == MIRRORED_ORDER)[0]
    if len(mirrored):
        source = mirror_of[mirrored]
        n_source_lines = n_lines[source]
        first_copied = np.cumsum(n_source_lines) - n_source_lines
        source_line = np.repeat(starts[source], n_source_lines) + (
            np.arange(int(n_source_lines.sum())) - np.repeat(first_copied, n_source_lines)
        )
        invoice = np.concatenate([invoice, np.repeat(mirrored, n_source_lines)])
        columns = {k: np.concatenate([v, v[source_line]]) for k, v in columns.items()}
        order = np.argsort(invoice, kind="stable")
        invoice = invoice[order]
        columns = {k: v[order] for k, v in columns.items()}
        n_lines = np.bincount(invoice, minlength=n)
        starts = np.cumsum(n_lines) - n_lines
    subtotal = np.add.reduceat(columns["amount"], starts) if n else np.zeros(0, np.int64)
    return InvoiceLines(invoice=invoice, **columns), subtotal, catalogue
