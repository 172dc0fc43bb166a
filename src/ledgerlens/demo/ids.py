"""Document and customer ids: INV-2503-00042, PAY-..., CN-..., COST-0000001, C00001.

Document ids are numbered per month of their date and continue across blocks, so the
counters are carried from one block to the next.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ledgerlens.demo.dates import MONTH_LABEL, N_MONTHS, month_of
from ledgerlens.demo.writing import as_text


def _per_month() -> np.ndarray:
    return np.zeros(N_MONTHS, np.int64)


@dataclass
class DocumentCounters:
    """Numbers used so far: per month for invoices, payments and credit notes; in all
    for costs."""

    invoices: np.ndarray = field(default_factory=_per_month)
    payments: np.ndarray = field(default_factory=_per_month)
    credit_notes: np.ndarray = field(default_factory=_per_month)
    costs: int = 0


def padded_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Ids like C00042: prefix and zero-padded number."""
    digits = pc.utf8_lpad(as_text(numbers), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def monthly_ids(prefix: str, day: np.ndarray, counter: np.ndarray, width: int) -> pa.Array:
    """Ids like INV-2503-00042: numbered per month of `day` in date order, continuing
    `counter` (updated in place)."""
    n = len(day)
    month = month_of(day)
    order = np.argsort(day, kind="stable")
    sorted_month = month[order]
    rank = np.empty(n, np.int64)  # rank of each document within its month
    rank[order] = np.arange(n) - np.searchsorted(sorted_month, sorted_month, side="left")
    number = counter[month] + rank + 1
    counter += np.bincount(month, minlength=N_MONTHS)
    digits = pc.utf8_lpad(as_text(number), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, pc.take(MONTH_LABEL, pa.array(month)), digits, "-")
