"""The value-class and action descriptions state the thresholds the rules use
(seeds/value_class_rules.csv, seeds/suggested_action_rules.csv)."""

from __future__ import annotations

import csv
from pathlib import Path

from ledgerlens import dbt_vars, value_rules


def _seed(path: Path, key: str) -> dict[str, str]:
    with path.open(newline="") as handle:
        return {row[key]: row["description"] for row in csv.DictReader(handle)}


def test_the_seed_descriptions_are_written_from_the_vars():
    # Regenerate with `python -m ledgerlens.value_rules` after changing a var.
    values = dbt_vars.load()
    assert _seed(value_rules.CLASS_SEED, "value_class") == value_rules.describe_classes(values)
    assert _seed(value_rules.ACTION_SEED, "suggested_action_code") == value_rules.describe_actions(
        values
    )


def test_descriptions_state_the_numbers_the_sql_compares_with():
    # Read off int_customers_valued.sql by hand, with the default vars: key when
    # rank <= ceil(active x key_account_top_share = 0.10), i.e. the top 10%;
    # unprofitable when ttm_contribution < unprofitable_max_contribution = 0; protect
    # when the effort share <= protect_max_effort_ratio = 0.5 x the contribution share and
    # t_score >= 4, i.e. avg days beyond terms <= timeliness_days_bounds[1] = 7.
    classes = _seed(value_rules.CLASS_SEED, "value_class")
    actions = _seed(value_rules.ACTION_SEED, "suggested_action_code")
    assert "top 10% of the business's active customers" in classes["key_account"]
    assert "below 0." in classes["unprofitable"]
    assert "at most 7 days beyond terms" in actions["protect"]
    assert "at most 0.5x its contribution share" in actions["protect"]


def test_changed_vars_change_the_descriptions():
    values = dict(dbt_vars.load())
    values.update(key_account_top_share=0.05, unprofitable_max_contribution=-100)
    text = value_rules.describe_classes(values)
    assert "top 5%" in text["key_account"]
    assert "below -100." in text["unprofitable"]
