"""Levenshtein distance without a length cap, fast enough for full-page documents.

CC-OCR's official scorer calls ``nltk.edit_distance`` (unit insert/delete/substitute, no
transpositions). nltk >= 3.10.3 refuses inputs longer than 2000 items, which makes the
official code crash, and lmms-eval silently score 0, on long ``doc`` pages. This module
computes the same number for any length: Hyyrö's bit-vector form of Myers' algorithm, with
Python integers as bit vectors of unbounded width, so a 5000×5000 comparison takes
milliseconds instead of the seconds a Python DP table needs. Works on strings and on any
sequence of hashable tokens (TEDS compares token lists).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence


def levenshtein(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """Unit-cost edit distance between two sequences (strings or token lists)."""
    if len(a) < len(b):
        a, b = b, a  # the shorter sequence becomes the bit-vector "pattern"
    m = len(b)
    if m == 0:
        return len(a)
    peq: dict[Hashable, int] = {}
    for i, tok in enumerate(b):
        peq[tok] = peq.get(tok, 0) | (1 << i)
    full = (1 << m) - 1
    top = 1 << (m - 1)
    vp, vn, dist = full, 0, m
    for tok in a:
        pm = peq.get(tok, 0)
        d0 = ((((pm & vp) + vp) & full) ^ vp) | pm | vn
        hp = vn | (~(d0 | vp) & full)
        hn = vp & d0
        if hp & top:
            dist += 1
        elif hn & top:
            dist -= 1
        hp = ((hp << 1) | 1) & full
        hn = (hn << 1) & full
        vp = hn | (~(d0 | hp) & full)
        vn = hp & d0
    return dist


def levenshtein_table(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """The textbook dynamic programme; slow, kept as the reference the fast form is tested on."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]
