"""COMET scores for the translation tasks (Multi30K, CoMMuTE generative), or why there are none.

Tasks only see the :class:`~tvbench.tasks.scoring.Scorers` protocol (``comet`` and
``comet_problem``); they never import the scorer package. A missing or failing COMET yields a
note that the run reports as "not scored": no other metric stands in for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from tvbench.data.record import ItemRecord
from tvbench.tasks.scoring import Scorers


@dataclass(frozen=True)
class CometOutcome:
    """Segment scores in request order plus the model description, or the note saying why not."""

    scores: list[float] | None
    describe: str = ""
    note: str | None = None


def run_comet(scorers: Scorers, items: Sequence[Mapping[str, str]], metric: str) -> CometOutcome:
    """Score ``{"src", "mt", "ref"}`` items with the configured COMET model."""
    client = scorers.comet
    if client is None:
        problem = scorers.comet_problem or "no COMET scorer was given"
        return CometOutcome(None, note=f"{metric} not scored: {problem}")
    if not items:
        return CometOutcome([], describe="")
    try:
        result = client.score(items)
    except (RuntimeError, ValueError, OSError) as exc:  # CometError is a RuntimeError
        return CometOutcome(None, note=f"{metric} not scored: {exc}")
    return CometOutcome(list(result.scores), describe=result.describe())


def without_comet(record: ItemRecord, keys: Sequence[str]) -> ItemRecord:
    """The record with COMET values of an earlier run taken out, so a failed rescore cannot
    report them; the primary score is COMET's, so it goes too."""
    return replace(record, score=None,
                   metrics={k: v for k, v in record.metrics.items() if k not in keys},
                   provenance={k: v for k, v in record.provenance.items() if k != "comet"})


def with_comet(record: ItemRecord, values: Mapping[str, float], score: float,
               describe: str) -> ItemRecord:
    """The record with COMET values added, its score set and the COMET model as provenance."""
    return replace(record, score=score, metrics={**record.metrics, **values},
                   provenance={**record.provenance, "comet": describe})


def scorable(records: Sequence[ItemRecord]) -> list[int]:
    """Indices of records that have a generation to score."""
    return [i for i, r in enumerate(records) if not r.error and r.text is not None]
