"""The uncapped Levenshtein distance: known values, a reference DP, and nltk."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tvbench.metrics.edit_distance import levenshtein


def levenshtein_table(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """The textbook dynamic programme: slow, independent of rapidfuzz, the reference here."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


# (a, b, distance) — hand-computed unit-cost edit distances
TABLE = [
    pytest.param("", "", 0, id="hand:empty"),
    pytest.param("abc", "", 3, id="hand:all-deletions"),
    pytest.param("", "abcd", 4, id="hand:all-insertions"),
    pytest.param("kitten", "sitting", 3, id="hand:classic-k->s,e->i,+g"),
    pytest.param("abcd", "abce", 1, id="hand:one-substitution(cc_ocr.md-D2)"),
    pytest.param("ab", "ba", 2, id="hand:no-transpositions"),
    pytest.param("CCO", "CCN", 1, id="hand:smiles(cc_ocr.md-D9)"),
    pytest.param("北京市海淀区", "北京海淀", 2, id="hand:cjk-code-points"),
    pytest.param(["<b>", "a", "b", "</b>"], ["a", "b"], 2, id="hand:token-lists(cc_ocr.md-T11)"),
    pytest.param("a" * 3000, "a" * 2999 + "b", 1, id="hand:beyond-nltk-2000-cap"),
]


@pytest.mark.parametrize("a,b,expected", TABLE)
def test_table(a: str, b: str, expected: int) -> None:
    assert levenshtein(a, b) == expected
    assert levenshtein(b, a) == expected


_SEQ = st.text(alphabet="abcdé你 \n", max_size=80)


@settings(max_examples=500, deadline=None)
@given(_SEQ, _SEQ)
def test_bit_vector_equals_dynamic_programme(a: str, b: str) -> None:
    assert levenshtein(a, b) == levenshtein_table(a, b)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["<td>", "a", "b", "</b>", "1"]), max_size=40),
       st.lists(st.sampled_from(["<td>", "a", "c", "</b>", "1"]), max_size=40))
def test_equals_nltk_on_token_lists(a: list[str], b: list[str]) -> None:
    """The official CC-OCR code uses nltk.edit_distance (strings and TEDS token lists)."""
    nltk = pytest.importorskip("nltk")
    assert levenshtein(a, b) == nltk.edit_distance(a, b)


def test_crosses_word_boundaries_exactly() -> None:
    """Patterns longer than 64 items (rapidfuzz's multi-word path) against the reference DP."""
    import random

    rng = random.Random(3)
    for _ in range(20):
        a = "".join(rng.choice("abcd") for _ in range(rng.randint(60, 300)))
        b = "".join(rng.choice("abce") for _ in range(rng.randint(60, 300)))
        assert levenshtein(a, b) == levenshtein_table(a, b)


def test_nltk_cap_is_real_and_ours_has_none() -> None:
    """cc_ocr.md §3.7: nltk >= 3.10.3 raises above 2000 items; the official scorer crashes."""
    nltk_distance = pytest.importorskip("nltk.metrics.distance")
    text = "x" * 2001
    if getattr(nltk_distance, "MAX_DISTANCE_INPUT_LEN", None) is not None:
        with pytest.raises(ValueError):
            nltk_distance.edit_distance(text, text)
    assert levenshtein(text, text) == 0


class _Colliding(str):
    """A multi-character token whose hash equals the code point of "a"."""

    def __hash__(self) -> int:
        return ord("a")


def test_tokens_are_compared_by_value_not_by_hash() -> None:
    """rapidfuzz compares list items by hash (and "a" by its code point), so a collision
    would count two different tokens as equal; levenshtein re-spells tokens first."""
    from rapidfuzz.distance import Levenshtein

    token = _Colliding("<td>")
    assert Levenshtein.distance([token], ["a"]) == 0  # the library alone: a false match
    assert levenshtein([token], ["a"]) == 1
    assert levenshtein([token, "a"], [token, "a"]) == 0  # equal tokens still match


def test_mixed_token_types() -> None:
    """A string and a list compare item by item (the string's characters are the items)."""
    assert levenshtein("ab", ["a", "b"]) == 0
    assert levenshtein(["a", 1], ["a", "1"]) == 1
