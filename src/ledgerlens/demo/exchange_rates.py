"""Daily exchange rates for the businesses' foreign-currency customers.

Rates are in millionths of the home currency per document-currency unit, quoted to four
decimals, like a bank's daily rate.
"""

from __future__ import annotations

import numpy as np

from ledgerlens.demo.dates import END, START

# Per (document currency, home currency): the rate's level at the start and at the end,
# the band it stays in, and the daily volatility. Each series is a Brownian bridge
# between the two levels, clipped to the band.
FX_PATHS = {
    ("CAD", "USD"): (0.745, 0.727, 0.72, 0.75, 0.0005),
    ("USD", "EUR"): (0.945, 0.868, 0.85, 0.95, 0.0012),
}
HOME_RATE = 1_000_000  # 1.000000: documents in the home currency


def daily_exchange_rates(rng: np.random.Generator) -> dict[tuple[str, str], np.ndarray]:
    """Daily rates in millionths (quoted to 4 decimals), indexed by day - START."""
    n = END - START + 1
    t = np.arange(n) / (n - 1)
    series = {}
    for pair, (first, last, low, high, daily_sd) in FX_PATHS.items():
        walk = np.cumsum(rng.normal(0.0, daily_sd, n))
        bridge = walk - t * walk[-1]
        rate = np.clip(first + (last - first) * t + bridge, low, high)
        series[pair] = np.rint(rate * 10_000).astype(np.int64) * 100
    return series


def rates_on(series: np.ndarray | None, day: np.ndarray, is_foreign: np.ndarray) -> np.ndarray:
    """The rate of each document: the day's rate if it is in the foreign currency, else 1.
    Days outside the data (none are expected) take the nearest day's rate."""
    if series is None:
        return np.full(len(day), HOME_RATE, np.int64)
    return np.where(is_foreign, series[np.clip(day - START, 0, END - START)], HOME_RATE)
