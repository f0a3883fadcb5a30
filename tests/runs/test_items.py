"""Item preparation and record scoring, without a model."""

from __future__ import annotations

from tvbench.data.outputs import Generation
from tvbench.data.record import Continuation, ItemRecord
from tvbench.runs.items import prepare, record_of, scored


def _task_and_item():
    from tvbench_tasks.textvqa import TextVQA

    task = TextVQA()
    return task, task.load(task.bundled_source())[0]


def test_input_hash_covers_prompt_media_and_generation_settings() -> None:
    task, item = _task_and_item()
    a = prepare(task, item, "greedy,max16")
    assert a.input_hash == prepare(task, item, "greedy,max16").input_hash
    assert a.input_hash != prepare(task, item, "greedy,max8").input_hash
    assert a.prompt.startswith("[user] <image>What is the name of the cafe?")


def test_input_hash_of_a_loglikelihood_item_covers_the_scoring_span() -> None:
    """A stored candidate score made over the candidate alone must not be reused for a run
    that scores the whole reply turn (CoMMuTE's ``span`` option)."""
    from tvbench_tasks.commute import CoMMuTE

    task = CoMMuTE()
    item = task.load(task.bundled_source())[0]
    turn = prepare(task, item, task.scoring().describe())
    alone = prepare(task, item, CoMMuTE(span="candidate").scoring().describe())
    assert turn.input_hash != alone.input_hash
    assert turn.input_hash == prepare(task, item, "turn").input_hash


def test_scoring_is_recomputed_from_the_output_and_errors_are_kept() -> None:
    task, item = _task_and_item()
    stale = ItemRecord(id=item.id, lang="en", output="Cafe Roma", answer="x", score=0.0,
                       extra={"old": 1})
    fresh = scored(task, item, stale)
    assert (fresh.answer, fresh.score, dict(fresh.extra)) == ("cafe roma", 1.0, {})
    assert stale.score == 0.0 and dict(stale.extra) == {"old": 1}  # a new record, not a change
    failed = ItemRecord(id=item.id, lang="en", error="CUDA error")
    kept = scored(task, item, failed)
    assert (kept.error, kept.output, kept.score) == ("CUDA error", None, None)
    assert kept.target == tuple(item.fields["answers"])  # the gold answers, even so
    assert scored(task, item, kept) is kept  # nothing left to change


def test_every_record_keeps_the_gold_answers_of_its_item() -> None:
    """The reference answer(s) travel with each record, as lmms-eval's sample logs keep
    ``target``: TextVQA's ten annotator answers, here from the bundled data."""
    task, item = _task_and_item()
    record = scored(task, item, ItemRecord(id=item.id, lang="en", output="Cafe Roma"))
    assert list(record.target) == item.fields["answers"] and len(record.target) == 10
    line = record.to_json()
    assert line["target"] == item.fields["answers"]
    assert ItemRecord.from_json(line).target == record.target
    broken = scored(task, type(item)(id="x", lang="en", error="bad record: no image"),
                    ItemRecord(id="x", lang="en", error="bad record: no image"))
    assert broken.target is None and "target" not in broken.to_json()


def test_a_scoring_failure_becomes_the_record_error() -> None:
    task, item = _task_and_item()
    wrong_kind = ItemRecord(id=item.id, lang="en", output=(Continuation("a", -1.0, -1.0, 1),))
    bad = scored(task, item, wrong_kind)
    assert bad.error is not None and bad.error.startswith("scoring failed:")
    assert bad.score is None


def test_a_record_is_made_from_what_the_model_said() -> None:
    task, item = _task_and_item()
    p = prepare(task, item, "greedy,max16")
    ok = record_of(p, Generation("Cafe", 3), thumb="thumbs/t/x.jpg")
    assert (ok.output, ok.n_tokens, ok.error, ok.thumb) == ("Cafe", 3, None, "thumbs/t/x.jpg")
    assert ok.input_hash == p.input_hash and ok.prompt == p.prompt
    failed = record_of(p, Generation("", 0, "CUDA out of memory"))
    assert (failed.output, failed.n_tokens, failed.error) == (None, None, "CUDA out of memory")
