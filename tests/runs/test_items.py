"""Item preparation and record scoring, without a model."""

from __future__ import annotations

from tvbench.runs.items import prepare_item, scored_record


def _task_and_sample():
    from tvbench_tasks.textvqa import TextVQA

    task = TextVQA()
    return task, task.load(task.bundled_source())[0]


def test_input_hash_covers_prompt_media_and_generation_settings() -> None:
    task, sample = _task_and_sample()
    a = prepare_item(task, sample, "greedy,max16")
    assert a.input_hash == prepare_item(task, sample, "greedy,max16").input_hash
    assert a.input_hash != prepare_item(task, sample, "greedy,max8").input_hash
    assert a.prompt.startswith("[user] <image>What is the name of the cafe?")


def test_scoring_is_recomputed_from_the_output_and_errors_are_kept() -> None:
    task, sample = _task_and_sample()
    stale = {"id": sample.id, "output": "Cafe Roma", "answer": "x", "score": 0.0,
             "error": None, "extra": {"old": 1}}
    fresh = scored_record(task, sample, stale)
    assert (fresh["answer"], fresh["score"], "extra" in fresh) == ("cafe roma", 1.0, False)
    assert stale["score"] == 0.0  # the input record is not mutated
    failed = {"id": sample.id, "output": None, "error": "CUDA error", "score": None}
    assert scored_record(task, sample, failed) is failed


def test_a_scoring_failure_becomes_the_record_error() -> None:
    task, sample = _task_and_sample()
    bad = scored_record(task, sample, {"id": sample.id, "output": ["not", "a", "generation"],
                                       "error": None})
    assert bad["error"].startswith("scoring failed:") and bad["score"] is None
