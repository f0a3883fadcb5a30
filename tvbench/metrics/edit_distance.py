"""Levenshtein distance without a length cap, through ``rapidfuzz``.

CC-OCR's official scorer calls ``nltk.edit_distance`` (unit insert/delete/substitute, no
transpositions) on strings and, inside TEDS, on lists of cell tokens. nltk >= 3.10.3 refuses
inputs longer than 2000 items, which makes the official code crash, and lmms-eval silently
score 0, on long ``doc`` pages. ``rapidfuzz.distance.Levenshtein`` computes the same number
for any length.

rapidfuzz compares the items of a non-string sequence by ``hash()`` (a one-character string
by its code point), so two different tokens whose hashes collide would count as equal. Token
lists are therefore re-spelt as strings with one code point per distinct token first, which
keeps the distance exact whatever the tokens hash to.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from rapidfuzz.distance import Levenshtein


def _as_strings(a: Sequence[Hashable], b: Sequence[Hashable]) -> tuple[str, str]:
    """Both sequences as strings, one code point per distinct item (equal items, equal points)."""
    ids: dict[Hashable, str] = {}

    def spell(seq: Sequence[Hashable]) -> str:
        return "".join(ids.setdefault(item, chr(len(ids))) for item in seq)

    return spell(a), spell(b)


def levenshtein(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """Unit-cost edit distance between two strings or two token sequences."""
    if not (isinstance(a, str) and isinstance(b, str)):
        a, b = _as_strings(a, b)
    return int(Levenshtein.distance(a, b))
