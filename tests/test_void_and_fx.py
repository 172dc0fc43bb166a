"""Where every cent lands when cash or credit meets a void invoice or another currency.

tests/data/void_and_fx, one business `shop` (USD, terms 30 days), as of 2024-06-30:
- I1 (C1, USD): 1,000.00 + 80.00 tax = 1,080.00; P1 applies 500.00 to it; CN2 credits
  100.00 + 8.00 tax on it.
- I2 (C1, USD): void, 500.00 + 40.00 tax = 540.00. P1 also applies 100.00 to it, and CN1
  (50.00 + 4.00 tax) is tied to it: both are quarantined (`void_invoice`).
- I3 (C2, CAD at 0.75): 200.00 + 16.00 tax = 216.00 CAD. P2 is a USD payment of 150.00
  applied to it: quarantined (`currency_mismatch`). P3 is a CAD payment of 100.00 at
  0.80, applied to it: valid, an FX gain of 100.00 x (0.80 - 0.75) = 5.00.

and a second business `refund` (USD, terms 30 days), whose credit notes are refunded in
cash (`refunded_amount`), all tied to no invoice and none paid:
- RI1 (R1, USD): 1,000.00 + 80.00 tax = 1,080.00 open. RCN1 (02-10) credits 100.00 +
  8.00 tax and pays all 108.00 back: refunded in full.
- RI2 (R2, USD): 500.00 + 40.00 tax = 540.00 open. RCN2 (02-20) credits 200.00 + 16.00
  tax = 216.00 and pays 100.00 of it back: partly refunded.
- RI3 (R3, EUR at 1.10): 200.00 + 20.00 tax = 220.00 EUR open. RCN3 (03-10, EUR at 1.10)
  credits 100.05 + 8.05 tax = 108.10 EUR and pays all 108.10 EUR back.
and a third business `over` (USD, terms 30 days), with invoices settled past their total:
- OI1 (O1, EUR at 1.10): 100.00 EUR on 2024-01-10. OP1 (EUR at 1.20) applies 60.00 on
  2024-02-05, and OCN1, tied to it, credits 45.00 + 5.00 tax = 50.00 EUR on 2024-03-05:
  110.00 settled, 10.00 EUR more than it owed (over-applied), so from 2024-03-05 the
  invoice is a negative receivable, as the aging shows it.
- O2 (USD): OI3, 100.00 on 2024-05-01, due 2024-05-31, unpaid. OI2, 500.00 on 2024-06-20,
  due 2024-07-20, prepaid on 2024-06-15 by OP2, which applies 520.00 to it: 20.00 past its
  total from the invoice date, and not yet due at the as-of date.
The tests of `shop` read `shop` only.
"""

from __future__ import annotations

import datetime as dt
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
        " from marts.data_quality_report where business_id = 'shop' order by table_name, rule",
    )
    assert rows == [
        ("credit_notes", "void_invoice", 1, D("50.00")),  # CN1
        ("payment_allocations", "currency_mismatch", 1, D("150.00")),  # P2 -> I3
        ("payment_allocations", "void_invoice", 1, D("100.00")),  # P1 -> I2
    ]


def test_a_credit_note_on_a_void_invoice_does_not_lower_net_sales(warehouse):
    # lines of non-void documents: I1 1,000.00 + I3 200.00 CAD x 0.75 = 150.00
    # minus CN2 100.00 = 1,050.00 (CN1 on void I2 would have made it 1,000.00)
    [(net_sales,)] = query(
        warehouse, "select net_sales_home from marts.business_overview where business_id = 'shop'"
    )
    assert net_sales == D("1050.00")


