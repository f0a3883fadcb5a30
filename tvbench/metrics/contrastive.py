"""Contrastive accuracy: does a scorer prefer the correct candidate over the incorrect one?

CoMMuTE's official rule (``MatthieuFP/CoMMuTE:evaluate.py``) counts a pair as right when the
correct translation has strictly lower perplexity; with log-probabilities (or COMET scores)
that is a strictly HIGHER score. Ties and non-finite scores count as wrong, so a scorer that
returns the same number for everything sits at 0, not at chance.

Pairs are matched by item id, never by position: the TowerVision fork's aggregation split a
result list in halves and zipped them, which silently mispairs under any reordering.
"""

from __future__ import annotations

import math
from collections.abc import Mapping


def prefers_correct(correct: float, incorrect: float) -> bool:
    """Strictly higher score for the correct candidate; a tie or a NaN is wrong."""
    if not (math.isfinite(correct) and math.isfinite(incorrect)):
        return False
    return correct > incorrect


def pair_outcomes(correct: Mapping[str, float], incorrect: Mapping[str, float]
                  ) -> dict[str, bool]:
    """Per-id outcome; both mappings must hold exactly the same ids."""
    if correct.keys() != incorrect.keys():
        only_c = sorted(set(correct) - set(incorrect))[:3]
        only_i = sorted(set(incorrect) - set(correct))[:3]
        raise ValueError(f"unpaired candidates: only correct {only_c}, only incorrect {only_i}")
    return {k: prefers_correct(correct[k], incorrect[k]) for k in sorted(correct)}


def contrastive_accuracy(correct: Mapping[str, float], incorrect: Mapping[str, float]
                         ) -> float:
    """Fraction of ids whose correct candidate scores strictly higher (NaN when empty)."""
    outcomes = pair_outcomes(correct, incorrect)
    if not outcomes:
        return math.nan
    return sum(outcomes.values()) / len(outcomes)
