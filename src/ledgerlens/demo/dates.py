"""The demo calendar: November 2022 to October 2026, as day and month numbers.

Days are integers (days since 1970-01-01, as NumPy's datetime64[D]) so that date arithmetic
stays vectorised; months are numbered 0 .. N_MONTHS - 1 from November 2022.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

_EPOCH = dt.date(1970, 1, 1)
START_DATE = dt.date(2022, 11, 1)
END_DATE = dt.date(2026, 10, 31)
START = (START_DATE - _EPOCH).days  # first day of the data
END = (END_DATE - _EPOCH).days  # last day of the data: "today" for the demo

DAYS_PER_YEAR = 365.25

_MONTHS = np.arange(np.datetime64("2022-11"), np.datetime64("2026-11"))
N_MONTHS = len(_MONTHS)
MONTH_START = _MONTHS.astype("datetime64[D]").astype(np.int64)  # first day of each month
MONTH_END = (_MONTHS + 1).astype("datetime64[D]").astype(np.int64) - 1  # last day
MONTH_LENGTH = MONTH_END - MONTH_START + 1
CALENDAR_MONTH = _MONTHS.astype(np.int64) % 12  # 0 = January
FIRST_JANUARY = int(np.nonzero(CALENDAR_MONTH == 0)[0][0])  # January 2023: subscriptions start
# "YYMM" of each month (2503 for March 2025): the middle part of document ids.
MONTH_LABEL = pa.array([str(m)[2:4] + str(m)[5:7] for m in _MONTHS])


def month_of(day: np.ndarray) -> np.ndarray:
    """Month number of each day."""
    return np.searchsorted(MONTH_START, day, side="right") - 1
