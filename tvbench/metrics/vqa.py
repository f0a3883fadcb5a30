"""VQA accuracy with the EvalAI answer normaliser, exactly as lmms-eval scores TextVQA.

lmms-eval 0.7.3 (``lmms_eval/tasks/_task_utils/vqa_eval_metric.py``, copied from MMF) has
two bugs that move scores, and paper-compatible numbers need both:

* the period rule is written ``(?!<=\\d)(\\.)(?!\\d)`` — a lookahead where a lookbehind
  ``(?<!\\d)`` was meant — so a period after a digit is stripped too ("3." → "3");
* ``re.UNICODE`` (= 32) is passed as ``count`` to ``.sub``, so at most 32 periods go.

``normalize_evalai`` keeps both quirks; ``normalize_evalai_clean`` fixes them and is named
``evalai-clean`` in signatures. Every GT answer goes through the same normaliser as the
prediction (lmms-eval normalises all ten; the answers are never mutated here).
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources

_PERIOD_STRIP_LMMS = re.compile(r"(?!<=\d)(\.)(?!\d)")
_PERIOD_STRIP_CLEAN = re.compile(r"(?<!\d)(\.)(?!\d)")
_COMMA_STRIP = re.compile(r"(?<=\d)(\,)+(?=\d)")
_PUNCTUATION = [";", "/", "[", "]", '"', "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<",
                "@", "`", ",", "?", "!"]
_NUMBERS = {"none": "0", "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4",
            "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10"}
_ARTICLES = frozenset({"a", "an", "the"})


@cache
def _contractions() -> dict[str, str]:
    """The EvalAI contraction table, verbatim (including its unreachable capitalised keys)."""
    text = resources.files("tvbench.metrics").joinpath("evalai_contractions.json").read_text()
    return dict(json.loads(text)["table"])


def _punctuation(text: str, period: re.Pattern[str], period_count: int) -> str:
    out = text
    comma_digits = _COMMA_STRIP.search(text) is not None
    for p in _PUNCTUATION:
        if p + " " in text or " " + p in text or comma_digits:
            out = out.replace(p, "")
        else:
            out = out.replace(p, " ")
    return period.sub("", out, count=period_count)


def _digits_articles(text: str) -> str:
    words = [_NUMBERS.get(w, w) for w in text.lower().split()]
    words = [w for w in words if w not in _ARTICLES]
    table = _contractions()
    return " ".join(table.get(w, w) for w in words)


def _normalize(text: str, period: re.Pattern[str], period_count: int) -> str:
    text = text.lower().replace(",", "").replace("?", "").replace("'s", " 's").strip()
    text = text.replace("\n", " ").replace("\t", " ").strip()
    return _digits_articles(_punctuation(text, period, period_count))


def normalize_evalai(text: str) -> str:
    """lmms-eval's ``EvalAIAnswerProcessor()(text)``, quirks included."""
    return _normalize(text, _PERIOD_STRIP_LMMS, int(re.UNICODE))


def normalize_evalai_clean(text: str) -> str:
    """The same steps with the lookbehind and the count fixed."""
    return _normalize(text, _PERIOD_STRIP_CLEAN, 0)


NORMALIZERS: dict[str, Callable[[str], str]] = {
    "evalai": normalize_evalai,
    "evalai-clean": normalize_evalai_clean,
}


def vqa_accuracy(prediction: str, answers: Sequence[str],
                 normalize: Callable[[str], str] = normalize_evalai) -> float:
    """Mean over the leave-one-out subsets of ``min(1, matches / 3)``; 0 without answers."""
    if not answers:
        return 0.0
    pred = normalize(prediction)
    gts = [normalize(a) for a in answers]
    accs = []
    for i in range(len(gts)):
        matches = sum(1 for j, g in enumerate(gts) if j != i and g == pred)
        accs.append(min(1.0, matches / 3))
    return float(statistics.mean(accs))
