"""CC-OCR's OCR score: bag-of-tokens F1, per item (macro) and pooled (micro).

Reimplements the official evaluator (``AlibabaResearch/AdvancedLiterateMachinery`` @
``fb6187eb``, ``Benchmarks/CC-OCR/evaluation/evaluator/ocr_evaluator.py``), which both
OCR tracks use:

* tokenisation by subset: character level for Arabic, Japanese, Korean and any subset whose
  name contains ``"zh"`` (a substring test, as upstream), word level otherwise; everything is
  lower-cased; only word-level ``multi_scene_ocr`` subsets keep ``[A-Za-z0-9]`` alone
  (``"Café"`` → ``"caf"``), multi-lan keeps punctuation attached to words;
* normalisation: ``strip``, tab/newline → space, ``###``/``***`` deleted, whitespace runs
  (Unicode ``\\s``) → one space; character mode then drops the spaces;
* matching is multiset intersection, and the formulas keep upstream's ``1e-9`` epsilons, so an
  empty GT with an empty prediction scores 0 and a perfect item 0.999999998…;
* macro F1 = Σ F1_i / (N + 1e-9); micro F1 = harmonic mean of Σright/Σgt and Σright/Σpred.

The TowerVision fork (deep-spin/lmms-eval ``cc_ocr_eval/utils.py``) ports the same code but
picks character level from the ``image_name`` prefix (Arabic/Japanese/Korean/Chinese); on the
real multi-lan rows that prefix equals the subset name, so both rules give the same tokens.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tvbench.metrics.aggregate import Aggregation

#: Subsets scored per character besides the ``zh*`` ones (``ocr_evaluator.py:86``).
CHAR_LEVEL_SUBSETS = frozenset({"Arabic", "Japanese", "Korean"})
EPS = 1e-9

_WHITESPACE = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")


@dataclass(frozen=True)
class TokenConfig:
    word_level: bool
    alphanum_only: bool
    lowercase: bool = True

    def describe(self) -> str:
        return ("word" if self.word_level else "char") + ("+alnum" if self.alphanum_only else "")


def token_config(track: str, subset: str) -> TokenConfig:
    """The official per-subset switches: char level, then alnum-only for word-level scene OCR."""
    word_level = not (subset in CHAR_LEVEL_SUBSETS or "zh" in subset)
    alphanum_only = "multi_scene_ocr" in track and word_level
    return TokenConfig(word_level=word_level, alphanum_only=alphanum_only)


def tokenize(text: str, config: TokenConfig) -> list[str]:
    """``str(text).strip()`` then the official normalise-and-split (``ocr_evaluator.py:21``)."""
    text = str(text).strip()
    text = text.replace("\t", " ").replace("\n", " ").replace("###", "").replace("***", "")
    text = _WHITESPACE.sub(" ", text)
    if not config.word_level:
        text = text.replace(" ", "")
    pieces = text.split(" ") if config.word_level else list(text)
    out = []
    for tok in pieces:
        if config.lowercase:
            tok = tok.lower()
        if config.alphanum_only:
            tok = _NOT_ALNUM.sub("", tok)
        if tok:
            out.append(tok)
    return out


def match_count(gt: Sequence[str], pred: Sequence[str]) -> int:
    """Σ over GT tokens of min(count in GT, count in prediction)."""
    have = Counter(pred)
    return sum(min(n, have[tok]) for tok, n in Counter(gt).items())


def f1_from_counts(right: Any, n_gt: Any, n_pred: Any) -> Any:
    """The official F1 with its ``1e-9`` epsilons, from one item's counts (per-sample F1) or
    pooled counts (``mirco_f1_score``, sic); floats or numpy arrays alike."""
    recall = right / (n_gt + EPS)
    precision = right / (n_pred + EPS)
    return 2 * recall * precision / (recall + precision + EPS)


@dataclass(frozen=True)
class OcrItem:
    """One item's counts and its official per-sample recall, precision and F1."""

    right: int
    n_gt: int
    n_pred: int

    @property
    def recall(self) -> float:
        return self.right / (self.n_gt + EPS)

    @property
    def precision(self) -> float:
        return self.right / (self.n_pred + EPS)

    @property
    def f1(self) -> float:
        return float(f1_from_counts(self.right, self.n_gt, self.n_pred))


def score_item(prediction: str, ground_truth: str, config: TokenConfig) -> OcrItem:
    gt = tokenize(ground_truth, config)
    pred = tokenize(prediction, config)
    return OcrItem(match_count(gt, pred), len(gt), len(pred))


def macro_f1(items: Sequence[OcrItem]) -> float:
    """Official ``macro_f1_score``: Σ F1_i / (N + 1e-9)."""
    return sum(it.f1 for it in items) / (len(items) + EPS)


def micro_f1(items: Sequence[OcrItem]) -> float:
    """Official ``mirco_f1_score`` (sic): the F1 of the pooled counts."""
    return float(f1_from_counts(sum(i.right for i in items), sum(i.n_gt for i in items),
                                sum(i.n_pred for i in items)))


def _macro_finalize(s: np.ndarray) -> np.ndarray:
    return np.asarray(s[..., 0] / (s[..., 1] + EPS), dtype=float)


def _micro_finalize(s: np.ndarray) -> np.ndarray:
    return np.asarray(f1_from_counts(s[..., 0], s[..., 1], s[..., 2]), dtype=float)


#: Macro F1 from ``[f1_i, 1]`` stats: the official mean with its ``N + 1e-9`` denominator.
MACRO_F1 = Aggregation("macro_f1", 2, _macro_finalize)
#: Micro F1 from ``[right, n_gt, n_pred]`` stats, so the bootstrap resamples items.
MICRO_F1 = Aggregation("micro_f1", 3, _micro_finalize)
