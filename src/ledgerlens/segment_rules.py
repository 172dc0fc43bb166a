"""The segment rules in words, written from the dbt vars the SQL reads.

`seeds/segment_rules.csv` holds each segment's priority, name, at-risk flag and
description. The descriptions are generated here from the thresholds in
`dbt_project.yml`, so that a description never states another number than the rule in
`models/intermediate/customers/int_customers_scored.sql` uses. After changing a
segment var (or a rule), run `python -m ledgerlens.segment_rules` to rewrite the
descriptions; a test fails while the seed and the vars disagree. Priorities, names and
at-risk flags stay as the user edits them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path

from ledgerlens import dbt_vars

SEED_FILE = dbt_vars.PROJECT_FILE.parent / "seeds" / "segment_rules.csv"


def number_text(value: float) -> str:
    """2.0 -> "2", 1.25 -> "1.25": the value as the var writes it, without a trailing .0."""
    return f"{value:g}"


def percent_text(share: float) -> str:
    return f"{share * 100:g}%"


def describe(values: Mapping[str, object] | None = None) -> dict[str, str]:
    """Each segment_key's rule in words, with the thresholds of `values` (the project's
    vars by default)."""
    v = values if values is not None else dbt_vars.load()
    recency = v["recency_cycle_bounds"]
    monetary = v["monetary_ratio_bounds"]
    timeliness = v["timeliness_days_bounds"]
    lookback = v["segment_lookback_months"]
    # sales_momentum <= falling_momentum: TTM net sales at most (1 + falling) x the prior year's
    falling_share = percent_text(1 + v["falling_momentum"])
    stopped = (
        f"R score 1-2 (more than {number_text(recency[2])} of its purchase cycles since its last"
        " purchase)"
    )
    slipping = (
        f"TTM net sales at most {falling_share} of the prior year's (with at least"
        f" {v['falling_momentum_min_purchases']} purchases that year to judge by), purchase"
        f" frequency decreasing, or {stopped}"
    )
    return {
        "new": (
            f"First purchase at most {v['new_max_tenure_days']} days ago and nothing paid yet"
            " (no payment received, no sales receipt)."
        ),
        "late_payer": (
            f"Pays late as a habit, whatever else it is: T score 1 (on average more than"
            f" {number_text(timeliness[3])} days beyond terms), at least"
            f" {v['late_payer_min_paid_invoices']} paid credit invoices, and at least"
            f" {percent_text(v['late_payer_min_share_late'])} of them paid after their due date."
        ),
        "possible_mismatch": (
            "One or two purchases in all, lifetime net sales below the business's median"
            f" customer's, first purchase more than {v['new_max_tenure_days']} days ago:"
            " probably not a fit."
        ),
        "hibernating": (
            f"Long inactive: {stopped} and no purchase for more than"
            f" {v['hibernating_min_days']} days: maybe lost."
        ),
        "dont_lose_them": (
            "A former Champion or Good customer that has stopped buying: Champion or Good by"
            f" the other rules at one of the {lookback} month ends before, and now {stopped}."
        ),
        "champion": (
            "Buys often, spends a lot, pays well and is still growing: M score 5 (TTM net"
            f" sales at least {number_text(monetary[0])}x the business's median customer's),"
            " F score 4-5 (a customer renewing yearly, a typical gap of at least"
            f" {v['commitment_min_gap_days']} days, counts 12 purchases), R score 4-5 (at most"
            f" {number_text(recency[1])} of its purchase cycles since its last purchase), T score"
            f" 4-5 (at most {number_text(timeliness[1])} days beyond terms on average) or nothing"
            f" paid on credit yet, TTM net sales above {falling_share} of the prior year's"
            " (or no prior-year sales), and first purchase more than"
            f" {v['promising_max_tenure_days']} days ago."
        ),
        "give_attention": (
            "A former Good, Promising or Champion customer now slipping: one of those by the"
            f" other rules at one of the {lookback} month ends before, and now {slipping}."
        ),
        "promising": (
            f"A newer customer: first purchase at most {v['promising_max_tenure_days']} days ago."
        ),
        "good": "Everything else: an established customer that no rule above describes.",
    }


def rewrite_descriptions(seed_text: str, key: str, descriptions: Mapping[str, str]) -> str:
    """A rules seed's CSV with each row's description replaced by descriptions[row[key]];
    the other columns (priorities, keys, names) and their order as they are. Shared by
    the segment rules and the value rules (value_rules.py)."""
    reader = csv.DictReader(io.StringIO(seed_text))
    rows = list(reader)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "description": descriptions[row[key]]})
    return out.getvalue()


def render_seed(seed_text: str, values: Mapping[str, object] | None = None) -> str:
    """The seed's CSV with each description rewritten from the vars; priorities, keys
    and names as they are."""
    return rewrite_descriptions(seed_text, "segment_key", describe(values))


def main(seed: Path = SEED_FILE) -> None:
    seed.write_text(render_seed(seed.read_text()))
    print(f"rewrote the descriptions in {seed}")


if __name__ == "__main__":
    main()
