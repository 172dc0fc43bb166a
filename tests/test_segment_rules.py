"""The segment descriptions state the thresholds the rules use (seeds/segment_rules.csv)."""

from __future__ import annotations

import csv

from ledgerlens import dbt_vars, segment_rules


def _seed_descriptions() -> dict[str, str]:
    with segment_rules.SEED_FILE.open(newline="") as handle:
        return {row["segment_key"]: row["description"] for row in csv.DictReader(handle)}


def test_the_seed_descriptions_are_written_from_the_vars():
    # Regenerate with `python -m ledgerlens.segment_rules` after changing a segment var.
    assert _seed_descriptions() == segment_rules.describe(dbt_vars.load())


def test_descriptions_state_the_numbers_the_sql_compares_with():
    # Read off int_customers_scored.sql by hand, with the default vars:
    # hibernating: r_score <= 2 is recency_cycles > recency_cycle_bounds[2] = 3, and
    # recency_days > hibernating_min_days = 365.
    text = _seed_descriptions()
    assert "R score 1-2 (more than 3 of its purchase cycles" in text["hibernating"]
    assert "more than 365 days" in text["hibernating"]
    # dont_lose_them: r_score <= 2 (more than 3 cycles) and Champion / Good at one of the
    # segment_lookback_months = 3 month ends before.
    assert "more than 3 of its purchase cycles" in text["dont_lose_them"]
    assert "3 month ends before" in text["dont_lose_them"]
    # champion: tenure_days > promising_max_tenure_days = 365; m_score = 5 is a ratio of
    # at least monetary_ratio_bounds[0] = 3; momentum > falling_momentum = -0.5, i.e. TTM
    # above 1 - 0.5 = 50% of the prior year's.
    assert "first purchase more than 365 days ago" in text["champion"]
    assert "at least 3x the business's median" in text["champion"]
    assert "above 50% of the prior year's" in text["champion"]
    # late_payer: share_paid_late >= 0.5 (half, not "most"), paid_invoices >= 3, T 1 is
    # more than timeliness_days_bounds[3] = 30 days beyond terms.
    assert "at least 50% of them" in text["late_payer"]
    assert "at least 3 paid credit invoices" in text["late_payer"]
    assert "more than 30 days beyond terms" in text["late_payer"]


def test_changed_vars_change_the_descriptions():
    values = dict(dbt_vars.load())
    values.update(hibernating_min_days=500, recency_cycle_bounds=[1, 2, 4, 8])
    text = segment_rules.describe(values)["hibernating"]
    assert "more than 4 of its purchase cycles" in text
    assert "more than 500 days" in text
