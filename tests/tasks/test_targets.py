"""Every task names its gold answer(s) for the item records, from the real record fields."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from tvbench.data.outputs import Generation
from tvbench.data.record import ItemRecord
from tvbench.runs.items import scored
from tvbench.tasks.registry import TASKS


def _items(name: str, **options: object) -> tuple[object, list]:
    task = TASKS.get(name)(**options)
    return task, [it for it in task.load(task.bundled_source()) if not it.error]


def test_mcq_targets_name_the_correct_option_with_its_letter() -> None:
    task, items = _items("vimul_bench")
    mcq = [it for it in items if it.fields["question_type"] == "mcq"]
    assert mcq
    for it in mcq:
        letter = "ABCDEFGHIJ"[it.fields["correct"]]
        assert task.target(it) == f"{letter}. {it.fields['answer']}"
    open_ended = next(it for it in items if it.fields["question_type"] != "mcq")
    assert task.target(open_ended) == open_ended.fields["answer"]


def test_alm_bench_targets_follow_the_protocol() -> None:
    paper, items = _items("alm_bench")
    item = items[0]  # the letter the extraction is compared with, and its option
    assert paper.target(item) == f"{item.fields['target_letter']}) {item.fields['target']}"
    assert "Options" not in paper.target(item)
    text, items = _items("alm_bench", protocol="answer-text")
    assert text.target(items[0]) == items[0].fields["target"]  # the text exact match needs
    official, items = _items("alm_bench", protocol="official")
    mcq = next(it for it in items if "ground_truth" in it.fields)
    assert official.target(mcq) == mcq.fields["ground_truth"]


def test_commute_keeps_both_candidates_and_says_which_is_right() -> None:
    task, items = _items("commute")
    target = task.target(items[0])
    assert target == {"correct": items[0].fields["correct"],
                      "incorrect": items[0].fields["incorrect"]}
    assert target["correct"] != target["incorrect"]


@pytest.mark.parametrize("name,field", [("multi30k", "reference"), ("cc_ocr", "answer")])
def test_text_references(name: str, field: str) -> None:
    task, items = _items(name)
    assert all(task.target(it) == it.fields[field] for it in items)


@pytest.mark.parametrize("name", ["textvqa", "ocrbench"])
def test_accepted_answer_lists(name: str) -> None:
    task, items = _items(name)
    assert all(task.target(it) == list(it.fields["answers"]) for it in items)


@pytest.mark.parametrize("name", sorted(TASKS.names()))
def test_every_builtin_task_fills_the_record_target(name: str) -> None:
    task, items = _items(name)
    item = items[0]
    if task.kind == "loglikelihood":
        record = ItemRecord(id=item.id, lang=item.lang, error="model failed")
    else:
        record = ItemRecord(id=item.id, lang=item.lang, output="x")
        assert task.score(item, Generation("x")) is not None
    target = scored(task, item, record).target
    assert target not in (None, "", ()), name
    assert isinstance(target, str | tuple | Mapping)
