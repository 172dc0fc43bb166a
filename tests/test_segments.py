"""Segments find the behaviours the demo generator planted, on more than one seed."""

from __future__ import annotations

from collections import Counter

import pytest
from orchestration.run import run_pipeline

from ledgerlens.demo import generate
from tests.conftest import query

pytestmark = pytest.mark.slow

# The segment a planted behaviour should land in. The pairs: an annual prepayer and a
# monthly payer of the same yearly total land together; of two customers with the same
# total, the grower stays Good and the fader needs attention.
EXPECTED = {
    "steady_champion": "Champion",
    "steady_good": "Good",
    "growing_newcomer": "Promising",
    "gone_quiet_big_buyer": "Don't Lose Them",
    "decliner": "Give Attention",
    "one_off_small": "Possible Mismatch",
    "sleeper": "Hibernating",
    "chronic_late_payer": "Late Payer",
    "unpaid_new": "New",
    "annual_prepayer": "Good",
    "monthly_payer": "Good",
    "identical_total_grower": "Good",
    "identical_total_fader": "Give Attention",
}


@pytest.mark.parametrize(
    ("seed", "lines", "businesses"),
    [
        (7, 100_000, None),
        # another seed and another business mix: the two slow-buying businesses alone
        (11, 60_000, ("summit", "rheinland")),
    ],
)
def test_planted_behaviours_land_in_their_segments(tmp_path, seed, lines, businesses):
    data = tmp_path / "data"
    generate(data, seed=seed, lines=lines, businesses=businesses)
    warehouse = tmp_path / "w.duckdb"
    summary = run_pipeline(data, warehouse)
    assert summary.success, summary.failures
    rows = query(
        warehouse,
        f"select truth.behaviour, sheet.segment"
        f" from read_csv('{data}/truth/planted_customers.csv') as truth"
        " left join marts.customer_sheet as sheet using (business_id, customer_id)",
    )
    pairs = Counter((EXPECTED[behaviour], segment) for behaviour, segment in rows)
    total = sum(pairs.values())
    correct = sum(n for (want, got), n in pairs.items() if want == got)
    print(f"\nseed {seed}, {lines:,} lines: accuracy {correct / total:.3f} ({correct}/{total})")
    for segment in sorted(set(EXPECTED.values())):
        true_positive = pairs[(segment, segment)]
        predicted = sum(n for (_, got), n in pairs.items() if got == segment)
        actual = sum(n for (want, _), n in pairs.items() if want == segment)
        print(
            f"  {segment:18s} precision {true_positive / max(predicted, 1):.2f}"
            f"  recall {true_positive / max(actual, 1):.2f}  ({actual} planted)"
        )
    assert correct / total >= 0.9
    # the pairs the issue names explicitly
    by_customer = query(
        warehouse,
        f"select truth.behaviour, sheet.segment, sheet.m_score"
        f" from read_csv('{data}/truth/planted_customers.csv') as truth"
        " join marts.customer_sheet as sheet using (business_id, customer_id)"
        " where truth.behaviour in ('annual_prepayer', 'monthly_payer',"
        " 'identical_total_grower', 'identical_total_fader')",
    )
    m_scores: dict[str, list[int]] = {}
    for behaviour, _segment, m_score in by_customer:
        m_scores.setdefault(behaviour, []).append(m_score)
    assert sorted(m_scores["annual_prepayer"]) == sorted(m_scores["monthly_payer"])
    assert min(m_scores["identical_total_grower"]) >= max(m_scores["identical_total_fader"])


def test_segment_summary_matches_the_customer_sheet(handmade_run):
    _, warehouse = handmade_run
    summary = dict(
        query(
            warehouse,
            "select segment, customers from marts.segment_summary where business_id = 'acme'",
        )
    )
    sheet = Counter(
        row[0]
        for row in query(
            warehouse, "select segment from marts.customer_sheet where business_id = 'acme'"
        )
    )
    assert summary == dict(sheet)
    assert sum(summary.values()) == 3


def test_a_build_as_of_a_month_end_reproduces_segment_history(tmp_path):
    """segment_history at month end X == the customer sheet of a run as of X."""
    data = tmp_path / "data"
    generate(data, seed=5, lines=20_000)
    latest = tmp_path / "latest.duckdb"
    assert run_pipeline(data, latest).success
    month_end = "2026-03-31"
    history = query(
        latest,
        "select business_id, customer_id, segment, r_score, f_score, m_score, t_score"
        " from marts.segment_history where month_end_date = ?",
        [month_end],
    )
    past = tmp_path / "past.duckdb"
    assert run_pipeline(data, past, as_of_date=month_end).success
    sheet = query(
        past,
        "select business_id, customer_id, segment, r_score, f_score, m_score, t_score"
        " from marts.customer_sheet",
    )
    assert len(history) > 100
    assert sorted(history) == sorted(sheet)
    # and last month's segment on today's sheet is the history's
    previous = query(
        latest,
        "select sheet.business_id, sheet.customer_id, sheet.previous_segment,"
        " history.segment from marts.customer_sheet as sheet"
        " left join marts.segment_history as history"
        " on history.business_id = sheet.business_id"
        " and history.customer_id = sheet.customer_id"
        " and history.month_end_date = date '2026-09-30'",
    )
    assert all(row[2] == row[3] for row in previous)
