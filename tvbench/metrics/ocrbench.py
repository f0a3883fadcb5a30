"""OCRBench (v1) scoring: a substring hit per item, summed per question type.

Two versions of ``tasks/ocrbench/utils.py`` (``ocrbench_process_results``):

* ``protocol="paper"``: the TowerVision authors' fork (deep-spin/lmms-eval @ 1b6b667, as
  inherited from lmms-eval v0.3), which produced the paper's numbers. The prediction is
  stripped and lower-cased FIRST; ``HME100k`` items then compare it with a GT that is not
  lower-cased (so a GT with a capital letter never hits), both with outer whitespace,
  newlines and every space removed; every other item lower-cases and strips both,
  newline → space, with no full-width folding.
* ``protocol="lmms-eval"``: lmms-eval 0.7.3, with the 2026 fix: the prediction is only
  stripped (the HME branch compares case-sensitively on both sides), and the non-HME branch
  first folds full-width ASCII (U+FF01..U+FF5E) and U+3000 to ASCII (lmms-eval
  ``bbddc790``).

Both: hit when a GT is a substring of the prediction; a list of GT strings hits if any does.

The official total is the number of hits out of 1000 ("Final Score"); papers report it /10.
Unlike lmms-eval's module-level ``OCRBench_score`` dict (never reset, so a second aggregation in
the same process double-counts), :func:`category_totals` keeps no state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from tvbench.metrics.aggregate import Aggregation

#: The ten question types, in the order of the official report.
CATEGORIES = (
    "Regular Text Recognition",
    "Irregular Text Recognition",
    "Artistic Text Recognition",
    "Handwriting Recognition",
    "Digit String Recognition",
    "Non-Semantic Text Recognition",
    "Scene Text-centric VQA",
    "Doc-oriented VQA",
    "Key Information Extraction",
    "Handwritten Mathematical Expression Recognition",
)
#: The six types the official report sums into "Text Recognition".
RECOGNITION = CATEGORIES[:6]
HME_DATASET = "HME100k"


def fold_fullwidth_ascii(text: str) -> str:
    """Full-width ASCII → ASCII and U+3000 → space, nothing else (no NFKC)."""
    out = []
    for ch in text:
        cp = ord(ch)
        if 0xFF01 <= cp <= 0xFF5E:
            out.append(chr(cp - 0xFEE0))
        elif cp == 0x3000:
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _squash(text: str) -> str:
    return text.strip().replace("\n", " ").replace(" ", "")


def _plain(text: str, fold: bool) -> str:
    return (fold_fullwidth_ascii(text) if fold else text).lower().strip().replace("\n", " ")


#: ``protocol`` values of :func:`ocrbench_hit`.
PROTOCOLS = ("paper", "lmms-eval")


def ocrbench_hit(prediction: str, answers: str | Sequence[str], dataset: str,
                 protocol: str = "paper") -> int:
    """1 if any GT answer is a substring of the (normalised) prediction, else 0."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"OCRBench protocol {protocol!r}: expected one of {PROTOCOLS}")
    fold = protocol == "lmms-eval"
    pred = prediction.strip() if fold else prediction.lower().strip()
    golds = [answers] if isinstance(answers, str) else list(answers)
    if dataset == HME_DATASET:
        squashed = _squash(pred)
        return int(any(_squash(g) in squashed for g in golds))
    normal = _plain(pred, fold)
    return int(any(_plain(g, fold) in normal for g in golds))


def category_totals(hits: Iterable[tuple[str, float]]) -> dict[str, object]:
    """The official report from (question_type, hit) pairs: hits and items per type.

    ``final_score`` is the sum of hits (the score out of 1000 on the full benchmark);
    ``text_recognition`` sums the six recognition types, as the official report does.
    """
    per: dict[str, dict[str, float]] = {c: {"hits": 0, "n": 0} for c in CATEGORIES}
    for qtype, hit in hits:
        row = per.setdefault(qtype, {"hits": 0, "n": 0})
        row["hits"] += hit
        row["n"] += 1
    return {
        "categories": per,
        "text_recognition": sum(per[c]["hits"] for c in RECOGNITION),
        "final_score": sum(row["hits"] for row in per.values()),
        "n": sum(row["n"] for row in per.values()),
    }


def _sum_finalize(s: np.ndarray) -> np.ndarray:
    return np.asarray(s[..., 0], dtype=float)


#: Sum of per-item values from ``[value]`` stats: the 1000-point OCRBench "Final Score".
SUM = Aggregation("sum", 1, _sum_finalize)
