"""Customers planted for profitability: their value is known by construction.

Per business, on a random stream of its own (so no draw of the other tables moves), a
few customers are given a cause in the books, whatever their buying behaviour:

* costly (any behaviour, buying for more than a year, sales up to the business's upper
  quartile): heavy rework and support hours and special demands (extra deliveries, other
  costs) over the last eleven months, `load` (1.5 to 6) times the customer's expected
  gross margin of the last year; its rework and support hours are 5 to 15 times a
  customer's yearly average (at most 70% of the extra cost), so a handful of costly
  customers take a share of the business's hours, not most of them;
* quiet (customers who pay on time: early payers, or a planted delay of 5 days at most
  and no drift; buying all year): their support and rework entries are dropped (all
  time), and they get one short call (30 to 90 minutes) in the last year; the biggest
  such customer and about 2% of the customers at random;
* a key referrer: a quiet customer of modest sales (half the key cut-off's at most),
  created early, whose margin covers a bad year's deliveries where some customer's
  does; 3 to 5 big buyers (upper quartile of expected sales) created after it and not
  referred yet are set to name it in `referred_by_customer_id` (channel `referral`);
* the head offices and subsidiaries that `customers.py` makes (one head office has two
  or more subsidiaries) are left out of the others.

Expected sales are estimated from the planted parameters (purchases, invoice sizes,
catalogue prices and costs), never read from the generated documents;
`truth.planted_value_truth` decides from them which class each planted customer should
land in, and whether that is clear. A business too small to have eligible customers
gets fewer traits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ledgerlens.demo.behaviours import (
    FADER,
    GROWER,
    MONTHLY,
    NEVER_PAYS,
    PAYS_EARLY,
    PAYS_ON_TIME,
    PREPAYER,
    TURNED_LATE,
)
from ledgerlens.demo.businesses import Business
from ledgerlens.demo.costs import DELIVERY, OTHER, REWORK, SUPPORT
from ledgerlens.demo.customers import CHANNELS, REFERRAL, CustomerAttributes
from ledgerlens.demo.dates import DAYS_PER_YEAR, END, START
from ledgerlens.demo.document_kinds import SECOND_LINE_PROBABILITY
from ledgerlens.demo.draws import uniform_integers
from ledgerlens.demo.intensity import retainer_months
from ledgerlens.demo.population import NO_DECLINE, Population
from ledgerlens.demo.truth import (
    COSTLY,
    KEY_REFERRER,
    QUIET,
    bad_year_costs,
    expected_year,
    sales_margin,
)

# Planted costs fall in [END - 330, END - 10]: inside the last year whatever day of the
# last ten the as-of date (the latest sale) falls on.
COST_WINDOW = (END - 330, END - 10)
COSTLY_LOAD = (1.5, 6.0)  # extra cost / expected gross margin of the last year, uniform
# A costly customer's rework and support hours: this many times the support hours a
# customer gets in a year on average (`costs.py`: support_entries_per_month entries of
# 1 to 24 quarter hours), at most STAFF_SHARE_MAX of its extra cost; rework takes
# REWORK_SHARE of them. The rest of the extra cost is special demands: extra deliveries
# (DELIVERY_SHARE) and other costs. So a handful of costly customers take a share of the
# business's hours, not most of them, however big their margin.
COSTLY_HOURS_FACTOR = (5.0, 15.0)
MEAN_SUPPORT_HOURS = 12.5 / 4
STAFF_SHARE_MAX = 0.7
REWORK_SHARE = 0.6
DELIVERY_SHARE = 0.55
# Costly customers are picked among those whose expected sales are at most this quantile
# of the business's.
COSTLY_MAX_SALES_QUANTILE = 0.75
# A quiet customer buys at least this often in the last year (expected purchases), so
# that a stray delivery or reimbursement cannot outweigh its margin.
QUIET_MIN_PURCHASES = 4.0
REFEREES = (3, 5)  # big buyers a key referrer brought in
# Mean of a line's quantity noise per unit (`lines.py`: quarter hours x exp(0.35 z), whole
# units x exp(0.5 z) rounded and at least 1, lump sums x exp(0.25 z)), and of an invoice's
# size noise with the odd stock-up (`documents.py`).
UNIT_NOISE = {"hour": 1.06, "int": 1.13, "lump": 1.03, "sub": 1.0}
SIZE_NOISE = 1.10


@dataclass
class ValuePlants:
    """Planted customers (population indexes) and the extra cost rows of the business."""

    customer: np.ndarray  # population index of each planted customer
    trait: np.ndarray  # index into truth.TRAITS
    is_quiet: np.ndarray  # per population index: support and rework rows are dropped
    # Per planted customer (NaN where it does not apply):
    extra_cost: np.ndarray  # cents: the planted rows' amounts (costly: its load)
    gross_margin_share: float  # the business's expected gross margin / net sales
    expected_sales: np.ndarray  # cents, the last year's, home currency
    expected_purchases: np.ndarray  # the last year's
    referred_sales: np.ndarray  # key referrer: its referees' expected sales (cents)
    n_referred: np.ndarray  # key referrer: referees planted
    key_cut_sales: float  # expected sales of the business's last key customer (cents)
    # Extra cost rows: population index, day, category (costs.COST_CATEGORIES), amount in
    # cents, hours in hundredths (-1: none).
    cost_customer: np.ndarray
    cost_day: np.ndarray
    cost_category: np.ndarray
    cost_amount: np.ndarray
    cost_hours: np.ndarray


def gross_margin_share(biz: Business) -> float:
    """Expected gross margin / net sales of a regular line: catalogue prices and costs
    weighted by how often an item is picked; a line of unknown cost adds no cost."""
    regular = biz.catalogue
    weight = np.array([item.pick_weight * item.typical_quantity for item in regular])
    price = np.array([item.list_price for item in regular], float)
    cost = np.array([item.unit_cost or 0 for item in regular], float)
    known = (weight * cost).sum() / (weight * price).sum()
    return float(1.0 - known * (1.0 - biz.blank_cost_probability))


def expected_sales_last_year(
    biz: Business, pop: Population, rate_scale: float
) -> tuple[np.ndarray, np.ndarray]:
    """Expected purchases and net sales (cents, home currency) of the year before the
    as-of date, from the planted parameters: the invoice-size units of `expected_year`
    priced at the catalogue's mean line value and the lines an invoice of that size
    carries; retainer bills and subscriptions at their own prices."""
    purchases, units = expected_year(biz, pop, rate_scale)
    regular = biz.catalogue
    weight = np.array([item.pick_weight for item in regular])
    line_value = np.array(
        [item.list_price * item.typical_quantity * UNIT_NOISE[item.unit] for item in regular]
    )
    mean_line_value = float((weight * line_value).sum() / weight.sum()) * SIZE_NOISE
    inflation = biz.yearly_inflation ** ((END - 182 - START) / DAYS_PER_YEAR)
    price = inflation * pop.price_factor
    retainers = retainer_months(pop, slice(None))[:, -12:].sum(axis=1)
    sales = (
        (units - retainers * pop.invoice_size)
        * biz.mean_lines_per_invoice(pop.invoice_size)
        * mean_line_value
        * price
    )
    if biz.retainer_item is not None:
        extra = next((item for item in regular if item.code == biz.retainer_extra_item_code), None)
        extra_value = 0.0 if extra is None else extra.list_price * extra.typical_quantity
        bill = (
            pop.retainer_hours * biz.retainer_item.list_price
            + SECOND_LINE_PROBABILITY * extra_value * pop.invoice_size
        )
        sales += retainers * bill * price
    subscription = np.isin(pop.behaviour, (PREPAYER, MONTHLY))
    sales = np.where(subscription, 12 * pop.contract_dollars * 100.0, sales)
    purchases = np.where(pop.behaviour == MONTHLY, 12, np.where(subscription, 1, purchases))
    identical = np.isin(pop.behaviour, (GROWER, FADER))
    years = np.maximum(pop.active_until - pop.active_from, 1) / DAYS_PER_YEAR
    per_year = pop.scheduled_purchases / years
    sales = np.where(
        identical,
        per_year
        * pop.invoice_size
        * biz.mean_lines_per_invoice(pop.invoice_size)
        * mean_line_value
        * price,
        sales,
    )
    purchases = np.where(identical, per_year, purchases)
    return purchases, np.maximum(sales, 0.0)


def plant_value(
    biz: Business,
    pop: Population,
    attrs: CustomerAttributes,
    rate_scale: float,
    key_share: float,
    rng: np.random.Generator,
) -> ValuePlants:
    """Pick and plant the customers (see the module doc); sets the key referrer's
    referees' `referred_by` and channel in `attrs`. `key_share`: the share of active
    customers that are key accounts by their own contribution (dbt var)."""
    u = uniform_integers
    size = pop.size
    purchases, sales = expected_sales_last_year(biz, pop, rate_scale)
    single = np.arange(size) >= pop.n_paired
    active = purchases >= 0.5
    n_active = max(int(active.sum()), 1)
    ranked = np.sort(sales[active])[::-1]
    key_cut = float(ranked[min(int(np.ceil(n_active * key_share)), len(ranked)) - 1])

    in_account = (attrs.parent >= 0) | np.isin(np.arange(size), attrs.parent)
    taken = in_account | ~single | pop.is_foreign
    # Pays on time: an early payer, or a planted delay of a few days and no drift.
    punctual = (
        (pop.payment_habit == PAYS_EARLY)
        | ((pop.payment_habit == PAYS_ON_TIME) & (np.nan_to_num(pop.delay_mean) <= 5))
    ) & (pop.behaviour != TURNED_LATE)
    buying_all_year = (
        (pop.active_from <= END - 400)
        & (pop.active_until >= END - 30)
        & ((pop.pause_from == NO_DECLINE) | (pop.pause_until < END - 365))
    )
    can_be_quiet = punctual & buying_all_year & (purchases >= QUIET_MIN_PURCHASES)

    def pick(mask: np.ndarray, k: int) -> np.ndarray:
        pool = np.nonzero(mask & ~taken)[0]
        chosen = np.sort(rng.choice(pool, min(k, len(pool)), replace=False))
        taken[chosen] = True
        return chosen

    # The key referrer: quiet, modest sales, created early enough to have referred
    # others; its referees are big buyers created after it, not referred yet.
    # Modest: half the key cut-off's sales at most; created early, so that many were
    # created after it; its own margin outweighs a bad year's deliveries where some
    # customer's does.
    modest = (
        can_be_quiet
        & (sales <= key_cut / 2)
        & (pop.created_day <= np.quantile(pop.created_day, 1 / 3))
    )
    margin_share = gross_margin_share(biz)
    sure = margin_share * sales / sales_margin(purchases) >= bad_year_costs(biz, purchases)
    referrer = pick(modest & sure if (modest & sure & ~taken).any() else modest, 1)
    referees = np.zeros(0, np.int64)
    if len(referrer):
        r = int(referrer[0])
        pool = np.nonzero(
            ~taken
            & (pop.created_day > pop.created_day[r])
            & (attrs.referred_by < 0)
            & (pop.active_until >= END - 30)
            & (pop.payment_habit != NEVER_PAYS)
            & (sales >= np.quantile(sales[active], 0.75))
        )[0]
        pool = rng.permutation(pool)
        n_referees = int(u(rng, *REFEREES, 1)[0])
        referees = np.sort(pool[:n_referees])
        taken[referees] = True
        attrs.referred_by[referees] = r
        attrs.channel_code[referees] = REFERRAL
        attrs.channel = pc.take(pa.array([*CHANNELS, None]), pa.array(attrs.channel_code))
    # One big quiet customer (the biggest eligible one), then a few at random.
    big = np.nonzero(can_be_quiet & ~taken)[0]
    big = big[np.argsort(-sales[big], kind="stable")[:1]]
    taken[big] = True
    quiet = np.sort(np.concatenate([big, pick(can_be_quiet, max(2, round(0.02 * size)))]))
    # Costly customers: any behaviour, buying for more than a year and in the last one
    # (a newcomer's or a returner's sales of the year are too uncertain to plant against).
    costly = pick(
        (pop.active_from <= END - 400)
        & (pop.active_until >= END - 200)
        & ((pop.pause_from == NO_DECLINE) | (pop.pause_until < END - 365))
        & (sales <= np.quantile(sales[active], COSTLY_MAX_SALES_QUANTILE)),
        max(2, round(0.015 * size)),
    )

    customer = np.concatenate([costly, quiet, referrer])
    trait = np.concatenate(
        [
            np.full(len(costly), COSTLY),
            np.full(len(quiet), QUIET),
            np.full(len(referrer), KEY_REFERRER),
        ]
    )
    n = len(customer)
    load = rng.uniform(*COSTLY_LOAD, len(costly))
    is_quiet = np.zeros(size, bool)
    is_quiet[np.concatenate([quiet, referrer])] = True

    # Extra cost rows. Costly: the load times the expected gross margin (at least 10 hours'
    # staff time), split between rework and support hours (in quarter hours of staff
    # time) and special demands (delivery and other), in 2-12 entries per category over
    # the cost window.
    hourly = biz.support_hourly_cost
    rows = []  # (customer, category, amount cents, hours hundredths)
    extra = np.maximum(load * margin_share * sales[costly], 10 * hourly)
    typical_hours = biz.support_entries_per_month * 12 * MEAN_SUPPORT_HOURS
    staff = np.minimum(
        rng.uniform(*COSTLY_HOURS_FACTOR, len(costly)) * typical_hours * hourly,
        STAFF_SHARE_MAX * extra,
    )
    demands = extra - staff
    for category, amount_of in (
        (REWORK, REWORK_SHARE * staff),
        (SUPPORT, (1 - REWORK_SHARE) * staff),
        (DELIVERY, DELIVERY_SHARE * demands),
        (OTHER, (1 - DELIVERY_SHARE) * demands),
    ):
        entries = u(rng, 2, 12, len(costly))
        who = np.repeat(costly, entries)
        weights = rng.uniform(0.5, 1.5, len(who))
        group_total = np.repeat(np.add.reduceat(weights, np.cumsum(entries) - entries), entries)
        amount = np.repeat(amount_of, entries) * weights / group_total
        if category in (REWORK, SUPPORT):
            quarters = np.maximum(np.rint(amount * 4 / hourly), 1).astype(np.int64)
            rows.append((who, category, quarters * hourly // 4, quarters * 25))
        else:
            rows.append((who, category, np.rint(amount).astype(np.int64), np.full(len(who), -1)))
    # Quiet customers: one short call (30 to 90 minutes) in the last year.
    calm = np.nonzero(is_quiet)[0]
    quarters = u(rng, 2, 6, len(calm))
    rows.append((calm, SUPPORT, quarters * hourly // 4, quarters * 25))
    cost_customer = np.concatenate([r[0] for r in rows]).astype(np.int64)
    cost_category = np.concatenate([np.full(len(r[0]), r[1]) for r in rows]).astype(np.int64)
    cost_amount = np.concatenate([r[2] for r in rows]).astype(np.int64)
    cost_hours = np.concatenate([r[3] for r in rows]).astype(np.int64)
    first_day = np.maximum(COST_WINDOW[0], pop.active_from[cost_customer])
    cost_day = first_day + (
        rng.random(len(cost_customer)) * (COST_WINDOW[1] - first_day + 1)
    ).astype(np.int64)

    referred_sales = np.full(n, np.nan)
    n_referred = np.full(n, np.nan)
    if len(referrer):
        referred_sales[-1] = sales[referees].sum()
        n_referred[-1] = len(referees)
    return ValuePlants(
        customer=customer,
        trait=trait,
        is_quiet=is_quiet,
        gross_margin_share=margin_share,
        extra_cost=np.bincount(cost_customer, cost_amount, minlength=size)[customer],
        expected_sales=sales[customer],
        expected_purchases=purchases[customer],
        referred_sales=referred_sales,
        n_referred=n_referred,
        key_cut_sales=key_cut,
        cost_customer=cost_customer,
        cost_day=cost_day,
        cost_category=cost_category,
        cost_amount=cost_amount,
        cost_hours=cost_hours,
    )
