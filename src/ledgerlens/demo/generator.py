"""`generate()`: the demo data set, business by business, block by block.

Random streams: the seed's generator spawns one stream for the exchange rates and one
per business (all four, whichever are chosen). A business's stream spawns four: a pilot
population, the population, the customer attributes, and the blocks (one stream each);
then a fifth, the profitability plants (`value.py`), spawned after the others so that
none of their draws moved when it came.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from ledgerlens import dbt_vars
from ledgerlens.demo.businesses import BUSINESSES, Business
from ledgerlens.demo.customers import customers_columns, draw_customer_attributes
from ledgerlens.demo.documents import write_block
from ledgerlens.demo.exchange_rates import daily_exchange_rates
from ledgerlens.demo.ids import DocumentCounters
from ledgerlens.demo.intensity import calibrate_rate_scale, expected_lines
from ledgerlens.demo.messy import write_messy_rows
from ledgerlens.demo.population import draw_population
from ledgerlens.demo.truth import (
    VALUE_TRUTH_COLUMNS,
    planted_truth,
    planted_value_truth,
    truth_table,
)
from ledgerlens.demo.value import plant_value
from ledgerlens.demo.writing import (
    FIRST_WRITTEN_DAY,
    Days,
    Integers,
    TableWriters,
    Text,
    TruthWriter,
)

BLOCK_LINES = 250_000  # target invoice lines per block of customers
# Customers in the pilot population that measures a business's lines per customer.
PILOT_SIZE = 4_000


def generate(
    out_dir: str | Path,
    seed: int = 7,
    lines: int = 200_000,
    fmt: str = "csv",
    progress: Callable[[str], None] | None = None,
    businesses: Sequence[str] | None = None,
    messy: bool = False,
) -> dict[str, int]:
    """Write the demo raw files to `out_dir`; return rows written per contract table.

    `businesses` picks a subset of the demo businesses (ids; default all four), with
    `lines` shared among them: another business mix for the same seed.

    Files: `<table>.csv` (or `.parquet`) per contract table and
    `truth/planted_customers.csv` (business_id, customer_id, behaviour, expected_segment,
    certainty `clear` or `ambiguous`, note) and `truth/planted_value.csv` (business_id,
    customer_id, trait, expected_value_class, expected_account_id, certainty, note): see
    `truth.py`. The same seed and arguments give byte-identical files. `lines` is the
    approximate number of invoice lines (within a few percent from about 20,000 up).
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    if lines < 0:
        raise ValueError("lines must be >= 0")
    if messy and fmt != "csv":
        raise ValueError("messy rows need text: use fmt='csv'")
    known = [b.business_id for b in BUSINESSES]
    chosen = list(businesses) if businesses else known
    unknown = sorted(set(chosen) - set(known))
    if unknown or not chosen:
        raise ValueError(f"businesses must be among {', '.join(known)}; got {unknown or chosen}")
    # Every business keeps its own random stream (spawned for all four), so leaving one
    # out does not shift the others' draws.
    selected = [b for b in BUSINESSES if b.business_id in chosen]
    share_total = sum(b.line_share for b in selected)
    say = progress or (lambda message: None)
    out = Path(out_dir)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    root = np.random.default_rng(seed)
    fx_rng, *business_rngs = root.spawn(1 + len(BUSINESSES))
    (messy_rng,) = root.spawn(1)  # spawned after the others: the clean rows do not move
    exchange_rates = daily_exchange_rates(fx_rng)

    writers = TableWriters(out, fmt)
    try:
        truth = TruthWriter(out)
        value_truth = TruthWriter(out, "planted_value.csv", VALUE_TRUTH_COLUMNS)
        try:
            writers.write(
                "businesses",
                {
                    "business_id": Text(pa.array([b.business_id for b in selected])),
                    "business_name": Text(pa.array([b.name for b in selected])),
                    "home_currency": Text(pa.array([b.currency for b in selected])),
                    "fiscal_year_start_month": Integers(
                        np.array([b.fiscal_year_start_month for b in selected])
                    ),
                    "default_payment_terms_days": Integers(
                        np.array([b.payment_terms_days for b in selected])
                    ),
                    # Blank: each business's as-of date is its latest sale, as in an
                    # export that states no completeness date.
                    "export_complete_to_date": Days(
                        np.full(len(selected), FIRST_WRITTEN_DAY),
                        missing=np.ones(len(selected), dtype=bool),
                    ),
                },
            )
            for biz, rng in zip(BUSINESSES, business_rngs, strict=True):
                if biz in selected:
                    target_lines = lines * biz.line_share / share_total
                    _generate_business(
                        biz, rng, target_lines, exchange_rates, writers, (truth, value_truth), say
                    )
        finally:
            truth.close()
            value_truth.close()
    finally:
        writers.close()
    counts = dict(writers.counts)
    if messy:
        for table, extra in write_messy_rows(out, messy_rng).items():
            counts[table] += extra
        say("bad rows written: truth/messy_rows.csv lists them")
    say(f"done: {writers.counts['invoice_lines']:,} invoice lines")
    return counts


