"""Model-based scoring as tasks see it: the scorers they are handed, and what rescoring returns.

Some metrics need a model of their own (COMET for translation, an LLM judge for open-ended
answers). :class:`Scorers` is what a task may use; :mod:`tvbench.scorers` implements it, and
tasks never import that package. :meth:`Task.rescore` returns a :class:`Rescored`: new
records, the descriptors of the scorers that ran (they go into the metric descriptions and
so into every signature), and the notes that explain what could not be scored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from tvbench.data.record import EMPTY, ItemRecord


class CometScores(Protocol):
    """Segment scores in request order, and who produced them."""

    @property
    def scores(self) -> Sequence[float]: ...

    def describe(self) -> str: ...


class CometScorer(Protocol):
    def score(self, items: Sequence[Mapping[str, str]]) -> CometScores:
        """Score ``{"src", "mt", "ref"}`` triples; raises RuntimeError/ValueError/OSError."""
        ...


class Verdict(Protocol):
    """One judged prompt: the parsed value, the raw reply, or why there is none."""

    @property
    def value(self) -> float | None: ...

    @property
    def reply(self) -> str | None: ...

    @property
    def error(self) -> str | None: ...


class JudgeScorer(Protocol):
    def describe(self, template_hash: str) -> str:
        """The judge's part of a metric description."""
        ...

    def score(self, prompts: Sequence[str], parse: Callable[[str], float | None]
              ) -> Sequence[Verdict]: ...


@runtime_checkable
class Scorers(Protocol):
    """The model-based scorers of a run; an absent one comes with the reason (``*_problem``)."""

    @property
    def comet(self) -> CometScorer | None: ...

    @property
    def comet_problem(self) -> str | None: ...

    @property
    def judge(self) -> JudgeScorer | None: ...

    @property
    def judge_problem(self) -> str | None: ...


@dataclass(frozen=True)
class NoScorers:
    """No model-based scorer at all (a runner used without ``tvbench.toml``, a unit test)."""

    comet: CometScorer | None = None
    comet_problem: str | None = "no COMET scorer was given"
    judge: JudgeScorer | None = None
    judge_problem: str | None = "no judge configured"


@dataclass(frozen=True)
class Rescored:
    """What :meth:`Task.rescore` produced, all of it explicit.

    ``records`` are new records in item order. ``scored_by`` maps a scorer kind ("comet",
    "judge") to its descriptor and is handed to :meth:`Task.metrics`. ``notes`` explain what
    is "not scored"; ``withheld`` names metrics that must not be reported at all this time
    (a part of them needed a scorer that was missing, so a partial number would mislead).
    """

    records: tuple[ItemRecord, ...]
    scored_by: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    notes: tuple[str, ...] = ()
    withheld: frozenset[str] = field(default_factory=frozenset)
