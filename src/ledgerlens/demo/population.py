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
    RETURNER,
    SINGLE_SHARES,
    SLEEPER,
    TURNED_LATE,
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
    # Planted payment delay in days after the due date (NaN: the habit decides), its
    # per-invoice spread, and a drift: invoices due from drift_day on are paid around
    # drifted_delay_mean instead (a good payer who turns late).
    delay_mean: np.ndarray
    delay_sd: np.ndarray
    drift_day: np.ndarray
    drifted_delay_mean: np.ndarray
    # A pause in buying (a customer who comes back): no purchases in the whole months
    # from pause_from to pause_until (NO_DECLINE: none).
    pause_from: np.ndarray
    pause_until: np.ndarray
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
        delay_mean=np.full(size, np.nan),
        delay_sd=np.zeros(size),
        drift_day=np.full(size, NO_DECLINE, np.int64),
        drifted_delay_mean=np.full(size, np.nan),
        pause_from=np.full(size, NO_DECLINE, np.int64),
        pause_until=np.full(size, NO_DECLINE, np.int64),
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


def _punctual_delays(rng: np.random.Generator, k: int) -> np.ndarray:
    """Mean days after the due date of customers who pay on time: mostly within a few
    days, a long tail (exponential, mean 3) reaching the late payers' range."""
    return np.minimum(rng.exponential(3.0, k), 30.0)


def _delay_spread(mean: np.ndarray) -> np.ndarray:
    """Per-invoice spread of a planted delay: a few days, more for slower payers."""
    return 2.5 + 0.2 * np.abs(mean)


