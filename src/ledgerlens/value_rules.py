"""The value-class and suggested-action rules in words, written from the dbt vars the SQL
reads.

`seeds/value_class_rules.csv` and `seeds/suggested_action_rules.csv` hold each rule's
priority and description; the descriptions are generated here from the thresholds in
`dbt_project.yml`, so that a description never states another number than the rule in
`models/intermediate/profitability/int_customers_valued.sql` uses (the way
`segment_rules.py` does for the segments). After changing a profitability var, run
`python -m ledgerlens.value_rules`; a test fails while the seeds and the vars disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ledgerlens import dbt_vars
from ledgerlens.segment_rules import number_text, percent_text, rewrite_descriptions

SEEDS = dbt_vars.PROJECT_FILE.parent / "seeds"
CLASS_SEED = SEEDS / "value_class_rules.csv"
ACTION_SEED = SEEDS / "suggested_action_rules.csv"
ACTIVE = (
    "active (a sale, credit note or cost to serve in the trailing twelve months, or money"
    " owed on some night of them)"
)


def describe_classes(values: Mapping[str, object] | None = None) -> dict[str, str]:
    """Each value_class's rule in words, with the thresholds of `values` (the project's
    vars by default)."""
    v = values if values is not None else dbt_vars.load()
    below = number_text(v["unprofitable_max_contribution"])
    top = percent_text(v["key_account_top_share"])
    return {
        "unprofitable": (
            f"Costs more than it brings: {ACTIVE}, with TTM contribution (gross margin - cost"
            f" to serve - financing cost) below {below}."
        ),
        "key_account": (
            f"Earns the business most: {ACTIVE}, with positive TTM contribution and ranked in"
            f" the top {top} of the business's active customers by it (rank <= the number of"
            f" active customers x {number_text(v['key_account_top_share'])}, rounded up); or with"
            " TTM contribution of at least 0 that, with the TTM contribution of the whole"
            " chain of customers it referred, reaches the smallest contribution of those"
            " top customers."
        ),
        "core": "Everyone else, customers with nothing in the last twelve months included.",
    }


def describe_actions(values: Mapping[str, object] | None = None) -> dict[str, str]:
    """Each suggested action's rule in words."""
    v = values if values is not None else dbt_vars.load()
    timeliness = v["timeliness_days_bounds"]
    return {
        "tighten_terms": (
            "An unprofitable customer that is profitable before financing cost (TTM"
            " contribution + TTM financing cost >= 0): its slow payment is what loses money."
        ),
        "improve_or_exit": (
            "An unprofitable customer whose contribution was also negative in the twelve"
            " months before the TTM: persistently unprofitable."
        ),
        "reprice": (
            "Any other unprofitable customer: a surcharge or fee for its special demands;"
            " break_even_surcharge_pct is the surcharge on TTM sales that brings contribution"
            " to zero."
        ),
        "protect": (
            f"A key account that pays well (T score 4-5: at most {number_text(timeliness[1])} days"
            " beyond terms on average, or nothing paid on credit yet) and takes at most"
            f" {number_text(v['protect_max_effort_ratio'])}x its contribution share in effort"
            " (TTM service hours share <= ratio x TTM contribution share): it earns much and"
            " gets little attention."
        ),
        "maintain": "Everyone else: no change suggested.",
    }


def main(class_seed: Path = CLASS_SEED, action_seed: Path = ACTION_SEED) -> None:
    values = dbt_vars.load()
    class_seed.write_text(
        rewrite_descriptions(class_seed.read_text(), "value_class", describe_classes(values))
    )
    action_seed.write_text(
        rewrite_descriptions(
            action_seed.read_text(), "suggested_action_code", describe_actions(values)
        )
    )
    print(f"rewrote the descriptions in {class_seed} and {action_seed}")


if __name__ == "__main__":
    main()
