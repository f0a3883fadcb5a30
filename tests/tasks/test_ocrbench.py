"""OCRBench task: bundled samples, prompts, end-to-end scoring of hand-written outputs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from tvbench_tasks.ocrbench import OCRBench

from tvbench.data.inputs import ImagePart
from tvbench.data.outputs import Generation
from tvbench.data.record import ItemRecord
from tvbench.metrics.ocrbench import CATEGORIES
from tvbench.models.base import ModelSpec
from tvbench.runs.results import summarize_task
from tvbench.tasks.scoring import Rescored

SPEC = ModelSpec(name="scripted", family="fake", adapter="fake", adapter_version=1,
                 source="fake/scripted", revision="r1", dtype="n/a", seen_languages=("en",))


@pytest.fixture(scope="module")
def samples() -> list[Any]:
    task = OCRBench()
    return task.load(task.bundled_source())


def test_bundled_samples_cover_every_question_type(samples: list[Any]) -> None:
    assert len(samples) == 20
    assert all(s.error is None and s.lang == "en" for s in samples)
    types = [s.fields["question_type"] for s in samples]
    assert sorted(set(types)) == sorted(CATEGORIES) and all(types.count(c) == 2
                                                           for c in CATEGORIES)
    hme = [s for s in samples if s.fields["dataset"] == "HME100k"]
    assert len(hme) == 2 and hme[0].fields["answers"] == ["y _ { 2 } = - 1\n", "y_2 = - 1\n"]
    assert all(isinstance(s.fields["answers"], list) for s in samples)
    assert all(isinstance(s.media[0], ImagePart) and s.media[0].pil().size[0] > 0
               for s in samples)


def test_prompt_is_the_stripped_question_without_suffix(samples: list[Any]) -> None:
    task = OCRBench()
    inp = task.build(samples[0])
    assert inp.render() == "[user] <image>what is written in the image?"
    assert task.settings().max_new_tokens == 128 and task.settings().greedy


# hand-written outputs by item id; everything else answers "no idea"
OUTPUTS = {
    "0": "The image says: CENTRE.",          # Regular: hit
    "2": "JOlNT",                             # Irregular: miss
    "4": "ＭＡＲＩＬＹＮ",                       # Artistic: hit only with lmms-eval's fold
    "8": "5743",                              # Digit: hit
    "12": "It goes to Chatswood, Epping",     # Scene VQA: second GT hits
    "16": "Secret Recipe Restaurant",         # KIE: hit (lower-cased)
    "18": "$y_{2}=-1$",                       # HME: hit after removing spaces
    "19": "\\frac{A}{b}+c",                   # HME: the fork lower-cases it (hit);
                                              # lmms-eval 0.7.3 keeps the case (miss)
}


def _records(task: OCRBench, samples: list[Any]) -> list[ItemRecord]:
    out = []
    for s in samples:
        res = task.score(s, Generation(OUTPUTS.get(s.id, "no idea"), 3))
        out.append(ItemRecord(id=s.id, lang=s.lang, score=res.score, answer=res.answer))
    return out


def test_end_to_end_scores_and_breakdown(samples: list[Any]) -> None:
    task = OCRBench()
    records = _records(task, samples)
    hits = {r.id for r in records if r.score == 1.0}
    assert hits == {"0", "8", "12", "16", "18", "19"}
    block = summarize_task(task, samples, Rescored(tuple(records)), model=SPEC,
                           data_desc="local:ocrbench")
    assert block["metric"] == "accuracy" and block["score"] == 30.0  # 6 / 20 × 100
    assert block["metrics"]["final_score"]["score"] == 6.0
    report = block["breakdown"]["ocrbench"]
    assert report["final_score"] == 6 and report["n"] == 20
    assert report["text_recognition"] == 2  # CENTRE, 5743
    assert report["categories"]["Handwritten Mathematical Expression Recognition"] == {
        "hits": 2, "n": 2}
    assert "task:ocrbench@2|opts:protocol=paper" in block["signature"]
    assert "fork@1b6b667:pred-lower-first" in block["signature"]


def test_aggregation_is_pure(samples: list[Any]) -> None:
    task = OCRBench()
    records = _records(task, samples)
    first = summarize_task(task, samples, Rescored(tuple(records)), model=SPEC,
                           data_desc="local:ocrbench")
    second = summarize_task(task, samples, Rescored(tuple(records)), model=SPEC,
                            data_desc="local:ocrbench")
    assert first == second
    assert task.breakdown(samples, records) == task.breakdown(samples, records)


def test_lmms_eval_protocol_changes_the_score_and_the_signature(samples: list[Any]) -> None:
    task = OCRBench(protocol="lmms-eval")
    by_id = {s.id: s for s in samples}
    assert task.score(by_id["4"], Generation("ＭＡＲＩＬＹＮ")).score == 1.0
    assert OCRBench().score(by_id["4"], Generation("ＭＡＲＩＬＹＮ")).score == 0.0
    records = _records(task, samples)
    block = summarize_task(task, samples, Rescored(tuple(records)), model=SPEC,
                           data_desc="local:ocrbench")
    assert block["score"] == 30.0 and "opts:protocol=lmms-eval" in block["signature"]
    assert "fold:fullwidth" in block["signature"]


def test_errors_count_as_misses_over_every_item(samples: list[Any]) -> None:
    """The official score divides by every item: a failed item is a miss (hit 0), in the
    headline, the 1000-point sum and the report; --exclude-errors leaves it out."""
    from tvbench.runs.results import Summary

    task = OCRBench()
    records = _records(task, samples)
    records[0] = replace(records[0], score=None, error="generation failed: boom")
    block = summarize_task(task, samples, Rescored(tuple(records)), model=SPEC,
                           data_desc="local:ocrbench")
    assert block["n_errors"] == 1 and block["n_scored"] == 20
    assert block["score"] == 25.0  # 5 hits / 20 items
    assert block["metrics"]["final_score"]["score"] == 5.0
    assert block["breakdown"]["ocrbench"]["n"] == 20
    assert "|errors:zero|" in block["signature"]
    excluded = summarize_task(task, samples, Rescored(tuple(records)), model=SPEC,
                              data_desc="local:ocrbench", summary=Summary(count_errors=False))
    assert excluded["n_scored"] == 19 and excluded["score"] == round(500 / 19, 4)
    assert excluded["breakdown"]["ocrbench"]["n"] == 19
    assert "|errors:excluded|" in excluded["signature"]


def test_bad_record_becomes_an_error_sample(tmp_path: Path) -> None:
    import datasets
    from tvbench_tasks.bundled.synth import text_image

    from tvbench.data.loading import LocalDataset

    rows = {"dataset": ["IIIT5K", "IIIT5K"], "question": ["q", "q"],
            "question_type": ["Regular Text Recognition"] * 2, "answer": [["1"], ["2"]],
            "image": [{"bytes": text_image(["1"], seed=1), "path": None}, None]}
    feats = datasets.Features({"dataset": datasets.Value("string"),
                               "question": datasets.Value("string"),
                               "question_type": datasets.Value("string"),
                               "answer": datasets.Sequence(datasets.Value("string")),
                               "image": datasets.Image()})
    datasets.Dataset.from_dict(rows, features=feats).to_parquet(str(tmp_path / "test.parquet"))
    out = OCRBench().load(LocalDataset(tmp_path, split="test"))
    assert [s.id for s in out] == ["0", "1"]
    assert out[0].error is None
    assert out[1].error is not None and "media field is empty" in out[1].error
