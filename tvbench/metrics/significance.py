"""Paired significance for comparing two runs on the same items, and multiple-test control.

A regression gate compares a candidate checkpoint with a baseline on the *same* items, so the
test is paired: every bootstrap resample draws one set of item indices and scores both runs
on it. Each item carries the sufficient statistics of its metric (see
:mod:`tvbench.metrics.aggregate`), so corpus-level metrics (BLEU, chrF, micro-F1) are resampled
at the corpus level: a resample's score is the aggregation of its summed statistics, exactly
as for the full set. Scores macro-averaged over languages resample items within each language.

With one test per language (ALM-Bench has 100), some would look significant by chance;
:func:`adjust` controls that with Benjamini–Hochberg (false discovery rate) or Holm
(family-wise error rate), matching ``statsmodels.stats.multitest.multipletests``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from tvbench.metrics.aggregate import Aggregation

#: Resamples drawn per chunk: bounds memory at chunk × items counts, whatever the item count.
_CHUNK = 128

Method = Literal["bh", "holm", "none"]
METHODS: tuple[Method, ...] = ("bh", "holm", "none")
METHOD_NAMES = {"bh": "Benjamini-Hochberg FDR", "holm": "Holm FWER", "none": "uncorrected"}


@dataclass(frozen=True)
class PairedComparison:
    """Candidate minus baseline on shared items, with its bootstrap interval and p-value.

    ``p_value`` is one-sided, for "the candidate is worse": the share of resamples in which
    the candidate is *not* worse, ``(1 + #{delta* >= 0}) / (resamples + 1)``. It is 1 for two
    identical runs and about ``1 / (resamples + 1)`` for a drop that every resample shows.
    """

    baseline: float
    candidate: float
    delta: float
    ci95: tuple[float, float]
    p_value: float
    n: int
    resamples: int
    seed: int


def _as_array(stats: Sequence[Sequence[float]], width: int, what: str) -> np.ndarray:
    arr = np.asarray(stats, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != width:
        raise ValueError(f"{what}: expected items × {width} statistics, got shape {arr.shape}")
    return arr


def _resampled_pair(agg: Aggregation, base: np.ndarray, cand: np.ndarray,
                    rng: np.random.Generator, resamples: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores of both runs on the same ``resamples`` bootstrap draws of item indices."""
    n = base.shape[0]
    out_b, out_c = np.empty(resamples), np.empty(resamples)
    for start in range(0, resamples, _CHUNK):
        size = min(_CHUNK, resamples - start)
        idx = rng.integers(0, n, size=(size, n))
        # How often each item is drawn in each resample (bincount: np.add.at's result, faster)
        flat = (np.arange(size)[:, None] * n + idx).ravel()
        counts = np.bincount(flat, minlength=size * n).reshape(size, n).astype(float)
        out_b[start:start + size] = agg.finalize(counts @ base)
        out_c[start:start + size] = agg.finalize(counts @ cand)
    return out_b, out_c


def paired_bootstrap(agg: Aggregation, baseline: Mapping[str, Sequence[Sequence[float]]],
                     candidate: Mapping[str, Sequence[Sequence[float]]], *,
                     resamples: int = 1000, seed: int = 12345) -> PairedComparison:
    """Compare two runs on aligned items: ``baseline[g][i]`` and ``candidate[g][i]`` are the
    statistics of the same item ``i`` of stratum ``g`` (a language).

    The score is the mean over strata of each stratum's aggregate (one stratum: the plain
    aggregate), as tvbench's headline scores are; resampling is stratified accordingly.
    """
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    if set(baseline) != set(candidate):
        raise ValueError("baseline and candidate must have the same strata "
                         f"({sorted(baseline)} vs {sorted(candidate)})")
    strata = sorted(g for g in baseline if len(baseline[g]) > 0)
    if not strata:
        raise ValueError("no shared items to compare")
    rng = np.random.default_rng(seed)
    points_b, points_c, dists_b, dists_c = [], [], [], []
    n = 0
    for g in strata:
        base = _as_array(baseline[g], agg.width, f"baseline stratum {g!r}")
        cand = _as_array(candidate[g], agg.width, f"candidate stratum {g!r}")
        if base.shape != cand.shape:
            raise ValueError(f"stratum {g!r}: {base.shape[0]} baseline items but "
                             f"{cand.shape[0]} candidate items; pair them first")
        n += base.shape[0]
        points_b.append(float(agg.finalize(base.sum(axis=0))))
        points_c.append(float(agg.finalize(cand.sum(axis=0))))
        rb, rc = _resampled_pair(agg, base, cand, rng, resamples)
        dists_b.append(rb)
        dists_c.append(rc)
    score_b, score_c = float(np.mean(points_b)), float(np.mean(points_c))
    deltas = np.mean(dists_c, axis=0) - np.mean(dists_b, axis=0)
    lo, hi = np.percentile(deltas, [2.5, 97.5])
    not_worse = int(np.count_nonzero(deltas >= 0))
    return PairedComparison(baseline=score_b, candidate=score_c, delta=score_c - score_b,
                            ci95=(float(lo), float(hi)),
                            p_value=(1 + not_worse) / (resamples + 1), n=n,
                            resamples=resamples, seed=seed)


def adjust(p_values: Sequence[float], method: Method) -> list[float]:
    """Adjusted p-values: compare each with alpha to control the error rate over the family.

    ``bh``: Benjamini–Hochberg step-up (false discovery rate); ``holm``: Holm step-down
    (family-wise error rate); ``none``: unchanged. Same values as statsmodels' ``fdr_bh`` and
    ``holm``.
    """
    if method not in METHODS:
        raise ValueError(f"unknown multiple-comparison method {method!r}; expected one of "
                         f"{', '.join(METHODS)}")
    p = np.asarray(p_values, dtype=float)
    if p.size == 0 or method == "none":
        return [float(x) for x in p]
    if np.any((p < 0) | (p > 1) | np.isnan(p)):
        raise ValueError("p-values must lie in [0, 1]")
    m = p.size
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if method == "bh":
        scaled = ranked * m / np.arange(1, m + 1)
        adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    else:
        scaled = ranked * (m - np.arange(m))
        adjusted = np.maximum.accumulate(scaled)
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return [float(x) for x in out]
