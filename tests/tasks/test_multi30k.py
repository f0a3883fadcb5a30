"""Multi30K: items per direction, the fork's prompt, BLEU/chrF = sacrebleu, XCOMET via COMET."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import sacrebleu
from tvbench_tasks.multi30k import Multi30K

from tvbench.data.inputs import GenerationSettings, ImagePart, ModelInput
from tvbench.data.loading import DataSourceError, HubDataset, LocalDataset
from tvbench.data.outputs import Capability, Generation, LogLikelihood
from tvbench.data.record import ItemRecord
from tvbench.models.base import ModelSpec
from tvbench.runs.runner import Runner, RunSettings, TaskPlan
from tvbench.runs.signature import parse
from tvbench.runs.store import RunFolder
from tvbench.scorers import Scorers
from tvbench.tasks.registry import TASKS

REPO = Path(__file__).resolve().parents[2]


class ScriptedAdapter:
    """Returns a hand-written generation per item (looked up by source sentence)."""

    capabilities = frozenset({Capability.GENERATE, Capability.IMAGE})

    def __init__(self, answers: dict[tuple[str, str], str]) -> None:
        self.answers = answers
        self.spec = ModelSpec(name="scripted", family="fake", adapter="fake", adapter_version=1,
                              source="fake/scripted", revision="r1", dtype="n/a",
                              seen_languages=None)

    def generate(self, inputs: Sequence[ModelInput], settings: GenerationSettings, *,
                 batch_size: int = 1, on_batch: Any = None) -> list[Generation]:
        out = []
        for inp in inputs:
            m = re.fullmatch(r"Translate .* to (\w+):\n(.*)", inp.messages[-1].text)
            assert m is not None
            lang = {"German": "de", "French": "fr", "Czech": "cs"}[m.group(1)]
            out.append(Generation(self.answers[(m.group(2), lang)], 5))
        for start in range(0, len(out), batch_size):
            idx = list(range(start, min(start + batch_size, len(out))))
            if on_batch:
                on_batch(idx, [out[i] for i in idx])
        return out

    def loglikelihood(self, inputs: Any, continuations: Any, *, batch_size: int = 1,
                      on_batch: Any = None) -> list[LogLikelihood]:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _hypothesis(reference: str, row: int) -> str:
    """Exact, shortened (last word dropped) or empty outputs, mixed across rows."""
    if row % 3 == 0:
        return reference
    return "" if row == 4 else " ".join(reference.split()[:-1])


def _run(tmp_path: Path, scorers: Any, task: Multi30K | None = None) -> tuple[dict, list]:
    task = task or Multi30K()
    samples = task.load(task.bundled_source())
    answers = {(s.fields["source"], s.lang): _hypothesis(s.fields["reference"],
                                                         int(s.id.split("-")[0]))
               for s in samples}
    folder = RunFolder(tmp_path / "run")
    runner = Runner(ScriptedAdapter(answers), folder, RunSettings(batch_size=3), scorers=scorers)
    results = runner.run([TaskPlan(task, task.bundled_source())])
    return results["tasks"]["multi30k"], list(folder.read_records("multi30k").values())


def test_registered_and_bundled_items() -> None:
    assert TASKS.get("multi30k") is Multi30K
    task = Multi30K()
    samples = task.load(task.bundled_source())
    assert len(samples) == 24
    assert [s.id for s in samples[:4]] == ["0-de", "0-fr", "0-cs", "1-de"]
    assert {lang: sum(s.lang == lang for s in samples) for lang in "de fr cs".split()} == {
        "de": 8, "fr": 8, "cs": 8}
    first = samples[0]
    assert first.fields == {"source": "A man in an orange hat is looking at something.",
                            "reference": "Ein Mann mit einem orangefarbenen Hut schaut etwas an.",
                            "target": "de"}
    assert samples[0].media[0].digest == samples[1].media[0].digest  # one image per row


def test_bundled_file_has_the_hub_schema() -> None:
    import datasets

    ds = datasets.Dataset.from_parquet(str(REPO / "tasks/bundled/multi30k/test.parquet"))
    assert dict(ds.features) == {"en": datasets.Value("string"),
                                 "cs": datasets.Value("string"),
                                 "de": datasets.Value("string"),
                                 "fr": datasets.Value("string"), "image": datasets.Image()}


@pytest.mark.parametrize("index,lang_name", [(0, "German"), (1, "French"), (2, "Czech")])
def test_prompt_is_the_forks(index: int, lang_name: str) -> None:
    task = Multi30K()
    sample = task.load(task.bundled_source())[index]
    inp = task.build(sample)
    parts = inp.messages[0].content
    assert isinstance(parts[0], ImagePart)  # the image comes first
    assert inp.messages[0].text == (f"Translate the following source text from English to "
                                    f"{lang_name}:\nA man in an orange hat is looking at "
                                    "something.")
    assert task.settings() == GenerationSettings(max_new_tokens=128)  # greedy, 128


def test_without_comet_bleu_and_chrf_equal_sacrebleu(tmp_path: Path) -> None:
    block, records = _run(tmp_path, Scorers())
    assert block["status"].startswith("not scored: XCOMET not scored: COMET is not configured")
    assert block["score"] is None and block["metric"] == "xcomet"
    task = Multi30K()
    samples = {s.id: s for s in task.load(task.bundled_source())}
    for lang in ("de", "fr", "cs"):
        mine = [r for r in records if r.lang == lang]
        hyps = [r.output for r in mine]
        refs = [samples[r.id].fields["reference"] for r in mine]
        bleu = block["metrics"]["bleu"]["languages"][lang]
        chrf = block["metrics"]["chrf"]["languages"][lang]
        assert bleu["score"] == round(sacrebleu.corpus_bleu(hyps, [refs]).score, 4)
        assert chrf["score"] == round(sacrebleu.corpus_chrf(hyps, [refs]).score, 4)
        assert bleu["n_scored"] == 8 and bleu["ci95"] is not None
    sig = parse(block["metrics"]["bleu"]["signature"])
    assert sig["metric"] == (f"bleu[sacrebleu:nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|"
                             f"version:{sacrebleu.__version__}]")
    assert sig["agg"] == "macro-lang(corpus-bleu)"
    assert all(r.answer == r.output for r in records)  # no post-processing


def test_failing_comet_is_a_note_and_clears_stale_scores() -> None:
    class Broken:
        def score(self, items: object) -> None:
            raise RuntimeError("COMET model 'x' in interpreter 'y': worker exited with status 1")

    task = Multi30K()
    samples = task.load(task.bundled_source())[:2]
    records = [ItemRecord(id=s.id, lang=s.lang, output="Hallo", score=0.9,
                          metrics={"xcomet": 0.9}) for s in samples]
    outcome = task.rescore(samples, records, Scorers(comet=Broken(), comet_problem=None))
    assert outcome.notes == ("XCOMET not scored: COMET model 'x' in interpreter 'y': worker "
                             "exited with status 1",)
    assert all("metrics" not in r.to_json() and r.score is None for r in outcome.records)
    assert task.metrics(outcome.scored_by)[0].describe == "xcomet[not-scored]"


def test_test_set_option_and_local_copies(tmp_path: Path) -> None:
    import datasets

    with pytest.raises(DataSourceError, match="test2017 is not on the hub"):
        Multi30K(test_set="test2017").load(Multi30K.hub)
    image = {"bytes": _png(), "path": None}
    rows = {"en": ["A dog."], "de": ["Ein Hund."], "fr": ["Un chien."], "image": [image]}
    feats = datasets.Features({k: datasets.Value("string") for k in ("en", "de", "fr")}
                              | {"image": datasets.Image()})
    folder = tmp_path / "m30k-2017"
    folder.mkdir()
    datasets.Dataset.from_dict(rows, features=feats).to_parquet(str(folder / "test.parquet"))
    local = LocalDataset(folder, split="test")
    only_two = Multi30K(test_set="test2017").load(local)
    assert [(s.id, s.error) for s in only_two] == [("0-de", None), ("0-fr", None)]
    # Under test2016 the missing Czech reference is an error item, never a silent drop.
    three = Multi30K().load(local)
    assert [s.id for s in three] == ["0-de", "0-fr", "0-cs"]
    assert three[2].error is not None and "'cs'" in three[2].error


def _png() -> bytes:
    from tvbench_tasks.bundled.synth import scene_image

    return scene_image(seed=1)


def test_broken_image_gives_an_error_item_per_direction(tmp_path: Path) -> None:
    import datasets

    folder = tmp_path / "bad"
    folder.mkdir()
    rows = {"en": ["A dog."], "cs": ["Pes."], "de": ["Ein Hund."], "fr": ["Un chien."],
            "image": [None]}
    datasets.Dataset.from_dict(rows).to_parquet(str(folder / "test.parquet"))
    samples = Multi30K().load(LocalDataset(folder, split="test"))
    assert [s.id for s in samples] == ["0-de", "0-fr", "0-cs"]
    assert all(s.error and "media field is empty" in s.error for s in samples)


def test_language_filter_and_limit() -> None:
    task = Multi30K()
    samples = task.load(task.bundled_source(), languages=["French", "cs"], limit=2)
    assert [s.id for s in samples] == ["0-fr", "0-cs", "1-fr", "1-cs"]


def test_hub_source_is_pinned() -> None:
    assert isinstance(Multi30K.hub, HubDataset)
    assert (Multi30K.hub.repo, Multi30K.hub.split) == ("romrawinjp/multi30k", "test")
    assert len(Multi30K.hub.revision) == 40


# ------------------------------------------------------------------- XCOMET with tiny COMET
def test_xcomet_column_is_scored_with_a_comet_client(tmp_path: Path,
                                                     tiny_comet_client: Any) -> None:
    block, records = _run(tmp_path, Scorers(comet=tiny_comet_client, comet_problem=None))
    assert block["status"] == "scored" and block["notes"] == []
    task = Multi30K()
    samples = {s.id: s for s in task.load(task.bundled_source())}
    direct = tiny_comet_client.score([{"src": samples[r.id].fields["source"], "mt": r.output,
                                 "ref": samples[r.id].fields["reference"]} for r in records])
    by_id = dict(zip([r.id for r in records], direct.scores, strict=True))
    for lang in ("de", "fr", "cs"):
        ids = [r.id for r in records if r.lang == lang]
        expected = 100 * sum(by_id[i] for i in ids) / len(ids)
        assert block["languages"][lang]["score"] == round(expected, 4)
        assert block["languages"][lang]["n_scored"] == 8
    assert all(r.metrics["xcomet"] == by_id[r.id] == r.score for r in records)
    assert all(r.provenance["comet"].startswith("model:tiny#") for r in records)
    metric = parse(block["signature"])["metric"]
    assert metric == f"xcomet[model:tiny#{direct.digest[:8]},comet:2.2.7,seg-mean]"
    assert block["metrics"]["bleu"]["score"] is not None  # secondary metrics still there
