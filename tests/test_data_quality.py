"""marts.data_quality_report: what was quarantined, per business, table and rule, and what
it was worth, against the hand-made dataset's deliberate bad rows."""

from __future__ import annotations

from decimal import Decimal

from tests.conftest import query


def test_data_quality_report_counts_rows_and_money_per_rule(handmade_run):
    _, warehouse = handmade_run
    rows = query(
        warehouse,
        "select business_id, table_name, rule, rows_quarantined, rows_with_unreadable_amount,"
        " amount_column, amount_quarantined, first_source_row,"
        " source_file like '%/' || table_name || '.csv'"
        " from marts.data_quality_report order by table_name, rule",
    )
    assert rows == [
        # K3: a cost of -40.00 (line 4)
        ("acme", "customer_costs", "below_minimum", 1, 0, "amount", Decimal("-40.000000"), 4, True),
        # the same customer exported twice (line 7 repeats line 6): no money on customers
        ("acme", "customers", "duplicate_row", 1, 0, None, Decimal("0E-6"), 7, True),
        # I8's line (5,000.00) follows its invoice into quarantine
        (
            "acme",
            "invoice_lines",
            "unknown_invoice",
            1,
            0,
            "line_amount",
            Decimal("5000.000000"),
            10,
            True,
        ),
        # I8 dated 2024-02-31, total 5,400.00 (line 9)
        ("acme", "invoices", "not_a_date", 1, 0, "total_amount", Decimal("5400.000000"), 9, True),
        # 75.00 allocated to I99, which does not exist (line 5)
        (
            "acme",
            "payment_allocations",
            "unknown_invoice",
            1,
            0,
            "amount_applied",
            Decimal("75.000000"),
            5,
            True,
        ),
    ]


def test_every_quarantined_row_is_in_the_report(handmade_run):
    summary, warehouse = handmade_run
    reported = dict(
        query(
            warehouse,
            "select table_name, sum(rows_quarantined) from marts.data_quality_report group by 1",
        )
    )
    held = {load.table: load.rows_quarantined for load in summary.loads if load.rows_quarantined}
    assert reported == held
