"""The CLV back-test on a small demo: what happened next year, and last year's baseline,
recomputed here from the export's CSV files in plain Python (no SQL), and the mart's
invariants on the same run."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
from orchestration.backtest import run_clv_backtest

SEED, LINES = 3, 20_000


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _rows(folder: Path, table: str) -> list[dict]:
    with (folder / f"{table}.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def purchase_days(folder: Path, start: date, end: date) -> dict:
    """(business, customer) -> [purchase days, their net sales] in (start, end]: a day's
    non-void invoices and sales receipts, net of the credit notes tied to them dated by
    `end`, home currency (each line and credit note converted and rounded to the cent); a
    day whose documents had a tied credit and come to nothing or less is no purchase."""
    invoices = {
        (row["business_id"], row["invoice_id"]): row
        for row in _rows(folder, "invoices")
        if row["status"] != "void"
    }
    lines: dict = defaultdict(Decimal)
    for row in _rows(folder, "invoice_lines"):
        key = (row["business_id"], row["invoice_id"])
        if key in invoices:
            rate = Decimal(invoices[key]["exchange_rate"])
            lines[key] += _money(Decimal(row["line_amount"]) * rate)
    credited: dict = defaultdict(Decimal)
    for row in _rows(folder, "credit_notes"):
        if row["invoice_id"] and date.fromisoformat(row["credit_note_date"]) <= end:
            amount = _money(Decimal(row["amount"]) * Decimal(row["exchange_rate"]))
            credited[(row["business_id"], row["invoice_id"])] += amount
    days: dict = defaultdict(lambda: [Decimal(0), False])
    for key, invoice in invoices.items():
        day = date.fromisoformat(invoice["invoice_date"])
        if start < day <= end:
            entry = days[(invoice["business_id"], invoice["customer_id"], day)]
            entry[0] += lines[key] - credited[key]
            entry[1] = entry[1] or credited[key] > 0
    result: dict = defaultdict(lambda: [0, Decimal(0)])
    for (business, customer, _day), (sales, was_credited) in days.items():
        if was_credited and sales <= 0:
            continue
        result[(business, customer)][0] += 1
        result[(business, customer)][1] += sales
    return result


@pytest.fixture(scope="module")
def backtest(tmp_path_factory):
    work = tmp_path_factory.mktemp("clv-backtest")
    report = run_clv_backtest([SEED], LINES, work)
    [seed] = report["seeds"]
    return work, seed


def test_next_year_and_last_year_match_the_export(backtest):
    work, seed = backtest
    folder = work / f"data-{LINES}-{SEED}"
    as_of = date.fromisoformat(seed["as_of_date"])
    warehouse = work / f"warehouse-{LINES}-{SEED}-clv.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        scored = {
            (business, customer)
            for business, customer in con.execute(
                "select business_id, customer_id from marts.customer_clv"
                " where clv_model <> 'no_purchase'"
            ).fetchall()
        }
    next_year = purchase_days(folder, as_of, as_of + timedelta(days=365))
    last_year = purchase_days(folder, as_of - timedelta(days=365), as_of)
    for row in seed["businesses"]:
        business = row["business_id"]
        mine = {key for key in scored if business in ("all", key[0])}
        assert row["customers"] == len(mine) > 0
        assert row["purchases_model"]["actual_total"] == sum(
            next_year[key][0] for key in mine if key in next_year
        )
        assert row["purchases_baseline"]["predicted_total"] == sum(
            last_year[key][0] for key in mine if key in last_year
        )
        if business != "all":
            assert Decimal(str(round(row["sales_model"]["actual_total"], 2))) == sum(
                (next_year[key][1] for key in mine if key in next_year), Decimal(0)
            )
            assert Decimal(str(round(row["sales_baseline"]["predicted_total"], 2))) == sum(
                (last_year[key][1] for key in mine if key in last_year), Decimal(0)
            )


def test_customer_clv_is_whole_and_consistent(backtest):
    work, _ = backtest
    warehouse = work / f"warehouse-{LINES}-{SEED}-clv.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        sheet = con.execute("select count(*) from marts.customer_sheet").fetchone()[0]
        rows = con.execute(
            "select p_alive, clv_12m, clv_12m_low, clv_12m_high, clv_36m, clv_36m_low,"
            " clv_36m_high, past_net_sales, total_lifetime_value, clv_model,"
            " clv_contribution_36m, expected_contribution_margin"
            " from marts.customer_clv"
        ).fetchall()
    assert len(rows) == sheet
    inside = likely = 0
    for alive, c12, l12, h12, c36, l36, h36, past, total, model, contribution, margin in rows:
        assert total == past + (c36 or 0)
        if model in ("no_purchase", "empirical"):
            continue
        assert 0 <= alive <= 1
        assert 0 <= l12 <= h12 and 0 <= l36 <= h36
        # Three years are worth more than one.
        assert c36 >= c12 and h36 >= h12
        if margin is not None:
            assert abs(contribution - c36 * margin) <= Decimal("0.01") + abs(c36) * Decimal("1e-6")
        # The point estimate is the mean of the distribution the interval is drawn from.
        # For a customer likely still buying it lies between the 10th and 90th
        # percentiles; for one probably gone (p_alive < 0.1) most draws are worth ~0 and
        # the mean can lie above both (DECISIONLOG.md).
        if alive >= Decimal("0.1"):
            likely += 1
            inside += l36 <= c36 <= h36
    assert likely > 0
    assert inside >= 0.95 * likely
