"""Each business has its own as-of date: one business's mistyped date moves no other's.

The hand-made export (acme: latest invoice 2024-07-01; euro: latest invoice 2024-04-10),
with three changes made here:
- acme gets a void invoice I9 dated 2031-01-01 (a mistyped date on a voided document);
- a third business `typo` sells once, on 2042-05-01 (2024 mistyped as 2042);
- the businesses file states euro's export complete to 2024-06-30, and leaves the date
  blank for acme and typo.
"""

from __future__ import annotations

import pytest

from tests.conftest import query

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def as_of_run(tmp_path_factory: pytest.TempPathFactory):
    import shutil

    from tests.conftest import HANDMADE, run_pipeline

    data = tmp_path_factory.mktemp("as_of") / "data"
    shutil.copytree(HANDMADE, data)
    (data / "businesses.csv").write_text(
        "business_id,business_name,home_currency,fiscal_year_start_month,"
        "default_payment_terms_days,export_complete_to_date\n"
        "acme,Acme Services,USD,1,30,\n"
        "euro,Euro Handel GmbH,EUR,4,14,2024-06-30\n"
        "typo,Typo Trading,USD,1,30,\n"
    )
    with (data / "customers.csv").open("a") as customers:
        customers.write("typo,T1,Tee One,2024-01-01,,,,,\n")
    with (data / "invoices.csv").open("a") as invoices:
        invoices.write(
            "acme,I9,C1,invoice,2031-01-01,2031-01-31,USD,1,void,108.00,8.00\n"
            "typo,I1,T1,invoice,2042-05-01,2042-05-31,USD,1,open,100.00,0.00\n"
        )
    warehouse = data.parent / "ledgerlens.duckdb"
    summary = run_pipeline(data, warehouse)
    assert summary.success, summary.failures + summary.problems
    return summary, warehouse


def test_each_business_has_its_own_as_of_date(as_of_run):
    _, warehouse = as_of_run
    rows = query(
        warehouse,
        "select business_id, cast(as_of_date as varchar), as_of_date_source,"
        " cast(latest_document_date as varchar), days_since_latest_document, is_export_stale"
        " from marts.business_overview order by business_id",
    )
    assert rows == [
        # the void I9 of 2031 is ignored: acme's latest non-void invoice is I7, 2024-07-01
        ("acme", "2024-07-01", "latest document", "2024-07-01", 0, False),
        # stated complete to 2024-06-30; its latest sale 2024-04-10 is
        # 20 (rest of April) + 31 (May) + 30 (June) = 81 days before: above 45, stale
        ("euro", "2024-06-30", "export_complete_to_date", "2024-04-10", 81, True),
        # the mistyped 2042 moves typo's own date only
        ("typo", "2042-05-01", "latest document", "2042-05-01", 0, False),
    ]


def test_another_business_mistyped_date_does_not_move_acme(as_of_run):
    _, warehouse = as_of_run
    # As in tests/test_customer_sheet.py, as of 2024-07-01: C1's last purchase 2024-03-05
    # is 26 (rest of March) + 30 + 31 + 30 (April-June) + 1 = 118 days before.
    rows = query(
        warehouse,
        "select customer_id, cast(as_of_date as varchar), recency_days"
        " from marts.customer_sheet where business_id = 'acme' order by customer_id",
    )
    assert rows == [
        ("C1", "2024-07-01", 118),
        ("C2", "2024-07-01", 0),
        ("C3", "2024-07-01", 61),  # 2024-05-01 -> 2024-07-01: 30 + 31 = 61
    ]
    # History: each business's month ends up to its own as-of date: acme's last is
    # 2024-06-30 (the day before 2024-07-01); euro's as-of date 2024-06-30 is one itself.
    month_ends = query(
        warehouse,
        "select business_id, cast(max(month_end_date) as varchar)"
        " from marts.segment_history group by business_id order by business_id",
    )
    assert month_ends == [("acme", "2024-06-30"), ("euro", "2024-06-30")]


def test_the_run_summary_warns_about_the_stale_export_only(as_of_run):
    summary, _ = as_of_run
    stale = [problem for problem in summary.problems if "stale or partial" in problem]
    assert stale == [
        "warning: euro: as of 2024-06-30 (export_complete_to_date) its latest non-void sale"
        " is 2024-04-10, 81 days before: the export may be stale or partial; export its"
        " books again, or state the date it is complete to (export_complete_to_date in"
        " businesses)"
    ]


def test_a_businesses_file_without_the_column_still_loads(tmp_path):
    """The column is optional: a businesses file written before it existed loads with it
    blank (the hand-made file carries it, blank)."""
    import duckdb

    from ledgerlens.load import load_table

    (tmp_path / "businesses.csv").write_text(
        "business_id,business_name,home_currency,fiscal_year_start_month,"
        "default_payment_terms_days\n"
        "acme,Acme Services,USD,1,30\n"
    )
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        result = load_table(con, "businesses", tmp_path)
        assert (result.rows_loaded, result.rows_quarantined) == (1, 0)
        assert result.ignored_columns == []
        assert con.execute(
            "select business_id, export_complete_to_date from raw.businesses"
        ).fetchall() == [("acme", None)]
