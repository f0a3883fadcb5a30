"""The scorer protocol tasks see, and what rescoring hands back."""

from __future__ import annotations

from tvbench import scorers
from tvbench.data.record import ItemRecord
from tvbench.tasks.scoring import NoScorers, Rescored, Scorers


def test_the_scorer_package_and_the_stand_in_implement_the_protocol() -> None:
    assert isinstance(scorers.Scorers(), Scorers)
    assert isinstance(NoScorers(), Scorers)
    assert NoScorers().judge is None and NoScorers().comet_problem


def test_a_plain_outcome_keeps_the_records_and_names_nothing() -> None:
    records = (ItemRecord(id="1", lang="en", score=1.0),)
    outcome = Rescored(records)
    assert outcome.records == records
    assert (dict(outcome.scored_by), outcome.notes, outcome.withheld) == ({}, (), frozenset())


def test_tasks_without_model_based_metrics_return_their_records_unchanged() -> None:
    from tvbench_tasks.textvqa import TextVQA

    task = TextVQA()
    items = task.load(task.bundled_source())[:2]
    records = [ItemRecord(id=it.id, lang=it.lang, output="x", score=0.0) for it in items]
    assert task.rescore(items, records, NoScorers()) == Rescored(tuple(records))
