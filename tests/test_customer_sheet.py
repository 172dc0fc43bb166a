"""customer_sheet against numbers worked out by hand from tests/data/handmade."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.conftest import HANDMADE, query, run_pipeline

pytestmark = pytest.mark.slow

# Worked out from tests/data/handmade, each business as of its own latest non-void invoice
# date: acme 2024-07-01 (I7), euro 2024-04-10 (its I1):
EXPECTED = {
    # I1 1000.00 + I2 (300.00 + 200.00) - CN1 100.00; I3 is void; tax never counts
    ("acme", "C1"): (Decimal("1400.00"), 2, "2024-01-10", "2024-03-05"),
    # sales receipt I4 300.00 + I7 100.00 - untied CN2 50.00; I8 (bad date) is quarantined
    ("acme", "C2"): (Decimal("350.00"), 2, "2024-02-15", "2024-07-01"),
    # I5 2000.00 CAD x 0.73 = 1460.00, minus CN3 200.00 CAD x 0.74 = 148.00
    ("acme", "C3"): (Decimal("1312.00"), 1, "2024-05-01", "2024-05-01"),
    # same invoice id I1 as acme, another business: 500.00 EUR
    ("euro", "C1"): (Decimal("500.00"), 1, "2024-04-10", "2024-04-10"),
}


def _sheet(warehouse) -> dict:
    rows = query(
        warehouse,
        "select business_id, customer_id, ltv, purchases, cast(first_purchase_date as varchar),"
        " cast(last_purchase_date as varchar) from marts.customer_sheet",
    )
    return {(row[0], row[1]): tuple(row[2:]) for row in rows}


def test_run_succeeds_and_reports_quarantine(handmade_run):
    summary, _ = handmade_run
    assert summary.success, summary.failures
    assert not summary.checks_failed
    quarantined = {load.table: load.quarantined_by_rule for load in summary.loads}
    assert quarantined["invoices"] == {"not_a_date": 1}
    assert quarantined["invoice_lines"] == {"unknown_invoice": 1}
    assert quarantined["customers"] == {"duplicate_row": 1}
    assert quarantined["payment_allocations"] == {"unknown_invoice": 1}
    assert quarantined["customer_costs"] == {"below_minimum": 1}
    assert "marts.customer_sheet" in summary.models_built


def test_ltv_and_purchases_match_hand_computed_values(handmade_run):
    _, warehouse = handmade_run
    assert _sheet(warehouse) == EXPECTED


def test_business_overview_adds_up_the_hand_computed_customers(handmade_run):
    """marts.business_overview, the run summary's first table, from EXPECTED above."""
    _, warehouse = handmade_run
    rows = query(
        warehouse,
        "select business_id, home_currency, customers, net_sales_home, purchases,"
        " cast(first_purchase_date as varchar), cast(last_purchase_date as varchar),"
        " cast(as_of_date as varchar) from marts.business_overview order by business_id",
    )
    assert rows == [
        # C1 1400.00 + C2 350.00 + C3 1312.00 = 3062.00; purchases 2 + 2 + 1 = 5
        ("acme", "USD", 3, Decimal("3062.00"), 5, "2024-01-10", "2024-07-01", "2024-07-01"),
        # C1 500.00 EUR, one purchase; euro's own as-of date is its latest invoice's
        ("euro", "EUR", 1, Decimal("500.00"), 1, "2024-04-10", "2024-04-10", "2024-04-10"),
    ]


def test_customer_with_only_void_sales_is_not_on_the_sheet(handmade_run):
    _, warehouse = handmade_run
    assert ("acme", "C4") not in _sheet(warehouse)


def test_quarantined_invoice_is_kept_with_file_and_line(handmade_run):
    _, warehouse = handmade_run
    rows = query(
        warehouse,
        "select source_file, source_row, rule, column_name, invoice_id, total_amount"
        " from quarantine.invoices",
    )
    assert len(rows) == 1
    source_file, source_row, rule, column, invoice_id, total = rows[0]
    assert source_file.endswith("invoices.csv")
    assert (source_row, rule, column, invoice_id, total) == (
        9,
        "not_a_date",
        "invoice_date",
        "I8",
        "5400.00",
    )


