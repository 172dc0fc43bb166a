"""How often customers buy: monthly purchase intensities, and their calibration.

A customer's expected purchases in a month are their rate (times the business's rate
scale, but at least their floor) x seasonality x trend (growth, decline) x the active
share of the month. The rate scale is calibrated so that the expected number of
invoice lines of the whole population lands on the business's target.
"""

from __future__ import annotations

import numpy as np

from ledgerlens.demo.behaviours import FADER, GROWER, MONTHLY, NEWCOMER, ONE_OFF, PREPAYER
from ledgerlens.demo.businesses import Business
from ledgerlens.demo.dates import (
    CALENDAR_MONTH,
    DAYS_PER_YEAR,
    FIRST_JANUARY,
    MONTH_END,
    MONTH_LENGTH,
    MONTH_START,
    N_MONTHS,
)
from ledgerlens.demo.document_kinds import SECOND_LINE_PROBABILITY
from ledgerlens.demo.population import Population, decline_ramp

# Mean lines of a small purchase or a retainer bill: one line, sometimes a second one
# (see `lines.py`).
SMALL_INVOICE_MEAN_LINES = 1 + SECOND_LINE_PROBABILITY
# Subscription pairs: invoices of a prepayer (one a year, 2023 to 2026).
PREPAYER_INVOICES = 4


def monthly_intensity(
    biz: Business, pop: Population, rows: slice, rate_scale: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected purchases per customer x month (rates scaled by rate_scale, floored), with
    the active part of each month (its first day and its length in days)."""
    active_from = pop.active_from[rows, None]
    first_day = np.maximum(MONTH_START, active_from)
    last_day = np.minimum(MONTH_END, pop.active_until[rows, None])
    active_days = np.maximum(last_day - first_day + 1, 0)
    middle = (first_day + last_day) * 0.5
    trend = np.exp(pop.rate_growth[rows, None] * (middle - active_from) / DAYS_PER_YEAR) * (
        1.0
        + (pop.declined_rate_factor[rows, None] - 1.0)
        * decline_ramp(middle, pop.decline_start[rows, None])
    )
    seasonality = np.array(biz.seasonality)[CALENDAR_MONTH]
    rate = np.maximum(pop.purchase_rate[rows] * rate_scale, pop.rate_floor[rows])
    # A pause covers whole months: nothing is bought in them.
    active_days = np.where(_paused(pop, rows), 0, active_days)
    intensity = rate[:, None] * seasonality * trend * (active_days / MONTH_LENGTH)
    return intensity, first_day, active_days


def _paused(pop: Population, rows: slice) -> np.ndarray:
    """Customer x month: does the month fall inside the customer's pause?"""
    return (MONTH_START >= pop.pause_from[rows, None]) & (MONTH_END <= pop.pause_until[rows, None])


def retainer_months(pop: Population, rows: slice) -> np.ndarray:
    """Customer x month: is a retainer billed (on the first of the month)?"""
    return (
        (MONTH_START >= pop.active_from[rows, None])
        & (MONTH_START <= pop.active_until[rows, None])
        & pop.has_retainer[rows, None]
        & ~_paused(pop, rows)
    )


def expected_lines(biz: Business, pop: Population, rate_scale: float) -> np.ndarray:
    """Expected invoice lines per customer at the given rate scale.

    Mirrors `purchases.schedule_documents`: Poisson-like purchases from the intensity,
    plus the fixed ones (anchors, retainer bills, subscriptions, identical-total pairs).
    """
    everyone = slice(None)
    intensity, _, _ = monthly_intensity(biz, pop, everyone, rate_scale)
    per_invoice = biz.mean_lines_per_invoice(pop.invoice_size)
    from_intensity = intensity.sum(axis=1) * per_invoice
    anchors = (pop.first_anchor_day >= 0).astype(float) + (pop.second_anchor_day >= 0)
    fixed = anchors * np.where(pop.behaviour == ONE_OFF, SMALL_INVOICE_MEAN_LINES, per_invoice)
    fixed += retainer_months(pop, everyone).sum(axis=1) * SMALL_INVOICE_MEAN_LINES
    fixed += np.where(pop.behaviour == PREPAYER, PREPAYER_INVOICES, 0) + np.where(
        pop.behaviour == MONTHLY, N_MONTHS - FIRST_JANUARY, 0
    )
    fixed += np.where(
        np.isin(pop.behaviour, (GROWER, FADER)), pop.scheduled_purchases * per_invoice, 0
    )
    # Newcomers' purchases are placed on their growth curve: at least 4 of them.
    ramp = pop.behaviour == NEWCOMER
    from_intensity[ramp] = np.maximum(4, np.rint(intensity[ramp].sum(axis=1))) * per_invoice[ramp]
    return fixed + from_intensity


def calibrate_rate_scale(biz: Business, pop: Population, target_lines: float) -> float:
    """The rate scale in [0.2, 5] whose expected line count is closest to the target
    (bisection on a log scale: the count grows with the scale)."""
    low, high = 0.2, 5.0
    for _ in range(30):
        middle = (low * high) ** 0.5
        if expected_lines(biz, pop, middle).sum() < target_lines:
            low = middle
        else:
            high = middle
    return (low * high) ** 0.5
