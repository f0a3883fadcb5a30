"""Failed items count as the metric's zero, as every official scorer counts them.

A record with an error contributes ``MetricSpec.zero``: 0 in a mean, an empty hypothesis in
a corpus metric. ``count_errors=False`` (``--exclude-errors``) leaves it out; the ``errors``
signature field says which. A model-based metric that was not run at all stays "not scored".
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from tvbench_tasks.multi30k import Multi30K
from tvbench_tasks.textvqa import TextVQA

from tvbench.data.inputs import GenerationSettings
from tvbench.data.item import Item
from tvbench.data.outputs import Generation
from tvbench.data.record import ItemRecord
from tvbench.metrics.aggregate import MEAN, scaled
from tvbench.metrics.translation import CORPUS_BLEU, bleu_stats
from tvbench.models.base import ModelSpec
from tvbench.runs.results import Summary, summarize_task
from tvbench.runs.signature import parse
from tvbench.tasks.base import MetricSpec
from tvbench.tasks.scoring import Rescored

SPEC = ModelSpec(name="m", family="fake", adapter="fake", adapter_version=1, source="fake/m",
                 revision="r", dtype="n/a", seen_languages=None)


def _textvqa() -> tuple[TextVQA, list[Item], list[ItemRecord]]:
    task = TextVQA()
    items = task.load(task.bundled_source())[:4]
    records = []
    for it in items:
        answer = it.fields["answers"][0]
        result = task.score(it, Generation(answer))
        records.append(ItemRecord(id=it.id, lang=it.lang, output=answer, score=result.score))
    return task, items, records


def test_a_failed_item_is_a_zero_in_the_mean() -> None:
    task, items, records = _textvqa()
    clean = summarize_task(task, items, Rescored(tuple(records)), model=SPEC, data_desc="x")
    failed = [replace(records[0], output=None, score=None, error="CUDA out of memory"),
              *records[1:]]
    block = summarize_task(task, items, Rescored(tuple(failed)), model=SPEC, data_desc="x")
    per_item = [r.score for r in records]
    assert clean["score"] == round(100 * sum(per_item) / 4, 4)
    assert block["score"] == round(100 * sum(per_item[1:]) / 4, 4) < clean["score"]
    assert (block["n"], block["n_scored"], block["n_errors"]) == (4, 4, 1)
    assert block["languages"]["en"]["n_errors"] == 1
    assert block["ci95"] is not None
    excluded = summarize_task(task, items, Rescored(tuple(failed)), model=SPEC, data_desc="x",
                              summary=Summary(count_errors=False))
    assert excluded["score"] == round(100 * sum(per_item[1:]) / 3, 4)
    assert (excluded["n_scored"], excluded["n_errors"]) == (3, 1)
    assert parse(block["signature"])["errors"] == "zero"
    assert parse(excluded["signature"])["errors"] == "excluded"
    assert parse(block["languages"]["en"]["signature"])["errors"] == "zero"


def test_every_item_failed_scores_zero_not_nothing() -> None:
    task, items, records = _textvqa()
    failed = [replace(r, output=None, score=None, error="boom") for r in records]
    block = summarize_task(task, items, Rescored(tuple(failed)), model=SPEC, data_desc="x")
    assert block["score"] == 0.0 and block["status"] == "scored"
    excluded = summarize_task(task, items, Rescored(tuple(failed)), model=SPEC, data_desc="x",
                              summary=Summary(count_errors=False))
    assert excluded["score"] is None


def test_a_corpus_metric_counts_an_empty_hypothesis() -> None:
    """Multi30K's BLEU with a failed item equals BLEU with that hypothesis empty; XCOMET,
    not run (no COMET), stays not scored instead of becoming 0."""
    task = Multi30K()
    items = [it for it in task.load(task.bundled_source()) if it.lang == "de"][:3]
    outputs = ["Ein Hund läuft.", "Zwei Männer", "Eine Frau mit Hut"]
    records = [ItemRecord(id=it.id, lang=it.lang, output=o) for it, o in zip(items, outputs,
                                                                              strict=True)]
    failed = [replace(records[0], output=None, error="boom"), *records[1:]]
    empty = [replace(records[0], output=""), *records[1:]]
    rescored = task.rescore(items, failed, _NoComet())
    assert rescored.withheld == frozenset({"xcomet"})
    block = summarize_task(task, items, rescored, model=SPEC, data_desc="x")
    reference = summarize_task(task, items, task.rescore(items, empty, _NoComet()), model=SPEC,
                               data_desc="x")
    assert block["metrics"]["bleu"]["score"] == reference["metrics"]["bleu"]["score"]
    assert block["metrics"]["chrf"]["score"] == reference["metrics"]["chrf"]["score"]
    assert block["score"] is None and block["status"].startswith("not scored")
    assert block["n_errors"] == 1


def test_a_zero_must_fit_the_aggregation() -> None:
    task, items, records = _textvqa()

    class Wrong(TextVQA):
        def metrics(self, scored_by):  # type: ignore[no-untyped-def]
            return [MetricSpec("bleu", CORPUS_BLEU, "bleu[x]",
                               lambda it, r: bleu_stats("a", "a"))]  # default zero: width 2

    failed = [replace(records[0], output=None, error="boom"), *records[1:]]
    with pytest.raises(ValueError, match="zero has 2 statistics"):
        summarize_task(Wrong(), items, Rescored(tuple(failed)), model=SPEC, data_desc="x")
    spec = MetricSpec("m", scaled(MEAN, 100), "m", lambda it, r: None)
    assert spec.zero(items[0]) == [0.0, 1.0]


def test_signature_records_the_language_preset_and_per_language_caps() -> None:
    task, items, records = _textvqa()
    block = summarize_task(task, items, Rescored(tuple(records)), model=SPEC, data_desc="x",
                           summary=Summary(lambda lang: GenerationSettings(16), True, "paper"))
    fields = parse(block["signature"])
    assert fields["langset"] == "paper" and fields["gen"] == "greedy,max16"
    assert "langset" not in parse(block["languages"]["en"]["signature"])
    assert block["language_set"] == {"preset": "paper", "languages": ["en"]}


class _NoComet:
    comet = None
    comet_problem = "no COMET in this test"
    judge = None
    judge_problem = "no judge"
