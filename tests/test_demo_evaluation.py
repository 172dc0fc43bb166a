"""`segment_scores`: precision and recall per planted segment, clear customers only,
on a hand-made truth file and customer sheet."""

from __future__ import annotations

import duckdb
import pytest

from ledgerlens.demo.evaluation import segment_scores

TRUTH = """business_id,customer_id,behaviour,expected_segment,certainty,note
acme,C1,steady_good,Good,clear,
acme,C2,steady_good,Good,clear,
acme,C3,steady_good,Good,clear,
acme,C4,sleeper,Hibernating,clear,
acme,C5,sleeper,Hibernating,ambiguous,"silent for 350 days, near the 365-day bound"
acme,C6,decliner,Give Attention,clear,
acme,C7,steady_good,Good,clear,
"""
# The sheet: C1, C2 Good; C3 and C6 Give Attention; C4 and C5 Good; C7 is not on it.
SHEET = [
    ("acme", "C1", "Good"),
    ("acme", "C2", "Good"),
    ("acme", "C3", "Give Attention"),
    ("acme", "C4", "Good"),
    ("acme", "C5", "Good"),
    ("acme", "C6", "Give Attention"),
]


def test_precision_and_recall_count_clear_customers_only(tmp_path):
    truth = tmp_path / "planted_customers.csv"
    truth.write_text(TRUTH)
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.customer_sheet (business_id varchar, customer_id varchar,"
            " segment varchar)"
        )
        con.executemany("insert into marts.customer_sheet values (?, ?, ?)", SHEET)
    scores = {s.segment: s for s in segment_scores(warehouse, truth)}
    # C5 is ambiguous: left out everywhere (its Good on the sheet counts nowhere).
    # Good: planted C1, C2, C3, C7 = 4; found Good among clear C1, C2, C4 = 3; correct 2.
    good = scores["Good"]
    assert (good.planted, good.found, good.correct) == (4, 3, 2)
    assert good.precision == pytest.approx(2 / 3) and good.recall == pytest.approx(2 / 4)
    # Hibernating: planted C4 = 1; found none: precision undefined, recall 0.
    hibernating = scores["Hibernating"]
    assert (hibernating.planted, hibernating.found, hibernating.correct) == (1, 0, 0)
    assert hibernating.precision is None and hibernating.recall == 0
    # Give Attention: planted C6; found C3, C6: precision 1/2, recall 1/1.
    attention = scores["Give Attention"]
    assert (attention.planted, attention.found, attention.correct) == (1, 2, 1)
    assert set(scores) == {"Good", "Hibernating", "Give Attention"}
