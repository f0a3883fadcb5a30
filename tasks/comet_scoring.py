"""COMET scores for the translation tasks (Multi30K, CoMMuTE generative), or why there are none.

Tasks only see ``scorers.comet`` (an object with ``score(items) -> result``) and
``scorers.comet_problem``; they never import the scorer package. A missing or failing COMET
yields a note that the run reports as "not scored": no other metric stands in for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tvbench.tasks.base import Record


@dataclass(frozen=True)
class CometOutcome:
    """Segment scores in request order plus the model description, or the note saying why not."""

    scores: list[float] | None
    describe: str = ""
    note: str | None = None


def run_comet(scorers: Any, items: Sequence[Mapping[str, str]], metric: str) -> CometOutcome:
    """Score ``{"src", "mt", "ref"}`` items with the configured COMET model."""
    client = getattr(scorers, "comet", None)
    if client is None:
        problem = getattr(scorers, "comet_problem", None) or "no COMET scorer was given"
        return CometOutcome(None, note=f"{metric} not scored: {problem}")
    if not items:
        return CometOutcome([], describe="")
    try:
        result = client.score(items)
    except (RuntimeError, ValueError, OSError) as exc:  # CometError is a RuntimeError
        return CometOutcome(None, note=f"{metric} not scored: {exc}")
    return CometOutcome(list(result.scores), describe=result.describe())


def clear_metrics(records: Sequence[Record], keys: Sequence[str], clear_score: bool) -> None:
    """Drop COMET values left by an earlier run, so a failed rescore cannot report them."""
    for r in records:
        metrics = r.get("metrics")
        if isinstance(metrics, dict):
            for k in keys:
                metrics.pop(k, None)
            if not metrics:
                r.pop("metrics", None)
        if clear_score:
            r["score"] = None


def scorable(records: Sequence[Record]) -> list[int]:
    """Indices of records that have a generation to score."""
    return [i for i, r in enumerate(records)
            if not r.get("error") and isinstance(r.get("output"), str)]
