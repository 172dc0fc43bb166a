"""The planted truth: which segment each customer's behaviour means on the as-of date,
and whether that is clear or ambiguous.

Behaviours are drawn from overlapping distributions (`population.py`), so a planted
customer can sit near, or across, the bound that defines its segment on the as-of date
(the demo's end date): a sleeper silent for 350 days is not yet "long inactive", a
chronic late payer averaging 28 days late does not "pay much later than its terms". Such
a customer's truth is `ambiguous`, and the evaluation (`evaluation.py`) leaves it out.

Everything here is decided from the planted parameters, what the customer was made to
do, never from the generated documents or by running the segment rules. The bounds are
the segment definitions' own (dbt vars, read through `ledgerlens.dbt_vars`); a customer
is ambiguous within a margin of a bound: MARGIN_DAYS for day counts, MARGIN_DELAY_DAYS
for a mean payment delay, MARGIN_RATIO (a factor) for ratios to the business's median.

`truth/planted_value.csv` holds the customers planted for profitability (`value.py`), one
row per customer and trait: business_id, customer_id, `trait`, `expected_value_class`,
`expected_account_id`, `certainty` and `note`. The traits are causes in the books, never
a copy of a value-class threshold; the expected class follows from the planted
parameters, with the same kind of margins as the segments':

* `costly` (rework and support hours, extra deliveries and other costs over the last
  year, `load` times its expected gross margin of the year): `unprofitable`; clear when
  the extra costs exceed the expected gross margin by `sales_margin` (MARGIN_RATIO, and
  more for a customer buying a few times a year, whose year's sales are a Poisson count
  of invoices), so that its contribution is negative whatever its sales did.
* `quiet` (pays on time, one short call a year, no rework): `key_account` when its
  expected sales are `sales_margin` times those of the business's last key customer
  (the key cut-off: rank ceil(N x key_account_top_share) among the N customers expected
  to buy in the year); otherwise `not_unprofitable` (key or core: its rank is not
  planted). Ambiguous when its expected gross margin, cut by `sales_margin`, does not
  cover a bad year's deliveries and reimbursements (`bad_year_costs`). Its effort share
  is low (a short call against the business's hours) whatever its class.
* `key_referrer` (quiet, sales at most half the key cut-off's, the referrer of 3 to 5 big
  buyers): `key_account` by referral; ambiguous when its referees' expected sales are
  under REFERRAL_MARGIN times the key cut-off's, or when it is small as above.
* `head_office` and `subsidiary`: no expected class; `expected_account_id` is the head
  office's id (always clear: it is in the customers table).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ledgerlens import dbt_vars
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
    NEWCOMER,
    ONE_OFF,
    PREPAYER,
    RETURNER,
    SLEEPER,
    TURNED_LATE,
    UNPAID,
)
from ledgerlens.demo.businesses import OTHER_PER_YEAR, OTHER_RANGE, REIMBURSEMENT_RANGE, Business
from ledgerlens.demo.dates import DAYS_PER_YEAR, END, MONTH_END, MONTH_START, N_MONTHS
from ledgerlens.demo.intensity import monthly_intensity, retainer_months
from ledgerlens.demo.population import Population, decline_ramp
from ledgerlens.demo.purchases import FADE

# A month either side of a day bound: purchases fall anywhere in their month.
MARGIN_DAYS = 30
# A customer's realised average delay wanders from its planted mean by a few days (noise,
# slipped invoices, the invoices not yet paid on the as-of date).
MARGIN_DELAY_DAYS = 8
# Realised purchases and sales of a year wander about 30% from their planted expectation
# (Poisson counts of a dozen or two purchases, lognormal invoice sizes).
MARGIN_RATIO = 1.3
# A silence counted in purchase cycles: the rules' cycle is the customer's realised mean
# gap, which wanders further from the planted one (seasons, the Poisson share of purchases).
MARGIN_CYCLES = 1.6

CLEAR, AMBIGUOUS = "clear", "ambiguous"
TRUTH_COLUMNS = ("business_id", "customer_id", "behaviour", "expected_segment", "certainty", "note")

# The segment a behaviour means when its truth is clear (growing newcomers who have paid
# nothing yet and good payers who turned late enough ago are decided per customer).
SEGMENT_OF = {
    CHAMPION: "Champion",
    GOOD: "Good",
    NEWCOMER: "Promising",
    GONE_QUIET: "Don't Lose Them",
    DECLINER: "Give Attention",
    ONE_OFF: "Possible Mismatch",
    SLEEPER: "Hibernating",
    LATE: "Late Payer",
    UNPAID: "New",
    PREPAYER: "Good",
    MONTHLY: "Good",
    GROWER: "Good",
    FADER: "Give Attention",
    TURNED_LATE: "Late Payer",
    RETURNER: "Good",
}


@dataclass
class PlantedTruth:
    """Per population index."""

    expected_segment: list[str]
    is_ambiguous: np.ndarray
    note: list[str]


def expected_year(
    biz: Business, pop: Population, rate_scale: float, years_ago: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Planted purchases and sales (in invoice-size units) expected in the year before
    the as-of date (`years_ago` 1: the year before that): the intensity of its 12 months
    times the invoice size of each month, plus retainer bills and anchor purchases."""
    intensity, _, _ = monthly_intensity(biz, pop, slice(None), rate_scale)
    last_year = slice(N_MONTHS - 12 * (years_ago + 1), N_MONTHS - 12 * years_ago)
    middle = (MONTH_START[last_year] + MONTH_END[last_year]) / 2
    size = (
        pop.invoice_size[:, None]
        * np.exp(pop.size_growth[:, None] * (middle - pop.active_from[:, None]) / DAYS_PER_YEAR)
        * (
            1.0
            + (pop.declined_size_factor[:, None] - 1.0)
            * decline_ramp(middle, pop.decline_start[:, None])
        )
    )
    purchases = intensity[:, last_year].sum(axis=1)
    sales = (intensity[:, last_year] * size).sum(axis=1)
    retainers = retainer_months(pop, slice(None))[:, last_year].sum(axis=1)
    purchases += retainers
    sales += retainers * pop.invoice_size
    for anchor in (pop.first_anchor_day, pop.second_anchor_day):
        recent = (anchor > END - 365 * (years_ago + 1)) & (anchor <= END - 365 * years_ago)
        purchases += recent
        sales += recent * pop.invoice_size
    return purchases, sales