def test_ltv_ties_to_an_independent_query_on_raw(handmade_run):
    """Recompute LTV straight from the raw tables, without any dbt model."""
    _, warehouse = handmade_run
    independent = query(
        warehouse,
        """
        with sales as (
            select i.business_id, i.customer_id,
                   sum(round(l.line_amount * i.exchange_rate, 2)) as amount
            from raw.invoice_lines l
            join raw.invoices i using (business_id, invoice_id)
            where i.status <> 'void'
            group by all
        ), credits as (
            select business_id, customer_id, sum(round(amount * exchange_rate, 2)) as amount
            from raw.credit_notes group by all
        )
        select s.business_id, s.customer_id, s.amount - coalesce(c.amount, 0)
        from sales s left join credits c using (business_id, customer_id)
        """,
    )
    sheet = _sheet(warehouse)
    assert {(b, c): ltv for b, c, ltv in independent} == {
        key: value[0] for key, value in sheet.items()
    }


def test_as_of_date_cuts_later_documents(tmp_path):
    warehouse = tmp_path / "as_of" / "ledgerlens.duckdb"
    summary = run_pipeline(HANDMADE, warehouse, as_of_date="2024-06-30")
    assert summary.success, summary.failures
    sheet = _sheet(warehouse)
    # I7 (2024-07-01, 100.00) is after the as-of date: 300.00 - 50.00 = 250.00, 1 purchase
    assert sheet[("acme", "C2")] == (Decimal("250.00"), 1, "2024-02-15", "2024-02-15")
    assert sheet[("acme", "C1")] == EXPECTED[("acme", "C1")]
    as_of = query(
        warehouse, "select distinct cast(as_of_date as varchar) from marts.customer_sheet"
    )
    assert as_of == [("2024-06-30",)]


def test_money_columns_are_decimal(handmade_run):
    _, warehouse = handmade_run
    types = dict(
        query(
            warehouse,
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'marts' and table_name = 'customer_sheet'",
        )
    )
    assert types["ltv"] == "DECIMAL(18,2)"
    assert types["purchases"] == "INTEGER"
    assert types["first_purchase_date"] == "DATE"


def test_schemas_are_exactly_the_documented_ones(handmade_run):
    _, warehouse = handmade_run
    schemas = {
        row[0]
        for row in query(warehouse, "select distinct table_schema from information_schema.tables")
    }
    assert schemas == {"raw", "staging", "intermediate", "marts", "quarantine"}


def test_ttm_recency_tenure_share_and_rank(handmade_run):
    """As of 2024-07-01 (acme) and 2024-04-10 (euro) every hand-made sale is inside the TTM
    window."""
    _, warehouse = handmade_run
    rows = query(
        warehouse,
        "select business_id, customer_id, ttm_sales, prev_ttm_sales, recency_days,"
        " tenure_days, revenue_share, revenue_rank from marts.customer_sheet",
    )
    got = {(row[0], row[1]): tuple(row[2:]) for row in rows}
    acme_ttm = Decimal("1400.00") + Decimal("350.00") + Decimal("1312.00")  # 3062.00

    def share(amount: str, total: Decimal) -> Decimal:
        return (Decimal(amount) / total).quantize(Decimal("0.000001"))

    assert got == {
        # last purchase 2024-03-05: 118 days before 2024-07-01; first 2024-01-10: 173 days
        ("acme", "C1"): (Decimal("1400.00"), Decimal("0.00"), 118, 173, share("1400", acme_ttm), 1),
        # last purchase on the as-of date itself; first 2024-02-15: 137 days
        ("acme", "C2"): (Decimal("350.00"), Decimal("0.00"), 0, 137, share("350", acme_ttm), 3),
        # one invoice on 2024-05-01: 61 days
        ("acme", "C3"): (Decimal("1312.00"), Decimal("0.00"), 61, 61, share("1312", acme_ttm), 2),
        # the only customer of its business: all of its revenue; bought on euro's as-of
        # date 2024-04-10 (its latest invoice), so 0 days
        ("euro", "C1"): (Decimal("500.00"), Decimal("0.00"), 0, 0, Decimal("1.000000"), 1),
    }


