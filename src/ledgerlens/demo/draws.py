"""Random draws used throughout the generator.

Every draw takes the generator explicitly: each business and each block of customers
has its own stream, and the order of the draws is what makes the output reproducible.
"""

from __future__ import annotations

import numpy as np


def uniform_integers(rng: np.random.Generator, low: int, high: int, size: int) -> np.ndarray:
    """Uniform integers in [low, high] (both included), int64."""
    return rng.integers(low, high + 1, size, dtype=np.int64)


def lognormal_noise(rng: np.random.Generator, sigma: float, size: int) -> np.ndarray:
    """Multiplicative lognormal noise, truncated at two standard deviations."""
    return np.exp(sigma * np.clip(rng.standard_normal(size), -2.0, 2.0))


def days_between(rng: np.random.Generator, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """A uniform random day in [first, last] for each pair."""
    return first + (rng.random(len(first)) * (last - first + 1)).astype(np.int64)