def _ratio_to_median(values: np.ndarray, counted: np.ndarray) -> np.ndarray:
    positive = values[counted & (values > 0)]
    median = float(np.median(positive)) if len(positive) else 1.0
    return values / median


def planted_truth(biz: Business, pop: Population, rate_scale: float) -> PlantedTruth:
    """Expected segment, ambiguity and a note for every customer (see the module doc)."""
    rules = dbt_vars.load()
    new_days = rules["new_max_tenure_days"]
    promising_days = rules["promising_max_tenure_days"]
    hibernating_days = rules["hibernating_min_days"]
    late_days = rules["timeliness_days_bounds"][-1]  # T score 1: more than this
    champion_sales = rules["monetary_ratio_bounds"][0]  # M score 5
    champion_purchases = rules["frequency_ratio_bounds"][1]  # F score 4
    slipping_cycles = rules["recency_cycle_bounds"][1]  # R score 2 or less: beyond this
    falling_share = 1 + rules["falling_momentum"]  # TTM at most this share of the prior year

    behaviour = pop.behaviour
    purchases, sales = expected_year(biz, pop, rate_scale)
    # The planted pairs' bills are in currency, not invoice-size units: not in the medians.
    single = np.arange(pop.size) >= pop.n_paired
    purchase_ratio = _ratio_to_median(purchases, single)
    sales_ratio = _ratio_to_median(sales, single)
    monthly_rate = np.maximum(pop.purchase_rate * rate_scale, pop.rate_floor)
    monthly_rate = monthly_rate + pop.has_retainer
    cycle_days = 30.44 / np.maximum(monthly_rate, 1e-9)
    last_day = np.maximum(pop.second_anchor_day, pop.first_anchor_day)
    silence = END - np.where(np.isin(behaviour, (GONE_QUIET, SLEEPER)), pop.active_until, last_day)
    age = END - pop.active_from  # days since the first purchase
    paid_mean = np.nan_to_num(pop.delay_mean)

    segment = [SEGMENT_OF[b] for b in behaviour]
    ambiguous = np.zeros(pop.size, bool)
    note = [""] * pop.size

    def mark(mask: np.ndarray, text) -> None:
        """Mark customers ambiguous; `text(i)` says why (the first reason is kept)."""
        for i in np.nonzero(mask & ~ambiguous)[0]:
            note[i] = text(i)
        ambiguous[mask] = True

    # Turned-late payers: the all-time average delay over their paid invoices, by the
    # share of them due after the drift (invoices due in the last weeks are not paid yet).
    turned = behaviour == TURNED_LATE
    paid_until = END - np.nan_to_num(pop.drifted_delay_mean) - pop.payment_terms
    late_share = np.clip(
        (paid_until - pop.drift_day) / np.maximum(paid_until - pop.active_from, 1), 0, 1
    )
    average_delay = np.where(
        turned,
        late_share * np.nan_to_num(pop.drifted_delay_mean) + (1 - late_share) * paid_mean,
        paid_mean,
    )
    for i in np.nonzero(turned & (average_delay <= late_days - MARGIN_DELAY_DAYS))[0]:
        segment[i] = "Good"  # turned too recently to be late on average
    mark(
        turned & (np.abs(average_delay - late_days) < MARGIN_DELAY_DAYS),
        lambda i: (
            f"turned late: about {average_delay[i]:.0f} days late on average, near the"
            f" {late_days}-day Late Payer bound"
        ),
    )

    # Growing newcomers who have not paid their first invoice yet are New.
    newcomer = behaviour == NEWCOMER
    first_paid_age = pop.payment_terms + paid_mean  # days from the first purchase to payment
    for i in np.nonzero(newcomer & (age < first_paid_age))[0]:
        segment[i] = "New"
    mark(
        newcomer & (np.abs(age - first_paid_age) < 10),
        lambda i: f"first purchase {age[i]} days ago, about when its first invoice is paid",
    )
    mark(
        newcomer & (age < first_paid_age) & (age > new_days - MARGIN_DAYS),
        lambda i: f"first purchase {age[i]} days ago, near the {new_days}-day New bound",
    )
    mark(
        newcomer & (age > promising_days - MARGIN_DAYS),
        lambda i: (
            f"first purchase {age[i]} days ago, near the {promising_days}-day Promising bound"
        ),
    )
    mark(
        np.isin(behaviour, (UNPAID, ONE_OFF)) & (np.abs(age - new_days) < MARGIN_DAYS),
        lambda i: f"first purchase {age[i]} days ago, near the {new_days}-day New bound",
    )
    mark(
        (behaviour == ONE_OFF) & (age < new_days),
        lambda i: f"first purchase {age[i]} days ago: still new",
    )
    mark(
        (behaviour == UNPAID) & (age > new_days),
        lambda i: f"first purchase {age[i]} days ago: no longer new",
    )

    # Silences: against the one-year Hibernating bound and the customer's own cycle.
    quiet = np.isin(behaviour, (GONE_QUIET, SLEEPER))
    mark(
        quiet & (np.abs(silence - hibernating_days) < MARGIN_DAYS),
        lambda i: (
            f"silent for {silence[i]} days, near the {hibernating_days}-day Hibernating bound"
        ),
    )
    mark(
        (behaviour == GONE_QUIET) & (silence > hibernating_days),
        lambda i: f"silent for {silence[i]} days: long inactive",
    )
    mark(
        (behaviour == SLEEPER) & (silence < hibernating_days),
        lambda i: f"silent for {silence[i]} days: not yet long inactive",
    )
    mark(
        quiet & (silence < slipping_cycles * cycle_days * MARGIN_CYCLES),
        lambda i: (
            f"silent for {silence[i]} days, near {slipping_cycles} of its"
            f" {cycle_days[i]:.0f}-day purchase cycles"
        ),
    )

    mark(
        (behaviour == LATE) & (np.abs(paid_mean - late_days) < MARGIN_DELAY_DAYS),
        lambda i: (
            f"pays about {paid_mean[i]:.0f} days late on average, near the"
            f" {late_days}-day Late Payer bound"
        ),
    )
    # Falling sales: the planted TTM sales against the planted prior year's.
    _, prior_sales = expected_year(biz, pop, rate_scale, years_ago=1)
    kept = sales / np.maximum(prior_sales, 1e-9)
    mark(
        (behaviour == DECLINER) & (kept > falling_share / MARGIN_RATIO),
        lambda i: (
            f"sales fell to {kept[i]:.0%} of the prior year's, near the"
            f" {falling_share:.0%} bound of falling sales"
        ),
    )
    # A fader's invoices shrink geometrically to FADE of the first over its window.
    fader = behaviour == FADER
    window_years = np.maximum(pop.active_until - pop.active_from, 1) / 365
    fader_kept = FADE ** (1 / window_years)
    mark(
        fader & (fader_kept > falling_share / MARGIN_RATIO),
        lambda i: (
            f"sales fall to about {fader_kept[i]:.0%} of the year before's, near the"
            f" {falling_share:.0%} bound of falling sales"
        ),
    )
    mark(
        (behaviour == RETURNER) & (END - pop.pause_until < 120),
        lambda i: f"came back {END - pop.pause_until[i]} days ago: too few purchases since",
    )

    # Champions against the good customers: TTM sales and purchases against the business's
    # median customer, the bounds of M 5 and F 4.
    is_good = np.array([s == "Good" for s in segment]) & single
    mark(
        is_good & (kept < falling_share * MARGIN_RATIO),
        lambda i: (
            f"sales {kept[i]:.0%} of the prior year's, near the {falling_share:.0%}"
            " bound of falling sales"
        ),
    )
    big = (sales_ratio > champion_sales / MARGIN_RATIO) & (
        purchase_ratio > champion_purchases / MARGIN_RATIO
    )
    mark(
        is_good & big,
        lambda i: (
            f"sales {sales_ratio[i]:.1f}x and purchases {purchase_ratio[i]:.1f}x the"
            " median customer's: near a Champion"
        ),
    )
    mark(
        is_good & (paid_mean > late_days - MARGIN_DELAY_DAYS),
        lambda i: (
            f"pays about {paid_mean[i]:.0f} days late on average, near the"
            f" {late_days}-day Late Payer bound"
        ),
    )
    small = (sales_ratio < champion_sales * MARGIN_RATIO) | (
        purchase_ratio < champion_purchases * MARGIN_RATIO
    )
    mark(
        (behaviour == CHAMPION) & small,
        lambda i: (
            f"sales {sales_ratio[i]:.1f}x and purchases {purchase_ratio[i]:.1f}x the"
            " median customer's: near the Champion bounds"
        ),
    )
    return PlantedTruth(expected_segment=segment, is_ambiguous=ambiguous, note=note)


