"""Which scores may stand side by side: group cells by signature, letter the groups, warn.

Two scores are comparable when :func:`tvbench.runs.signature.comparable` says so (every field
but the model's own and the harness version agrees). A leaderboard column that mixes setups
is not hidden, because seeing e.g. reported and measured numbers together is useful; instead
each setup gets a letter, cells carry the letter, and the table carries a warning that names
the differing fields. A column with one setup gets no letters at all, so marks only appear
when they mean something.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from tvbench.runs import signature

#: A signature value longer than this is shortened in warnings (full text is in footnotes).
_SHOWN = 48


def setup_part(sig: str) -> str:
    """The signature without model and harness-version fields: what comparable scores share."""
    skip = signature.MODEL_FIELDS | signature.META_FIELDS
    return "|".join(p for p in sig.split("|") if p.partition(":")[0] not in skip)


def letter_name(index: int) -> str:
    """A, B, …, Z, AA, AB, … so any number of setups gets a distinct short mark."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _short(value: str | None) -> str:
    if value is None:
        return "(absent)"
    return value if len(value) <= _SHOWN else value[: _SHOWN - 1] + "…"


@dataclass(frozen=True)
class Setup:
    """One group of mutually comparable scores in a column."""

    letter: str
    signature: str  # the first member's full signature ("" when it had none)
    members: tuple[str, ...]
    reported: bool  # every member is a number copied from a paper
    #: Fields on which this setup differs from setup A (empty for A itself).
    differences: Mapping[str, tuple[str | None, str | None]] = field(default_factory=dict)

    @property
    def setup(self) -> str:
        return setup_part(self.signature)

    def describe_differences(self) -> list[str]:
        return [f"{k}: {_short(a)} → {_short(b)}" for k, (a, b) in self.differences.items()]


@dataclass(frozen=True)
class Comparison:
    """The setups found among the cells of one column (or one whole table)."""

    setups: tuple[Setup, ...] = ()

    @property
    def mixed(self) -> bool:
        return len(self.setups) > 1

    def letter(self, key: str) -> str:
        """The cell's setup letter, or "" when the column holds a single setup."""
        if not self.mixed:
            return ""
        for s in self.setups:
            if key in s.members:
                return s.letter
        return ""

    def warnings(self) -> list[str]:
        """One plain-text line per non-reference setup, naming what differs from setup A."""
        if not self.mixed:
            return []
        out = []
        ref = self.setups[0]
        for s in self.setups[1:]:
            kind = " (reported numbers)" if s.reported else ""
            what = "; ".join(s.describe_differences()) or "no signature"
            out.append(f"{s.letter}{kind} vs {ref.letter}: {what}")
        return out


def compare(signatures: Mapping[str, str | None], reported: Collection[str] = ()) -> Comparison:
    """Group cells (keyed by row label) by comparable signature.

    Setup A is the largest group of measured scores (reported numbers are never the
    reference when a measured score exists), so warnings read "what differs from what we
    measured". A missing signature forms its own group: unknown provenance is not comparable.
    """
    groups: list[tuple[str, list[str]]] = []
    for key, sig in signatures.items():
        sig = sig or ""
        for rep, members in groups:
            if sig and rep and signature.comparable(rep, sig):
                members.append(key)
                break
        else:
            groups.append((sig, [key]))
    rep_set = set(reported)

    def rank(item: tuple[int, tuple[str, list[str]]]) -> tuple[bool, int, int]:
        pos, (_, members) = item
        return (all(m in rep_set for m in members), -len(members), pos)

    ordered = [g for _, g in sorted(enumerate(groups), key=rank)]
    setups = []
    ref_sig = ordered[0][0] if ordered else ""
    for i, (sig, members) in enumerate(ordered):
        diffs = signature.differences(ref_sig, sig) if i else {}
        if i and not diffs:
            diffs = {"signature": (ref_sig or None, sig or None)}
        setups.append(Setup(letter=letter_name(i), signature=sig, members=tuple(members),
                            reported=all(m in rep_set for m in members), differences=diffs))
    return Comparison(tuple(setups))