def _draw_single_behaviours(pop: Population, rng: np.random.Generator) -> None:
    """Behaviours drawn from overlapping distributions: each range straddles the bound
    that defines its segment, so some customers of every behaviour sit near or across a
    threshold on the as-of date (the truth file marks them ambiguous, `truth.py`)."""
    u = uniform_integers

    # Champions: active throughout, frequent, big, growing, pay early; their rate and
    # size spread into the good customers' range.
    m, k = _members(pop, CHAMPION)
    pop.active_from[m] = START + u(rng, 0, 20, k)
    pop.first_anchor_day[m] = pop.active_from[m]
    pop.second_anchor_day[m] = END - u(rng, 0, 20, k)
    pop.purchase_rate[m] = 2.6 * rng.lognormal(0, 0.3, k)
    pop.invoice_size[m] = 2.4 * rng.lognormal(0, 0.3, k)
    pop.rate_growth[m] = rng.uniform(0.0, 0.1, k)
    pop.size_growth[m] = rng.uniform(0.0, 0.06, k)
    pop.payment_habit[m] = PAYS_EARLY

    # Good customers, chronic late payers, good payers who turn late and customers who
    # come back: the same steady buying (most there from the start, the others joining
    # later), told apart by their payment habit and their pauses.
    for behaviour, rate, habit, receipts in (
        (GOOD, 1.0, PAYS_ON_TIME, 0.12),
        (LATE, 0.9, PAYS_LATE, 0.0),
        (TURNED_LATE, 1.0, PAYS_ON_TIME, 0.0),
        (RETURNER, 1.0, PAYS_ON_TIME, 0.12),
    ):
        m, k = _members(pop, behaviour)
        existing = rng.random(k) < 0.65
        pop.active_from[m] = np.where(
            existing, START + u(rng, 0, 30, k), START + u(rng, 0, 1060, k)
        )
        pop.first_anchor_day[m] = pop.active_from[m]
        pop.purchase_rate[m] = rate * rng.lognormal(0, 0.45, k)
        pop.invoice_size[m] = rng.lognormal(0, 0.45, k)
        pop.rate_growth[m] = rng.normal(0, 0.08, k)
        pop.size_growth[m] = rng.normal(0, 0.05, k)
        pop.payment_habit[m] = habit
        pop.receipt_probability[m] = receipts
        pop.delay_mean[m] = _punctual_delays(rng, k)

    # Chronic late payers: 24 to 75 days late on average, across the 30-day bound.
    m, k = _members(pop, LATE)
    pop.delay_mean[m] = rng.uniform(24, 75, k)

    # Good payers who turn late: from a day in the last three years their invoices are
    # paid 30 to 75 days late; whether the all-time average has crossed 30 days by the
    # as-of date depends on how long ago that was. Existing customers only.
    m, k = _members(pop, TURNED_LATE)
    pop.active_from[m] = START + u(rng, 0, 30, k)
    pop.first_anchor_day[m] = pop.active_from[m]
    pop.drift_day[m] = END - u(rng, 60, 1100, k)
    pop.drifted_delay_mean[m] = rng.uniform(30, 75, k)

    # Customers who come back: bought from the start, paused for 8 to 20 whole months,
    # back 1 to 20 months before the end (anchors on the last purchase before the
    # pause and the first after it).
    m, k = _members(pop, RETURNER)
    pop.active_from[m] = START + u(rng, 0, 30, k)
    pop.first_anchor_day[m] = pop.active_from[m]
    back_month = len(MONTH_START) - u(rng, 1, 20, k)
    pause_months = u(rng, 8, 20, k)
    first_paused = np.maximum(back_month - pause_months, 4)
    pop.pause_from[m] = MONTH_START[first_paused]
    pop.pause_until[m] = MONTH_START[back_month] - 1
    pop.second_anchor_day[m] = pop.pause_from[m] - u(rng, 1, 20, k)
    pop.first_anchor_day[m] = pop.pause_until[m] + u(rng, 1, 10, k)

    # Growing newcomers: a small trial purchase 20 to 400 days before the end (across
    # the 90-day New bound and up to the one-year Promising bound), then more and
    # bigger purchases.
    m, k = _members(pop, NEWCOMER)
    pop.active_from[m] = END - u(rng, 20, 400, k)
    pop.first_anchor_day[m] = pop.active_from[m]
    pop.purchase_rate[m] = 1.2 * rng.lognormal(0, 0.3, k)
    pop.invoice_size[m] = 0.7 * rng.lognormal(0, 0.3, k)
    # From the first (trial) purchase to the end date: 2 to 4x the rate, 1.5 to 3.5x the size.
    years = (END - pop.active_from[m]) / DAYS_PER_YEAR
    pop.rate_growth[m] = np.log(rng.uniform(2.0, 4.0, k)) / years
    pop.size_growth[m] = np.log(rng.uniform(1.5, 3.5, k)) / years
    pop.payment_habit[m] = PAYS_ON_TIME
    pop.delay_mean[m] = _punctual_delays(rng, k)

    # Gone-quiet big buyers: big and frequent from the start, last purchase 45 to 420 days
    # before the end (an anchor, so the silence starts exactly there): from barely
    # overdue to past the one-year Hibernating bound.
    m, k = _members(pop, GONE_QUIET)
    pop.active_from[m] = START + u(rng, 0, 45, k)
    pop.active_until[m] = END - u(rng, 45, 420, k)
    pop.first_anchor_day[m] = pop.active_from[m]
    pop.second_anchor_day[m] = pop.active_until[m]
    pop.purchase_rate[m] = 2.2 * rng.lognormal(0, 0.25, k)
    pop.invoice_size[m] = 2.0 * rng.lognormal(0, 0.25, k)

    # Decliners: still buying, but for the last year their sales fell to 5% to 70% of
    # the year before (across the halving that defines falling sales), split between
    # fewer purchases and smaller ones.
    m, k = _members(pop, DECLINER)
    pop.active_from[m] = START + u(rng, 0, 60, k)
    pop.decline_start[m] = END - u(rng, 455, 545, k)  # fully declined for the last 12 months
    pop.first_anchor_day[m] = pop.decline_start[m] - u(rng, 15, 60, k)  # full size, prior year
    pop.second_anchor_day[m] = END - u(rng, 5, 55, k)  # and still buying
    kept = rng.uniform(0.05, 0.7, k)
    rate_share = rng.uniform(0.3, 0.7, k)
    pop.declined_rate_factor[m] = kept**rate_share
    pop.declined_size_factor[m] = kept ** (1 - rate_share)
    pop.purchase_rate[m] = 1.7 * rng.lognormal(0, 0.25, k)
    pop.invoice_size[m] = 1.5 * rng.lognormal(0, 0.25, k)
    pop.receipt_probability[m] = 0.1

    # One-off small buyers: one small purchase (half of them a second one soon after),
    # 40 to 900 days ago: most long gone, a few still inside the 90-day New window.
    m, k = _members(pop, ONE_OFF)
    first = END - u(rng, 40, 900, k)
    second = np.where(rng.random(k) < 0.5, np.minimum(first + u(rng, 10, 60, k), END), -1)
    pop.first_anchor_day[m] = first
    pop.second_anchor_day[m] = second
    pop.active_from[m] = first
    pop.active_until[m] = np.maximum(first, second)
    pop.invoice_size[m] = 0.3 * rng.lognormal(0, 0.2, k)
    pop.receipt_probability[m] = 0.5

    # Sleepers: bought for a while, silent for the last 200 to 800 days (across the
    # 365-day Hibernating bound).
    m, k = _members(pop, SLEEPER)
    pop.active_from[m] = START + u(rng, 0, 300, k)
    pop.active_until[m] = np.maximum(END - u(rng, 200, 800, k), pop.active_from[m] + 60)
    pop.first_anchor_day[m] = pop.active_from[m]
    pop.second_anchor_day[m] = pop.active_until[m]
    pop.purchase_rate[m] = 0.8 * rng.lognormal(0, 0.35, k)
    pop.invoice_size[m] = 0.9 * rng.lognormal(0, 0.35, k)
    pop.receipt_probability[m] = 0.15

    # Unpaid newcomers: one or two purchases in the last 120 days (across the 90-day New
    # bound), never paid.
    m, k = _members(pop, UNPAID)
    first = END - u(rng, 0, 120, k)
    second = np.where(rng.random(k) < 0.5, np.minimum(first + u(rng, 3, 25, k), END), -1)
    pop.first_anchor_day[m] = first
    pop.second_anchor_day[m] = second
    pop.active_from[m] = first
    pop.active_until[m] = np.maximum(first, second)
    pop.invoice_size[m] = 0.8 * rng.lognormal(0, 0.2, k)
    pop.payment_habit[m] = NEVER_PAYS

    # Every planted delay varies from invoice to invoice.
    pop.delay_sd = np.where(np.isnan(pop.delay_mean), 0.0, _delay_spread(pop.delay_mean))


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
    pop.created_day[m] = pop.first_anchor_day[m] - u(rng, 0, 3, k)  # just before buying


def _draw_retainers(biz: Business, pop: Population, rng: np.random.Generator) -> None:
    """Retainer clients (businesses with a retainer item): billed monthly while active,
    so they buy half as often otherwise. Then the business's typical rate applies."""
    if biz.retainer_item is not None:
        size = pop.size
        eligible = np.isin(pop.behaviour, (CHAMPION, GOOD, LATE, GONE_QUIET, TURNED_LATE))
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
