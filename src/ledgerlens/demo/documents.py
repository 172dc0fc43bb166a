"""A block of customers' documents: invoices and their lines, payments and allocations,
credit notes, and (through `costs.py`) customer costs, written as they are made.

Customers are processed in blocks of about `generator.BLOCK_LINES` invoice lines to bound
memory; each block has its own random stream.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ledgerlens.demo.businesses import Business
from ledgerlens.demo.costs import write_costs
from ledgerlens.demo.customers import CustomerAttributes
from ledgerlens.demo.dates import CALENDAR_MONTH, DAYS_PER_YEAR, month_of
from ledgerlens.demo.document_kinds import REGULAR_ORDER, SMALL_ORDER
from ledgerlens.demo.draws import lognormal_noise
from ledgerlens.demo.exchange_rates import rates_on
from ledgerlens.demo.ids import DocumentCounters, monthly_ids
from ledgerlens.demo.lines import draw_invoice_lines
from ledgerlens.demo.population import Population, decline_ramp
from ledgerlens.demo.purchases import schedule_documents
from ledgerlens.demo.settlement import (
    customer_activity,
    draw_advances,
    draw_credit_notes,
    settle_invoices,
)
from ledgerlens.demo.value import ValuePlants
from ledgerlens.demo.writing import (
    Days,
    FixedPoint,
    Integers,
    TableWriters,
    Text,
    repeated_text,
    with_nulls,
)

DOCUMENT_TYPES = pa.array(["invoice", "sales_receipt"])
STATUSES = pa.array(["open", "paid", "void"])  # indexed by settlement.OPEN, PAID, VOID


def write_block(
    biz: Business,
    pop: Population,
    attrs: CustomerAttributes,
    first: int,
    stop: int,
    rate_scale: float,
    rng: np.random.Generator,
    exchange_rates: dict[tuple[str, str], np.ndarray],
    counters: DocumentCounters,
    writers: TableWriters,
    plants: ValuePlants,
) -> int:
    """Generate and write the documents of customers [first, stop); return the number of
    invoice lines written. The random draws happen in a fixed order, block by block."""
    is_first_block = first == 0
    schedule = schedule_documents(biz, pop, first, stop, rate_scale, rng)
    customer, day = schedule.customer, schedule.day  # block customer index
    n = len(day)
    pop_index = first + customer

    # Invoice size: the customer's size x its trend (growth, decline) x half the seasonal
    # swing x noise, unless the schedule set it. Small regular orders become small orders.
    age_years = (day - pop.active_from[pop_index]) / DAYS_PER_YEAR
    size_trend = np.exp(pop.size_growth[pop_index] * age_years) * (
        1.0
        + (pop.declined_size_factor[pop_index] - 1.0)
        * decline_ramp(day, pop.decline_start[pop_index])
    )
    seasonality = np.array(biz.seasonality)[CALENDAR_MONTH[month_of(day)]]
    size = (
        pop.invoice_size[pop_index]
        * size_trend
        * (1.0 + 0.5 * (seasonality - 1.0))
        * lognormal_noise(rng, biz.invoice_size_sigma, n)
    )
    # Now and then a regular order is much bigger than usual (a stock-up, an extra project).
    size = np.where(
        (rng.random(n) < 0.02) & (schedule.kind == REGULAR_ORDER), size * rng.uniform(2, 4, n), size
    )
    size = np.where(schedule.size >= 0, schedule.size, size)
    kind = np.where((schedule.kind == REGULAR_ORDER) & (size < 0.5), SMALL_ORDER, schedule.kind)

    lines, subtotal, catalogue = draw_invoice_lines(
        biz, pop, rng, pop_index, day, kind, size, size_trend, schedule.mirror_of
    )
    tax = (subtotal * pop.tax_percent[pop_index] + 50) // 100
    total = subtotal + tax
    is_foreign = pop.is_foreign[pop_index]
    fx_series = exchange_rates.get((biz.foreign_currency, biz.currency))

    # Some purchases are sales receipts: paid on the spot, due the same day.
    is_receipt = (rng.random(n) < pop.receipt_probability[pop_index]) & np.isin(
        kind, (REGULAR_ORDER, SMALL_ORDER)
    )
    due_day = np.where(is_receipt, day, day + pop.payment_terms[pop_index])

    settlement = settle_invoices(
        pop,
        rng,
        is_first_block,
        customer,
        pop_index,
        day,
        due_day,
        kind,
        schedule.is_anchor,
        is_receipt,
        subtotal,
        total,
    )
    activity = customer_activity(stop - first, customer, day, subtotal, settlement.is_void)
    advance_customer, advance_day, advance_amount = draw_advances(
        pop, rng, first, stop, activity, is_first_block
    )
    payment_customer = np.concatenate([settlement.payment_customer, advance_customer])
    payment_day = np.concatenate([settlement.payment_day, advance_day])
    payment_amount = np.concatenate([settlement.payment_amount, advance_amount])
    credit_notes = draw_credit_notes(
        biz, pop, rng, first, stop, is_first_block, customer, settlement, activity
    )

    invoice_ids = monthly_ids("INV", day, counters.invoices, 5)
    payment_ids = monthly_ids("PAY", payment_day, counters.payments, 5)
    currencies = pa.array([biz.currency, biz.foreign_currency or biz.currency])

    def currency(is_foreign: np.ndarray) -> Text:
        return Text(pc.take(currencies, pa.array(is_foreign.astype(np.int8))))

    def customer_ids(block_customer: np.ndarray) -> Text:
        return Text(pc.take(attrs.ids, pa.array(first + block_customer)))

    business_id = biz.business_id
    writers.write(
        "invoices",
        {
            "business_id": repeated_text(business_id, n),
            "invoice_id": Text(invoice_ids),
            "customer_id": customer_ids(customer),
            "document_type": Text(pc.take(DOCUMENT_TYPES, pa.array(is_receipt.astype(np.int8)))),
            "invoice_date": Days(day),
            "due_date": Days(due_day),
            "currency": currency(is_foreign),
            "exchange_rate": FixedPoint(rates_on(fx_series, day, is_foreign), 6),
            "status": Text(pc.take(STATUSES, pa.array(settlement.status))),
            "total_amount": FixedPoint(total, 2),
            "tax_amount": FixedPoint(tax, 2),
        },
    )
    codes = pa.array([item.code for item in catalogue])
    descriptions = pa.array([item.description for item in catalogue])
    line_item = pa.array(lines.item)
    n_lines = len(lines.invoice)
    writers.write(
        "invoice_lines",
        {
            "business_id": repeated_text(business_id, n_lines),
            "invoice_id": Text(pc.take(invoice_ids, pa.array(lines.invoice))),
            "line_number": Integers(lines.line_number),
            "item_code": Text(pc.take(codes, line_item)),
            "description": Text(pc.take(descriptions, line_item)),
            "quantity": FixedPoint(lines.quantity, 2),
            "unit_price": FixedPoint(lines.unit_price, 2),
            "discount_amount": FixedPoint(lines.discount, 2),
            "line_amount": FixedPoint(lines.amount, 2),
            "unit_cost": FixedPoint(np.maximum(lines.unit_cost, 0), 2, lines.unit_cost < 0),
        },
    )
    payment_is_foreign = pop.is_foreign[first + payment_customer]
    writers.write(
        "payments",
        {
            "business_id": repeated_text(business_id, len(payment_day)),
            "payment_id": Text(payment_ids),
            "customer_id": customer_ids(payment_customer),
            "payment_date": Days(payment_day),
            "currency": currency(payment_is_foreign),
            "exchange_rate": FixedPoint(rates_on(fx_series, payment_day, payment_is_foreign), 6),
            "amount": FixedPoint(payment_amount, 2),
        },
    )
    writers.write(
        "payment_allocations",
        {
            "business_id": repeated_text(business_id, len(settlement.allocation_payment)),
            "payment_id": Text(pc.take(payment_ids, pa.array(settlement.allocation_payment))),
            "invoice_id": Text(pc.take(invoice_ids, pa.array(settlement.allocation_invoice))),
            "amount_applied": FixedPoint(settlement.allocation_amount, 2),
        },
    )

    credit_is_foreign = pop.is_foreign[first + credit_notes.customer]
    reasons = pa.array(list(biz.credit_reasons) + list(biz.goodwill_reasons))
    credited_invoice_ids = pc.take(invoice_ids, pa.array(np.maximum(credit_notes.invoice, 0)))
    writers.write(
        "credit_notes",
        {
            "business_id": repeated_text(business_id, len(credit_notes.customer)),
            "credit_note_id": Text(monthly_ids("CN", credit_notes.day, counters.credit_notes, 4)),
            "customer_id": customer_ids(credit_notes.customer),
            "invoice_id": Text(with_nulls(credited_invoice_ids, credit_notes.invoice < 0)),
            "credit_note_date": Days(credit_notes.day),
            "currency": currency(credit_is_foreign),
            "exchange_rate": FixedPoint(
                rates_on(fx_series, credit_notes.day, credit_is_foreign), 6
            ),
            "amount": FixedPoint(credit_notes.amount, 2),
            "tax_amount": FixedPoint(credit_notes.tax, 2),
            # The demo refunds nothing in cash: every credit stays the customer's.
            "refunded_amount": FixedPoint(
                np.zeros(len(credit_notes.customer), np.int64),
                2,
                np.ones(len(credit_notes.customer), bool),
            ),
            "reason": Text(pc.take(reasons, pa.array(credit_notes.reason))),
        },
    )

    tied = np.nonzero(settlement.has_credit_note)[0]
    write_costs(
        biz,
        pop,
        attrs,
        first,
        stop,
        rng,
        activity,
        customer[tied],
        settlement.credit_day[tied],
        counters,
        writers,
        plants,
    )
    return n_lines
