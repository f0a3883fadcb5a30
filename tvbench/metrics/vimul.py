"""ViMUL-Bench scoring pieces: the MCQ answer rule and the mean over question types.

ViMUL-Bench publishes no evaluation code (datasets_languages.md §2), so the MCQ rule is
tvbench's own, written down here and tested item by item; the TowerVision paper reports
"averages across multiple-choice accuracy and open-ended responses" ([TV-PDF] §3.3), which
:data:`QTYPE_MACRO` computes per language as the unweighted mean over the question types
present (MCQ, short, long).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np

from tvbench.metrics.aggregate import Aggregation

QUESTION_TYPES = ("mcq", "short", "long")


def option_letter(index: int) -> str:
    """A, B, …, Z for the first 26 options (ViMUL MCQs have four)."""
    if not 0 <= index < 26:
        raise ValueError(f"option index {index} has no letter (at most 26 options)")
    return chr(ord("A") + index)


_ALONE = re.compile(r"^[(\[]?([A-Za-z])[)\].:：]?$")
_LEADING = re.compile(r"^[(\[]?([A-Z])(?:[)\]]|[.:：])\s*\S")
_PHRASE = re.compile(r"(?i:answer)(?:\s+(?i:is))?\s*[:：]?\s*[(\[]?([A-Z])(?![A-Za-z])")
_TRAILING = " \t\n.。!！"


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().strip().rstrip(_TRAILING).strip()
    return " ".join(text.split())


def match_option(output: str, options: Sequence[str]) -> int | None:
    """Index of the option a generation chose, or None when it names none.

    Rules, first hit wins (letters beyond the number of options never count):

    1. the whole answer is a letter, optionally bracketed or followed by ``. : )``
       ("B", "(b)", "B.");
    2. it starts with a capital letter and a bracket or ``. :`` ("B. Sushi", "(B) …");
    3. "answer" [is] [:] then a capital letter, first occurrence ("The answer is B",
       "Final Answer: (C)");
    4. the answer equals exactly one option's text after NFKC, case folding, whitespace
       collapsing and dropping trailing ``. 。 ! ！``.
    """
    letters = [option_letter(i) for i in range(len(options))]
    text = output.strip()
    for pattern in (_ALONE, _LEADING, _PHRASE):
        hit = pattern.search(text)
        if hit:
            letter = hit.group(1).upper()
            return letters.index(letter) if letter in letters else None
    norm = _normalise(text)
    same = [i for i, opt in enumerate(options) if _normalise(opt) == norm]
    return same[0] if len(same) == 1 else None


def qtype_stats(question_type: str, value: float) -> list[float]:
    """Stats of one item for :data:`QTYPE_MACRO`: ``[value, 1]`` in its type's slot."""
    out = [0.0] * (2 * len(QUESTION_TYPES))
    slot = QUESTION_TYPES.index(question_type)
    out[2 * slot], out[2 * slot + 1] = float(value), 1.0
    return out


def _macro_over_types(s: np.ndarray) -> np.ndarray:
    sums, counts = s[..., 0::2], s[..., 1::2]
    means = np.divide(sums, counts, out=np.zeros(sums.shape), where=counts > 0)
    present = (counts > 0).sum(axis=-1)
    return np.divide(means.sum(axis=-1), present, out=np.zeros(present.shape, dtype=float),
                     where=present > 0)


#: Mean over the question types present of each type's mean item value.
QTYPE_MACRO = Aggregation("mean-over-qtypes", 2 * len(QUESTION_TYPES), _macro_over_types)
