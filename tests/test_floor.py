"""The benchmark's floor queries (ledgerlens.floor) give the marts' numbers.

The floor is only a floor if it computes the same thing: each query, run on the raw files
of a demo export, must equal marts.customer_sheet (LTV, purchases, TTM sales, average days
to pay) and the TTM rows of marts.revenue_retention, row for row and to the cent. Two
independent implementations (hand-written DuckDB over the files; the dbt project over the
loaded warehouse) agreeing is what this proves; neither is the other's expected value.
The runs are the session's shared demo runs (tests/conftest.py), made for
tests/test_segments.py and tests/test_retention.py too.
"""

from __future__ import annotations

import duckdb
import pytest

from ledgerlens.benchmark import lineage
from ledgerlens.floor import BRIDGE_COLUMNS, customer_sheet_sql, retention_bridge_sql
from tests.conftest import HANDMADE, shared_demo_run

SHEET_COLUMNS = "business_id, customer_id, ltv, purchases, ttm_sales, avg_days_to_pay"
BRIDGE = ", ".join(("business_id", "period_end_date", *BRIDGE_COLUMNS))

DEMOS = [(7, 100_000, None), (11, 60_000, ("summit", "rheinland"))]


@pytest.fixture(scope="module", params=DEMOS, ids=["seed7-all", "seed11-summit-rheinland"])
def floor_and_marts(request, tmp_path_factory):
    """An in-memory DuckDB holding the two floor results, with the run's warehouse attached
    read-only as `wh`."""
    seed, lines, businesses = request.param
    data, warehouse = shared_demo_run(tmp_path_factory, seed, lines, businesses)
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    con.execute(f"create table sheet as {customer_sheet_sql(data)}")
    con.execute(f"create table bridge as {retention_bridge_sql(data)}")
    yield con
    con.close()


def _difference(con, left: str, right: str) -> list[tuple]:
    return con.execute(f"({left}) except all ({right})").fetchall()


def test_the_customer_sheet_floor_equals_the_mart(floor_and_marts):
    con = floor_and_marts
    floor = f"select {SHEET_COLUMNS} from sheet"
    mart = f"select {SHEET_COLUMNS} from wh.marts.customer_sheet"
    assert con.execute("select count(*) from sheet").fetchone()[0] > 500  # 891 customers at seed 7
    assert _difference(con, floor, mart) == []
    assert _difference(con, mart, floor) == []
    # Not a comparison of nothing: customers who paid, and TTM sales that differ from LTV.
    assert con.execute(
        "select count(avg_days_to_pay), count(*) filter (where ttm_sales <> ltv) from sheet"
    ).fetchone() > (0, 0)


def test_the_retention_bridge_floor_equals_the_mart(floor_and_marts):
    con = floor_and_marts
    floor = f"select {BRIDGE} from bridge"
    mart = f"select {BRIDGE} from wh.marts.revenue_retention where period_grain = 'ttm'"
    # The mart has a row for every window, also one nobody bought in (all zeros); the
    # floor only for windows with sales in them or the window before.
    present = (
        f"{mart} and (business_id, period_end_date) in"
        " (select business_id, period_end_date from bridge)"
    )
    assert _difference(con, floor, present) == []
    assert _difference(con, present, floor) == []
    assert con.execute(
        "select count(*) from wh.marts.revenue_retention where period_grain = 'ttm'"
        " and (business_id, period_end_date) not in"
        " (select business_id, period_end_date from bridge) and revenue + starting_revenue <> 0"
    ).fetchone() == (0,)
    # Every movement occurs in the demo: the comparison covers each branch.
    assert con.execute(
        "select min(s) > 0 from (select sum(churned_customers) as s from bridge union all"
        " select sum(new_customers) from bridge union all"
        " select sum(reactivated_customers) from bridge union all"
        " select sum(expansion_revenue) from bridge union all"
        " select sum(contraction_revenue) from bridge)"
    ).fetchone() == (True,)


def test_lineage_of_a_staging_model():
    # stg_invoice_lines reads raw invoice_lines and, for the rate, raw invoices; no model.
    assert lineage("stg_invoice_lines") == ({"stg_invoice_lines"}, {"invoice_lines", "invoices"})


def test_the_floor_runs_on_files_the_loader_quarantines_rows_of(handmade_run):
    """The hand-made files break the contract (invoice I8 dated 2024-02-31, customer C5
    twice, an allocation to an invoice I99 that does not exist): the floor must still run,
    skipping the rows its typed reader cannot read, and give what a person works out by hand.
    Worked out from tests/data/handmade, as of each business's last document (acme
    2024-07-01, euro 2024-04-10), lines net of tax at the document's rate:
    - acme C1: I1 1,000.00 + I2 300.00 + 200.00 (I3 is void) - CN1 100.00 = 1,400.00, two
      purchases; I1 is settled on 2024-02-05 (P1 972.00 + CN1 108.00 = its 1,080.00): 26 days.
    - acme C2: I4 300.00 + I7 100.00 - CN2 50.00 = 350.00 (I8 unreadable), two purchases;
      I4 is a sales receipt and I7 is open, so no days to pay.
    - acme C3: I5 2,000.00 CAD x 0.73 = 1,460.00 - CN3 200.00 x 0.74 = 148.00 -> 1,312.00;
      I5's 2,160.00 is settled on 2024-06-10 (CN3 216.00 on 05-20, P3 1,944.00): 40 days.
    - euro C1: I1 500.00; paid 2024-04-20, after euro's as-of date: no days to pay.
    """
    _, warehouse = handmade_run
    data = HANDMADE
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    con.execute(f"create table sheet as {customer_sheet_sql(data)}")
    rows = con.execute(f"select {SHEET_COLUMNS} from sheet order by all").fetchall()
    assert [(b, c, str(ltv), n, str(ttm), d and str(d)) for b, c, ltv, n, ttm, d in rows] == [
        ("acme", "C1", "1400.00", 2, "1400.00", "26.0"),
        ("acme", "C2", "350.00", 2, "350.00", None),
        ("acme", "C3", "1312.00", 1, "1312.00", "40.0"),
        ("euro", "C1", "500.00", 1, "500.00", None),
    ]
    mart = f"select {SHEET_COLUMNS} from wh.marts.customer_sheet"
    assert _difference(con, f"select {SHEET_COLUMNS} from sheet", mart) == []
    assert _difference(con, mart, f"select {SHEET_COLUMNS} from sheet") == []
    # The retention bridge runs too: one TTM window per business, all of it new revenue.
    con.execute(f"create table bridge as {retention_bridge_sql(data)}")
    assert con.execute(
        "select business_id, cast(new_revenue as varchar), cast(revenue as varchar)"
        " from bridge order by all"
    ).fetchall() == [("acme", "3062.00", "3062.00"), ("euro", "500.00", "500.00")]
