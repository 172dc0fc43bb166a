"""int_invoices_settled against payment dates worked out by hand from tests/data/handmade."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import query

pytestmark = pytest.mark.slow

COLUMNS = (
    "payment_terms_days, total_amount, settled_amount, total_amount_home, settled_amount_home,"
    " cast(invoice_date as varchar), cast(due_date as varchar), cast(paid_date as varchar),"
    " days_to_pay, days_beyond_terms, is_paid_late"
)

# Worked out from tests/data/handmade. Only non-void credit invoices have a row: I4 is a
# sales_receipt, I3 and I6 are void, I8 is quarantined (2024-02-31 is not a date), and
# allocation P4 -> I99 is quarantined with its unknown invoice.
# (terms, total, settled, total home, settled home, invoice, due, paid, days, beyond, late)
EXPECTED = {
    # 1000.00 + 80.00 tax = 1080.00. CN1 100.00 + 8.00 tax = 108.00 on 01-20 (108.00 of
    # 1080.00), then P1 972.00 on 02-05: 108.00 + 972.00 = 1080.00 -> paid 2024-02-05.
    # 01-10 -> 02-05 = 21 + 5 = 26 days; due 02-09 (exported, 30 days) -> 0 beyond, on time.
    ("acme", "I1"): (
        30,
        Decimal("1080.00"),
        Decimal("1080.00"),
        Decimal("1080.00"),
        Decimal("1080.00"),
        "2024-01-10",
        "2024-02-09",
        "2024-02-05",
        26,
        0,
        False,
    ),
    # 540.00, nothing allocated or credited: open. 03-05 -> 04-04 = 26 + 4 = 30 days terms.
    ("acme", "I2"): (
        30,
        Decimal("540.00"),
        Decimal("0.00"),
        Decimal("540.00"),
        Decimal("0.00"),
        "2024-03-05",
        "2024-04-04",
        None,
        None,
        None,
        None,
    ),
    # 2160.00 CAD at 0.73 = 1576.80 home. CN3 200.00 + 16.00 tax = 216.00 CAD on 05-20,
    # then P3 applies 1944.00 CAD on 06-10 (the payment is 2000.00 CAD: 56.00 CAD is
    # unapplied credit, not settlement): 216.00 + 1944.00 = 2160.00 -> paid 2024-06-10.
    # In CAD it is settled exactly, although at home value it is 148.00 + 11.84 (CN3 at
    # 0.74) + 1419.12 (1944.00 at the invoice rate 0.73) = 1578.96, not 1576.80.
    # 05-01 -> 06-10 = 30 + 10 = 40 days; due 06-15 (45 days) -> 0 beyond, on time.
    ("acme", "I5"): (
        45,
        Decimal("2160.00"),
        Decimal("2160.00"),
        Decimal("1576.80"),
        Decimal("1578.96"),
        "2024-05-01",
        "2024-06-15",
        "2024-06-10",
        40,
        0,
        False,
    ),
    # 100.00 + 8.00 tax = 108.00 on 07-01, due 07-16 (15 days, C2's terms); nothing paid.
    # (P4's 75.00 on 03-01 was allocated to the unknown I99, so it settles nothing here.)
    ("acme", "I7"): (
        15,
        Decimal("108.00"),
        Decimal("0.00"),
        Decimal("108.00"),
        Decimal("0.00"),
        "2024-07-01",
        "2024-07-16",
        None,
        None,
        None,
        None,
    ),
    # Same invoice id as acme's I1, another business: 595.00 EUR, P1 595.00 on 04-20.
    # 04-10 -> 04-20 = 10 days; due 04-24 (14 days) -> 0 beyond, on time.
    ("euro", "I1"): (
        14,
        Decimal("595.00"),
        Decimal("595.00"),
        Decimal("595.00"),
        Decimal("595.00"),
        "2024-04-10",
        "2024-04-24",
        "2024-04-20",
        10,
        0,
        False,
    ),
}


def _settled(warehouse: Path) -> dict:
    rows = query(
        warehouse,
        f"select business_id, invoice_id, {COLUMNS} from intermediate.int_invoices_settled",
    )
    return {(row[0], row[1]): tuple(row[2:]) for row in rows}


@pytest.fixture(scope="module")
def warehouse(handmade_run) -> Path:
    # The session's run of the hand-made dataset (tests/conftest.py), not one of its own.
    _, path = handmade_run
    return path


def test_paid_dates_match_hand_computed_values(warehouse):
    assert _settled(warehouse) == EXPECTED


def test_only_non_void_credit_invoices_have_a_row(warehouse):
    settled = _settled(warehouse)
    for absent in [("acme", "I3"), ("acme", "I4"), ("acme", "I6"), ("acme", "I8")]:
        assert absent not in settled


def test_settlement_events_match_hand_computed_values(warehouse):
    rows = query(
        warehouse,
        "select business_id, invoice_id, settlement_type, settlement_id,"
        " cast(event_date as varchar), settled_amount, settled_amount_home"
        " from intermediate.int_invoice_settlements_unioned",
    )
    assert sorted(rows) == [
        # 100.00 + 8.00 tax
        ("acme", "I1", "credit_note", "CN1", "2024-01-20", Decimal("108.00"), Decimal("108.00")),
        ("acme", "I1", "payment", "P1", "2024-02-05", Decimal("972.00"), Decimal("972.00")),
        # 216.00 CAD; home 200.00 x 0.74 = 148.00 + 16.00 x 0.74 = 11.84 -> 159.84
        ("acme", "I5", "credit_note", "CN3", "2024-05-20", Decimal("216.00"), Decimal("159.84")),
        # 1944.00 CAD at the invoice rate 0.73 = 1419.12 (not the payment's 0.735)
        ("acme", "I5", "payment", "P3", "2024-06-10", Decimal("1944.00"), Decimal("1419.12")),
        ("euro", "I1", "payment", "P1", "2024-04-20", Decimal("595.00"), Decimal("595.00")),
    ]


def test_settlements_tie_out_to_applied_cash_and_tied_credits_in_raw(warehouse):
    """Independent of the models: applied cash plus tied credit notes (incl. tax) on
    non-void invoices, straight from raw, equals what the model says was settled."""
    [(raw_total,)] = query(
        warehouse,
        """
        select sum(amount) from (
            select allocations.amount_applied as amount
            from raw.payment_allocations as allocations
            inner join raw.invoices as invoices
                on allocations.business_id = invoices.business_id
                and allocations.invoice_id = invoices.invoice_id
            where invoices.document_type = 'invoice' and invoices.status <> 'void'
            union all
            select credits.amount + credits.tax_amount
            from raw.credit_notes as credits
            inner join raw.invoices as invoices
                on credits.business_id = invoices.business_id
                and credits.invoice_id = invoices.invoice_id
            where invoices.document_type = 'invoice' and invoices.status <> 'void'
        )
        """,
    )
    [(model_total,)] = query(
        warehouse, "select sum(settled_amount) from intermediate.int_invoices_settled"
    )
    # 1080.00 + 2160.00 + 595.00 = 3835.00
    assert raw_total == model_total == Decimal("3835.00")