def truth_table(
    biz: Business, pop: Population, order: np.ndarray, ids: pa.Array, truth: PlantedTruth
) -> pa.Table:
    """The truth rows, in customer-id order (`order`: population indexes)."""
    index = pa.array(order)
    return pa.table(
        {
            "business_id": pa.repeat(biz.business_id, pop.size),
            "customer_id": pc.take(ids, index),
            "behaviour": pc.take(pa.array(BEHAVIOURS), pa.array(pop.behaviour[order])),
            "expected_segment": pc.take(pa.array(truth.expected_segment), index),
            "certainty": pc.take(
                pa.array([CLEAR, AMBIGUOUS]), pa.array(truth.is_ambiguous[order].astype(np.int8))
            ),
            "note": pc.take(pa.array(truth.note), index),
        }
    )


# --------------------------------------------------------------------------- planted value

TRAITS = ("costly", "quiet", "key_referrer", "head_office", "subsidiary")
COSTLY, QUIET, KEY_REFERRER, HEAD_OFFICE, SUBSIDIARY = range(len(TRAITS))
VALUE_TRUTH_COLUMNS = (
    "business_id",
    "customer_id",
    "trait",
    "expected_value_class",
    "expected_account_id",
    "certainty",
    "note",
)
# Expected classes: the value classes of marts.customer_profitability, and
# `not_unprofitable` (key_account or core: a quiet customer's rank among the key accounts
# is not planted, only that it earns more than it costs).
NOT_UNPROFITABLE = "not_unprofitable"
# A customer's realised sales of a year wander from the planted expectation by MARGIN_RATIO,
# and more when it buys only a few times a year (Poisson: about 1/sqrt(n) relative spread).
POISSON_SPREADS = 3.0
# A key referrer's referees' expected sales against the key cut-off's (several customers:
# their noise partly cancels; their margins and costs are not the cut-off customer's).
REFERRAL_MARGIN = 2.0


