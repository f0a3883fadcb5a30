"""CC-OCR document parsing: 1 − normalised edit distance for doc/formula/molecular, TEDS for tables.

Per-op clean-up follows the official ``doc_parsing_evaluator.py`` (CC-OCR @ ``fb6187eb``):

* ``doc``: delete ``\\documentclass{…}``, ``\\usepackage[…]{…}``, ``\\usepackage{…}``,
  ``\\geometry{…}``, ``\\begin{document}``, ``\\end{document}``, ``\\noindent`` from the
  prediction; keep the body of the first ```` ```latex … ``` ```` block (or, if only an
  unclosed ```` ```latex ```` exists, the text between the first and second one, as
  ``split("```latex")[1]`` does); delete every space and newline on both sides. Other fences
  (```` ``` ````, ```` ```tex ````) are not stripped.
* ``formula``: prediction newline/tab → space, ```` ```latex ```` and ```` ``` ```` deleted, spaces
  deleted; GT only loses spaces (its newlines stay).
* ``molecular``: prediction loses newlines, spaces, ``<smiles>`` and ``</smiles>`` (code fences
  stay); GT loses spaces.
* score = 1 − Levenshtein / max(len(pred), len(gt)), with rapidfuzz's uncapped Levenshtein
  (nltk ≥ 3.10.3 raises above 2000 characters, so the official code crashes on long pages).
* ``table``: fence, table clean-up and half-width fold, then TEDS (:mod:`tvbench.metrics.teds`).

Both strings empty after clean-up divides by zero upstream (the whole subset aborts); tvbench
scores that item 0.0, the same as a missing prediction. A subset score is the plain mean
``sum / len`` (no epsilon), and the track is the mean over the 10 subsets (not the 4 ops, which
is what lmms-eval 0.7.3's ``overall_score`` does).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tvbench.metrics.edit_distance import levenshtein
from tvbench.metrics.teds import clean_tables, strip_html_fence, teds, to_halfwidth

OPS = ("doc", "table", "formula", "molecular")

_DOC_PATTERNS = [re.compile(p) for p in (
    r"\\documentclass\{.*?\}", r"\\usepackage\[.*?\]\{.*?\}", r"\\usepackage\{.*?\}",
    r"\\geometry\{.*?\}", r"\\begin\{document\}", r"\\end\{document\}", r"\\noindent")]
_LATEX_BLOCK = re.compile(r"```latex(.+?)```", re.DOTALL)


def edit_similarity(pred: str, gt: str) -> float:
    """1 − Levenshtein / max length; 0.0 when both are empty (upstream divides by zero)."""
    longest = max(len(pred), len(gt))
    if longest == 0:
        return 0.0
    return 1 - levenshtein(pred, gt) / longest


def clean_doc_prediction(pred: str) -> str:
    for pattern in _DOC_PATTERNS:
        pred = pattern.sub("", pred)
    match = _LATEX_BLOCK.search(pred)
    if match is not None:
        pred = match.group(1)
    elif "```latex" in pred:
        pred = pred.split("```latex")[1]
    return pred.replace(" ", "").replace("\n", "")


def clean_prediction(op: str, pred: str) -> str:
    """The prediction after the op's official clean-up (the string that gets compared)."""
    if op == "doc":
        return clean_doc_prediction(pred)
    if op == "formula":
        return (pred.replace("\n", " ").replace("```latex", "").replace("```", "")
                .replace("\t", " ").replace(" ", ""))
    if op == "molecular":
        return (pred.replace("\n", "").replace(" ", "").replace("<smiles>", "")
                .replace("</smiles>", ""))
    if op == "table":
        return to_halfwidth(clean_tables(strip_html_fence(pred)))
    raise ValueError(f"doc parsing: unsupported op {op!r} (expected one of {OPS})")


def clean_ground_truth(op: str, gt: str) -> str:
    if op == "doc":
        return gt.replace(" ", "").replace("\n", "")
    if op in ("formula", "molecular"):
        return gt.replace(" ", "")
    if op == "table":
        return to_halfwidth(clean_tables(gt))
    raise ValueError(f"doc parsing: unsupported op {op!r} (expected one of {OPS})")


def score_item(op: str, prediction: str, ground_truth: str) -> float:
    """The item score for one of :data:`OPS`; an unknown op raises ValueError (as upstream)."""
    pred = clean_prediction(op, str(prediction))
    gt = clean_ground_truth(op, str(ground_truth))
    if op == "table":
        return teds(f"<html><body>{pred}</body></html>", f"<html><body>{gt}</body></html>")
    return edit_similarity(pred, gt)


def subset_score(scores: Sequence[float]) -> float:
    """Official per-subset ``score``: sum / len, 0 for an empty subset."""
    return sum(scores) / len(scores) if scores else 0.0