def test_cash_applied_to_a_void_invoice_or_across_currencies_stays_customer_credit(warehouse):
    rows = query(
        warehouse,
        "select customer_id, open_balance_home, unapplied_payments_home, net_balance_home"
        " from marts.ar_aging where business_id = 'shop' order by customer_id",
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


def test_an_over_applied_invoice_is_a_negative_receivable_from_the_day_it_is_passed(warehouse):
    # OI1 100.00 EUR at the invoice's rate 1.10: owed 100.00 at the end of January
    # (110.00), 100.00 - OP1 60.00 = 40.00 at the end of February (44.00), and
    # 40.00 - OCN1 50.00 = -10.00 from 2024-03-05 on (-11.00), to the as-of date. Nothing
    # of OP1 or OCN1 is left as customer credit: both are applied to OI1 in full.
    rows = query(
        warehouse,
        "select month_end_date, accounts_receivable, customer_credit from"
        " marts.customer_statement where business_id = 'over' and customer_id = 'O1' order by 1",
    )
    owed = {
        dt.date(2024, 1, 31): D("110.00"),
        dt.date(2024, 2, 29): D("44.00"),
        dt.date(2024, 3, 31): D("-11.00"),
        dt.date(2024, 4, 30): D("-11.00"),
        dt.date(2024, 5, 31): D("-11.00"),
        dt.date(2024, 6, 30): D("-11.00"),
    }
    assert rows == [(day, amount, D("0.00")) for day, amount in owed.items()]
    # O2: OI3's 100.00 is owed at the end of May and June; OI2 is owed -20.00 from
    # 2024-06-20, its invoice date (the prepayment was O2's credit from 06-15 to 06-20):
    # 100.00 - 20.00 = 80.00 at the end of June, and no credit left.
    assert query(
        warehouse,
        "select month_end_date, accounts_receivable, customer_credit from"
        " marts.customer_statement where business_id = 'over' and customer_id = 'O2' order by 1",
    ) == [
        (dt.date(2024, 5, 31), D("100.00"), D("0.00")),
        (dt.date(2024, 6, 30), D("80.00"), D("0.00")),
    ]
    # The aging and the customer sheet at the as-of date hold the same invoices the same
    # way. O1's was due on 2024-02-09, so the whole of it is overdue. Of O2's, only OI3
    # (100.00) is overdue; OI2 (-20.00) is not due yet, so O2's overdue balance is more
    # than its open balance of 80.00.
    assert query(
        warehouse,
        "select customer_id, open_invoices, open_balance_home, net_balance_home"
        " from marts.ar_aging where business_id = 'over' order by customer_id",
    ) == [("O1", 1, D("-11.00"), D("-11.00")), ("O2", 2, D("80.00"), D("80.00"))]
    assert query(
        warehouse,
        "select customer_id, open_balance, overdue_balance"
        " from marts.customer_sheet where business_id = 'over' order by customer_id",
    ) == [("O1", D("-11.00"), D("-11.00")), ("O2", D("80.00"), D("100.00"))]


def test_the_fx_gain_comes_from_the_payment_in_the_invoice_currency_only(warehouse):
    rows = query(
        warehouse,
        "select invoice_id, allocated_amount, open_amount, open_amount_home,"
        " fx_gain_loss_home from marts.invoice_payments where business_id = 'shop'"
        " order by invoice_id",
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
    assert _csv_sum("invoices", "total_amount", "business_id = 'shop'") == D("1836.00")
    settled_or_open = one(
        "select sum(allocated_amount + credited_amount + open_amount) from marts.invoice_payments"
        " where business_id = 'shop'"
    )
    void = one(
        "select sum(total_amount) from raw.invoices where business_id = 'shop' and status = 'void'"
    )
    assert (settled_or_open, void) == (D("1296.00"), D("540.00"))
    assert settled_or_open + void == D("1836.00")

    # Payments, home currency: P1 600.00 + P2 150.00 + P3 100.00 x 0.80 = 80.00 = 830.00.
    # Applied at invoice rates 500.00 + 75.00, FX gain 5.00, customer credit 100.00 + 150.00.
    shop = " where business_id = 'shop'"
    applied_home = one(
        "select sum(allocated_amount * exchange_rate) from marts.invoice_payments" + shop
    )
    fx = one("select sum(fx_gain_loss_home) from marts.invoice_payments" + shop)
    credit = one("select sum(unapplied_payments_home) from marts.ar_aging" + shop)
    assert (applied_home, fx, credit) == (D("575.00"), D("5.00"), D("250.00"))
    assert applied_home + fx + credit == D("830.00")
    assert one("select sum(amount_home) from staging.stg_payments" + shop) == D("830.00")

    # Allocations, invoice currency: 500.00 + 100.00 + 150.00 + 100.00 = 850.00 in the
    # file = 600.00 applied (marts) + 250.00 quarantined.
    assert _csv_sum("payment_allocations", "amount_applied", "business_id = 'shop'") == D("850.00")
    applied = one("select sum(allocated_amount) from marts.invoice_payments" + shop)
    held = one(
        "select sum(amount_quarantined) from marts.data_quality_report"
        " where business_id = 'shop' and table_name = 'payment_allocations'"
    )
    assert (applied, held) == (D("600.00"), D("250.00"))

    # Credit notes, excl. tax: 50.00 + 100.00 = 150.00 = CN2's 100.00 off net sales
    # (lines 1,000.00 + 150.00 - net sales 1,050.00) + CN1's 50.00 in quarantine.
    assert _csv_sum("credit_notes", "amount", "business_id = 'shop'") == D("150.00")
    lines_home = one(
        "select sum(lines.line_amount * invoices.exchange_rate) from raw.invoice_lines as lines"
        " join raw.invoices as invoices using (business_id, invoice_id)"
        " where invoices.business_id = 'shop' and invoices.status <> 'void'"
    )
    net_sales = one("select net_sales_home from marts.business_overview" + shop)
    held = one(
        "select amount_quarantined from marts.data_quality_report"
        " where business_id = 'shop' and table_name = 'credit_notes'"
    )
    assert (lines_home - net_sales, held) == (D("100.00"), D("50.00"))

    # Invoice lines: 1,000.00 + 500.00 + 200.00 = 1,700.00; the void I2's 500.00 is not
    # sales, the rest is (I3 in CAD: 150.00 home).
    assert _csv_sum("invoice_lines", "line_amount", "business_id = 'shop'") == D("1700.00")
    assert lines_home == D("1150.00")


# ---------------------------------------------------------------- cash refunds (`refund`)


def test_a_refund_takes_the_credit_back_and_leaves_net_sales_alone(warehouse):
    rows = query(
        warehouse,
        "select customer_id, open_balance_home, untied_credit_notes_home, net_balance_home"
        " from marts.ar_aging where business_id = 'refund' order by customer_id",
    )
    assert rows == [
        # RCN1 credits 108.00 and refunds 108.00: 0.00 credit, so the balance is back to
        # what it was before the credit note, 1,080.00 - 0.00 = 1,080.00 (972.00 if the
        # refunded cash still counted as credit)
        ("R1", D("1080.00"), D("0.00"), D("1080.00")),
        # RCN2 credits 216.00 and refunds 100.00: 116.00 stays credit; 540.00 - 116.00
        ("R2", D("540.00"), D("116.00"), D("424.00")),
        # RI3 220.00 EUR x 1.10 = 242.00 open. RCN3 credits 100.05 x 1.10 = 110.055 ->
        # 110.06 plus 8.05 x 1.10 = 8.855 -> 8.86, 118.92 home, and refunds all 108.10 EUR:
        # 118.92 (108.10 x 1.10 = 118.91 rounded once would leave a stray 0.01 of credit);
        # 242.00 - 0.00 = 242.00
        ("R3", D("242.00"), D("0.00"), D("242.00")),
    ]
    refunded = query(
        warehouse,
        "select credit_note_id, refunded_amount, refunded_amount_home"
        " from staging.stg_credit_notes where business_id = 'refund' order by 1",
    )
    assert refunded == [
        ("RCN1", D("108.00"), D("108.00")),
        ("RCN2", D("100.00"), D("100.00")),
        ("RCN3", D("108.10"), D("118.92")),
    ]
    # `shop`'s file gives no refund (blank): read as 0
    assert query(
        warehouse,
        "select sum(refunded_amount), sum(refunded_amount_home) from staging.stg_credit_notes"
        " where business_id = 'shop'",
    ) == [(D("0.00"), D("0.00"))]


def test_the_business_overview_counts_only_the_credit_not_refunded(warehouse):
    [row] = query(
        warehouse,
        "select net_sales_home, open_balance_home, untied_credit_notes_home,"
        " customer_credit_home from marts.business_overview where business_id = 'refund'",
    )
    # net sales: lines 1,000.00 + 500.00 + 200.00 EUR x 1.10 = 1,720.00, minus the credit
    # notes excl. tax 100.00 + 200.00 + 110.06 = 410.06: 1,309.94, refunded or not;
    # open 1,080.00 + 540.00 + 242.00 = 1,862.00; credit only RCN2's 116.00
    assert row == (D("1309.94"), D("1862.00"), D("116.00"), D("116.00"))


def test_the_statements_hold_the_credit_left_at_each_month_end(warehouse):
    rows = query(
        warehouse,
        "select customer_id, month_end_date, customer_credit from marts.customer_statement"
        " where business_id = 'refund' order by 1, 2",
    )
    credit = {(customer, str(month)): value for customer, month, value in rows}
    # on from each customer's first fact (its invoice): R1 January, R2 February, R3 March
    months = ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30"]
    expected = {("R1", month): D("0.00") for month in months}  # 108.00 - 108.00 refunded
    # 216.00 - 100.00 refunded = 116.00 from RCN2's date (02-20) on
    expected |= {("R2", month): D("116.00") for month in months[1:]}
    expected |= {("R3", month): D("0.00") for month in months[2:]}  # 118.92 - 118.92
    assert credit == expected
    # the segments' balance sheets hold the same credit; every row balances and the
    # roll-forward closes (integrity tests, asset checks of the run that passed)
    by_month = query(
        warehouse,
        "select month_end_date, sum(customer_credit) from marts.segment_balance_sheet"
        " where business_id = 'refund' group by 1 order by 1",
    )
    assert [(str(month), value) for month, value in by_month] == [
        ("2024-01-31", D("0.00")),
        *[(month, D("116.00")) for month in months[1:]],
    ]


def test_every_cent_of_a_refunded_credit_note_lands_in_exactly_one_place(warehouse):
    def one(sql: str) -> Decimal:
        return query(warehouse, sql)[0][0]

    # Credit notes incl. tax, home currency: 108.00 + 216.00 + 118.92 = 442.92 = refunded
    # 108.00 + 100.00 + 118.92 = 326.92 + credit the customers still hold 116.00
    total = one(
        "select sum(amount_home + tax_amount_home) from staging.stg_credit_notes"
        " where business_id = 'refund'"
    )
    refunded = one(
        "select sum(refunded_amount_home) from staging.stg_credit_notes"
        " where business_id = 'refund'"
    )
    held = one(
        "select sum(untied_credit_notes_home) from marts.ar_aging where business_id = 'refund'"
    )
    assert (total, refunded, held) == (D("442.92"), D("326.92"), D("116.00"))
    assert refunded + held == total
    # and in the file, document currency: 108.00 + 216.00 + 108.10 = 432.10 credited,
    # 108.00 + 100.00 + 108.10 = 316.10 refunded
    assert _csv_sum("credit_notes", "amount", "business_id = 'refund'") + _csv_sum(
        "credit_notes", "tax_amount", "business_id = 'refund'"
    ) == D("432.10")
    assert _csv_sum("credit_notes", "refunded_amount", "business_id = 'refund'") == D("316.10")
