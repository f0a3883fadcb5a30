"""How per-item statistics become one number: pure, vectorised, and bootstrap-friendly.

Each aggregation turns an item into a short vector of sufficient statistics; a corpus score
is a function of the summed vectors. Means, micro-F1, corpus BLEU and chrF all fit, so one
bootstrap routine serves every metric and aggregation never keeps state between calls.
"""

from __future__ import annotations

import importlib
import re
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


#: Every aggregation tvbench's metrics define, by name, as ``module:attribute`` (imported only
#: when asked for). A run folder names each metric's aggregation, so a tool reading per-item
#: statistics back (the regression gate) can rebuild the exact corpus formula without the task.
KNOWN = {
    "mean": "tvbench.metrics.aggregate:MEAN",
    "sum": "tvbench.metrics.ocrbench:SUM",
    "macro_f1": "tvbench.metrics.ocr_f1:MACRO_F1",
    "micro_f1": "tvbench.metrics.ocr_f1:MICRO_F1",
    "kie_field_f1": "tvbench.metrics.kie:FIELD_F1",
    "kie_nted_acc": "tvbench.metrics.kie:NTED_ACC",
    "corpus-bleu": "tvbench.metrics.translation:CORPUS_BLEU",
    "corpus-chrf": "tvbench.metrics.translation:CORPUS_CHRF",
    "mean-over-qtypes": "tvbench.metrics.vimul:QTYPE_MACRO",
}
_SCALED = re.compile(r"(?P<base>.+)x(?P<factor>\d+(?:\.\d+)?(?:e[+-]?\d+)?)")


def by_name(name: str) -> Aggregation | None:
    """The aggregation called ``name`` (``scaled`` ones as ``<base>x<factor>``), or None when
    tvbench defines none by that name (e.g. a plugin task's own)."""
    spec = KNOWN.get(name)
    if spec is not None:
        module, _, attr = spec.partition(":")
        found = getattr(importlib.import_module(module), attr)
        return found if isinstance(found, Aggregation) and found.name == name else None
    m = _SCALED.fullmatch(name)
    if m is None:
        return None
    base = by_name(m.group("base"))
    if base is None:
        return None
    out = scaled(base, float(m.group("factor")))
    return out if out.name == name else None
