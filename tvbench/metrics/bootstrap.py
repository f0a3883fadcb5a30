"""Percentile bootstrap confidence intervals over items, stratified by language.

Resampling is seeded and recorded in signatures (``bs:1000|rs:12345``), so a rerun over
the same items reproduces the interval bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from tvbench.metrics.aggregate import Aggregation

BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_SEED = 12345


def _resampled(agg: Aggregation, stats: np.ndarray, rng: np.random.Generator,
               n_samples: int) -> np.ndarray:
    n = stats.shape[0]
    idx = rng.integers(0, n, size=(n_samples, n))
    return agg.finalize(stats[idx].sum(axis=1))


def ci95(agg: Aggregation, stats: Sequence[Sequence[float]], *,
         n_samples: int = BOOTSTRAP_SAMPLES, seed: int = BOOTSTRAP_SEED
         ) -> tuple[float, float] | None:
    """95% interval of ``agg`` over items; None with fewer than two items."""
    if len(stats) < 2:
        return None
    rng = np.random.default_rng(seed)
    dist = _resampled(agg, np.asarray(stats, dtype=float), rng, n_samples)
    lo, hi = np.percentile(dist, [2.5, 97.5])
    return float(lo), float(hi)


def macro_ci95(agg: Aggregation, by_lang: Mapping[str, Sequence[Sequence[float]]], *,
               n_samples: int = BOOTSTRAP_SAMPLES, seed: int = BOOTSTRAP_SEED
               ) -> tuple[float, float] | None:
    """95% interval of the mean over languages, resampling items within each language."""
    langs = [lang for lang in sorted(by_lang) if len(by_lang[lang]) > 0]
    if not langs or sum(len(by_lang[lang]) for lang in langs) < 2:
        return None
    rng = np.random.default_rng(seed)
    dists = [_resampled(agg, np.asarray(by_lang[lang], dtype=float), rng, n_samples)
             for lang in langs]
    lo, hi = np.percentile(np.mean(dists, axis=0), [2.5, 97.5])
    return float(lo), float(hi)
