"""CoMMuTE: both candidates in one item, the fork's prompts, contrastive and generative scoring."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from tvbench_tasks.commute import CoMMuTE, _split_source

from tvbench.data.inputs import GenerationSettings, ImagePart, ModelInput
from tvbench.data.loading import DataSourceError, HubDataset, LocalDataset
from tvbench.data.outputs import Capability, Generation, LogLikelihood
from tvbench.data.record import ItemRecord
from tvbench.metrics.contrastive import contrastive_accuracy
from tvbench.models.base import CapabilityError, ModelSpec
from tvbench.runs.results import summarize_task
from tvbench.runs.runner import Runner, RunSettings, TaskPlan, check_capabilities
from tvbench.runs.store import RunFolder
from tvbench.scorers import Scorers
from tvbench.tasks.registry import TASKS
from tvbench.tasks.scoring import Rescored

REPO = Path(__file__).resolve().parents[2]
LANGS = ("de", "fr", "ru", "zh", "ar", "cs")
FAMILIES = ("towervision", "qwen2_5_vl", "gemma3", "aya_vision")
SPEC = ModelSpec(name="fake", family="fake", adapter="fake", adapter_version=1,
                 source="fake/x", revision="r1", dtype="n/a", seen_languages=None)


def _samples(**opts: Any) -> list:
    task = CoMMuTE(**opts)
    return task.load(task.bundled_source())


def test_registered_and_bundled_items() -> None:
    assert TASKS.get("commute") is CoMMuTE
    samples = _samples()
    assert len(samples) == 36
    assert {lang: sum(s.lang == lang for s in samples) for lang in LANGS} == dict.fromkeys(
        LANGS, 6)
    assert len({s.id for s in samples}) == 36
    first, second = samples[0], samples[1]
    assert first.id == f"de-0-{first.fields['image_name']}"
    assert first.fields["source"] == second.fields["source"] == (
        "We'll have to get rid of that mole.")
    # the two images of a sentence swap correct and incorrect, like the real benchmark
    assert (first.fields["correct"], first.fields["incorrect"]) == (
        second.fields["incorrect"], second.fields["correct"])
    assert first.media[0].digest != second.media[0].digest


def test_bundled_files_have_the_hub_schema() -> None:
    import datasets

    for lang in LANGS:
        ds = datasets.Dataset.from_parquet(str(REPO / f"tasks/bundled/commute/{lang}.parquet"))
        assert dict(ds.features) == {
            "image": datasets.Image(), "image_name": datasets.Value("string"),
            "source": datasets.Value("string"),
            "correct_translation": datasets.Value("string"),
            "incorrect_translation": datasets.Value("string")}


def test_contrastive_candidates_are_assistant_continuations() -> None:
    task = CoMMuTE()
    sample = _samples()[0]
    (inp_c, cont_c), (inp_i, cont_i) = task.candidates(sample)
    assert inp_c is inp_i  # one context, two continuations
    assert (cont_c, cont_i) == ("Wir müssen diesen Maulwurf loswerden.",
                                "Wir müssen diesen Leberfleck loswerden.")
    assert isinstance(inp_c.messages[0].content[0], ImagePart)
    assert [m.role for m in inp_c.messages] == ["user"]
    assert inp_c.messages[0].text == (
        "Translate the following source text from English to German. Only generate the "
        "translation without any additional explanation or extra word.\nEnglish: We'll have "
        "to get rid of that mole.\n\nGerman: ")
    assert task.scoring().span == "turn"
    assert CoMMuTE(span="candidate").scoring().span == "continuation"


def test_paper_languages_are_table_2s() -> None:
    task = CoMMuTE()
    assert task.language_selection("paper") == frozenset({"de", "fr", "ru", "zh"})
    assert task.language_selection("all") is None  # the fork's six-language group
    paper = task.load(task.bundled_source(), languages=task.language_selection("paper"))
    assert sorted({s.lang for s in paper}) == ["de", "fr", "ru", "zh"]


def test_kind_is_decided_by_the_variant_per_instance() -> None:
    assert CoMMuTE().kind == "loglikelihood"
    assert CoMMuTE(variant="generative").kind == "generate"
    assert CoMMuTE.kind == "loglikelihood"  # the class attribute is untouched
    generate_only = frozenset({Capability.GENERATE, Capability.IMAGE})
    check_capabilities(generate_only, [CoMMuTE(variant="generative")], "m")
    with pytest.raises(CapabilityError, match="loglikelihood"):
        check_capabilities(generate_only, [CoMMuTE()], "m")


def test_generative_prompt_is_the_forks() -> None:
    task = CoMMuTE(variant="generative")
    sample = [s for s in _samples() if s.lang == "zh"][0]
    inp = task.build(sample)
    assert isinstance(inp.messages[0].content[0], ImagePart)
    assert inp.messages[0].text == (
        "Translate the following text from English to Chinese by taking into account the "
        "image to resolve any ambiguities.\nEnglish: We'll have to get rid of that mole.\n"
        "Chinese: ")
    assert task.settings() == GenerationSettings(max_new_tokens=128)


@pytest.mark.parametrize("normalise,correct,incorrect,expected", [  # span does not matter
    # sum: -10 > -12 (correct wins); mean: -10/2 = -5 < -12/4 = -3 (incorrect wins)
    ("sum", LogLikelihood(-10.0, -5.0, 2), LogLikelihood(-12.0, -3.0, 4), ("correct", 1.0)),
    ("mean", LogLikelihood(-10.0, -5.0, 2), LogLikelihood(-12.0, -3.0, 4), ("incorrect", 0.0)),
    ("sum", LogLikelihood(-7.0, -1.0, 7), LogLikelihood(-7.0, -3.5, 2), ("tie", 0.0)),
    ("mean", LogLikelihood(-7.0, -1.0, 7), LogLikelihood(-14.0, -1.0, 14), ("tie", 0.0)),
])
def test_score_hand_made_loglikelihoods(normalise: str, correct: LogLikelihood,
                                        incorrect: LogLikelihood,
                                        expected: tuple[str, float]) -> None:
    task = CoMMuTE(normalise=normalise)
    result = task.score(_samples()[0], [correct, incorrect])
    assert (result.answer, result.score) == expected


def test_non_finite_or_malformed_outputs_raise() -> None:
    task, sample = CoMMuTE(), _samples()[0]
    with pytest.raises(ValueError, match="non-finite"):
        task.score(sample, [LogLikelihood(math.nan, math.nan, 0), LogLikelihood(-1, -1, 1)])
    with pytest.raises(TypeError, match="two log-likelihoods"):
        task.score(sample, [LogLikelihood(-1, -1, 1)])


class ShufflingAdapter:
    """log p = -len(continuation) - 0.5 * index_of_word; answers arrive in shuffled order."""

    capabilities = frozenset({Capability.LOGLIKELIHOOD, Capability.GENERATE, Capability.IMAGE})

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.spec = SPEC

    @staticmethod
    def logprob(continuation: str) -> float:
        return -float(len(continuation))

    def loglikelihood(self, inputs: Sequence[ModelInput], continuations: Sequence[str], *,
                      batch_size: int = 1, on_batch: Any = None,
                      scoring: Any = None) -> list[LogLikelihood]:
        self.scoring = scoring
        order = list(range(len(inputs)))
        self.rng.shuffle(order)
        out: list[LogLikelihood | None] = [None] * len(inputs)
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            lls = [LogLikelihood(self.logprob(continuations[i]),
                                 self.logprob(continuations[i]) / 3, 3) for i in idx]
            for i, ll in zip(idx, lls, strict=True):
                out[i] = ll
            if on_batch:
                on_batch(idx, lls)
        return [x for x in out if x is not None]

    def generate(self, inputs: Sequence[ModelInput], settings: GenerationSettings, *,
                 batch_size: int = 1, on_batch: Any = None) -> list[Generation]:
        out = [Generation(inp.messages[0].text.splitlines()[1].removeprefix("English: "), 4)
               for inp in inputs]  # "translates" by copying the English source
        if on_batch:
            on_batch(list(range(len(out))), out)
        return out

    def close(self) -> None:
        pass


def test_contrastive_end_to_end_pairs_by_id_under_shuffled_execution(tmp_path: Path) -> None:
    task = CoMMuTE()
    folder = RunFolder(tmp_path / "run")
    adapter = ShufflingAdapter(seed=5)
    Runner(adapter, folder, RunSettings(batch_size=5, languages="all")).run(
        [TaskPlan(task, task.bundled_source())])
    assert adapter.scoring == task.scoring()  # the request option reaches the adapter
    results = folder.read_results()
    assert results is not None
    block = results["tasks"]["commute"]
    records = folder.read_records("commute")
    samples = {s.id: s for s in _samples()}
    logprob = ShufflingAdapter.logprob
    for item_id, rec in records.items():
        s = samples[item_id]
        # each output entry is the candidate it claims to be, scored as such
        assert [o.text for o in rec.continuations] == [s.fields["correct"],
                                                        s.fields["incorrect"]]
        assert [o.total for o in rec.continuations] == [logprob(s.fields["correct"]),
                                                         logprob(s.fields["incorrect"])]
        assert rec.score == float(logprob(s.fields["correct"]) >
                                  logprob(s.fields["incorrect"]))
    for lang in LANGS:
        ids = [i for i in records if samples[i].lang == lang]
        expected = contrastive_accuracy({i: logprob(samples[i].fields["correct"]) for i in ids},
                                        {i: logprob(samples[i].fields["incorrect"]) for i in ids})
        assert block["languages"][lang]["score"] == round(100 * expected, 4)
    assert 0 < block["score"] < 100  # shorter-wins is right on some pairs, wrong on others


def test_summary_does_not_depend_on_item_order(tmp_path: Path) -> None:
    task = CoMMuTE()
    samples = _samples()
    records = []
    for s in samples:
        good, bad = -float(len(s.fields["correct"])), -float(len(s.fields["incorrect"]))
        result = task.score(s, [LogLikelihood(good, good, 1), LogLikelihood(bad, bad, 1)])
        records.append(ItemRecord(id=s.id, lang=s.lang, score=result.score))
    pairs = list(zip(samples, records, strict=True))
    random.Random(11).shuffle(pairs)
    a = summarize_task(task, samples, Rescored(tuple(records)), model=SPEC, data_desc="samples")
    b = summarize_task(task, [p[0] for p in pairs], Rescored(tuple(p[1] for p in pairs)),
                       model=SPEC, data_desc="samples")
    assert a["score"] == b["score"] and a["languages"] == b["languages"]


def test_generative_without_comet_is_not_scored(tmp_path: Path) -> None:
    task = CoMMuTE(variant="generative")
    folder = RunFolder(tmp_path / "run")
    results = Runner(ShufflingAdapter(seed=1), folder, RunSettings(),
                     scorers=Scorers()).run([TaskPlan(task, task.bundled_source())])
    assert sorted(results["tasks"]["commute"]["languages"]) == ["de", "fr", "ru", "zh"]
    block = results["tasks"]["commute"]
    assert block["metric"] == "pairwise_accuracy" and block["score"] is None
    assert block["status"] == ("not scored: COMET pairwise accuracy not scored: COMET is not "
                               "configured ([comet] in tvbench.toml)")
    assert set(block["metrics"]) == {"avg_correct_score", "avg_incorrect_score"}


def test_missing_splits_are_errors(tmp_path: Path) -> None:
    task = CoMMuTE()
    with pytest.raises(DataSourceError, match="no 'es' split"):
        task.load(task.bundled_source(), languages=["es"])
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "de.parquet").write_bytes(
        (REPO / "tasks/bundled/commute/de.parquet").read_bytes())
    with pytest.raises(DataSourceError, match="no 'fr' split"):
        task.load(LocalDataset(tmp_path / "c", split="per-language"))
    only_de = task.load(LocalDataset(tmp_path / "c"), languages=["de"], limit=2)
    assert [s.lang for s in only_de] == ["de", "de"]


def test_hub_reads_one_split_per_language() -> None:
    src = _split_source(CoMMuTE.hub, "zh")
    assert isinstance(src, HubDataset)
    assert (src.repo, src.split) == ("Unbabel/commute_multimodal_mt", "zh")
    assert CoMMuTE().languages[:6] == LANGS


def test_broken_rows_are_error_items(tmp_path: Path) -> None:
    import datasets

    (tmp_path / "c").mkdir()
    rows = {"image": [None, None], "image_name": ["a.png", "b.png"],
            "source": ["Hi.", "Hi."], "correct_translation": ["Hallo.", ""],
            "incorrect_translation": ["Tschüss.", "Hallo."]}
    datasets.Dataset.from_dict(rows).to_parquet(str(tmp_path / "c" / "de.parquet"))
    samples = CoMMuTE().load(LocalDataset(tmp_path / "c"), languages=["de"])
    assert [s.id for s in samples] == ["de-0-a.png", "de-1-b.png"]
    assert "media field is empty" in str(samples[0].error)
    assert "correct_translation" in str(samples[1].error)


# ----------------------------------------------------------------------- with tiny models
@pytest.mark.parametrize("family", FAMILIES)
def test_contrastive_through_tiny_adapters(family: str, tiny_adapter: Any,
                                           tmp_path: Path) -> None:
    adapter = tiny_adapter(family)
    task = CoMMuTE()
    folder = RunFolder(tmp_path / family)
    results = Runner(adapter, folder, RunSettings(batch_size=4, limit=2, languages="all")).run(
        [TaskPlan(task, task.bundled_source())])
    block = results["tasks"]["commute"]
    records = folder.read_records("commute")
    assert len(records) == 12 and block["n_errors"] == 0, [r.error for r in records.values()]
    for rec in records.values():
        means = [o.mean for o in rec.continuations]
        assert all(m is not None and m < 0 for m in means)
        assert all(o.n_tokens > 0 for o in rec.continuations)
        assert rec.score == float(means[0] > means[1])  # the fork: lower mean loss wins
    assert block["status"] == "scored" and 0 <= block["score"] <= 100
    # the batched run agrees with scoring one item's two candidates on their own
    sample = _samples()[0]
    rec = records[sample.id]
    cands = task.candidates(sample)
    alone = adapter.loglikelihood([c[0] for c in cands], [c[1] for c in cands],
                                  scoring=task.scoring())
    assert [a.total for a in alone] == pytest.approx([o.total for o in rec.continuations],
                                                     abs=1e-3)
    plain = adapter.loglikelihood([c[0] for c in cands], [c[1] for c in cands])
    assert all(a.n_tokens < o.n_tokens for a, o in zip(plain, rec.continuations, strict=True))


def test_generative_pairwise_accuracy_with_tiny_comet(tmp_path: Path,
                                                      tiny_comet_client: Any) -> None:
    task = CoMMuTE(variant="generative")
    folder = RunFolder(tmp_path / "run")
    results = Runner(ShufflingAdapter(seed=2), folder, RunSettings(limit=2, languages="all"),
                     scorers=Scorers(comet=tiny_comet_client, comet_problem=None)).run(
        [TaskPlan(task, task.bundled_source())])
    block = results["tasks"]["commute"]
    records = folder.read_records("commute")
    samples = {s.id: s for s in _samples()}
    ids = list(records)
    assert len(ids) == 12
    items = []
    for i in ids:
        f = samples[i].fields
        items += [{"src": f["source"], "mt": records[i].output, "ref": f["correct"]},
                  {"src": f["source"], "mt": records[i].output, "ref": f["incorrect"]}]
    scores = tiny_comet_client.score(items).scores
    good = dict(zip(ids, scores[0::2], strict=True))
    bad = dict(zip(ids, scores[1::2], strict=True))
    assert block["status"] == "scored"
    for lang in LANGS:
        mine = [i for i in ids if samples[i].lang == lang]
        acc = contrastive_accuracy({i: good[i] for i in mine}, {i: bad[i] for i in mine})
        avg_c = sum(good[i] for i in mine) / len(mine)
        avg_i = sum(bad[i] for i in mine) / len(mine)
        assert block["languages"][lang]["score"] == round(100 * acc, 4)
        assert block["metrics"]["avg_correct_score"]["languages"][lang]["score"] == round(
            100 * avg_c, 4)
        assert block["metrics"]["avg_incorrect_score"]["languages"][lang]["score"] == round(
            100 * avg_i, 4)
    assert "comet:2.2.7" in block["signature"]
