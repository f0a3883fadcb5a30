"""ViMUL-Bench metric pieces: tvbench's MCQ answer rule and the mean over question types.

ViMUL-Bench has no public scorer (datasets_languages.md §2), so the rule is defined in
tvbench/metrics/vimul.py's ``match_option`` docstring ("rule N" below); the aggregation
follows the TowerVision paper §3.3 ("averages across multiple-choice accuracy and
open-ended responses"). Values are hand-computed.
"""

from __future__ import annotations

import numpy as np
import pytest

from tvbench.metrics.aggregate import score
from tvbench.metrics.vimul import QTYPE_MACRO, match_option, option_letter, qtype_stats

OPTIONS = ["From left to right", "From right to left", "From top to bottom", "Bottom to top"]

MCQ_TABLE = [
    ("A", 0, "rule 1: bare letter"),
    ("b", 1, "rule 1: lower-case bare letter"),
    ("(C)", 2, "rule 1: bracketed"),
    ("[D].", 3, "rule 1: bracketed, trailing period"),
    ("B.", 1, "rule 1: letter and period"),
    ("E", None, "rule 1: letter beyond the options"),
    ("B. From right to left", 1, "rule 2: letter, period, text"),
    ("(A) From left to right", 0, "rule 2: bracketed letter and text"),
    ("C) top to bottom", 2, "rule 2: letter and bracket"),
    ("D: Bottom to top", 3, "rule 2: letter and colon"),
    ("A man walks", None, "rule 2 needs a separator; no other rule applies"),
    ("The answer is B", 1, "rule 3: answer phrase"),
    ("Final Answer: (C)", 2, "rule 3: 'Answer:' and bracketed letter"),
    ("I think the answer is: A, because it moves right", 0, "rule 3: first occurrence"),
    ("answer is Beijing", None, "rule 3: a capital that starts a word is not a letter"),
    ("from left to right.", 0, "rule 4: option text, case and final period ignored"),
    ("  FROM  RIGHT TO LEFT ", 1, "rule 4: whitespace collapsed"),
    ("ｂｏｔｔｏｍ ｔｏ ｔｏｐ", 3, "rule 4: NFKC folds full-width letters"),
    ("left to right", None, "rule 4: exact text only, no substring match"),
    ("", None, "empty output"),
    ("The bar moves from left to right.", None, "prose without a letter is not parsed"),
]


@pytest.mark.parametrize(("output", "index", "rule"), MCQ_TABLE, ids=[r[2] for r in MCQ_TABLE])
def test_match_option(output: str, index: int | None, rule: str) -> None:
    assert match_option(output, OPTIONS) == index


def test_duplicate_option_text_is_ambiguous() -> None:
    assert match_option("same", ["same", "Same", "other"]) is None  # rule 4: exactly one


def test_option_letters() -> None:
    assert [option_letter(i) for i in (0, 1, 25)] == ["A", "B", "Z"]
    with pytest.raises(ValueError):
        option_letter(26)


@pytest.mark.parametrize(("output", "expected"), [("B", "B"), ("(C)", "C"), ("D.", "D"),
                                                  ("The answer is A", "A"),
                                                  ("B. From right to left", "B")])
def test_canonical_letters_agree_with_lmms_eval(output: str, expected: str) -> None:
    """On the canonical formats both rules accept, tvbench agrees with lmms-eval 0.7.3's
    ``lmms_eval.tasks._task_utils.mcq_extract.extract_mcq_answer`` (a reference only: it is
    not ViMUL's scorer, and it is more lenient elsewhere)."""
    from lmms_eval.tasks._task_utils.mcq_extract import extract_mcq_answer

    ours = match_option(output, OPTIONS)
    assert ours is not None and option_letter(ours) == expected
    assert extract_mcq_answer(output, choices=["A", "B", "C", "D"]) == expected


def test_qtype_stats_slots() -> None:
    assert qtype_stats("mcq", 1.0) == [1.0, 1.0, 0, 0, 0, 0]
    assert qtype_stats("long", 0.7) == [0, 0, 0, 0, 0.7, 1.0]
    with pytest.raises(ValueError):
        qtype_stats("video", 1.0)


QTYPE_TABLE = [
    # items as (type, value) → mean over present types of per-type means (hand-computed)
    ([("mcq", 1), ("mcq", 0), ("short", 0.8), ("long", 0.5)], (0.5 + 0.8 + 0.5) / 3),
    ([("mcq", 1), ("mcq", 1), ("mcq", 0), ("short", 0.2)], (2 / 3 + 0.2) / 2),
    ([("mcq", 1), ("mcq", 0)], 0.5),
    ([("long", 0.9)], 0.9),
]


@pytest.mark.parametrize(("items", "expected"), QTYPE_TABLE)
def test_mean_over_question_types(items: list[tuple[str, float]], expected: float) -> None:
    stats = [qtype_stats(t, v) for t, v in items]
    assert score(QTYPE_MACRO, stats) == pytest.approx(expected)


def test_mean_over_question_types_vectorised() -> None:
    # bootstrap calls finalize on (samples, width) arrays; a resample may lose a type
    summed = np.array([[1, 2, 0.8, 1, 0, 0], [0, 0, 0, 0, 0, 0], [2, 2, 1, 2, 3, 4]], float)
    assert QTYPE_MACRO.finalize(summed) == pytest.approx([(0.5 + 0.8) / 2, 0.0,
                                                          (1 + 0.5 + 0.75) / 3])
