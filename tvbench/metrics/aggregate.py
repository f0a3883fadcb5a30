"""How per-item statistics become one number: pure, vectorised, and bootstrap-friendly.

Each aggregation turns an item into a short vector of sufficient statistics; a corpus score
is a function of the summed vectors. Means, micro-F1, corpus BLEU and chrF all fit, so one
bootstrap routine serves every metric and aggregation never keeps state between calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Aggregation:
    """``finalize`` maps summed stats (shape ``(..., k)``) to scores (shape ``(...)``)."""

    name: str
    width: int
    finalize: Callable[[np.ndarray], np.ndarray]


def _mean(s: np.ndarray) -> np.ndarray:
    return np.divide(s[..., 0], s[..., 1], out=np.zeros(s.shape[:-1]), where=s[..., 1] > 0)


#: Mean of per-item values; an item contributes ``[value, 1]``.
MEAN = Aggregation("mean", 2, _mean)


def mean_stats(value: float) -> list[float]:
    return [float(value), 1.0]


def scaled(agg: Aggregation, factor: float) -> Aggregation:
    """The same aggregation reported on another scale (e.g. ×100 for percentages)."""
    return Aggregation(f"{agg.name}x{factor:g}", agg.width,
                       lambda s: agg.finalize(s) * factor)


def from_scalar_function(name: str, width: int,
                         fn: Callable[[Sequence[float]], float]) -> Aggregation:
    """Wrap a non-vectorised corpus function (e.g. sacrebleu's) applied row by row."""

    def finalize(s: np.ndarray) -> np.ndarray:
        flat = s.reshape(-1, s.shape[-1])
        out = np.array([fn(row.tolist()) for row in flat], dtype=float)
        return out.reshape(s.shape[:-1])

    return Aggregation(name, width, finalize)


def score(agg: Aggregation, stats: Sequence[Sequence[float]]) -> float:
    """The aggregate of a list of item stats (0 items → NaN)."""
    if len(stats) == 0:
        return float("nan")
    arr = np.asarray(stats, dtype=float)
    return float(agg.finalize(arr.sum(axis=0)))
