"""A business's customers as behavioural parameters: who buys when, how much, how they pay.

`draw_population` gives every customer one behaviour (see `behaviours.py`) and the
parameters that produce it: an active window, forced "anchor" purchases that pin the
behaviour down, a purchase rate and invoice size with their trends, a payment habit,
and for the planted pairs a fixed schedule. Parameters are arrays over customers, in
the order drawn: planted pairs first, then the single behaviours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ledgerlens.demo.behaviours import (
    BEHAVIOURS,
    CHAMPION,
    DECLINER,
    FADER,
    GONE_QUIET,
    GOOD,
    GROWER,
    LATE,
    MONTHLY,
    NEVER_PAYS,
    NEWCOMER,
    ONE_OFF,
    PAIR_SHARE,
    PAYS_EARLY,
    PAYS_LATE,
    PAYS_NORMALLY,
    PAYS_ON_TIME,
    PREPAYER,
    RATE_FLOOR,
    SINGLE_SHARES,
    SLEEPER,
    UNPAID,
)
from ledgerlens.demo.businesses import Business
from ledgerlens.demo.dates import DAYS_PER_YEAR, END, FIRST_JANUARY, MONTH_START, START
from ledgerlens.demo.draws import uniform_integers

NO_DECLINE = END + 100_000  # decline_start of customers who never decline


@dataclass
class Population:
    """Behavioural parameters of one business's customers: one array element per customer.

    Days are day numbers (see `dates.py`); amounts are multipliers of the business's
    typical invoice. Customers [0, n_paired) belong to planted pairs.
    """

    behaviour: np.ndarray  # index into BEHAVIOURS
    partner: np.ndarray  # the other customer of a planted pair; -1 for single behaviours
    n_paired: int
    active_from: np.ndarray  # first day of the active window
    active_until: np.ndarray  # last day of the active window
    first_anchor_day: np.ndarray  # forced purchase days (-1: none)
    second_anchor_day: np.ndarray
    purchase_rate: np.ndarray  # purchases per month, before calibration
    invoice_size: np.ndarray  # invoice size multiplier
    rate_growth: np.ndarray  # yearly log growth of the purchase rate
    size_growth: np.ndarray  # yearly log growth of the invoice size
    decline_start: np.ndarray  # a decline ramps in over the 90 days after this day
    declined_rate_factor: np.ndarray  # purchase rate factor once declined
    declined_size_factor: np.ndarray  # invoice size factor once declined
    payment_habit: np.ndarray  # PAYS_EARLY .. NEVER_PAYS
    receipt_probability: np.ndarray  # chance a purchase is a sales receipt (paid on the spot)
    is_protected: np.ndarray  # no voids, credit notes or partial payments
    scheduled_purchases: np.ndarray  # identical-total pairs: purchases of the fader
    billing_day: np.ndarray  # subscription pairs: day of the month they are billed
    contract_dollars: np.ndarray  # subscription pairs: monthly contract value
    created_day: np.ndarray  # customer record created
    has_retainer: np.ndarray  # billed a monthly retainer while active
    retainer_hours: np.ndarray  # hours per retainer bill, before the size trend
    rate_floor: np.ndarray  # minimum purchases per month (see RATE_FLOOR)
    price_factor: np.ndarray  # the customer's price level against the list price
    is_foreign: np.ndarray  # billed in the business's foreign currency
    foreign_price_factor: np.ndarray  # document-currency units per home unit in prices
    tax_percent: np.ndarray
    negotiated_terms: np.ndarray  # the customer's own payment terms in days; -1: none
    payment_terms: np.ndarray  # the terms that apply, in days

    @property
    def size(self) -> int:
        return len(self.behaviour)


def decline_ramp(day: np.ndarray, decline_start: np.ndarray) -> np.ndarray:
    """How far a decline has gone: 0 before decline_start, rising linearly to 1 over the
    next 90 days."""
    return np.clip((day - decline_start) / 90.0, 0.0, 1.0)


def draw_population(biz: Business, rng: np.random.Generator, n: int) -> Population:
    """Behavioural parameters of a customer population of nominal size n.

    Order: planted pairs first (prepayer, monthly payer, ...; fader, grower, ...), then
    the single behaviours, so that the pairs stay together in block 0. The draws below
    must keep their order: the output is reproducible only draw for draw.
    """
    n_subscription_pairs = max(1, round(n * PAIR_SHARE))
    n_identical_pairs = max(1, round(n * PAIR_SHARE))
    single_counts = [max(1, round(n * share)) for share in SINGLE_SHARES.values()]
    behaviour = np.concatenate(
        [
            np.tile([PREPAYER, MONTHLY], n_subscription_pairs),
            np.tile([FADER, GROWER], n_identical_pairs),
            np.repeat(np.array(list(SINGLE_SHARES)), single_counts),
        ]
    ).astype(np.int64)
    size = len(behaviour)
    n_paired = 2 * (n_subscription_pairs + n_identical_pairs)
    partner = np.full(size, -1)
    partner[:n_paired] = np.arange(n_paired) ^ 1  # 0 <-> 1, 2 <-> 3, ...

    pop = Population(
        behaviour=behaviour,
        partner=partner,
        n_paired=n_paired,
        active_from=np.full(size, START, np.int64),
        active_until=np.full(size, END, np.int64),
        first_anchor_day=np.full(size, -1, np.int64),
        second_anchor_day=np.full(size, -1, np.int64),
        purchase_rate=np.zeros(size),
        invoice_size=np.ones(size),
        rate_growth=np.zeros(size),
        size_growth=np.zeros(size),
        decline_start=np.full(size, NO_DECLINE, np.int64),
        declined_rate_factor=np.ones(size),
        declined_size_factor=np.ones(size),
        payment_habit=np.full(size, PAYS_NORMALLY, np.int64),
        receipt_probability=np.zeros(size),
        is_protected=np.zeros(size, bool),
        scheduled_purchases=np.zeros(size, np.int64),
        billing_day=np.ones(size, np.int64),
        contract_dollars=np.zeros(size, np.int64),
        created_day=np.zeros(size, np.int64),
        has_retainer=np.zeros(size, bool),
        retainer_hours=np.zeros(size),
        # Set at the end, once the behaviours are drawn:
        rate_floor=np.zeros(size),
        price_factor=np.ones(size),
        is_foreign=np.zeros(size, bool),
        foreign_price_factor=np.ones(size),
        tax_percent=np.zeros(size, np.int64),
        negotiated_terms=np.full(size, -1, np.int64),
        payment_terms=np.zeros(size, np.int64),
    )
    _draw_single_behaviours(pop, rng)
    _draw_subscription_pairs(biz, pop, rng, n_subscription_pairs)
    _draw_identical_total_pairs(pop, rng, n_subscription_pairs, n_identical_pairs)
    _draw_created_days(pop, rng)
    _draw_retainers(biz, pop, rng)
    _draw_prices_and_terms(biz, pop, rng)
    return pop


def _members(pop: Population, behaviour: int) -> tuple[np.ndarray, int]:
    """Mask and count of the customers with this behaviour."""
    mask = pop.behaviour == behaviour
    return mask, int(mask.sum())


def _draw_single_behaviours(pop: Population, rng: np.random.Generator) -> None:
    u = uniform_integers

    # Champions: active throughout, frequent, big, growing, pay early.
    m, k = _members(pop, CHAMPION)
    pop.active_from[m] = START + u(rng, 0, 20, k)
    pop.first_anchor_day[m] = pop.active_from[m]
    pop.second_anchor_day[m] = END - u(rng, 0, 20, k)
    pop.purchase_rate[m] = 2.6 * rng.lognormal(0, 0.15, k)
    pop.invoice_size[m] = 2.4 * rng.lognormal(0, 0.15, k)
    pop.rate_growth[m] = rng.uniform(0.0, 0.1, k)
    pop.size_growth[m] = rng.uniform(0.0, 0.06, k)
    pop.payment_habit[m] = PAYS_EARLY

    # Good customers and chronic late payers: the same steady buying (most there from
    # the start, the others joining later), told apart by their payment habit.
    for behaviour, rate, habit, receipts in (
        (GOOD, 1.0, PAYS_ON_TIME, 0.12),
        (LATE, 0.9, PAYS_LATE, 0.0),
    ):
        m, k = _members(pop, behaviour)
        existing = rng.random(k) < 0.65
        pop.active_from[m] = np.where(
            existing, START + u(rng, 0, 30, k), START + u(rng, 0, 1060, k)
        )
        pop.first_anchor_day[m] = pop.active_from[m]
        pop.purchase_rate[m] = rate * rng.lognormal(0, 0.3, k)
        pop.invoice_size[m] = rng.lognormal(0, 0.35, k)
        pop.rate_growth[m] = rng.normal(0, 0.06, k)
        pop.size_growth[m] = rng.normal(0, 0.04, k)
        pop.payment_habit[m] = habit
        pop.receipt_probability[m] = receipts

    # Growing newcomers: a small trial purchase 3 to 9 months before the end, then more
    # and bigger purchases.
    m, k = _members(pop, NEWCOMER)
    pop.active_from[m] = END - u(rng, 95, 265, k)
    pop.first_anchor_day[m] = pop.active_from[m]
    pop.purchase_rate[m] = 1.2 * rng.lognormal(0, 0.2, k)
    pop.invoice_size[m] = 0.7 * rng.lognormal(0, 0.2, k)
    # From the first (trial) purchase to the end date: 3x the rate, 2.5x the size.
    years = (END - pop.active_from[m]) / DAYS_PER_YEAR
    pop.rate_growth[m] = np.log(3.0 * rng.uniform(0.9, 1.1, k)) / years
    pop.size_growth[m] = np.log(2.5 * rng.uniform(0.9, 1.1, k)) / years
    pop.payment_habit[m] = PAYS_ON_TIME

    # Gone-quiet big buyers: big and frequent from the start, last purchase 130 to 260 days
    # before the end (an anchor, so the silence starts exactly there).
    m, k = _members(pop, GONE_QUIET)
    pop.active_from[m] = START + u(rng, 0, 45, k)
    pop.active_until[m] = END - u(rng, 130, 260, k)
    pop.first_anchor_day[m] = pop.active_from[m]
    pop.second_anchor_day[m] = pop.active_until[m]
    pop.purchase_rate[m] = 2.2 * rng.lognormal(0, 0.15, k)
    pop.invoice_size[m] = 2.0 * rng.lognormal(0, 0.15, k)

    # Decliners: still buying, but a tenth as often and a quarter the size for the last year.
    m, k = _members(pop, DECLINER)
    pop.active_from[m] = START + u(rng, 0, 60, k)
    pop.decline_start[m] = END - u(rng, 455, 545, k)  # fully declined for the last 12 months
    pop.first_anchor_day[m] = pop.decline_start[m] - u(rng, 15, 60, k)  # full size, prior year
    pop.second_anchor_day[m] = END - u(rng, 5, 55, k)  # and still buying
    pop.declined_rate_factor[m] = 0.1
    pop.declined_size_factor[m] = 0.25
    pop.purchase_rate[m] = 1.7 * rng.lognormal(0, 0.15, k)
    pop.invoice_size[m] = 1.5 * rng.lognormal(0, 0.15, k)
    pop.receipt_probability[m] = 0.1

    # One-off small buyers: one small purchase (half of them a second one soon after),
    # long enough ago to count as gone.
    m, k = _members(pop, ONE_OFF)
    first = END - u(rng, 250, 900, k)
    second = np.where(rng.random(k) < 0.5, first + u(rng, 10, 60, k), -1)
    pop.first_anchor_day[m] = first
    pop.second_anchor_day[m] = second
    pop.active_from[m] = first
    pop.active_until[m] = np.maximum(first, second)
    pop.invoice_size[m] = 0.3 * rng.lognormal(0, 0.2, k)
    pop.receipt_probability[m] = 0.5

    # Sleepers: bought for a while, silent for the last 565 to 700 days.
    m, k = _members(pop, SLEEPER)
    pop.active_from[m] = START + u(rng, 0, 300, k)
    pop.active_until[m] = END - u(rng, 565, 700, k)
    pop.first_anchor_day[m] = pop.active_from[m]
    pop.second_anchor_day[m] = pop.active_until[m]
    pop.purchase_rate[m] = 0.8 * rng.lognormal(0, 0.25, k)
    pop.invoice_size[m] = 0.9 * rng.lognormal(0, 0.25, k)
    pop.receipt_probability[m] = 0.15

    # Unpaid newcomers: one or two purchases in the last six weeks, never paid.
    m, k = _members(pop, UNPAID)
    first = END - u(rng, 0, 42, k)
    second = np.where(rng.random(k) < 0.5, np.minimum(first + u(rng, 3, 25, k), END), -1)
    pop.first_anchor_day[m] = first
    pop.second_anchor_day[m] = second
    pop.active_from[m] = first
    pop.active_until[m] = np.maximum(first, second)
    pop.invoice_size[m] = 0.8 * rng.lognormal(0, 0.2, k)
    pop.payment_habit[m] = NEVER_PAYS


def _draw_subscription_pairs(
    biz: Business, pop: Population, rng: np.random.Generator, n_pairs: int
) -> None:
    """Prepayer / monthly payer pairs: the same contract value, billed yearly or monthly
    from January 2023 on the same day of the month."""
    low, high = biz.subscription_monthly_dollars
    billing_day = uniform_integers(rng, 1, 28, n_pairs)
    dollars = uniform_integers(rng, low // 10, high // 10, n_pairs) * 10
    pairs = slice(0, 2 * n_pairs)
    pop.billing_day[pairs] = np.repeat(billing_day, 2)
    pop.contract_dollars[pairs] = np.repeat(dollars, 2)
    pop.active_from[pairs] = MONTH_START[FIRST_JANUARY] + pop.billing_day[pairs] - 1
    pop.is_protected[pairs] = True
    pop.payment_habit[pairs] = np.tile([PAYS_EARLY, PAYS_ON_TIME], n_pairs)


def _draw_identical_total_pairs(
    pop: Population, rng: np.random.Generator, n_subscription_pairs: int, n_pairs: int
) -> None:
    """Identical-total pairs: the same purchase dates; the grower's invoices are the
    fader's in reverse order (see `purchases.py`), so all-time sales match to the cent."""
    pairs = slice(2 * n_subscription_pairs, pop.n_paired)
    pop.active_from[pairs] = np.repeat(START + uniform_integers(rng, 0, 120, n_pairs), 2)
    pop.active_until[pairs] = np.repeat(END - uniform_integers(rng, 5, 60, n_pairs), 2)
    pop.scheduled_purchases[pairs] = np.repeat(uniform_integers(rng, 18, 36, n_pairs), 2)
    pop.invoice_size[pairs] = np.repeat(rng.lognormal(0, 0.2, n_pairs), 2)
    pop.is_protected[pairs] = True
    pop.payment_habit[pairs] = PAYS_ON_TIME


