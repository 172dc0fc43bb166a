"""Customer costs: what winning and serving each customer cost the business.

Acquisition (by channel), onboarding, support (more for demanding behaviours), delivery
(per invoice), rework after a credit note, reimbursements and other costs. Staff time is
costed in quarter hours at the business's support rate. The customers planted for
profitability (`value.py`) change them last: quiet customers lose their support and
rework, costly ones get their extra rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ledgerlens.demo.behaviours import CHAMPION, DECLINER, LATE, ONE_OFF
from ledgerlens.demo.businesses import OTHER_PER_YEAR, OTHER_RANGE, REIMBURSEMENT_RANGE, Business
from ledgerlens.demo.customers import CustomerAttributes
from ledgerlens.demo.dates import END
from ledgerlens.demo.draws import days_between, uniform_integers
from ledgerlens.demo.ids import DocumentCounters, padded_ids
from ledgerlens.demo.population import Population
from ledgerlens.demo.settlement import CustomerActivity
from ledgerlens.demo.writing import Days, FixedPoint, TableWriters, Text, repeated_text

if TYPE_CHECKING:
    from ledgerlens.demo.value import ValuePlants

COST_CATEGORIES = pa.array(
    ["acquisition", "onboarding", "support", "delivery", "rework", "reimbursement", "other"]
)
ACQUISITION, ONBOARDING, SUPPORT, DELIVERY, REWORK, REIMBURSEMENT, OTHER = range(7)
# Acquisition cost range per channel (customers.CHANNELS, then blank), in cents before
# the business's acquisition scale.
CHANNEL_COST = (
    (5_000, 30_000),
    (8_000, 60_000),
    (40_000, 300_000),
    (20_000, 150_000),
    (60_000, 400_000),
    (10_000, 100_000),
)
DAYS_PER_MONTH = 30.44


def write_costs(
    biz: Business,
    pop: Population,
    attrs: CustomerAttributes,
    first: int,
    stop: int,
    rng: np.random.Generator,
    activity: CustomerActivity,
    credited_customer: np.ndarray,
    credit_day: np.ndarray,
    counters: DocumentCounters,
    writers: TableWriters,
    plants: ValuePlants,
) -> None:
    """Write the costs of the customers [first, stop); `credited_customer` and
    `credit_day` are the block's credit notes tied to an invoice (block customer index).
    The planted customers' (`value.py`) rows are added last: the block's draws are the
    same with or without them."""
    u = uniform_integers
    n_customers = stop - first
    rows = slice(first, stop)
    behaviour = pop.behaviour[rows]
    created_day = pop.created_day[rows]
    hourly = biz.support_hourly_cost
    active_months = (activity.activity_end - activity.first_day + 1) / DAYS_PER_MONTH
    parts = []  # (customer, day, category, amount in cents, hours in hundredths or -1)

    def add(customer, day, category, amount, hours=None):
        hours = np.full(len(customer), -1, np.int64) if hours is None else hours
        parts.append(
            (customer, day, np.full(len(customer), category), amount.astype(np.int64), hours)
        )

    def while_active(customer):
        """A random day of each customer's activity."""
        return days_between(rng, activity.first_day[customer], activity.activity_end[customer])

    def staff_time(customer, min_quarters, max_quarters):
        """Cost in cents and hours in hundredths of a random number of quarter hours."""
        quarters = u(rng, min_quarters, max_quarters, len(customer))
        return quarters * hourly // 4, quarters * 25

    # Acquisition, shortly before the customer record was created; sometimes with hours.
    customer = np.nonzero(rng.random(n_customers) < 0.85)[0]
    cost_range = np.array(CHANNEL_COST, float)[attrs.channel_code[first + customer]]
    amount = np.rint(rng.uniform(cost_range[:, 0], cost_range[:, 1]) * biz.acquisition_scale)
    hours = np.where(rng.random(len(customer)) < 0.25, u(rng, 2, 40, len(customer)) * 25, -1)
    day = np.minimum(created_day[customer] - u(rng, 0, 21, len(customer)), END)
    add(customer, day, ACQUISITION, amount, hours)

    customer = np.nonzero(
        rng.random(n_customers) < (0.7 if biz.support_entries_per_month >= 0.25 else 0.35)
    )[0]
    amount, hours = staff_time(customer, 8, 64)
    day = np.minimum(created_day[customer] + u(rng, 0, 30, len(customer)), END)
    add(customer, day, ONBOARDING, amount, hours)

    weight = np.select(
        [behaviour == CHAMPION, behaviour == LATE, behaviour == DECLINER, behaviour == ONE_OFF],
        [2.0, 1.5, 1.3, 0.3],
        1.0,
    )
    repeats = rng.poisson(active_months * biz.support_entries_per_month * weight)
    customer = np.repeat(np.arange(n_customers), repeats)
    amount, hours = staff_time(customer, 1, 24)
    add(customer, while_active(customer), SUPPORT, amount, hours)

    repeats = rng.poisson(activity.n_documents * biz.deliveries_per_invoice)
    customer = np.repeat(np.arange(n_customers), repeats)
    low, high = biz.delivery_cost_range
    add(customer, while_active(customer), DELIVERY, np.rint(rng.uniform(low, high, len(customer))))

    # Rework after half of the credit notes tied to an invoice.
    pick = rng.random(len(credited_customer)) < 0.5
    customer = credited_customer[pick]
    day = np.minimum(credit_day[pick] + u(rng, 0, 10, int(pick.sum())), END)
    amount, hours = staff_time(customer, 4, 48)
    add(customer, day, REWORK, amount, hours)

    years = active_months / 12
    for category, per_year, (low, high) in (
        (REIMBURSEMENT, biz.reimbursements_per_year, REIMBURSEMENT_RANGE),
        (OTHER, OTHER_PER_YEAR, OTHER_RANGE),
    ):
        customer = np.repeat(np.arange(n_customers), rng.poisson(years * per_year))
        add(
            customer,
            while_active(customer),
            category,
            np.rint(rng.uniform(low, high, len(customer))),
        )

    # Planted value: quiet customers' support and rework go (their one short call is
    # among the planted rows), and the planted rows of the block's customers come in.
    for k, (customer, day, category, amount, hours) in enumerate(parts):
        keep = ~(plants.is_quiet[first + customer] & np.isin(category, (SUPPORT, REWORK)))
        parts[k] = (customer[keep], day[keep], category[keep], amount[keep], hours[keep])
    mine = (plants.cost_customer >= first) & (plants.cost_customer < stop)
    parts.append(
        (
            plants.cost_customer[mine] - first,
            plants.cost_day[mine],
            plants.cost_category[mine],
            plants.cost_amount[mine],
            plants.cost_hours[mine],
        )
    )

    customer = np.concatenate([part[0] for part in parts])
    day = np.concatenate([part[1] for part in parts])
    category = np.concatenate([part[2] for part in parts])
    amount = np.concatenate([part[3] for part in parts])
    hours = np.concatenate([part[4] for part in parts])
    order = np.lexsort((customer, day))  # by day, then customer
    customer, day, category = customer[order], day[order], category[order]
    amount, hours = amount[order], hours[order]
    n = len(customer)
    ids = padded_ids("COST-", counters.costs + np.arange(1, n + 1), 7)
    counters.costs += n
    writers.write(
        "customer_costs",
        {
            "business_id": repeated_text(biz.business_id, n),
            "cost_id": Text(ids),
            "customer_id": Text(pc.take(attrs.ids, pa.array(first + customer))),
            "cost_date": Days(day),
            "category": Text(pc.take(COST_CATEGORIES, pa.array(category))),
            "amount": FixedPoint(amount, 2),
            "hours": FixedPoint(np.maximum(hours, 0), 2, hours < 0),
        },
    )
