"""ViMUL-Bench: provisional schema, prompts, MCQ scoring, the judged headline, tiny models."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tvbench_tasks.vimul_bench import ViMULBench, ViMULSchemaError

from tvbench.data.inputs import VideoPart
from tvbench.data.item import Item
from tvbench.data.loading import LocalDataset
from tvbench.data.outputs import Capability, Generation
from tvbench.data.record import ItemRecord
from tvbench.models.base import ModelSpec
from tvbench.runs.results import summarize_task
from tvbench.scorers import Scorers
from tvbench.scorers.judge import Judge, JudgeCache

SPEC = ModelSpec(name="m", family="fake", adapter="fake", adapter_version=1, source="fake/m",
                 revision="r1", dtype="n/a", seen_languages=None)
FAMILIES = ("towervision", "qwen2_5_vl", "gemma3", "aya_vision")


def load() -> tuple[ViMULBench, list[Item]]:
    task = ViMULBench()
    return task, task.load(task.bundled_source())


def records_for(task: ViMULBench, samples: list[Item], outputs: dict[str, str]
                ) -> list[ItemRecord]:
    records = []
    for s in samples:
        gen = Generation(outputs.get(s.id, ""), 1)
        result = task.score(s, gen)
        records.append(ItemRecord(id=s.id, lang=s.lang, output=gen.text,
                                  answer=result.answer, score=result.score))
    return records


class ScoreJudge:
    """Judge adapter: "8" when the prediction is the reference answer, else "2"."""

    capabilities = frozenset({Capability.GENERATE})
    spec = SPEC

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def generate(self, inputs: Any, settings: Any, *, batch_size: int = 1,
                 on_batch: Any = None) -> list[Generation]:
        texts = [i.messages[-1].text for i in inputs]
        self.prompts += texts
        out = []
        for t in texts:
            truth = t.split("Ground Truth: ", 1)[1].split("\nModel Prediction: ")[0]
            pred = t.split("Model Prediction: ", 1)[1].split("\n\n")[0]
            out.append(Generation("8" if pred == truth else "2", 1))
        return out

    def loglikelihood(self, *args: Any, **kw: Any) -> list[Any]:
        raise NotImplementedError

    def close(self) -> None:
        pass


# ------------------------------------------------------------------ data
def test_bundled_samples() -> None:
    task, samples = load()
    assert Capability.VIDEO in task.requires
    assert len(samples) == 21 and not any(s.error for s in samples)
    assert sorted({s.lang for s in samples}) == sorted(task.languages)
    kinds = [s.fields["question_type"] for s in samples]
    assert (kinds.count("mcq"), kinds.count("short"), kinds.count("long")) == (14, 4, 3)
    video = samples[0].media[0]
    assert isinstance(video, VideoPart) and video.num_frames == 32
    assert video.frames().shape == (16, 48, 64, 3)  # all 16 frames of a 16-frame clip
    assert len({s.fields["correct"] for s in samples if s.fields["question_type"] == "mcq"}) == 4


def _write(tmp_path: Path, rows: dict[str, list[object]]) -> LocalDataset:
    import datasets
    from tvbench_tasks.bundled.generate import write_parquet

    features = datasets.Features({k: datasets.Sequence(datasets.Value("string"))
                                  if k == "Options" else datasets.Value("string") for k in rows})
    write_parquet(rows, features, tmp_path / "test.parquet")
    return LocalDataset(tmp_path, split="test")


def test_other_schema_stops_with_the_missing_fields(tmp_path: Path) -> None:
    source = _write(tmp_path, {"video_id": ["v1"], "question": ["Q?"], "answer": ["A"],
                               "ID": ["1"], "Language": ["English"]})
    with pytest.raises(ViMULSchemaError) as info:
        ViMULBench().load(source)
    message = str(info.value)
    for field in ("Question_Type", "Question", "Options", "Answer", "video"):
        assert field in message
    assert "provisional" in message and "video_id" in message


def test_bad_items_are_item_errors(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "d"
    (folder / "videos").mkdir(parents=True)
    shutil.copy(Path(ViMULBench().bundled_source().path) / "videos" / "en.mp4",
                folder / "videos" / "en.mp4")
    rows: dict[str, list[object]] = {
        "ID": ["ok", "not-an-option", "no-video", "odd-type"],
        "Language": ["English"] * 4,
        "Question_Type": ["Multiple Choice Questions"] * 3 + ["Essay"],
        "Question": ["Q?"] * 4, "Options": [["a", "b"]] * 4,
        "Answer": ["a", "c", "a", "a"],
        "video": ["videos/en.mp4", "videos/en.mp4", "videos/missing.mp4", "videos/en.mp4"]}
    samples = {s.id: s for s in ViMULBench().load(_write(folder, rows))}
    assert samples["ok"].error is None
    assert "not one of its options" in (samples["not-an-option"].error or "")
    assert "videos/missing.mp4" in (samples["no-video"].error or "")
    assert "Question_Type" in (samples["odd-type"].error or "")


# --------------------------------------------------------------- prompts
def test_prompts() -> None:
    task, samples = load()
    s = {x.id: x for x in samples}
    mcq = task.build(s["vimul-synth-en-001"]).render()
    assert mcq == ("[user] <video>In which direction does the bar move?\nA. From bottom to top\n"
                   "B. From left to right\nC. From right to left\nD. From top to bottom\n"
                   "Answer with the option's letter from the given choices directly.")
    short = task.build(s["vimul-synth-de-002"]).render()
    assert short.endswith("Please provide brief, clear responses in German language.")
    assert task.build(s["vimul-synth-en-001"]).videos[0].num_frames == 32


# --------------------------------------------------------------- scoring
@pytest.mark.parametrize(("item", "output", "letter", "score"), [
    ("vimul-synth-en-001", "B", "B", 1.0),
    ("vimul-synth-en-001", "The answer is C", "C", 0.0),
    ("vimul-synth-en-001", "from left to right.", "B", 1.0),
    ("vimul-synth-en-001", "no idea", None, 0.0),
    ("vimul-synth-ar-001", "A. من اليسار إلى اليمين", "A", 1.0),
    ("vimul-synth-ar-001", "من اليسار إلى اليمين", "A", 1.0),
    ("vimul-synth-ja-001", "左から右へ", "B", 1.0),
])
def test_mcq_scoring(item: str, output: str, letter: str | None, score: float) -> None:
    task, samples = load()
    result = task.score({s.id: s for s in samples}[item], Generation(output, 1))
    assert (result.answer, result.score) == (letter, score)


def _correct_outputs(samples: list[Item]) -> dict[str, str]:
    from tvbench.metrics.vimul import option_letter

    return {s.id: option_letter(s.fields["correct"]) if s.fields["question_type"] == "mcq"
            else s.fields["answer"] for s in samples}


def test_headline_with_judge(tmp_path: Path) -> None:
    task, samples = load()
    outputs = _correct_outputs(samples)
    outputs["vimul-synth-fr-001"] = "D"  # wrong MCQ in French
    outputs["vimul-synth-hi-002"] = "कुछ और"  # wrong long answer in Hindi → judge says 2
    records = records_for(task, samples, outputs)
    model = ScoreJudge()
    judge = Judge("score-judge@1", lambda: model, cache=JudgeCache(tmp_path / "j.jsonl"))
    judged = task.rescore(samples, records, Scorers(judge=judge, judge_problem=None))
    assert judged.notes == () and judged.withheld == frozenset()
    assert len(model.prompts) == 7  # open-ended items only
    assert all("based on accuracy and correctness" in p or "Consistency" in p
               for p in model.prompts)
    block = summarize_task(task, samples, judged, model=SPEC, data_desc="local:x")
    langs = block["languages"]
    # hand-computed: per language, mean over question types of each type's mean
    assert langs["en"]["score"] == pytest.approx((100 + 80) / 2)  # MCQ 1, short 8/10
    assert langs["fr"]["score"] == pytest.approx((0 + 80) / 2)  # MCQ 0, long 8/10
    assert langs["hi"]["score"] == pytest.approx((100 + 20) / 2)  # MCQ 1, long 2/10
    assert langs["sv"]["score"] == 100.0  # MCQ only
    expected = (90 * 5 + 40 + 60 + 100 * 7) / 14  # en de ja ta ur(long 8)=90; fr=40; hi=60
    assert block["score"] == pytest.approx(expected)
    assert block["metrics"]["mcq_accuracy"]["score"] == pytest.approx(100 * 13 / 14)
    assert block["metrics"]["open_ended_score"]["languages"]["hi"]["score"] == 20.0
    assert "judge[score-judge@1,tpl:" in block["signature"]
    assert block["breakdown"]["by_question_type"]["long"] == {"score": 60.0, "n": 3}


def test_without_judge_the_headline_is_not_scored() -> None:
    task, samples = load()
    records = records_for(task, samples, _correct_outputs(samples))
    outcome = task.rescore(samples, records, Scorers())
    notes = outcome.notes
    assert len(notes) == 1 and "7 open-ended items need a judge" in notes[0]
    block = summarize_task(task, samples, outcome, model=SPEC, data_desc="local:x")
    assert block["score"] is None and block["status"].startswith("not scored")
    assert all(v["score"] is None for v in block["languages"].values())
    assert block["metrics"]["mcq_accuracy"]["score"] == 100.0  # reported on its own
    assert block["metrics"]["open_ended_score"]["score"] is None


def test_mcq_only_selection_needs_no_judge() -> None:
    task, samples = load()
    mcq = [s for s in samples if s.fields["question_type"] == "mcq"]
    records = records_for(task, mcq, _correct_outputs(mcq))
    outcome = task.rescore(mcq, records, Scorers())
    assert outcome.notes == () and outcome.withheld == frozenset()
    block = summarize_task(task, mcq, outcome, model=SPEC, data_desc="local:x")
    assert block["score"] == 100.0


# --------------------------------------------------------------- tiny models
@pytest.mark.parametrize("family", FAMILIES)
def test_tiny_models_answer_video_items(family: str, tiny_adapter: Callable[..., Any]) -> None:
    """Real processors and model classes (random weights) take the sampled frames."""
    task, samples = load()
    chosen = [s for s in samples if s.lang in ("en", "hi")]  # MCQ, short, MCQ, long
    adapter = tiny_adapter(family)
    assert Capability.VIDEO in adapter.capabilities
    gens = adapter.generate([task.build(s) for s in chosen], task.settings().capped(4),
                            batch_size=2)
    assert [g.error for g in gens] == [None] * len(chosen)
    assert all(isinstance(g.text, str) and g.n_tokens > 0 for g in gens)
    for s, g in zip(chosen, gens, strict=True):
        result = task.score(s, g)
        assert result.score in ((0.0, 1.0) if s.fields["question_type"] == "mcq" else (None,))
