"""CC-OCR task: bundled samples, tracks and prompt options, end-to-end scoring, breakdown."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from tvbench_tasks.cc_ocr import CCOCR, PAPER_LANGUAGES, language_of, resolve_track

from tvbench.data.loading import DataSourceError, HubDataset, LocalDataset
from tvbench.data.outputs import Capability, Generation
from tvbench.data.record import ItemRecord
from tvbench.models.base import ModelSpec
from tvbench.runs.results import summarize_task
from tvbench.tasks.base import TaskOptionError
from tvbench.tasks.scoring import Rescored

# (options, id): the fork's German suffix, its generic suffix, a character-level language,
# and a KIE question that stays verbatim under tracks=all
SPEC = ModelSpec(name="scripted", family="fake", adapter="fake", adapter_version=1,
                 source="fake/scripted", revision="r1", dtype="n/a",
                 seen_languages=("de", "fr", "it", "ru", "es", "ko", "pt", "ja", "en", "zh"))


def _load(**options: Any) -> tuple[CCOCR, list[Any]]:
    task = CCOCR(**options)
    return task, task.load(task.bundled_source())


def _records(task: CCOCR, samples: list[Any], outputs: dict[str, str]) -> Rescored:
    out = []
    for s in samples:
        text = outputs.get(s.id, s.fields["answer"])  # default: a perfect answer
        res = task.score(s, Generation(text, 3))
        out.append(ItemRecord(id=s.id, lang=s.lang, score=res.score, answer=res.answer,
                              metrics=res.metrics, extra=res.extra))
    return Rescored(tuple(out))


# --------------------------------------------------------------------------------- data
def test_default_is_the_multi_lan_track() -> None:
    task, samples = _load()
    assert len(samples) == 18 and all(s.error is None for s in samples)
    assert {s.fields["track"] for s in samples} == {"multi_lan_ocr"}
    assert sorted({s.lang for s in samples}) == sorted(PAPER_LANGUAGES + ("ar", "ja"))
    assert all(s.media[0].pil().size[0] > 0 for s in samples)  # base64 strings decode
    assert task.settings().max_new_tokens == 1024 and task.settings().greedy


def test_paper_languages_via_the_languages_filter() -> None:
    task = CCOCR()
    samples = task.load(task.bundled_source(), languages=list(PAPER_LANGUAGES))
    assert sorted({s.lang for s in samples}) == sorted(PAPER_LANGUAGES) and len(samples) == 14


def test_all_tracks_and_their_languages() -> None:
    _task, samples = _load(tracks="all")
    assert len(samples) == 25
    tracks = {s.fields["track"] for s in samples}
    assert tracks == {"multi_lan_ocr", "multi_scene_ocr", "kie", "doc_parsing"}
    by_id = {s.id: s for s in samples}
    assert by_id["multi_scene_ocr/zh_scene/zh_scene_001.png"].lang == "zh"
    assert by_id["doc_parsing/table_scan_eng/table_scan_eng_001.png"].lang == "en"
    assert {s.fields["l2_category"] for s in samples if s.fields["track"] == "doc_parsing"} == {
        "doc", "table", "formula", "molecular"}


def test_limit_applies_per_language_across_tracks() -> None:
    task = CCOCR(tracks="all")
    samples = task.load(task.bundled_source(), limit=1)
    langs = [s.lang for s in samples]
    assert len(langs) == len(set(langs)) == 11


@pytest.mark.parametrize("l2,track", [("doc", "doc_parsing"), ("table", "doc_parsing"),
                                      ("open_category", "kie"), ("ugc_text", "multi_scene_ocr"),
                                      ("German", "multi_lan_ocr")])
def test_track_routing(l2: str, track: str) -> None:
    assert resolve_track(l2) == track


@pytest.mark.parametrize("track,subset,lang", [
    ("multi_lan_ocr", "Vietnamese", "vi"), ("multi_lan_ocr", "Korean", "ko"),
    ("multi_scene_ocr", "zh_vertical", "zh"), ("multi_scene_ocr", "IC15", "en"),
    ("doc_parsing", "doc_photo_chn", "zh"), ("kie", "CORD", "en")])
def test_language_rule(track: str, subset: str, lang: str) -> None:
    assert language_of(track, subset) == lang


def test_hub_source_reads_one_config_per_track() -> None:
    hub = CCOCR.hub
    assert [p.config for p, _ in CCOCR().parts(hub, None)] == ["multi_lan_ocr"]  # type: ignore
    parts = CCOCR(tracks="all").parts(hub, None)
    assert [(p.config, hint) for p, hint in parts] == [  # type: ignore[union-attr]
        (t, t) for t in ("multi_scene_ocr", "multi_lan_ocr", "doc_parsing", "kie")]
    assert all(isinstance(p, HubDataset) and p.revision == hub.revision for p, _ in parts)


def test_local_copy_with_one_folder_per_config(tmp_path: Path) -> None:
    src = CCOCR().bundled_source().path
    for config in ("multi_lan_ocr", "kie"):
        (tmp_path / config).mkdir()
        shutil.copy(src / f"test-{config}.parquet", tmp_path / config / "test.parquet")
    samples = CCOCR().load(LocalDataset(tmp_path, split="test"))
    assert len(samples) == 18
    kie_only = CCOCR(tracks="kie").load(LocalDataset(tmp_path, split="test"))
    assert [s.fields["track"] for s in kie_only] == ["kie"]
    with pytest.raises(DataSourceError, match="doc_parsing"):
        CCOCR(tracks="all").load(LocalDataset(tmp_path, split="test"))


def test_bad_records_become_error_samples(tmp_path: Path) -> None:
    import datasets

    rows = {"index": [0, 1, 2], "image": ["aGVsbG8="] * 3,
            "image_name": ["a.png", "b.png", "c.png"], "question": ["q"] * 3,
            "answer": ['{"a": ', "x", "y"], "split": ["CORD", "Klingon", "doc_scan_eng"],
            "l2-category": ["constrained_category", "Klingon", "doc"]}
    datasets.Dataset.from_dict(rows).to_parquet(str(tmp_path / "test.parquet"))
    samples = CCOCR(tracks="all").load(LocalDataset(tmp_path, split="test"))
    errors = {s.id: s.error for s in samples}
    assert "JSONDecodeError" in (errors["kie/CORD/a.png"] or "")
    assert "Klingon" in (errors["multi_lan_ocr/Klingon/b.png"] or "")
    assert errors["doc_parsing/doc_scan_eng/c.png"] is None


def test_unknown_option_value_is_refused() -> None:
    with pytest.raises(TaskOptionError):
        CCOCR(tracks="multi_lan")


# ------------------------------------------------------------------------------ prompts
def test_towervision_prompt_suffixes() -> None:
    task, samples = _load()
    by_lang = {s.lang: task.build(s).messages[-1].text for s in samples}
    base = ("Please output only the text content from the image without any additional "
            "descriptions or formatting.")
    assert by_lang["de"] == base + "\nAnswer by providing the text in the image directly."
    for lang in ("fr", "it", "ru", "es", "ko", "pt", "ar", "ja"):
        assert by_lang[lang] == base + "\nAnswer by providing the text directly."
    official = CCOCR(prompt="official")
    assert {official.build(s).messages[-1].text for s in samples} == {base}


def test_other_tracks_keep_the_question_verbatim() -> None:
    task, samples = _load(tracks="all")
    for s in samples:
        if s.fields["track"] != "multi_lan_ocr":
            assert task.build(s).messages[-1].text == s.fields["question"]


def test_prompt_option_changes_the_fingerprint() -> None:
    assert CCOCR().prompt_fingerprint() != CCOCR(prompt="official").prompt_fingerprint()


# ------------------------------------------------------------------------------ scoring
MULTI_LAN_OUTPUTS = {
    "multi_lan_ocr/German/German_001.png": "bitte nicht",             # R 2/3, P 1 → F1 0.8
    "multi_lan_ocr/French/French_001.png": "Sortie, de secours",      # "sortie," ≠ "sortie"
    "multi_lan_ocr/Korean/Korean_000.png": "서울역출구입니다",           # char level: 5/5, 5/8
    "multi_lan_ocr/Spanish/Spanish_001.png": "",                      # empty → 0
}


def test_end_to_end_multi_lan() -> None:
    task, samples = _load()
    records = _records(task, samples, MULTI_LAN_OUTPUTS)
    by_id = {r.id: r.to_json() for r in records.records}
    de = by_id["multi_lan_ocr/German/German_001.png"]
    assert de["metrics"] == {"f1": pytest.approx(0.8, abs=1e-8), "recall": pytest.approx(2 / 3),
                             "precision": pytest.approx(1.0), "right": 2, "n_gt": 3, "n_pred": 2}
    assert de["answer"] == "bitte nicht" and de["extra"]["tokens"] == "word"
    ko = by_id["multi_lan_ocr/Korean/Korean_000.png"]
    assert (ko["metrics"]["right"], ko["metrics"]["n_gt"], ko["metrics"]["n_pred"]) == (5, 5, 8)
    assert ko["extra"]["tokens"] == "char"

    block = summarize_task(task, samples, records, model=SPEC, data_desc="local:cc_ocr")
    assert block["metric"] == "macro_f1"
    langs = block["languages"]
    # per language = the official per-subset macro_f1_score: (F1_1 + F1_2) / (2 + 1e-9) × 100
    perfect = 2 * (1 / (1 + 1e-9)) ** 2 / (2 / (1 + 1e-9) + 1e-9)
    assert langs["de"]["score"] == round((perfect + de["metrics"]["f1"]) / (2 + 1e-9) * 100, 4)
    assert langs["es"]["score"] == round(perfect / (2 + 1e-9) * 100, 4)
    assert langs["it"]["score"] == round(2 * perfect / (2 + 1e-9) * 100, 4)
    micro = block["metrics"]["micro_f1"]["languages"]["ko"]["score"]
    # pooled counts over both Korean items: right 5+5, gt 5+5, pred 8+5 → 2·1·(10/13)/(1+10/13)
    assert micro == pytest.approx(100 * 20 / 23, abs=1e-4)
    assert block["score"] == pytest.approx(
        sum(v["score"] for v in langs.values()) / len(langs), abs=1e-3)
    assert "opts:max_new_tokens=1024,prompt=towervision,tracks=multi_lan_ocr" in block[
        "signature"]
    assert "ccocr_ocr_f1[official@fb6187eb,macro" in block["signature"]
    track = block["breakdown"]["cc_ocr"]["tracks"]["multi_lan_ocr"]
    assert track["subsets"]["German"]["macro_f1"] == langs["de"]["score"]
    assert track["missing_subsets"] == ["Vietnamese"] and not track["complete"]
    assert track["scores"]["macro_f1"] == pytest.approx(
        sum(s["macro_f1"] for s in track["subsets"].values()) / (9 + 1e-9), abs=1e-3)


ALL_OUTPUTS = {
    "kie/sroie2019_word/sroie2019_word_000.png":
        '```json\n{"company": "SECRET RECIPE RESTAURANT", "date": "12/03/2018", '
        '"address": "NO. 5, JALAN SS 21/39, PETALING JAYA", "total": "8.76"}\n```',
    "doc_parsing/table_scan_eng/table_scan_eng_001.png":
        "```html\n<table>\n<tr><td>Name</td><td>Qty</td></tr>\n<tr><td>Apple</td><td>4</td></tr>"
        "\n</table>\n```",
    "doc_parsing/molecular_handwriting/molecular_handwriting_003.png": "<smiles>CCN</smiles>",
    "multi_scene_ocr/IC15/IC15_000.png": "STOP! no-parking",
}


def test_end_to_end_all_tracks() -> None:
    task, samples = _load(tracks="all")
    records = _records(task, samples, ALL_OUTPUTS)
    by_id = {r.id: r.to_json() for r in records.records}
    kie = by_id["kie/sroie2019_word/sroie2019_word_000.png"]
    assert (kie["metrics"]["tp"], kie["metrics"]["fp_fn"]) == (3, 2)
    assert kie["answer"]["total"] == "8.76" and kie["extra"]["parsed"]
    # nTED: one leaf edit over 4 keys + 24+10+36+4 characters
    assert kie["metrics"]["acc"] == pytest.approx(1 - 1 / 78)
    table = by_id["doc_parsing/table_scan_eng/table_scan_eng_001.png"]
    assert table["score"] == pytest.approx(1 - 1 / 6)  # 6 nodes, one cell renamed at cost 1
    assert by_id["doc_parsing/molecular_handwriting/molecular_handwriting_003.png"][
        "score"] == pytest.approx(2 / 3)
    scene = by_id["multi_scene_ocr/IC15/IC15_000.png"]
    assert scene["answer"] == "stop noparking" and scene["extra"]["tokens"] == "word+alnum"

    block = summarize_task(task, samples, records, model=SPEC, data_desc="local:cc_ocr")
    assert block["metric"] == "pooled_item_score"
    assert set(block["metrics"]) == {"macro_f1", "micro_f1", "kie_f1", "kie_acc",
                                     "doc_parsing_score"}
    assert block["metrics"]["kie_f1"]["score"] == round(100 * 3 / (3 + 1 + 1e-6), 4)
    cc = block["breakdown"]["cc_ocr"]
    assert set(cc["tracks"]) == {"multi_scene_ocr", "multi_lan_ocr", "doc_parsing", "kie"}
    doc = cc["tracks"]["doc_parsing"]
    assert doc["subsets"]["table_scan_eng"]["score"] == round(100 * (1 - 1 / 6), 4)
    expected_doc = (1 + 1 + (1 - 1 / 6) + 2 / 3) / (4 + 1e-9) * 100
    assert doc["scores"]["score"] == round(expected_doc, 4)
    heads = [cc["tracks"][t]["scores"][cc["tracks"][t]["headline_metric"]]
             for t in ("multi_scene_ocr", "multi_lan_ocr", "doc_parsing", "kie")]
    assert cc["total"] == pytest.approx(sum(heads) / 4, abs=1e-3)
    assert cc["excluded_errors"] == {}


def test_failed_items_score_as_the_empty_string() -> None:
    """A failed generation counts as ``""`` (the official evaluator's missing prediction) in
    every metric and the official tables; --exclude-errors leaves it out and says so."""
    from tvbench.runs.results import Summary

    task, samples = _load(tracks="all")
    scored = _records(task, samples, {}).records
    failed = replace(scored[0], score=None, metrics={}, error="generation failed")
    records = Rescored((failed, *scored[1:]))
    as_empty = Rescored((replace(scored[0], metrics=task.score(
        samples[0], Generation("")).metrics, score=task.score(samples[0], Generation("")).score),
        *scored[1:]))
    block = summarize_task(task, samples, records, model=SPEC, data_desc="local:cc_ocr")
    empty = summarize_task(task, samples, as_empty, model=SPEC, data_desc="local:cc_ocr")
    assert block["n_errors"] == 1 and empty["n_errors"] == 0
    assert block["score"] == empty["score"] < 100
    for name in block["metrics"]:
        assert block["metrics"][name]["score"] == empty["metrics"][name]["score"], name
    assert block["breakdown"] == empty["breakdown"]
    assert block["breakdown"]["cc_ocr"]["excluded_errors"] == {}
    excluded = summarize_task(task, samples, records, model=SPEC, data_desc="local:cc_ocr",
                              summary=Summary(count_errors=False))
    cc = excluded["breakdown"]["cc_ocr"]
    assert cc["excluded_errors"] == {"doc_parsing/doc_scan_eng": 1}
    assert "doc_scan_eng" not in cc["tracks"]["doc_parsing"]["subsets"]
    assert "|errors:excluded|" in excluded["signature"]


def test_paper_language_preset_is_the_multi_lan_protocols() -> None:
    assert CCOCR().language_selection("paper") == frozenset(PAPER_LANGUAGES)
    assert CCOCR(tracks="all").language_selection("paper") is None
    assert CCOCR().language_selection("all") is None
    assert CCOCR(max_new_tokens=4096).settings().max_new_tokens == 4096


def test_aggregation_is_pure() -> None:
    task, samples = _load(tracks="all")
    records = _records(task, samples, ALL_OUTPUTS)
    first = summarize_task(task, samples, records, model=SPEC, data_desc="local:cc_ocr")
    assert summarize_task(task, samples, records, model=SPEC, data_desc="local:cc_ocr") == first


def test_perfect_answers_score_100_up_to_the_official_epsilons() -> None:
    task, samples = _load()
    block = summarize_task(task, samples, _records(task, samples, {}), model=SPEC,
                           data_desc="local:cc_ocr")
    assert block["score"] == pytest.approx(100.0, abs=1e-4) and block["score"] <= 100.0


# ---------------------------------------------------------------- through the real Runner
class _Oracle:
    """Answers every CC-OCR item with its ground truth, found by the image's digest."""

    capabilities = frozenset({Capability.GENERATE, Capability.IMAGE})
    def __init__(self, samples: list[Any]) -> None:
        self.by_image = {s.media[0].digest: s.fields["answer"] for s in samples}
        self.spec = SPEC

    def generate(self, inputs: Any, settings: Any, *, batch_size: int = 1,
                 on_batch: Any = None) -> list[Generation]:
        out = [Generation(self.by_image[i.images[0].digest], 1) for i in inputs]
        if on_batch:
            on_batch(list(range(len(out))), out)
        return out


def test_runner_end_to_end_with_perfect_answers(tmp_path: Path) -> None:
    from tvbench.runs.runner import Runner, RunSettings, TaskPlan
    from tvbench.runs.store import RunFolder

    task, samples = _load(tracks="all")
    results = Runner(_Oracle(samples), RunFolder(tmp_path), RunSettings(batch_size=4)).run(
        [TaskPlan(task, task.bundled_source())])
    block = results["tasks"]["cc_ocr"]
    assert block["n_errors"] == 0 and block["n"] == 25
    for name in ("macro_f1", "micro_f1", "kie_f1", "kie_acc", "doc_parsing_score"):
        assert block["metrics"][name]["score"] == pytest.approx(100.0, abs=1e-3), name
    assert block["breakdown"]["cc_ocr"]["total"] == pytest.approx(100.0, abs=1e-3)
    records = RunFolder(tmp_path).read_records("cc_ocr")
    assert records["kie/sroie2019_word/sroie2019_word_000.png"].metrics["tp"] == 4