def _draw_created_days(pop: Population, rng: np.random.Generator) -> None:
    """Created dates: customers active from the start existed before the data begins;
    the others were created shortly before their first purchase."""
    u = uniform_integers
    size = pop.size
    existing = (pop.active_from - START) < 45
    pop.created_day = np.where(
        existing, START - u(rng, 30, 1500, size), pop.active_from - u(rng, 0, 30, size)
    )
    paired = np.arange(size) < pop.n_paired
    pop.created_day[paired] = pop.active_from[paired] - u(rng, 5, 60, pop.n_paired)
    m, k = _members(pop, ONE_OFF)
    pop.created_day[m] = pop.first_anchor_day[m] - u(rng, 0, 14, k)
    m, k = _members(pop, UNPAID)
    pop.created_day[m] = pop.first_anchor_day[m] - u(rng, 0, 3, k)  # within the last 45 days


def _draw_retainers(biz: Business, pop: Population, rng: np.random.Generator) -> None:
    """Retainer clients (businesses with a retainer item): billed monthly while active,
    so they buy half as often otherwise. Then the business's typical rate applies."""
    if biz.retainer_item is not None:
        size = pop.size
        eligible = np.isin(pop.behaviour, (CHAMPION, GOOD, LATE, GONE_QUIET))
        pop.has_retainer = eligible & (rng.random(size) < 0.55)
        pop.retainer_hours = np.where(
            pop.has_retainer,
            np.maximum(4, np.rint(rng.uniform(6, 30, size) * pop.invoice_size)),
            0,
        )
        pop.purchase_rate = np.where(pop.has_retainer, 0.5 * pop.purchase_rate, pop.purchase_rate)
    pop.purchase_rate *= biz.purchases_per_month


