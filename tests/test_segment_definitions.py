"""The segments follow their definitions, end to end on a small hand-made export.

Two businesses, all sales as sales receipts (paid at the sale, no tax, one line each),
run as of 2025-12-31: the TTM is 2025-01-01 .. 2025-12-31, the prior year
2024-01-02 .. 2024-12-31 (364 and 729 days before the as-of date).

`subs` sells monthly subscriptions: every customer buys on the 15th of each month,
except one who pays once a year. `hist` has two customers who stopped buying, alike
today but not in what they were.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import HANDMADE, query, run_pipeline

pytestmark = pytest.mark.slow

AS_OF = "2025-12-31"


def _months(first: date, count: int) -> list[date]:
    """`count` dates a month apart from `first`, same day of the month."""
    return [
        date(first.year + (first.month - 1 + k) // 12, (first.month - 1 + k) % 12 + 1, first.day)
        for k in range(count)
    ]


def _write_export(folder: Path, sales: dict[tuple[str, str], list[tuple[date, str]]]) -> None:
    folder.mkdir()
    # the tables this export leaves empty: the hand-made export's header only
    for table in ("credit_notes", "customer_costs", "payments", "payment_allocations"):
        header = (HANDMADE / f"{table}.csv").read_text().splitlines()[0]
        (folder / f"{table}.csv").write_text(header + "\n")
    with (folder / "businesses.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(
            [
                "business_id",
                "business_name",
                "home_currency",
                "fiscal_year_start_month",
                "default_payment_terms_days",
            ]
        )
        out.writerow(["subs", "Subscriptions Ltd", "USD", 1, 30])
        out.writerow(["hist", "History Ltd", "USD", 1, 30])
    customer_header = (HANDMADE / "customers.csv").read_text().splitlines()[0].split(",")
    customers = [customer_header]
    invoices = [
        [
            "business_id",
            "invoice_id",
            "customer_id",
            "document_type",
            "invoice_date",
            "due_date",
            "currency",
            "exchange_rate",
            "status",
            "total_amount",
            "tax_amount",
        ]
    ]
    lines = [
        [
            "business_id",
            "invoice_id",
            "line_number",
            "item_code",
            "description",
            "quantity",
            "unit_price",
            "discount_amount",
            "line_amount",
            "unit_cost",
        ]
    ]
    for (business, customer), receipts in sales.items():
        customers.append(
            [business, customer, customer, receipts[0][0].isoformat()]
            + [""] * (len(customer_header) - 4)
        )
        for n, (day, amount) in enumerate(receipts, start=1):
            invoice = f"{customer}-{n}"
            invoices.append(
                [business, invoice, customer, "sales_receipt", day, day, "USD", 1, "paid"]
                + [amount, "0.00"]
            )
            lines.append([business, invoice, 1, "SUB", "Subscription", 1, amount, 0, amount, ""])
    for name, rows in (("customers", customers), ("invoices", invoices), ("invoice_lines", lines)):
        with (folder / f"{name}.csv").open("w", newline="") as handle:
            csv.writer(handle).writerows(rows)


@pytest.fixture(scope="module")
def segments(tmp_path_factory):
    sales: dict[tuple[str, str], list[tuple[date, str]]] = {}
    # subs: 36 monthly purchases, 2023-01-15 .. 2025-12-15
    months = _months(date(2023, 1, 15), 36)
    # BIG grows: 600.00 a month in 2023, 700.00 in 2024, 900.00 in 2025
    sales["subs", "BIG"] = [
        (d, {2023: "600.00", 2024: "700.00", 2025: "900.00"}[d.year]) for d in months
    ]
    for small in ("S1", "S2", "S3", "S4"):
        sales["subs", small] = [(d, "100.00") for d in months]
    # ANNUAL pays 10,800.00 once a year: as much as BIG's twelve 900.00 of 2025
    sales["subs", "ANNUAL"] = [(date(y, 12, 20), "10800.00") for y in (2023, 2024, 2025)]
    # hist: three steady customers, 100.00 on the 15th of each month
    for anchor in ("A1", "A2", "A3"):
        sales["hist", anchor] = [(d, "100.00") for d in months]
    # QUIET: a small loyal customer, 50.00 a month 2023-01-15 .. 2025-08-15, then nothing
    sales["hist", "QUIET"] = [(d, "50.00") for d in _months(date(2023, 1, 15), 32)]
    # FADED: a big first order on 2024-12-20, 100.00 a month 2025-01-20 .. 08-20, then nothing
    sales["hist", "FADED"] = [(date(2024, 12, 20), "6000.00")] + [
        (d, "100.00") for d in _months(date(2025, 1, 20), 8)
    ]
    data = tmp_path_factory.mktemp("segment_definitions") / "export"
    _write_export(data, sales)
    warehouse = data.parent / "w.duckdb"
    summary = run_pipeline(data, warehouse, as_of_date=AS_OF)
    assert summary.success, summary.failures
    rows = query(
        warehouse,
        "select business_id, customer_id, segment, r_score, f_score, m_score"
        " from marts.customer_sheet",
    )
    return {(b, c): (segment, r, f, m) for b, c, segment, r, f, m in rows}


def test_a_uniform_cadence_business_has_champions(segments):
    # Everyone in subs buys 12 times in the TTM (ANNUAL counts its yearly renewal as 12):
    # median = 90th percentile = 12, so F 5 for all. TTM sales: S1-S4 1,200.00, BIG
    # 12 x 900.00 = 10,800.00, ANNUAL 10,800.00: median 1,200.00, BIG 9x: M 5.
    # BIG: last purchase 16 days ago, a 30.4-day cycle: R 5; +28.6% on 8,400.00: Champion.
    assert segments["subs", "BIG"] == ("Champion", 5, 5, 5)
    # S1: 1,200.00 / 1,200.00 = 1x: M 3: frequent, not big: Good
    assert segments["subs", "S1"] == ("Good", 5, 5, 3)


def test_an_annual_commitment_ranks_with_monthly_purchases_of_the_same_amount(segments):
    # ANNUAL: the same TTM sales as BIG (10,800.00: M 5) and the same F; renewed 11 days
    # ago on a 365.5-day cycle: R 5; flat (0%) on the prior year: Champion, as BIG
    assert segments["subs", "ANNUAL"] == ("Champion", 5, 5, 5)
    assert segments["subs", "ANNUAL"][1:] >= segments["subs", "BIG"][1:]


def test_dont_lose_them_and_give_attention_read_what_the_customer_was(segments):
    # QUIET: last purchase 2025-08-15, 138 days ago, a (2025-08-15 - 2023-01-15) / 31 =
    # 30.4-day cycle: 4.5 cycles, R 2; not 365 days: not Hibernating. Prior year 12 x
    # 50.00 = 600.00, half the median 1,200.00 (the old proxy: Give Attention). At the
    # month ends before (Sep-Nov 2025) it was Good: Don't Lose Them.
    assert segments["hist", "QUIET"][:2] == ("Don't Lose Them", 2)
    # FADED: last purchase 2025-08-20, 133 days ago, cycle (2025-08-20 - 2024-12-20) / 8
    # = 30.4 days: R 2. Prior year 6,000.00, 5x the median (the old proxy: Don't Lose
    # Them). At 2025-09-30, 10-31 and 11-30 its first purchase was 284, 315 and 345 days
    # old, under a year: it was Promising, never Good: Give Attention.
    assert segments["hist", "FADED"][:2] == ("Give Attention", 2)
    assert segments["hist", "A1"][0] == "Good"
