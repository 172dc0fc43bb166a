"""Kinds of sales documents, shared by the modules that schedule, fill and settle them."""

from __future__ import annotations

REGULAR_ORDER = 0  # lines by invoice size (see Business.extra_lines)
SMALL_ORDER = 1  # a one-off buyer's or a small regular order: cheaper items, few lines
RETAINER_BILL = 2  # a retainer client's monthly bill
ANNUAL_BILL = 3  # a prepayer's yearly subscription bill
MONTHLY_BILL = 4  # a monthly payer's subscription bill
MIRRORED_ORDER = 5  # an identical-total grower's order: a line-for-line copy of the fader's

# Small orders and retainer bills have one line, and a second one this often.
SECOND_LINE_PROBABILITY = 0.35
