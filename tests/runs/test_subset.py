"""Fixed subsets: stable ids, signatures that tell subsets apart, and items shared between the
run folders of one model."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tvbench import config as configuration
from tvbench.data.item import Item
from tvbench.runs.gate import compare
from tvbench.runs.gate_pairs import load_side
from tvbench.runs.gate_rules import GateSettings
from tvbench.runs.plan import PlanError, build_plan
from tvbench.runs.reuse import sibling_folders
from tvbench.runs.runner import Runner, RunSettings, TaskPlan
from tvbench.runs.signature import parse
from tvbench.runs.store import RunFolder
from tvbench.runs.subset import Subset, folder_name, ids_digest

from .fakes import FakeAdapter


def _items(per_lang: dict[str, int]) -> list[Item]:
    return [Item(id=f"{lang}-{i}", lang=lang) for lang, n in per_lang.items() for i in range(n)]


def test_selection_is_per_language_and_ignores_order_and_neighbours() -> None:
    items = _items({"de": 40, "fr": 25, "is": 3})
    chosen = Subset(10, seed=7).select("alm_bench", items)
    counts = {lang: sum(it.lang == lang for it in chosen) for lang in ("de", "fr", "is")}
    assert counts == {"de": 10, "fr": 10, "is": 3}  # a small language keeps all it has
    shuffled = items[:]
    random.Random(1).shuffle(shuffled)
    assert {it.id for it in Subset(10, 7).select("alm_bench", shuffled)} == {
        it.id for it in chosen}
    # another language in the data, or fewer languages asked for, changes nothing for "de"
    more = items + _items({"ja": 30})
    assert {it.id for it in Subset(10, 7).select("alm_bench", more) if it.lang == "de"} == {
        it.id for it in chosen if it.lang == "de"}
    # the chosen items keep the data's order
    assert [it.id for it in chosen] == [it.id for it in items if it in chosen]


def test_seed_and_task_change_the_sample_and_a_bigger_subset_contains_a_smaller() -> None:
    items = _items({"de": 200})
    ids = {s: {it.id for it in Subset(20, s).select("t", items)} for s in (0, 1)}
    assert ids[0] != ids[1]
    assert {it.id for it in Subset(20, 0).select("other_task", items)} != ids[0]
    assert ids[0] < {it.id for it in Subset(50, 0).select("t", items)}


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Subset(0)
    with pytest.raises(ValueError, match="0 or more"):
        Subset(5, seed=-1)


def _plan():
    from tvbench_tasks.textvqa import TextVQA

    task = TextVQA()
    return TaskPlan(task, task.bundled_source())


def _run(folder: Path, subset: Subset | None, adapter: FakeAdapter | None = None,
         batch_size: int = 8) -> tuple[dict, FakeAdapter]:
    adapter = adapter or FakeAdapter()
    results = Runner(adapter, RunFolder(folder), RunSettings(batch_size=batch_size,
                                                             subset=subset),
                     donors=sibling_folders(folder.parent, folder)).run([_plan()])
    return results, adapter


def _ids(folder: Path) -> list[str]:
    lines = (folder / "records" / "textvqa.jsonl").read_text().splitlines()
    return [json.loads(x)["id"] for x in lines]


def test_a_subset_run_is_the_same_at_any_batch_size_and_signs_its_ids(tmp_path: Path) -> None:
    sub = Subset(5, seed=3)
    one, _ = _run(tmp_path / "a" / folder_name("fake", sub), sub, batch_size=1)
    four, _ = _run(tmp_path / "b" / folder_name("fake", sub), sub, batch_size=4)
    assert _ids(tmp_path / "a/fake.subset5-seed3") == _ids(tmp_path / "b/fake.subset5-seed3")
    block = one["tasks"]["textvqa"]
    ids = _ids(tmp_path / "a/fake.subset5-seed3")
    assert block["n"] == 5 and len(ids) == 5
    assert parse(block["signature"])["subset"] == f"5,seed3#{ids_digest(ids)}"
    assert parse(block["languages"]["en"]["signature"])["subset"] == f"5,seed3#{ids_digest(ids)}"
    assert block["subset"] == {"per_language": 5, "seed": 3, "ids": ids_digest(ids), "n": 5,
                               "available": 12}
    assert one["run"]["subset"] == 5 and one["run"]["seed"] == 3
    assert block["signature"] == four["tasks"]["textvqa"]["signature"]


def test_runs_on_different_subsets_are_not_comparable(tmp_path: Path) -> None:
    for name, subset in (("a", Subset(5, 0)), ("b", Subset(5, 1)), ("c", None)):
        _run(tmp_path / name / "fake", subset)
    a, b, full = (load_side(tmp_path / name / "fake") for name in "abc")
    settings = GateSettings(resamples=200, min_items=1)
    same = compare(a, a, settings)
    assert same.exit_code == 0
    for other in (b, full):
        report = compare(a, other, settings)
        assert report.exit_code == 2 and "subset" in report.checks[0].reason


def test_subset_runs_reuse_finished_items_of_the_model(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    full, first = _run(root / "fake", None)
    assert sum(first.calls) == 12
    small, again = _run(root / folder_name("fake", Subset(5)), Subset(5))
    assert again.calls == []  # a full run followed by a subset run generates nothing
    big, third = _run(root / folder_name("fake", Subset(8)), Subset(8))
    assert sum(third.calls) == 0  # everything is in the full run's folder
    # without the full run, a bigger subset generates only the difference
    alone = tmp_path / "alone"
    _run(alone / folder_name("fake", Subset(5)), Subset(5))
    _, grow = _run(alone / folder_name("fake", Subset(8)), Subset(8))
    assert sum(grow.calls) == 3
    # every folder is complete on its own and says what it covers
    assert len(_ids(root / "fake.subset5-seed0")) == 5 and len(_ids(root / "fake")) == 12
    assert json.loads((root / "fake" / "results.json").read_text())["tasks"]["textvqa"][
        "n"] == 12
    outputs = {json.loads(x)["id"]: json.loads(x)["output"] for x in
               (root / "fake/records/textvqa.jsonl").read_text().splitlines()}
    for line in (root / "fake.subset8-seed0/records/textvqa.jsonl").read_text().splitlines():
        rec = json.loads(line)
        assert rec["output"] == outputs[rec["id"]]
    assert big["tasks"]["textvqa"]["score"] is not None


def test_another_model_or_other_inputs_are_never_borrowed(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    _run(root / "fake", None)
    other = FakeAdapter(name="other")
    _, used = _run(root / folder_name("other", Subset(5)), Subset(5), adapter=other)
    assert sum(used.calls) == 5
    from tvbench_tasks.textvqa import TextVQA

    task = TextVQA(ocr_tokens=True)  # another prompt: another input hash
    adapter = FakeAdapter()
    Runner(adapter, RunFolder(root / "fake.subset5-seed9"),
           RunSettings(subset=Subset(5, 9)),
           donors=sibling_folders(root, root / "fake.subset5-seed9")).run(
        [TaskPlan(task, task.bundled_source())])
    assert sum(adapter.calls) == 5


def test_plan_reads_subset_flags_and_config() -> None:
    cfg = configuration.parse("[run]\nmodels=['gemma3']\ntasks=['textvqa']\nsubset=4\nseed=2\n")
    assert build_plan(cfg).models[0].settings.subset == Subset(4, 2)
    assert build_plan(cfg, subset=9).models[0].settings.subset == Subset(9, 2)
    assert build_plan(cfg, seed=5).models[0].settings.subset == Subset(4, 5)
    plain = configuration.parse("[run]\nmodels=['gemma3']\ntasks=['textvqa']\n")
    assert build_plan(plain).models[0].settings.subset is None
    with pytest.raises(PlanError, match="--seed chooses"):
        build_plan(plain, seed=1)
    with pytest.raises(PlanError, match="cannot be combined"):
        build_plan(plain, subset=3, limit=2)
    with pytest.raises(PlanError, match="at least 1"):
        build_plan(plain, subset=0)
    with pytest.raises(configuration.ConfigError, match="run.subset"):
        configuration.parse("[run]\nsubset=0\n")