def sales_margin(purchases: np.ndarray) -> np.ndarray:
    """The factor a year's realised sales may plausibly reach above (or fall below) the
    planted expectation, for a customer expected to buy `purchases` times in the year."""
    return MARGIN_RATIO * (1 + POISSON_SPREADS / np.sqrt(np.maximum(purchases, 1.0)))


def bad_year_costs(biz: Business, purchases: np.ndarray) -> np.ndarray:
    """What the costs every customer has (deliveries, reimbursements, other costs; no
    staff time: a quiet customer has one short call) may plausibly reach in a year, in
    cents: their expected number of entries plus two Poisson standard deviations, each
    at the dearest amount."""

    def bad(entries: np.ndarray | float, dearest: int) -> np.ndarray:
        return (entries + 2 * np.sqrt(entries)) * dearest

    return (
        bad(purchases * biz.deliveries_per_invoice, biz.delivery_cost_range[1])
        + bad(biz.reimbursements_per_year, REIMBURSEMENT_RANGE[1])
        + bad(OTHER_PER_YEAR, OTHER_RANGE[1])
    )


def planted_value_truth(biz: Business, attrs, plants) -> pa.Table:
    """`truth/planted_value.csv` rows of one business, in customer-id order (see the
    module doc): `attrs` are the customers' (`customers.CustomerAttributes`), `plants`
    the business's `value.ValuePlants`."""
    customer = plants.customer
    sales = plants.expected_sales
    margin = sales_margin(plants.expected_purchases)
    cut = plants.key_cut_sales
    bad_costs = bad_year_costs(biz, plants.expected_purchases)
    rows = []  # (population index, trait, expected class, account, ambiguous, note)
    for k, i in enumerate(customer):
        trait = int(plants.trait[k])
        if trait == COSTLY:
            gross_margin = plants.gross_margin_share * sales[k]
            ratio = plants.extra_cost[k] / max(gross_margin, 1.0)
            rows.append(
                (
                    i,
                    trait,
                    "unprofitable",
                    None,
                    ratio < margin[k],
                    f"rework, support and special demands of {ratio:.1f}x its expected"
                    f" gross margin of the last year ({gross_margin / 100:,.0f}"
                    f" {biz.currency})"
                    + ("" if ratio >= margin[k] else ": its margin may cover them"),
                )
            )
            continue
        # Quiet customers and the key referrer earn more than they cost unless their
        # margin is small enough for a bad year's deliveries and reimbursements.
        gross_margin = plants.gross_margin_share * sales[k] / margin[k]
        small = gross_margin < bad_costs[k]
        small_note = "; small: a bad year's deliveries may outweigh its margin" if small else ""
        if trait == QUIET:
            key = sales[k] >= cut * margin[k]
            rows.append(
                (
                    i,
                    trait,
                    "key_account" if key else NOT_UNPROFITABLE,
                    None,
                    small,
                    "pays on time, one short call a year; expected sales of the last year"
                    f" {sales[k] / max(cut, 1.0):.2f}x the key cut-off's" + small_note,
                )
            )
        else:  # KEY_REFERRER
            referred = plants.referred_sales[k]
            rows.append(
                (
                    i,
                    trait,
                    "key_account",
                    None,
                    small or referred < REFERRAL_MARGIN * cut,
                    f"quiet, expected sales {sales[k] / max(cut, 1.0):.2f}x the key cut-off's;"
                    f" referred {plants.n_referred[k]:.0f} customers expected to buy"
                    f" {referred / max(cut, 1.0):.1f}x the key cut-off's" + small_note,
                )
            )
    heads = np.unique(attrs.parent[attrs.parent >= 0])
    for head in heads:
        subsidiaries = np.nonzero(attrs.parent == head)[0]
        head_id = attrs.ids[int(head)].as_py()
        rows.append((head, HEAD_OFFICE, None, head_id, False, f"{len(subsidiaries)} subsidiaries"))
        for subsidiary in subsidiaries:
            rows.append((subsidiary, SUBSIDIARY, None, head_id, False, f"of {head_id}"))
    index = np.array([row[0] for row in rows], np.int64)
    ids = pc.take(attrs.ids, pa.array(index)).to_pylist() if len(rows) else []
    order = sorted(range(len(rows)), key=lambda r: (ids[r], rows[r][1]))
    return pa.table(
        {
            "business_id": pa.array([biz.business_id] * len(rows), pa.string()),
            "customer_id": pa.array([ids[r] for r in order], pa.string()),
            "trait": pa.array([TRAITS[rows[r][1]] for r in order], pa.string()),
            "expected_value_class": pa.array([rows[r][2] for r in order], pa.string()),
            "expected_account_id": pa.array([rows[r][3] for r in order], pa.string()),
            "certainty": pa.array([AMBIGUOUS if rows[r][4] else CLEAR for r in order], pa.string()),
            "note": pa.array([rows[r][5] for r in order], pa.string()),
        }
    )
