"""When customers buy: the sales documents of a block of customers, before their lines.

Purchases come from three sources:

* the customer x month intensity (see `intensity.py`), mostly spread regularly and
  partly Poisson, and for growing newcomers placed on their growth curve;
* forced "anchor" purchases that pin a behaviour down (first purchase, the last purchase
  of a customer who went quiet, ...);
* fixed schedules: monthly retainer bills, the subscription pairs' annual and monthly
  bills, and the identical-total pairs, whose grower mirrors the fader's invoices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ledgerlens.demo.behaviours import FADER, MONTHLY, NEWCOMER, ONE_OFF, PREPAYER
from ledgerlens.demo.businesses import Business
from ledgerlens.demo.dates import (
    CALENDAR_MONTH,
    DAYS_PER_YEAR,
    END,
    FIRST_JANUARY,
    MONTH_START,
    N_MONTHS,
)
from ledgerlens.demo.document_kinds import (
    ANNUAL_BILL,
    MIRRORED_ORDER,
    MONTHLY_BILL,
    REGULAR_ORDER,
    RETAINER_BILL,
    SMALL_ORDER,
)
from ledgerlens.demo.draws import uniform_integers
from ledgerlens.demo.intensity import monthly_intensity, retainer_months
from ledgerlens.demo.population import Population

POISSON_SHARE = 0.35  # share of the purchase intensity that is Poisson noise
# An identical-total fader's last invoice is this share of its first (sizes fall
# geometrically over its three to four years: each year's sales about 0.4-0.45 of the
# year before's, before the one-unit floors of quantities lift the smallest invoices).
FADE = 0.04


@dataclass
class DocumentSchedule:
    """Sales documents of a block, sorted by customer and day."""

    customer: np.ndarray  # customer index within the block
    day: np.ndarray
    kind: np.ndarray  # REGULAR_ORDER .. MIRRORED_ORDER
    is_anchor: np.ndarray  # pins a behaviour down: never voided
    size: np.ndarray  # invoice size set by the schedule; -1: drawn later
    mirror_of: np.ndarray  # MIRRORED_ORDER: the document it copies; -1 otherwise


def schedule_documents(
    biz: Business,
    pop: Population,
    first: int,
    stop: int,
    rate_scale: float,
    rng: np.random.Generator,
) -> DocumentSchedule:
    """Sales documents of the customers [first, stop) of the population."""
    rows = slice(first, stop)
    behaviour = pop.behaviour[rows]
    parts = []  # (customer, day, kind, is_anchor)

    intensity, month_first_day, active_days = monthly_intensity(biz, pop, rows, rate_scale)
    # Customers buy more regularly than a Poisson process: most of the intensity is
    # spread evenly (cumulative intensity rounded from a random phase), the rest is noise.
    phase = rng.random((stop - first, 1))
    regular = np.floor(np.cumsum(intensity * (1 - POISSON_SHARE), axis=1) + phase)
    counts = np.diff(regular, axis=1, prepend=0.0).astype(np.int64)
    counts += rng.poisson(intensity * POISSON_SHARE)
    is_newcomer = behaviour == NEWCOMER
    counts[is_newcomer] = 0
    customer, month = np.nonzero(counts)
    repeats = counts[customer, month]
    customer, month = np.repeat(customer, repeats), np.repeat(month, repeats)
    day = month_first_day[customer, month] + (
        rng.random(len(customer)) * active_days[customer, month]
    ).astype(np.int64)
    parts.append((customer, day, REGULAR_ORDER, False))

    # Newcomers ramp up: after the trial order, purchases sit at jittered quantiles of
    # their growing intensity, so they come ever more often.
    newcomers = np.nonzero(is_newcomer)[0]
    n_purchases = np.maximum(4, np.rint(intensity[newcomers].sum(axis=1))).astype(np.int64)
    buyer = np.repeat(newcomers, n_purchases)
    quantile = (
        np.arange(len(buyer))
        - np.repeat(np.cumsum(n_purchases) - n_purchases, n_purchases)
        + rng.uniform(0.2, 0.8, len(buyer))
    )
    quantile /= np.repeat(n_purchases, n_purchases)
    start, growth_rate = pop.active_from[first + buyer], pop.rate_growth[first + buyer]
    growth = np.exp(growth_rate * (END - start) / DAYS_PER_YEAR)
    # The inverse of the cumulative intensity exp(g t) from the first purchase.
    day = (
        start
        + 1
        + np.floor(np.log1p(quantile * (growth - 1)) / growth_rate * DAYS_PER_YEAR).astype(np.int64)
    )
    parts.append((buyer, np.minimum(day, END), REGULAR_ORDER, True))

    for anchor_day in (pop.first_anchor_day[rows], pop.second_anchor_day[rows]):
        anchored = np.nonzero(anchor_day >= 0)[0]
        kind = np.where(behaviour[anchored] == ONE_OFF, SMALL_ORDER, REGULAR_ORDER)
        parts.append((anchored, anchor_day[anchored], kind, True))

    customer, month = np.nonzero(retainer_months(pop, rows))
    parts.append((customer, MONTH_START[month], RETAINER_BILL, False))

    # Subscription pairs: the prepayer is billed every January, the monthly payer every
    # month, on the pair's billing day.
    prepayers = np.nonzero(behaviour == PREPAYER)[0]
    januaries = np.nonzero((CALENDAR_MONTH == 0) & (np.arange(N_MONTHS) >= FIRST_JANUARY))[0]
    parts.append(
        (
            np.repeat(prepayers, len(januaries)),
            (
                MONTH_START[januaries][None, :] + pop.billing_day[first + prepayers][:, None] - 1
            ).ravel(),
            ANNUAL_BILL,
            False,
        )
    )
    monthly_payers = np.nonzero(behaviour == MONTHLY)[0]
    months = np.arange(FIRST_JANUARY, N_MONTHS)
    parts.append(
        (
            np.repeat(monthly_payers, len(months)),
            (
                MONTH_START[months][None, :] + pop.billing_day[first + monthly_payers][:, None] - 1
            ).ravel(),
            MONTHLY_BILL,
            False,
        )
    )

    customers = [np.asarray(part[0], np.int64) for part in parts]
    days = [np.asarray(part[1], np.int64) for part in parts]
    kinds = [np.broadcast_to(np.asarray(part[2], np.int64), len(part[0])) for part in parts]
    anchors = [np.full(len(part[0]), part[3]) for part in parts]
    sizes = [np.full(len(part[0]), -1.0) for part in parts]
    mirrors = [np.full(len(part[0]), -1, np.int64) for part in parts]

    faders = np.nonzero(behaviour == FADER)[0]
    if len(faders):
        # Identical-total pairs: the fader buys regularly (evenly spaced, a few days'
        # jitter) from the first to the last day of the window, ever smaller; the grower
        # buys on the same days, its n-th invoice a copy of the fader's n-th from last.
        n_scheduled = pop.scheduled_purchases[first + faders]
        fader = np.repeat(np.arange(len(faders)), n_scheduled)  # per purchase: which fader
        first_purchase = np.cumsum(n_scheduled) - n_scheduled
        position = np.arange(len(fader)) - first_purchase[fader]
        first_day = pop.active_from[first + faders][fader]
        last_day = pop.active_until[first + faders][fader]
        fraction = position / np.maximum(n_scheduled[fader] - 1, 1)
        day = np.rint(first_day + fraction * (last_day - first_day)).astype(
            np.int64
        ) + uniform_integers(rng, -6, 6, len(fader))
        day = np.where(
            position == 0, first_day, np.where(position == n_scheduled[fader] - 1, last_day, day)
        )
        day = np.clip(day, first_day, last_day)
        size = (
            pop.invoice_size[first + faders][fader]
            * 4.0
            * FADE**fraction
            * rng.lognormal(0, 0.1, len(fader))
        )
        offset = sum(len(x) for x in customers)  # where the fader's documents will start
        mirror_of = offset + first_purchase[fader] + (n_scheduled[fader] - 1 - position)
        grower = pop.partner[first + faders] - first
        customers += [faders[fader], grower[fader]]
        days += [day, day]
        kinds += [np.full(len(fader), REGULAR_ORDER), np.full(len(fader), MIRRORED_ORDER)]
        anchors += [np.ones(len(fader), bool), np.ones(len(fader), bool)]
        sizes += [size, np.full(len(fader), -1.0)]
        mirrors += [np.full(len(fader), -1, np.int64), mirror_of]

    customer, day = np.concatenate(customers), np.concatenate(days)
    kind, is_anchor = np.concatenate(kinds), np.concatenate(anchors)
    size, mirror_of = np.concatenate(sizes), np.concatenate(mirrors)
    order = np.lexsort((day, customer))
    position = np.empty(len(order), np.int64)  # where each document lands after sorting
    position[order] = np.arange(len(order))
    mirror_of = mirror_of[order]
    mirror_of = np.where(mirror_of >= 0, position[np.maximum(mirror_of, 0)], -1)
    return DocumentSchedule(
        customer=customer[order],
        day=day[order],
        kind=kind[order],
        is_anchor=is_anchor[order],
        size=size[order],
        mirror_of=mirror_of,
    )
