"""How a block's invoices are settled: voids, credit notes, payments and allocations.

Per invoice the order of events is: maybe voided; maybe a credit note tied to it before
it falls due; then paid according to the customer's habit, in one payment, in two
instalments, or together with the customer's next invoice in one payment; or not at
all (never-payers, and payments that would fall after the end date). Apart from that,
customers make a few advance payments not matched to any invoice, and receive a few
general (goodwill) credit notes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ledgerlens.demo.behaviours import NEVER_PAYS, PAYS_EARLY, PAYS_LATE, PAYS_ON_TIME
from ledgerlens.demo.businesses import Business
from ledgerlens.demo.dates import END
from ledgerlens.demo.document_kinds import REGULAR_ORDER, RETAINER_BILL
from ledgerlens.demo.draws import days_between, uniform_integers
from ledgerlens.demo.population import Population

# Invoice status codes, indexes into documents.STATUSES.
OPEN, PAID, VOID = range(3)


@dataclass
class InvoiceSettlement:
    """Per invoice of a block, plus the payments and allocations that settle them."""

    status: np.ndarray  # OPEN / PAID / VOID
    is_void: np.ndarray
    has_credit_note: np.ndarray  # a credit note tied to the invoice
    credit_day: np.ndarray  # of that credit note (drawn for every invoice)
    credit_amount: np.ndarray  # cents, before tax
    credit_tax: np.ndarray  # cents
    payment_customer: np.ndarray  # block customer index of each payment
    payment_day: np.ndarray
    payment_amount: np.ndarray  # cents
    allocation_payment: np.ndarray  # index into the payments
    allocation_invoice: np.ndarray  # index into the invoices
    allocation_amount: np.ndarray  # cents


def settle_invoices(
    pop: Population,
    rng: np.random.Generator,
    is_first_block: bool,
    customer: np.ndarray,
    pop_index: np.ndarray,
    day: np.ndarray,
    due_day: np.ndarray,
    kind: np.ndarray,
    is_anchor: np.ndarray,
    is_receipt: np.ndarray,
    subtotal: np.ndarray,
    total: np.ndarray,
) -> InvoiceSettlement:
    """Voids, tied credit notes, payments and allocations of a block's documents
    (sorted by customer and day; `pop_index` is each one's customer in the population)."""
    u = uniform_integers
    n = len(day)
    habit = pop.payment_habit[pop_index]
    is_protected = pop.is_protected[pop_index]
    is_invoice = ~is_receipt
    terms = pop.payment_terms[pop_index]

    # Status-changing events. Anchors are never voided: they pin a behaviour down.
    is_void = (
        (rng.random(n) < 0.02)
        & ~is_anchor
        & is_invoice
        & ~is_protected
        & (habit != NEVER_PAYS)
        & ((kind == REGULAR_ORDER) | (kind == RETAINER_BILL))
    )
    # A tied credit note comes after the invoice but before it falls due.
    credit_day = day + 2 + (rng.random(n) * np.clip(terms - 2, 1, 29)).astype(np.int64)
    has_credit_note = (
        (rng.random(n) < 0.03)
        & ~is_void
        & is_invoice
        & ~is_protected
        & (habit != NEVER_PAYS)
        & (credit_day <= END)
        & (subtotal >= 2)
    )
    credit_amount = np.clip(np.rint(subtotal * rng.uniform(0.1, 0.5, n)), 1, subtotal).astype(
        np.int64
    )
    credit_tax = (credit_amount * pop.tax_percent[pop_index] + 50) // 100
    credited = np.where(has_credit_note, credit_amount + credit_tax, 0)
    to_pay = total - credited  # what payments must cover

    # Payment day: due date plus the customer's habit. "Normal" payers are mostly around
    # the due date, sometimes a few days to two months late.
    draw = rng.random(n)
    normal_delay = np.clip(np.rint(rng.normal(0, 3, n)), -7, 7)
    normal_delay = np.where(draw < 0.27, u(rng, 3, 25, n), normal_delay)
    normal_delay = np.where(draw > 0.92, u(rng, 25, 60, n), normal_delay)
    delay = np.select(
        [habit == PAYS_EARLY, habit == PAYS_ON_TIME, habit == PAYS_LATE],
        [-u(rng, 0, 12, n), np.clip(np.rint(rng.normal(0.5, 2.5, n)), -5, 6), u(rng, 30, 75, n)],
        normal_delay,
    ).astype(np.int64)
    # Planted delays (see `Population.delay_mean`): the customer's mean, or its drifted
    # mean for invoices due from its drift day on, with per-invoice noise; one invoice in
    # thirty slips 10 to 40 days more (a lost invoice, a query, a holiday).
    planted_mean = np.where(
        due_day >= pop.drift_day[pop_index],
        pop.drifted_delay_mean[pop_index],
        pop.delay_mean[pop_index],
    )
    has_planted = ~np.isnan(planted_mean)
    planted_delay = np.rint(
        np.where(has_planted, planted_mean, 0.0)
        + pop.delay_sd[pop_index] * rng.standard_normal(n)
        + np.where(rng.random(n) < 1 / 30, u(rng, 10, 40, n), 0)
    ).astype(np.int64)
    delay = np.where(has_planted & (habit != NEVER_PAYS), planted_delay, delay)
    pay_day = np.maximum(due_day + delay, day + u(rng, 0, 3, n))
    pay_day = np.where(is_receipt, day, pay_day)
    pay_day = np.where(has_credit_note, np.maximum(pay_day, credit_day), pay_day)
    is_paid = ~is_void & (habit != NEVER_PAYS) & (pay_day <= END) & (to_pay > 0)

    # How each paid invoice is paid: in two instalments, together with the customer's
    # next invoice, or in one payment.
    next_is_same_customer = np.zeros(n, bool)
    next_is_same_customer[:-1] = customer[1:] == customer[:-1]
    in_instalments = is_paid & is_invoice & ~is_protected & (to_pay >= 2) & (rng.random(n) < 0.05)
    in_one = is_paid & ~in_instalments
    # Two invoices paid together: paid within a week of each other (punctual payers: and
    # still on time for the first one).
    next_paid_nearby = np.zeros(n, bool)
    next_paid_nearby[:-1] = (
        (np.abs(pay_day[1:] - pay_day[:-1]) <= 7)
        & in_one[1:]
        & is_invoice[1:]
        & ((habit[:-1] > PAYS_ON_TIME) | (pay_day[1:] <= np.maximum(pay_day[:-1], due_day[:-1])))
    )
    candidate = in_one & is_invoice & next_is_same_customer & next_paid_nearby
    with_next = candidate & (rng.random(n) < 0.02)  # paid together with the next invoice
    if is_first_block and with_next.sum() < 2:  # a few in every business, however small
        pool = np.nonzero(candidate)[0]
        with_next[rng.choice(pool, min(2, len(pool)), replace=False)] = True
    # No chains: an invoice paid with its predecessor is not also paid with its successor.
    with_previous = np.zeros(n, bool)
    with_previous[1:] = with_next[:-1]
    with_next &= ~with_previous
    with_previous = np.zeros(n, bool)
    with_previous[1:] = with_next[:-1]
    in_one &= ~with_next & ~with_previous
    first_instalment = np.clip(np.rint(to_pay * rng.uniform(0.3, 0.7, n)), 1, to_pay - 1).astype(
        np.int64
    )
    # Two instalments: punctual customers finish on their usual day, others pay the rest
    # (if at all before the end date) a week to six weeks later.
    punctual = (habit == PAYS_EARLY) | (habit == PAYS_ON_TIME)
    first_instalment_day = np.where(punctual, np.maximum(day, pay_day - u(rng, 5, 20, n)), pay_day)
    second_instalment_day = np.where(punctual, pay_day, pay_day + u(rng, 7, 45, n))
    second_instalment_paid = in_instalments & (second_instalment_day <= END)
    # A few invoices are overpaid: rounded up to the next 100.00; the rest stays unapplied.
    overpaid = in_one & is_invoice & (rng.random(n) < 0.008)
    one_payment_amount = np.where(overpaid, (to_pay // 10_000 + 1) * 10_000, to_pay)

    status = np.where(
        is_void,
        VOID,
        np.where(in_one | with_next | with_previous | second_instalment_paid, PAID, OPEN),
    )

    # Payments (in one; first instalments; second instalments; two invoices together)
    # and their allocations.
    i_one, i_instalments, i_second, i_with_next = (
        np.nonzero(x)[0] for x in (in_one, in_instalments, second_instalment_paid, with_next)
    )
    payment_invoice = np.concatenate([i_one, i_instalments, i_second, i_with_next])
    payment_day = np.concatenate(
        [
            pay_day[i_one],
            first_instalment_day[i_instalments],
            second_instalment_day[i_second],
            np.maximum(pay_day[i_with_next], pay_day[i_with_next + 1]),
        ]
    )
    payment_amount = np.concatenate(
        [
            one_payment_amount[i_one],
            first_instalment[i_instalments],
            to_pay[i_second] - first_instalment[i_second],
            to_pay[i_with_next] + to_pay[i_with_next + 1],
        ]
    )
    n_single_invoice = len(i_one) + len(i_instalments) + len(i_second)
    payment = np.arange(len(payment_invoice))
    return InvoiceSettlement(
        status=status,
        is_void=is_void,
        has_credit_note=has_credit_note,
        credit_day=credit_day,
        credit_amount=credit_amount,
        credit_tax=credit_tax,
        payment_customer=customer[payment_invoice],
        payment_day=payment_day,
        payment_amount=payment_amount,
        # Every payment settles its invoice; a payment of two also the next invoice.
        allocation_payment=np.concatenate([payment, payment[n_single_invoice:]]),
        allocation_invoice=np.concatenate([payment_invoice, i_with_next + 1]),
        allocation_amount=np.concatenate(
            [
                to_pay[i_one],
                first_instalment[i_instalments],
                to_pay[i_second] - first_instalment[i_second],
                to_pay[i_with_next],
                to_pay[i_with_next + 1],
            ]
        ),
    )


@dataclass
class CustomerActivity:
    """Per customer of a block: when they bought and how much; for advances, goodwill
    credits and costs."""

    first_day: np.ndarray  # first document
    activity_end: np.ndarray  # 60 days after the last document, at most the end date
    sales: np.ndarray  # cents, subtotals of documents not voided
    mean_sale: np.ndarray  # cents per document
    n_documents: np.ndarray


def customer_activity(
    n_customers: int,
    customer: np.ndarray,
    day: np.ndarray,
    subtotal: np.ndarray,
    is_void: np.ndarray,
) -> CustomerActivity:
    """Activity of the block's customers, from their documents (sorted by customer)."""
    keys = np.arange(n_customers)
    first_document = np.searchsorted(customer, keys, "left")
    stop_document = np.searchsorted(customer, keys, "right")
    sales = np.bincount(customer, weights=np.where(is_void, 0, subtotal), minlength=n_customers)
    return CustomerActivity(
        first_day=day[first_document],
        activity_end=np.minimum(day[stop_document - 1] + 60, END),
        sales=sales,
        mean_sale=sales / np.maximum(stop_document - first_document, 1),
        n_documents=stop_document - first_document,
    )


def draw_advances(
    pop: Population,
    rng: np.random.Generator,
    first: int,
    stop: int,
    activity: CustomerActivity,
    is_first_block: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unapplied payments (advances, payments not yet matched to an invoice): customer
    (block index), day and amount in round currency units."""
    eligible = np.nonzero(pop.payment_habit[first:stop] != NEVER_PAYS)[0]
    k = rng.binomial(len(eligible), 0.004) + (2 if is_first_block else 0)
    customer = rng.choice(eligible, min(k, len(eligible)), replace=False)
    day = days_between(rng, activity.first_day[customer], activity.activity_end[customer])
    amount = activity.mean_sale[customer] * rng.uniform(0.2, 1.0, len(customer))
    amount = np.maximum(1_000, np.rint(amount / 100) * 100).astype(np.int64)
    return customer, day, amount


@dataclass
class CreditNotes:
    """A block's credit notes: those tied to an invoice, then the general ones."""

    customer: np.ndarray  # block customer index
    day: np.ndarray
    amount: np.ndarray  # cents, before tax
    tax: np.ndarray  # cents
    invoice: np.ndarray  # index of the tied invoice; -1: a general credit note
    reason: np.ndarray  # index into biz.credit_reasons + biz.goodwill_reasons


def draw_credit_notes(
    biz: Business,
    pop: Population,
    rng: np.random.Generator,
    first: int,
    stop: int,
    is_first_block: bool,
    customer: np.ndarray,
    settlement: InvoiceSettlement,
    activity: CustomerActivity,
) -> CreditNotes:
    """The tied credit notes of the settlement, plus a few general (goodwill) credits to
    established customers: at most a tenth of their sales, and at least 1.00."""
    tied = np.nonzero(settlement.has_credit_note)[0]
    eligible = np.nonzero(
        (pop.payment_habit[first:stop] != NEVER_PAYS)
        & ~pop.is_protected[first:stop]
        & (activity.n_documents >= 3)
    )[0]
    k = rng.binomial(len(eligible), 0.01) + (2 if is_first_block else 0)
    goodwill = rng.choice(eligible, min(k, len(eligible)), replace=False)
    goodwill_day = days_between(rng, activity.first_day[goodwill], activity.activity_end[goodwill])
    goodwill_amount = np.minimum(
        np.rint(rng.uniform(2_500, 30_000, len(goodwill)) * biz.acquisition_scale),
        np.floor(activity.sales[goodwill] * 0.1),
    ).astype(np.int64)
    keep = goodwill_amount >= 100
    goodwill, goodwill_day, goodwill_amount = (
        goodwill[keep],
        goodwill_day[keep],
        goodwill_amount[keep],
    )
    is_tied = np.r_[np.ones(len(tied), bool), np.zeros(len(goodwill), bool)]
    n_reasons = len(biz.credit_reasons)
    reason = np.where(
        is_tied,
        rng.integers(0, n_reasons, len(is_tied)),
        n_reasons + rng.integers(0, len(biz.goodwill_reasons), len(is_tied)),
    )
    return CreditNotes(
        customer=np.concatenate([customer[tied], goodwill]),
        day=np.concatenate([settlement.credit_day[tied], goodwill_day]),
        amount=np.concatenate([settlement.credit_amount[tied], goodwill_amount]),
        tax=np.concatenate(
            [
                settlement.credit_tax[tied],
                (goodwill_amount * pop.tax_percent[first + goodwill] + 50) // 100,
            ]
        ),
        invoice=np.r_[tied, np.full(len(goodwill), -1, np.int64)],
        reason=reason,
    )
