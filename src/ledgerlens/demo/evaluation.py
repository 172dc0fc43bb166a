"""How well a warehouse's segments find the behaviours planted in the demo data.

`segment_scores` compares `marts.customer_sheet.segment` with the truth file the generator
writes (`truth/planted_customers.csv`, see `truth.py`), counting only customers whose
planted truth is `clear`: a customer planted near a segment's bound on the as-of date
could fairly land on either side of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class SegmentScore:
    """One expected segment: `planted` clear customers expected in it, `found` clear
    customers the warehouse put in it, `correct` both."""

    segment: str
    planted: int
    found: int
    correct: int

    @property
    def precision(self) -> float | None:
        return self.correct / self.found if self.found else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.planted if self.planted else None


def segment_scores(warehouse: str | Path, truth_csv: str | Path) -> list[SegmentScore]:
    """Precision and recall per expected segment, over the customers of the truth file
    whose certainty is `clear` (a customer missing from the sheet counts as found in no
    segment). Sorted by segment."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            """
            with truth as (
                select business_id, customer_id, expected_segment
                from read_csv(?, header = true, all_varchar = true)
                where certainty = 'clear'
            ),
            judged as (
                select truth.expected_segment, sheet.segment
                from truth
                left join marts.customer_sheet as sheet
                    on truth.business_id = sheet.business_id
                    and truth.customer_id = sheet.customer_id
            ),
            segments as (
                select expected_segment as segment from judged
                union
                select segment from judged where segment is not null
            )
            select
                segments.segment,
                count(*) filter (where judged.expected_segment = segments.segment),
                count(*) filter (where judged.segment = segments.segment),
                count(*) filter (
                    where judged.expected_segment = segments.segment
                    and judged.segment = segments.segment
                )
            from segments
            cross join judged
            group by segments.segment
            order by segments.segment
            """,
            [str(truth_csv)],
        ).fetchall()
    return [
        SegmentScore(segment, planted, found, correct) for segment, planted, found, correct in rows
    ]


def format_scores(scores: list[SegmentScore]) -> str:
    """A small table: segment, planted, found, precision, recall."""

    def share(value: float | None) -> str:
        return "   -" if value is None else f"{value:4.2f}"

    lines = [f"{'segment':18s} planted  found  precision  recall"]
    for score in scores:
        lines.append(
            f"{score.segment:18s} {score.planted:7d} {score.found:6d}"
            f"       {share(score.precision)}    {share(score.recall)}"
        )
    return "\n".join(lines)
