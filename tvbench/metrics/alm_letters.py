"""ALM-Bench as the TowerVision paper scored it: lettered options and a "Final Answer:" letter.

The authors' lmms-eval fork (deep-spin/lmms-eval, ``lmms_eval/tasks/alm_bench/utils.py``)
went through several versions; the letter-based ones share the option splitter, the country
sentence and the prompt, and differ in extraction and target letter:

* version **B** (code-index id 66439054929), the one the paper's numbers came from
  (BENCHMARKS.md#alm-bench): four extraction patterns and a ``fuzz.ratio`` target letter;
* version **A** (code-index id 66449069732): ``Final Answer:\\s*([A-Z])``, else the whole text,
  and a target letter only where a choice equals the answer text.

Reimplemented from the facts of those files, checked against fixtures made by running them
(``tests/fixtures/paper/alm_bench_version_{a,b}.json``). Everything here is pure.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

#: The fork's "Options" labels, in the order of B's regex (A's list is the same). Order
#: matters only through regex alternation; "選択 " carries the fork's trailing space.
LETTER_OPTION_LABELS: tuple[str, ...] = (
    "Options", "Opties", "옵션", "선택", "선택사항", "選択肢", "選択 ", "选项", "選項", "選購",
    "選配", "可选", "可選", "Варианты", "Опції", "Варіанти", "choix", "Opções", "Optionen",
    "Zutaten", "Auswahl", "Vaihtoehdot", "Možnosti", "विकल्प", "オプション", "opcje", "Alternativ",
    "Alternativer", "Opciók", "Muligheder", "Indstillinger", "muligheder", "Mulighed",
    "Lehetőségek", "Opțiuni", "Valgmuligheder", "Opsjoner", "Valmöguleikar", "Valkostir",
    "möguleikar", "параметри", "Kjör", "opzioni", "Opzioni", "Opciones", "opciones", "Volby",
    "volby", "Варіанти", "варианти", "Optioner", "optioner",
)
# No DOTALL, as in the fork: an answer with a line break inside does not split.
_SPLIT = re.compile(r"^(.*?)\s*(?:（|\()(?:" + "|".join(re.escape(x) for x in LETTER_OPTION_LABELS)
                    + r")\s*[:：]\s*(.+?)(?:）|\))\s*[.。]?$", re.IGNORECASE | re.UNICODE)
# Any short label (tvbench's extension, ``option_labels=any``): only tried after the fork's.
_ANY_LABEL = re.compile(r"^(.*?)\s*(?:（|\()[^()（）:：,，、]{1,40}?\s*[:：]\s*([^()（）]+?)"
                        r"(?:）|\))\s*[.。]?$", re.UNICODE)
_CAPITAL_AFTER_SEP = re.compile(r"[、，,]\s*[A-ZА-ЯЇЄІ]")
_SEP_BEFORE_CAPITAL = re.compile(r"[、，,](?=\s*[A-ZА-ЯЇЄІ])")
_SEP = re.compile(r"[、，,]")

#: The fork's ``country_map``: the 23 languages of its letter-era prompts (and of the
#: paper's "ALM-Bench (multi)"), keyed by the dataset's ``Language`` value.
COUNTRY_MAP: dict[str, str] = {
    "German": "Germany", "Spanish": "Spain", "French": "France", "Italian": "Italy",
    "Korean": "South Korea", "Dutch": "Netherlands", "Russian": "Russia",
    "English": "United States", "Portuguese": "Portugal", "Chinese (Simplified)": "China",
    "Chinese (Traditional)": "Taiwan", "Icelandic": "Iceland", "Czech": "Czech Republic",
    "Ukrainian": "Ukraine", "Hindi": "India", "Japanese": "Japan", "Polish": "Poland",
    "Swedish": "Sweden", "Hungarian": "Hungary", "Romanian": "Romania", "Danish": "Denmark",
    "Norwegian": "Norway", "Finnish": "Finland",
}


def split_letter_options(answer: str, any_label: bool = False
                         ) -> tuple[str, list[str]] | None:
    """``(answer text, choices)`` as the fork's letter versions split ``Translated_Answer``.

    The text is stripped; the answer before the options parenthetical loses ``" .。"`` at both
    ends; the choices are split on ``、，,`` only before a capital Latin or Cyrillic letter
    (``[A-ZА-ЯЇЄІ]``) when such a separator exists, else on every separator, and stripped.
    So a comma before a lowercase word, a digit or another capital (Ż, Æ, Ø) splits nothing
    once one comma-capital exists. None when no known label matches (the fork crashed);
    ``any_label`` then also accepts an unknown label (not the fork's behaviour).
    """
    text = answer.strip()
    match = _SPLIT.match(text) or (_ANY_LABEL.match(text) if any_label else None)
    if match is None:
        return None
    raw = match.group(2).strip()
    if _CAPITAL_AFTER_SEP.search(raw):
        choices = [c.strip() for c in _SEP_BEFORE_CAPITAL.split(raw)]
    else:
        choices = [c.strip() for c in _SEP.split(raw)]
    return match.group(1).strip(" .。"), choices


def index_to_option(n: int) -> str:
    """0 → A, 25 → Z, 26 → AA, 701 → ZZ, 702 → AAA (the fork's 0-based lettering)."""
    if n < 0:
        raise ValueError(f"option index must be >= 0, got {n}")
    out = ""
    while True:
        n, r = divmod(n, 26)
        out = string.ascii_uppercase[r] + out
        if n == 0:
            return out
        n -= 1


def lettered(choices: Sequence[str]) -> str:
    """The choices one per line as ``A) …``, as the fork's prompt lists them."""
    return "\n".join(f"{index_to_option(i)}) {c}" for i, c in enumerate(choices))


def fuzz_ratio(a: str, b: str) -> int:
    """fuzzywuzzy's ``fuzz.ratio`` (0.18 with python-Levenshtein): the indel similarity ×100,
    rounded with Python's ``round`` (half to even), 0 when one string is empty and 100 when
    both are equal (empty included)."""
    from rapidfuzz import fuzz

    if a == b:
        return 100
    if not a or not b:
        return 0
    return int(round(fuzz.ratio(a, b)))


def fuzzy_target_letter(target: str, choices: Sequence[str]) -> str:
    """Version B: the lowercase letter of the choice most like ``target`` (``fuzz.ratio`` of
    the lowercased strings; the first maximum wins). ValueError on an empty target or
    choice list, as the fork raised."""
    if not target or not choices:
        raise ValueError(f"empty target or choices (target {target!r}, {len(choices)} choices)")
    ratios = [fuzz_ratio(c.lower(), target.lower()) for c in choices]
    return index_to_option(ratios.index(max(ratios))).lower()


def exact_target_letter(target: str, choices: Sequence[str]) -> str | None:
    """Version A: the letter of the first choice equal to ``target`` after ``lower().strip()``;
    None when there is none (the item can then never score)."""
    want = target.lower().strip()
    for i, c in enumerate(choices):
        if c.lower().strip() == want:
            return index_to_option(i).lower()
    return None


_WHOLE_LETTER = re.compile(r"^\(?([a-zA-Z])\)?$", re.IGNORECASE)
_ANSWER_LETTER = re.compile(r"(?:Final Answer:|Answer:)\s*\(?([a-zA-Z])\)?", re.IGNORECASE)
_LEADING_LETTER = re.compile(r"^\(?([a-zA-Z])\)?\)\s+.*", re.IGNORECASE | re.DOTALL)
_LINE_LETTER = re.compile(r"^\s*\(?([A-Za-z])\)?\s*\)", re.MULTILINE)


def extract_letter(generation: str) -> str | None:
    """Version B's ``extract_final_answer_alm_bench``: the first of four patterns that
    matches the stripped text gives a lowercase letter, else None.

    1. the whole text is one letter, maybe in parentheses (``B``, ``(b)``, ``B)``);
    2. the FIRST ``Final Answer:`` or ``Answer:`` (any case) then a letter (so
       "Final Answer: apple pie" gives ``a`` and "Final Answer: AB" gives ``a``);
    3. the text starts with a letter and ``)`` then whitespace (``B) Cherry pie``);
    4. some line starts with a letter and ``)``.
    """
    text = generation.strip()
    for pattern, anchored in ((_WHOLE_LETTER, True), (_ANSWER_LETTER, False),
                              (_LEADING_LETTER, True), (_LINE_LETTER, False)):
        found = pattern.match(text) if anchored else pattern.search(text)
        if found:
            return found.group(1).lower().strip()
    return None


_FINAL_LETTER_A = re.compile(r"Final Answer:\s*([A-Z])\)?")


def extract_answer_a(generation: str) -> str:
    """Version A's ``extract_final_answer``: the capital letter after the first exact-case
    ``Final Answer:``, else the whole stripped text; then lowercased and stripped."""
    text = generation.strip()
    found = _FINAL_LETTER_A.search(text)
    return (found.group(1) if found else text).lower().strip()


def letter_hit(prediction: str | None, target: str | None) -> float:
    """1.0 when the extracted letter equals the target letter, else 0.0 (no letter, or no
    target letter, never scores)."""
    if prediction is None or target is None:
        return 0.0
    return 1.0 if prediction.lower().strip() == target.lower().strip() else 0.0
