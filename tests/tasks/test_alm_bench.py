"""ALM-Bench: loading (both protocols), prompts, hand-scored outputs, the judge path, groups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tvbench_tasks.alm_bench import ALMBench

from tvbench.data.item import Item
from tvbench.data.loading import LocalDataset
from tvbench.data.outputs import Capability, Generation
from tvbench.data.record import ItemRecord
from tvbench.metrics.alm import parse_judge_score
from tvbench.models.base import ModelSpec
from tvbench.runs.results import summarize_task
from tvbench.scorers import Scorers
from tvbench.scorers.judge import Judge
from tvbench.tasks.base import TaskOptionError
from tvbench.tasks.scoring import Rescored

SPEC = ModelSpec(name="m", family="fake", adapter="fake", adapter_version=1, source="fake/m",
                 revision="r1", dtype="n/a", seen_languages=("en", "de"))
MCQ, TF = "Multiple Choice Questions", "True False Question"


def load(**options: Any) -> tuple[ALMBench, list[Item]]:
    task = ALMBench(**options)
    return task, task.load(task.bundled_source())


def by_id(samples: list[Item]) -> dict[str, Item]:
    return {s.id: s for s in samples}


def records_for(task: ALMBench, samples: list[Item], outputs: dict[str, str]
                ) -> list[ItemRecord]:
    """Records as the runner writes them, with ``outputs[id]`` (default: empty) scored."""
    records = []
    for s in samples:
        rec = ItemRecord(id=s.id, lang=s.lang, error=s.error)
        if not s.error:
            gen = Generation(outputs.get(s.id, ""), 1)
            result = task.score(s, gen)
            rec = ItemRecord(id=s.id, lang=s.lang, output=gen.text, answer=result.answer,
                             score=result.score)
        records.append(rec)
    return records


# ------------------------------------------------------------------ data
OUTSIDE_COUNTRY_MAP = {"ar", "sw", "am"}  # bundled languages the fork's prompts cannot name


def test_paper_protocol_loads_the_mcq_subset_with_target_letters() -> None:
    task, samples = load()
    assert len(samples) == 38
    assert {s.fields["question_type"] for s in samples} == {MCQ}
    errors = {s.lang for s in samples if s.error}
    assert errors == OUTSIDE_COUNTRY_MAP
    assert all("country map" in (s.error or "") for s in samples if s.error)
    ok = [s for s in samples if not s.error]
    assert {s.lang for s in ok} == set(task.paper_languages)  # the bundled set covers all 23
    zh = by_id(samples)["904_2_01_002"]
    assert zh.fields["target"] == "春节" and zh.fields["choices"][1] == "中秋节"
    assert zh.fields["target_letter"] == "a" and zh.fields["country"] == "China"
    italian = by_id(samples)["912_1_01_001"]
    assert len(italian.fields["choices"]) == 6 and italian.fields["target_letter"] == "c"
    # a comma before a non-ASCII capital stays inside one choice, as in the fork (version B)
    assert by_id(samples)["919_1_01_001"].fields["choices"] == [
        "Pierogi", "Bigos, Żurek", "Kotlet schabowy"]


def test_answer_text_protocol_is_the_earlier_fork_version() -> None:
    task, samples = load(protocol="answer-text", option_labels="any")
    assert len(samples) == 38 and not any(s.error for s in samples)
    assert by_id(samples)["902_2_01_002"].fields["target"] == "La tour Eiffel"
    assert "target_letter" not in by_id(samples)["902_2_01_002"].fields
    assert task.generation_for("en").max_new_tokens == 1024


def test_official_protocol_loads_every_question_type() -> None:
    task, samples = load(protocol="official")
    kinds = [s.fields["question_type"] for s in samples]
    assert len(samples) == 47 and kinds.count(MCQ) == 38 and kinds.count(TF) == 3
    assert kinds.count("Long Question") == 3 and kinds.count("Short Question") == 3
    assert task.settings().max_new_tokens == 2048 and ALMBench().settings().max_new_tokens == 1024
    assert task.describe_options() == "protocol=official"
    with pytest.raises(TaskOptionError, match="system_prompt"):
        ALMBench(protocol="official", system_prompt="iclr-script")


def test_limit_counts_mcq_items_per_language() -> None:
    task = ALMBench()
    samples = task.load(task.bundled_source(), languages=["en", "German", "zhs"], limit=1)
    assert [(s.lang, s.fields["question_type"]) for s in samples] == [
        ("en", MCQ), ("de", MCQ), ("zh-Hans", MCQ)]


def test_fork_labels_only_make_unknown_labels_item_errors() -> None:
    _, samples = load(protocol="answer-text", option_labels="fork")
    errors = {s.lang for s in samples if s.error}
    assert errors == {"ar", "sw", "am"}  # labels the fork's regexes never listed
    assert all("cannot split the options" in (s.error or "") for s in samples if s.error)


def _write(tmp_path: Path, rows: list[dict[str, Any]]) -> LocalDataset:
    import datasets
    from tvbench_tasks.bundled.generate import write_parquet
    from tvbench_tasks.bundled.synth import scene_image

    cols = ("ID", "Language", "Category", "Question_Type", "English_Question", "English_Answer",
            "Translated_Question", "Translated_Answer", "Image_Url")
    table: dict[str, list[object]] = {"file_name": [], **{k: [] for k in cols}}
    for row in rows:
        table["file_name"].append({"bytes": scene_image(1), "path": None})
        for k in cols:
            table[k].append(row.get(k, ""))
    features = datasets.Features({"file_name": datasets.Image(),
                                  **{k: datasets.Value("string") for k in cols}})
    write_parquet(table, features, tmp_path / "test.parquet")
    return LocalDataset(tmp_path, split="test")


BROKEN = [
    {"ID": "ok", "Language": "English", "Question_Type": MCQ, "Translated_Question": "Q?",
     "Translated_Answer": "A (Options: A, B)"},
    {"ID": "no-options", "Language": "German", "Question_Type": MCQ,
     "Translated_Question": "Q?", "Translated_Answer": "Brezel"},
    {"ID": "bad-lang", "Language": "Klingon", "Question_Type": MCQ, "Translated_Question": "Q?",
     "Translated_Answer": "A (Options: A, B)"},
    {"ID": "tf", "Language": "English", "Question_Type": TF, "Translated_Question": "Q?",
     "Translated_Answer": "True"},
]


def test_broken_records_become_item_errors(tmp_path: Path) -> None:
    source = _write(tmp_path, BROKEN)
    paper = {s.id: s for s in ALMBench().load(source)}
    assert sorted(paper) == ["bad-lang", "no-options", "ok"]  # the T/F item is not MCQ
    assert paper["ok"].error is None
    assert "cannot split" in (paper["no-options"].error or "")
    assert paper["bad-lang"].lang == "und" and "Klingon" in (paper["bad-lang"].error or "")
    official = {s.id: s for s in ALMBench(protocol="official").load(source)}
    assert "no options parenthesis" in (official["no-options"].error or "")
    assert official["tf"].error is None and len(official) == 4


# --------------------------------------------------------------- prompts
def test_paper_prompt_layout() -> None:
    task, samples = load()
    text = task.build(by_id(samples)["900_1_01_001"]).render()
    assert text == (
        "[user] <image>For the given Multiple Choice Question Answer below, analyze the "
        "question and answer strictly from one of the options below. End your answer with "
        "'Final Answer: <your answer>' where <your answer> is strictly the choice letter "
        "only. Provide brief, clear responses in English language. The image represents the "
        "Food in United States Which dish is shown in the image?\nA) Fish and chips\n"
        "B) Shepherd's pie\nC) Bangers and mash\nD) Cornish pasty")


def test_answer_text_prompt_layout() -> None:
    task, samples = load(protocol="answer-text")
    text = task.build(by_id(samples)["900_1_01_001"]).render()
    assert text.endswith("is strictly the choice only. Which dish is shown in the image?\n"
                         "Fish and chips\nShepherd's pie\nBangers and mash\nCornish pasty")


# --------------------------------------------------------------- scoring
PAPER_OUTPUTS = [
    ("900_1_01_001", "Final Answer: A", 1.0),
    ("900_1_01_001", "The dish is fried.\nFinal Answer: A) Fish and chips", 1.0),
    ("900_1_01_001", "a", 1.0),
    ("900_1_01_001", "Fish and chips", 0.0),  # no letter: extraction gives nothing
    ("900_1_01_001", "Final Answer: B", 0.0),
    ("912_1_01_001", "Final Answer: C", 1.0),  # six options
    ("923_1_01_001", "B) Smørrebrød", 1.0),
    ("904_1_01_001", "答案：A", 0.0),  # a full-width colon is not "Answer:"
]

ANSWER_TEXT_OUTPUTS = [
    ("900_1_01_001", "Fish and chips", 1.0),
    ("900_1_01_001", "  Fish and chips\n", 1.0),
    ("900_1_01_001", "It is fried.\nFinal Answer: Fish and chips", 1.0),
    ("900_1_01_001", "Final Answer: Fish and chips", 0.0),
    ("900_1_01_001", "fish and chips", 0.0),
    ("902_2_01_002", "La tour Eiffel", 1.0),
    ("902_2_01_002", "La tour Eiffel.", 0.0),
    ("904_1_01_001", "饺子", 1.0),
    ("905_2_01_002", "画像は金閣寺です。\nFinal Answer: 金閣寺", 1.0),
    ("908_1_01_001", "الكبسة", 1.0),
    ("910_1_01_001", "Final answer: እንጀራ", 0.0),
]


@pytest.mark.parametrize(("item", "output", "score"), PAPER_OUTPUTS)
def test_paper_scores_hand_made_outputs(item: str, output: str, score: float) -> None:
    task, samples = load()
    assert task.score(by_id(samples)[item], Generation(output, 1)).score == score


@pytest.mark.parametrize(("item", "output", "score"), ANSWER_TEXT_OUTPUTS)
def test_answer_text_scores_hand_made_outputs(item: str, output: str, score: float) -> None:
    task, samples = load(protocol="answer-text", option_labels="any")
    assert task.score(by_id(samples)[item], Generation(output, 1)).score == score


def test_paper_summary_signature_errors_and_caps() -> None:
    """Right letters in en and zh-Hans; the items outside the country map are errors, which
    count as 0 in their languages; English is generated with 128 new tokens."""
    task, samples = load()
    outputs = {s.id: f"Final Answer: {s.fields['target_letter'].upper()}" for s in samples
               if s.lang in ("en", "zh-Hans") and not s.error}
    records = records_for(task, samples, outputs)
    block = summarize_task(task, samples, Rescored(tuple(records)), model=SPEC,
                           data_desc="local:x")
    assert block["languages"]["en"]["score"] == 100.0
    assert block["languages"]["am"] == {**block["languages"]["am"], "score": 0.0, "n": 2,
                                        "n_errors": 2}
    assert block["n_errors"] == 6
    assert block["score"] == pytest.approx(100 * 2 / 26, abs=1e-4)  # 2 of 26 languages all right
    assert "opts:option_labels=fork,protocol=paper,system_prompt=none" in block["signature"]
    assert "metric:alm_letter_acc[fork-B:4-patterns,target:fuzz.ratio,fork-labels]" in block[
        "signature"]
    assert "gen:greedy,max1024;en=greedy,max128" in block["signature"]
    assert "gen:greedy,max128|" in block["languages"]["en"]["signature"]
    assert block["breakdown"]["by_family"]["Afro-Asiatic"] == {"score": 0.0,
                                                               "languages": ["am", "ar"]}


def test_answer_text_summary_signature_and_groups() -> None:
    task, samples = load(protocol="answer-text", option_labels="any")
    outputs = {s.id: s.fields["target"] for s in samples if s.lang in ("en", "am", "zh-Hans")}
    records = records_for(task, samples, outputs)
    block = summarize_task(task, samples, Rescored(tuple(records)), model=SPEC,
                           data_desc="local:x")
    assert block["status"] == "scored"
    assert block["score"] == pytest.approx(100 * 3 / 26, abs=1e-4)  # 3 of 26 languages all right
    assert "opts:option_labels=any,protocol=answer-text,system_prompt=none" in block[
        "signature"]
    groups = block["breakdown"]
    assert groups["by_resource"]["low"] == {"score": 100.0, "languages": ["am"]}
    assert groups["by_script"]["Ethi"]["score"] == 100.0
    assert groups["by_family"]["Afro-Asiatic"] == {"score": 50.0, "languages": ["am", "ar"]}


# --------------------------------------------------------------- official + judge
class ScriptedJudge:
    """An Adapter whose reply depends on what the judge prompt contains."""

    capabilities = frozenset({Capability.GENERATE})
    spec = SPEC

    def __init__(self, reply: str = "10") -> None:
        self.prompts: list[str] = []
        self.reply = reply

    def generate(self, inputs: Any, settings: Any, *, batch_size: int = 1,
                 on_batch: Any = None) -> list[Generation]:
        texts = [i.messages[-1].text for i in inputs]
        self.prompts += texts
        return [Generation(self.reply if "Model Prediction: right" in t else "0", 1)
                for t in texts]

    def loglikelihood(self, *args: Any, **kw: Any) -> list[Any]:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _judge(tmp_path: Path, model: ScriptedJudge) -> Judge:
    from tvbench.scorers.judge import JudgeCache

    return Judge("scripted@1", lambda: model, cache=JudgeCache(tmp_path / "j.jsonl"))


def test_official_judge_prompts_and_scores(tmp_path: Path) -> None:
    task, samples = load(protocol="official")
    en = [s for s in samples if s.lang == "en"]
    records = records_for(task, en, {"900_1_01_001": "right", "900_3_01_003": "right",
                                     "900_5_01_005": "right"})
    assert all(r.score is None for r in records)  # nothing is scored before the judge
    model = ScriptedJudge()
    judged = task.rescore(en, records, Scorers(judge=_judge(tmp_path, model),
                                               judge_problem=None))
    assert judged.notes == ()
    assert [r.score for r in judged.records] == [1.0, 0.0, 1.0, 0.0, 1.0]
    assert all(r.score is None for r in records)  # the scored records are new ones
    assert judged.records[0].provenance == {"judge": judged.scored_by["judge"]}
    prompts = dict(zip([s.id for s in en], model.prompts, strict=True))
    # GPTScoring.py: MCQ ground truth = text before "(" (unstripped), T/F = full answer
    assert "Ground Truth: Fish and chips \nModel Prediction: right\n" in prompts["900_1_01_001"]
    assert prompts["900_3_01_003"].startswith("Evaluate the following answer based on Accuracy")
    assert "Ground Truth: True\n" in prompts["900_3_01_003"]
    assert "Consistency, Fluency, and Relevance" in prompts["900_5_01_005"]
    assert "accuracy and correctness" in prompts["900_4_01_004"]
    block = summarize_task(task, en, judged, model=SPEC, data_desc="local:x")
    assert block["score"] == pytest.approx(60.0)
    assert "judge[scripted@1,tpl:" in block["signature"] and "protocol=official" in block[
        "signature"]
    assert block["breakdown"]["by_question_type"][TF] == {"score": 100.0, "n": 1}


def test_official_without_judge_is_not_scored() -> None:
    task, samples = load(protocol="official")
    records = records_for(task, samples, {})
    outcome = task.rescore(samples, records, Scorers())
    notes = outcome.notes
    assert len(notes) == 1 and "47 items not scored" in notes[0] and "no judge" in notes[0]
    block = summarize_task(task, samples, outcome, model=SPEC, data_desc="local:x")
    assert block["score"] is None and block["status"].startswith("not scored")
    assert "metrics" not in block  # no other metric stands in for the judge


def test_garbage_verdict_is_an_item_error_then_retried(tmp_path: Path) -> None:
    task, samples = load(protocol="official")
    one = [s for s in samples if s.id == "900_1_01_001"]
    records = records_for(task, one, {"900_1_01_001": "right"})
    records = list(task.rescore(one, records, Scorers(
        judge=_judge(tmp_path / "a", ScriptedJudge("n/a")))).records)
    assert records[0].score is None and (records[0].error or "").startswith("judge: ")
    assert records[0].extra["judge_error"] is True
    records = list(task.rescore(one, records, Scorers(
        judge=_judge(tmp_path / "b", ScriptedJudge("8")))).records)
    assert records[0].error is None and records[0].score == 0.8
    assert records[0].metrics == {"judge_0_10": 8.0}
    assert "judge_error" not in records[0].extra


def test_generation_errors_are_not_judged(tmp_path: Path) -> None:
    task, samples = load(protocol="official")
    one = [s for s in samples if s.id == "900_1_01_001"]
    records = [ItemRecord(id=one[0].id, lang="en", output="", error="CUDA out of memory")]
    model = ScriptedJudge()
    judged = task.rescore(one, records, Scorers(judge=_judge(tmp_path, model)))
    assert model.prompts == [] and judged.records[0].error == "CUDA out of memory"


def test_parse_rule_is_the_metric_modules() -> None:
    assert parse_judge_score("10") == 10.0  # the task hands this exact function to the judge


def test_paper_multi_languages_are_alm_languages() -> None:
    from tvbench_tasks.alm_bench import PAPER_MULTI_LANGUAGES

    from tvbench.data.languages import resolve

    assert len(PAPER_MULTI_LANGUAGES) == 23 == len(set(PAPER_MULTI_LANGUAGES))
    assert {resolve(x) for x in PAPER_MULTI_LANGUAGES} <= set(ALMBench.languages)