def _generate_business(
    biz: Business,
    rng: np.random.Generator,
    target_lines: float,
    exchange_rates: dict[tuple[str, str], np.ndarray],
    writers: TableWriters,
    truths: tuple[TruthWriter, TruthWriter],
    say: Callable[[str], None],
) -> None:
    """One business: its customers, the truth rows, then its documents block by block.

    The population grows with the target: a pilot population measures the expected lines
    per customer at rate scale 1, which sizes the real population; its rate scale is then
    calibrated so that the expected lines land on the target.
    """
    pilot_rng, population_rng, attributes_rng, blocks_rng = rng.spawn(4)
    (value_rng,) = rng.spawn(1)  # spawned after the others: their draws do not move
    pilot = draw_population(biz, pilot_rng, PILOT_SIZE)
    lines_per_customer = expected_lines(biz, pilot, 1.0).sum() / PILOT_SIZE
    pop = draw_population(biz, population_rng, max(1, round(target_lines / lines_per_customer)))
    rate_scale = calibrate_rate_scale(biz, pop, target_lines)
    attrs = draw_customer_attributes(biz, pop, attributes_rng)
    key_share = dbt_vars.load()["key_account_top_share"]
    plants = plant_value(biz, pop, attrs, rate_scale, key_share, value_rng)
    writers.write("customers", customers_columns(biz, pop, attrs))
    truth, value_truth = truths
    truth.write(truth_table(biz, pop, attrs.order, attrs.ids, planted_truth(biz, pop, rate_scale)))
    value_truth.write(planted_value_truth(biz, attrs, plants))

    blocks = split_into_blocks(expected_lines(biz, pop, rate_scale), pop.n_paired)
    counters = DocumentCounters()
    written = 0
    block_rngs = blocks_rng.spawn(len(blocks))
    for number, ((first, stop), block_rng) in enumerate(zip(blocks, block_rngs, strict=True)):
        written += write_block(
            biz,
            pop,
            attrs,
            first,
            stop,
            rate_scale,
            block_rng,
            exchange_rates,
            counters,
            writers,
            plants,
        )
        say(f"{biz.business_id}: block {number + 1}/{len(blocks)}, {written:,} lines")
    say(
        f"{biz.business_id}: {pop.size:,} customers, {written:,} invoice lines "
        f"(target {target_lines:,.0f})"
    )


def split_into_blocks(expected: np.ndarray, n_paired: int) -> list[tuple[int, int]]:
    """Contiguous customer ranges of about BLOCK_LINES expected lines each; the planted
    pairs (customers [0, n_paired)) all in block 0, so that a pair is made together."""
    cumulative = np.cumsum(expected)
    bounds = [0]
    target = BLOCK_LINES
    while True:
        bound = int(np.searchsorted(cumulative, target, side="right")) + 1
        bound = max(bound, bounds[-1] + 1, n_paired)
        if bound >= len(expected):
            break
        bounds.append(bound)
        target = cumulative[bound - 1] + BLOCK_LINES
    bounds.append(len(expected))
    return list(zip(bounds[:-1], bounds[1:], strict=True))