def _draw_prices_and_terms(biz: Business, pop: Population, rng: np.random.Generator) -> None:
    """Rate floors, price levels (champions get 5% off), the one foreign customer, tax,
    and negotiated payment terms."""
    behaviour, size = pop.behaviour, pop.size
    floor = np.zeros(len(BEHAVIOURS))
    floor[list(RATE_FLOOR)] = list(RATE_FLOOR.values())
    pop.rate_floor = np.where(pop.has_retainer, 0.0, floor[behaviour])
    pop.price_factor = np.clip(rng.lognormal(0, 0.05, size), 0.88, 1.12) * np.where(
        behaviour == CHAMPION, 0.95, 1
    )
    pop.is_foreign = np.zeros(size, bool)
    if biz.foreign_currency:
        pop.is_foreign[np.nonzero(behaviour == GOOD)[0][0]] = True  # the first good customer
    pop.foreign_price_factor = np.where(pop.is_foreign, biz.foreign_price_factor, 1.0)
    pop.tax_percent = np.where(pop.is_foreign, 0, biz.tax_percent).astype(np.int64)  # exports
    negotiated = np.array(biz.negotiated_terms_days)[
        rng.integers(0, len(biz.negotiated_terms_days), size)
    ]
    pop.negotiated_terms = np.where(
        (rng.random(size) < 0.15) & (behaviour != UNPAID), negotiated, -1
    )
    pop.payment_terms = np.where(
        pop.negotiated_terms >= 0, pop.negotiated_terms, biz.payment_terms_days
    )
    if not biz.issues_sales_receipts:
        pop.receipt_probability = np.zeros(size)