def test_rhythm_trend_momentum_and_recency_weighting(handmade_run):
    _, warehouse = handmade_run
    rows = query(
        warehouse,
        "select business_id, customer_id, typical_gap_days, business_cycle_days,"
        " purchases_ttm, purchases_prev_ttm, frequency_trend, sales_momentum,"
        " recency_weighted_ltv from marts.customer_sheet",
    )
    got = {(row[0], row[1]): tuple(row[2:]) for row in rows}
    as_of = date(2024, 7, 1)

    def weighted(*events: tuple[date, str]) -> Decimal:
        # each sale's weight halves every 365 days before the as-of date
        total = sum(float(amount) * 0.5 ** ((as_of - day).days / 365) for day, amount in events)
        return Decimal(str(round(total, 2))).quantize(Decimal("0.01"))

    c1 = weighted(
        (date(2024, 1, 10), "1000"), (date(2024, 3, 5), "500"), (date(2024, 1, 20), "-100")
    )
    c2 = weighted((date(2024, 2, 15), "300"), (date(2024, 7, 1), "100"), (date(2024, 3, 1), "-50"))
    c3 = weighted((date(2024, 5, 1), "1460"), (date(2024, 5, 20), "-148"))
    # euro's sale is on its own as-of date, 2024-04-10: weight 0.5 ** 0 = 1
    euro = Decimal("500.00")
    # acme gaps: C1 2024-01-10 -> 2024-03-05 = 55 days, C2 2024-02-15 -> 2024-07-01 = 137;
    # the business cycle is their median, (55 + 137) / 2 = 96. No prior-year sales, so no
    # momentum; two purchases from none is within Poisson noise (2 < 2 x sqrt(2)): steady.
    assert got == {
        ("acme", "C1"): (Decimal("55.0"), Decimal("96.0"), 2, 0, "steady", None, c1),
        ("acme", "C2"): (Decimal("137.0"), Decimal("96.0"), 2, 0, "steady", None, c2),
        ("acme", "C3"): (None, Decimal("96.0"), 1, 0, "steady", None, c3),
        ("euro", "C1"): (None, None, 1, 0, "steady", None, euro),
    }


def test_timeliness_and_balances(handmade_run):
    """Credit invoices only; paid = allocations + tied credit notes cover the total."""
    _, warehouse = handmade_run
    rows = query(
        warehouse,
        "select business_id, customer_id, avg_days_to_pay, avg_days_to_pay_weighted,"
        " avg_days_beyond_terms, share_paid_late, open_balance, overdue_balance"
        " from marts.customer_sheet",
    )
    got = {(row[0], row[1]): tuple(row[2:]) for row in rows}
    zero = Decimal("0.0")
    assert got == {
        # I1 1080.00: CN1 108.00 (2024-01-20) + P1 972.00 (2024-02-05) -> paid 26 days after
        # 2024-01-10, before its due date 2024-02-09. I2 540.00 is unpaid and was due
        # 2024-04-04, so all of it is open and overdue at 2024-07-01.
        ("acme", "C1"): (
            Decimal("26.0"),
            Decimal("26.0"),
            zero,
            Decimal("0"),
            Decimal("540.00"),
            Decimal("540.00"),
        ),
        # I4 is a sales receipt (not a credit invoice); I7 108.00 is open, due 2024-07-16
        ("acme", "C2"): (None, None, None, None, Decimal("108.00"), Decimal("0.00")),
        # I5 2160.00 CAD: CN3 200.00 + 16.00 tax (2024-05-20) + P3 1944.00 (2024-06-10)
        # -> paid 40 days after 2024-05-01, before 2024-06-15; paid at another rate, but
        # compared in CAD nothing is left open
        ("acme", "C3"): (
            Decimal("40.0"),
            Decimal("40.0"),
            zero,
            Decimal("0"),
            Decimal("0.00"),
            Decimal("0.00"),
        ),
        # I1 595.00 EUR is paid by P1 on 2024-04-20, after euro's as-of date 2024-04-10:
        # nothing paid yet, 595.00 open and not yet due (2024-04-24)
        ("euro", "C1"): (None, None, None, None, Decimal("595.00"), Decimal("0.00")),
    }


def test_balances_at_an_earlier_as_of_date_ignore_later_payments(tmp_path):
    warehouse = tmp_path / "early" / "ledgerlens.duckdb"
    summary = run_pipeline(HANDMADE, warehouse, as_of_date="2024-02-01")
    assert summary.success, summary.failures
    rows = query(
        warehouse,
        "select customer_id, avg_days_to_pay, open_balance, overdue_balance"
        " from marts.customer_sheet where business_id = 'acme'",
    )
    # On 2024-02-01 I1 had only CN1 (108.00) against it: 972.00 open, not yet due
    # (2024-02-09), and no invoice was paid yet. P1 arrives on 2024-02-05.
    assert sorted(rows) == [("C1", None, Decimal("972.00"), Decimal("0.00"))]
