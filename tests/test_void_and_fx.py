"""Where every cent lands when cash or credit meets a void invoice or another currency.

tests/data/void_and_fx, one business `shop` (USD, terms 30 days), as of 2024-06-30:
- I1 (C1, USD): 1,000.00 + 80.00 tax = 1,080.00; P1 applies 500.00 to it; CN2 credits
  100.00 + 8.00 tax on it.
- I2 (C1, USD): void, 500.00 + 40.00 tax = 540.00. P1 also applies 100.00 to it, and CN1
  (50.00 + 4.00 tax) is tied to it: both are quarantined (`void_invoice`).
- I3 (C2, CAD at 0.75): 200.00 + 16.00 tax = 216.00 CAD. P2 is a USD payment of 150.00
  applied to it: quarantined (`currency_mismatch`). P3 is a CAD payment of 100.00 at
  0.80, applied to it: valid, an FX gain of 100.00 x (0.80 - 0.75) = 5.00.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import query

pytestmark = pytest.mark.slow

VOID_AND_FX = Path(__file__).parent / "data" / "void_and_fx"
AS_OF = "2024-06-30"
D = Decimal


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import run_pipeline

    target = tmp_path_factory.mktemp("void_and_fx") / "ledgerlens.duckdb"
    summary = run_pipeline(VOID_AND_FX, target, as_of_date=AS_OF)
    assert summary.success, summary.failures + summary.problems
    return target


def _csv_sum(table: str, column: str, where: str) -> Decimal:
    import duckdb

    with duckdb.connect() as con:
        return con.execute(
            f"select coalesce(sum(cast({column} as decimal(18, 2))), 0)"
            f" from read_csv('{VOID_AND_FX / (table + '.csv')}', all_varchar = true)"
            f" where {where}"
        ).fetchone()[0]


def test_the_mismatched_and_void_rows_are_quarantined_with_their_rule(warehouse):
    rows = query(
        warehouse,
        "select table_name, rule, rows_quarantined, amount_quarantined"
        " from marts.data_quality_report order by table_name, rule",
    )
    assert rows == [
        ("credit_notes", "void_invoice", 1, D("50.00")),  # CN1
        ("payment_allocations", "currency_mismatch", 1, D("150.00")),  # P2 -> I3
        ("payment_allocations", "void_invoice", 1, D("100.00")),  # P1 -> I2
    ]


def test_a_credit_note_on_a_void_invoice_does_not_lower_net_sales(warehouse):
    # lines of non-void documents: I1 1,000.00 + I3 200.00 CAD x 0.75 = 150.00
    # minus CN2 100.00 = 1,050.00 (CN1 on void I2 would have made it 1,000.00)
    [(net_sales,)] = query(warehouse, "select net_sales_home from marts.business_overview")
    assert net_sales == D("1050.00")


def test_cash_applied_to_a_void_invoice_or_across_currencies_stays_customer_credit(warehouse):
    rows = query(
        warehouse,
        "select customer_id, open_balance_home, unapplied_payments_home, net_balance_home"
        " from marts.ar_aging order by customer_id",
    )
    assert rows == [
        # I1: 1,080.00 - P1 500.00 - CN2 108.00 = 472.00 open;
        # P1 600.00 - 500.00 applied to I1 = 100.00 credit (the 100.00 on void I2 is not
        # applied); 472.00 - 100.00 = 372.00
        ("C1", D("472.00"), D("100.00"), D("372.00")),
        # I3: 216.00 - P3 100.00 = 116.00 CAD x 0.75 = 87.00 open;
        # P2 150.00 USD, its allocation quarantined: all 150.00 is credit; P3 fully
        # applied; 87.00 - 150.00 = -63.00
        ("C2", D("87.00"), D("150.00"), D("-63.00")),
    ]


def test_the_fx_gain_comes_from_the_payment_in_the_invoice_currency_only(warehouse):
    rows = query(
        warehouse,
        "select invoice_id, allocated_amount, open_amount, open_amount_home,"
        " fx_gain_loss_home from marts.invoice_payments order by invoice_id",
    )
    assert rows == [
        ("I1", D("500.00"), D("472.00"), D("472.00"), D("0.00")),
        # P3: 100.00 CAD at 0.80 = 80.00 received, at the invoice's 0.75 = 75.00: +5.00
        ("I3", D("100.00"), D("116.00"), D("87.00"), D("5.00")),
    ]


def test_every_cent_of_the_files_lands_in_exactly_one_place(warehouse):
    def one(sql: str) -> Decimal:
        return query(warehouse, sql)[0][0]

    # Invoices, document currency: 1,080.00 + 540.00 + 216.00 = 1,836.00 in the file.
    # Non-void ones are settled or open: I1 500.00 + 108.00 + 472.00, I3 100.00 + 116.00;
    # the void I2 (540.00) counts for nothing and is in raw.invoices as void.
    assert _csv_sum("invoices", "total_amount", "true") == D("1836.00")
    settled_or_open = one(
        "select sum(allocated_amount + credited_amount + open_amount) from marts.invoice_payments"
    )
    void = one("select sum(total_amount) from raw.invoices where status = 'void'")
    assert (settled_or_open, void) == (D("1296.00"), D("540.00"))
    assert settled_or_open + void == D("1836.00")

    # Payments, home currency: P1 600.00 + P2 150.00 + P3 100.00 x 0.80 = 80.00 = 830.00.
    # Applied at invoice rates 500.00 + 75.00, FX gain 5.00, customer credit 100.00 + 150.00.
    applied_home = one("select sum(allocated_amount * exchange_rate) from marts.invoice_payments")
    fx = one("select sum(fx_gain_loss_home) from marts.invoice_payments")
    credit = one("select sum(unapplied_payments_home) from marts.ar_aging")
    assert (applied_home, fx, credit) == (D("575.00"), D("5.00"), D("250.00"))
    assert applied_home + fx + credit == D("830.00")
    assert one("select sum(amount_home) from staging.stg_payments") == D("830.00")

    # Allocations, invoice currency: 500.00 + 100.00 + 150.00 + 100.00 = 850.00 in the
    # file = 600.00 applied (marts) + 250.00 quarantined.
    assert _csv_sum("payment_allocations", "amount_applied", "true") == D("850.00")
    applied = one("select sum(allocated_amount) from marts.invoice_payments")
    held = one(
        "select sum(amount_quarantined) from marts.data_quality_report"
        " where table_name = 'payment_allocations'"
    )
    assert (applied, held) == (D("600.00"), D("250.00"))

    # Credit notes, excl. tax: 50.00 + 100.00 = 150.00 = CN2's 100.00 off net sales
    # (lines 1,000.00 + 150.00 - net sales 1,050.00) + CN1's 50.00 in quarantine.
    assert _csv_sum("credit_notes", "amount", "true") == D("150.00")
    lines_home = one(
        "select sum(lines.line_amount * invoices.exchange_rate) from raw.invoice_lines as lines"
        " join raw.invoices as invoices using (business_id, invoice_id)"
        " where invoices.status <> 'void'"
    )
    net_sales = one("select net_sales_home from marts.business_overview")
    held = one(
        "select amount_quarantined from marts.data_quality_report where table_name = 'credit_notes'"
    )
    assert (lines_home - net_sales, held) == (D("100.00"), D("50.00"))

    # Invoice lines: 1,000.00 + 500.00 + 200.00 = 1,700.00; the void I2's 500.00 is not
    # sales, the rest is (I3 in CAD: 150.00 home).
    assert _csv_sum("invoice_lines", "line_amount", "true") == D("1700.00")
    assert lines_home == D("1150.00")
