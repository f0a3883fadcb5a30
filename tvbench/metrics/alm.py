"""ALM-Bench scoring pieces: answer-option splitting, "Final Answer:" extraction, judge scores.

Two protocols use them (see ``tasks/alm_bench.py``):

* TowerVision's (deep-spin/lmms-eval fork, commits ``a62ad3a``/``06624c7``): the MCQ answer
  ``"<answer> (<localised 'Options'>: a, b, c)"`` is split into target and choices; the
  generation (already ``.strip()``-ped, as lmms-eval's ``process_results`` does) goes
  through ``extract_final_answer`` and must equal the target exactly.
* The official one (``mbzuai-oryx/ALM-Bench`` ``Evaluation/GPTScoring.py`` and
  ``Evaluation/scripts/qwen2hf.py``): naive splits on the first parenthesis, and a judge
  that returns a 0–10 number.

Everything here is pure: strings in, values out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

#: Every "Options" label in the fork's ``split_answer_options`` regexes (a62ad3a, 06624c7,
#: 1776250c/264be2bc, and the later index version 66449069732). Matching is
#: case-insensitive, so case variants the fork lists separately collapse here.
FORK_OPTION_LABELS: tuple[str, ...] = (
    # a62ad3a
    "Options", "Opties", "옵션", "선택", "선택사항", "选项", "Opciones", "opzioni", "Варианты",
    "choix", "Opções", "Optionen", "Zutaten", "Auswahl",
    # 06624c7
    "Vaihtoehdot", "Možnosti", "Опції", "Варіанти", "विकल्प", "オプション", "opcje", "Alternativ",
    "Opciók", "Opțiuni", "Valgmuligheder", "Opsjoner", "Valmöguleikar", "Valkostir",
    "möguleikar", "параметри",
    # 1776250c / 264be2bc
    "選択肢", "選択", "選項", "選購", "選配", "可选", "可選", "Kjör",
    # index id 66449069732 (latest label list)
    "Alternativer", "Muligheder", "Indstillinger", "Mulighed", "Lehetőségek", "Volby",
    "варианти", "Optioner",
)

_OPEN, _CLOSE = "[（(]", "[）)]"
_COLON = r"\s*[:：]\s*"
# Longest labels first so that, e.g., "선택사항" is tried before "선택".
_LABELS = "|".join(re.escape(x) for x in sorted(set(FORK_OPTION_LABELS), key=len, reverse=True))
_FORK_SPLIT = re.compile(rf"^(.*?)\s*{_OPEN}\s*(?:{_LABELS}){_COLON}(.+?){_CLOSE}\s*[.。]?$",
                         re.IGNORECASE | re.DOTALL)
# Any short label before a colon in the final parenthetical: for the ~77 ALM-Bench languages
# whose label the fork never met (Afrikaans "Opsies", Arabic, Swahili, ...).
_ANY_SPLIT = re.compile(rf"^(.*?)\s*{_OPEN}\s*[^()（）:：,，、]{{1,40}}?{_COLON}([^()（）]+?)"
                        rf"{_CLOSE}\s*[.。]?$", re.DOTALL)
#: The fork splits choices on ASCII/full-width/ideographic commas (1776250c); the Arabic and
#: Ethiopic commas are added for languages outside the fork (they never occur in its scripts).
_CHOICE_SEP = re.compile(r"\s*[,，、،፣]\s*")


def split_answer_options(answer: str, any_label: bool = False) -> tuple[str, list[str]] | None:
    """``(target, choices)`` from an ALM-Bench MCQ answer, or None when it cannot be split.

    The target is the text before the options parenthetical, stripped of spaces, ``.`` and
    ``。`` (06624c7). The fork's labels are always tried first; ``any_label`` then also
    accepts an unknown label, so results agree with the fork wherever the fork's labels match.
    """
    text = answer.strip()
    match = _FORK_SPLIT.match(text) or (_ANY_SPLIT.match(text) if any_label else None)
    if match is None:
        return None
    target = match.group(1).strip(" .。")
    choices = [c.strip() for c in _CHOICE_SEP.split(match.group(2).strip())]
    if not target:
        return None
    return target, choices


def official_mcq_parts(answer: str) -> tuple[str, str]:
    """``(ground_truth, options_text)`` split as the official scripts do.

    ``qwen2hf.py`` puts the text inside the first ``（…）`` (if any full-width one exists,
    else the first ``(…)``) into the prompt, label included; ``GPTScoring.py`` uses the text
    before that parenthesis, unstripped, as the judge's ground truth. An answer without a
    parenthesis raises ValueError (the official script prints an error and drops the item).
    """
    opener, closer = ("（", "）") if "（" in answer else ("(", ")")
    if opener not in answer:
        raise ValueError(f"MCQ answer has no options parenthesis: {answer[:80]!r}")
    before, _, after = answer.partition(opener)
    return before, after.split(closer)[0]


def extract_final_answer(text: str) -> str:
    """The fork's ``extract_final_answer`` (lmms_eval/utils.py @ a62ad3a), reimplemented.

    Finds the FIRST ``"\\nFinal Answer:"`` (case-sensitive; the newline is required), skips
    any whitespace after it (newlines included), and returns the rest of that line with no
    stripping. Without the marker, the whole text comes back unchanged.
    """
    at = text.find("\nFinal Answer:")
    if at < 0:
        return text
    rest = text[at + len("\nFinal Answer:"):]
    rest = rest[len(rest) - len(rest.lstrip()):]
    return rest.split("\n", 1)[0]


def paper_exact_match(generation: str, target: str) -> tuple[str, float]:
    """(extracted answer, 1.0/0.0) for one item under the fork's a62ad3a/06624c7 scoring.

    lmms-eval strips the generation before the task hook; the hook compares the extracted
    answer with ``target.strip(".")``, case- and whitespace-sensitive.
    """
    pred = extract_final_answer(generation.strip())
    return pred, 1.0 if pred == target.strip(".") else 0.0


_SCORE = re.compile(
    r"^(?:score\s*[:：=]?\s*)?(?P<num>\d+(?:\.\d+)?)\s*(?:/\s*(?P<den>\d+)|out\s+of\s+(?P<den2>\d+))?"
    r"\s*\.?$", re.IGNORECASE)


def parse_judge_score(reply: str, max_score: float = 10.0) -> float | None:
    """The number a judge was told to return alone ("Strictly return only the numeric score").

    Accepted, after stripping whitespace, quotes, backticks and ``**``: ``"7"``, ``"7.5"``,
    ``"7/10"``, ``"7 out of 10"``, ``"Score: 7"`` (a denominator must equal ``max_score``),
    with an optional final period. Anything else — prose, several numbers, out of range — is
    None: an unparsable verdict is an error, never a zero.
    """
    text = reply.strip().strip("`'\"*").strip()
    match = _SCORE.match(text)
    if match is None:
        return None
    den = match.group("den") or match.group("den2")
    if den is not None and float(den) != max_score:
        return None
    value = float(match.group("num"))
    return value if 0.0 <= value <= max_score else None


def group_means(lang_scores: Mapping[str, float], group_of: Mapping[str, str]
                ) -> dict[str, dict[str, object]]:
    """Unweighted mean of per-language scores within each group (resource, script, family).

    Languages map to groups through ``group_of``; a language without a group goes to
    ``"unknown"``. Groups are returned sorted, each with its score and member languages.
    """
    members: dict[str, list[str]] = {}
    for lang in sorted(lang_scores):
        members.setdefault(group_of.get(lang) or "unknown", []).append(lang)
    return {g: {"score": sum(lang_scores[x] for x in langs) / len(langs), "languages": langs}
            for g, langs in sorted(members.items())}


def template_hash(templates: Iterable[str]) -> str:
    """A short, order-sensitive fingerprint of judge prompt templates (for signatures)."""
    import hashlib

    return hashlib.sha256("\x00".join(templates).encode()).hexdigest()[:8]
