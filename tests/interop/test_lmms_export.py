"""``tvbench export lmms-eval``: a run in lmms-eval 0.7's layout, and back again unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from tvbench.interop.lmms_folder import find_runs
from tvbench.runs.runner import Runner, RunSettings, TaskPlan
from tvbench.runs.store import RunFolder

from ..runs.fakes import FakeAdapter

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "lmms_eval"
#: Answers that make some items right, so scores are not all 0.
ANSWERS = {"name of the cafe": "Cafe Roma.", "brand": "coca cola", "speed limit": "50",
           "written in the image": "CENTRE", "text content": "Willkommen in Köln"}


def _tvbench_run(folder: Path) -> dict:
    from tvbench_tasks.cc_ocr import CCOCR
    from tvbench_tasks.ocrbench import OCRBench
    from tvbench_tasks.textvqa import TextVQA

    plans = [TaskPlan(t, t.bundled_source()) for t in (TextVQA(), OCRBench(), CCOCR())]
    return Runner(FakeAdapter(answers=ANSWERS, name="ckpt"), RunFolder(folder),
                  RunSettings(batch_size=4)).run(plans)


def _records(folder: Path, task: str) -> dict[str, dict]:
    lines = (folder / "records" / f"{task}.jsonl").read_text().splitlines()
    return {r["id"]: r for r in map(json.loads, lines)}


def test_export_then_import_keeps_every_output_and_score(cli, tmp_path: Path) -> None:
    results = _tvbench_run(tmp_path / "run")
    assert results["tasks"]["textvqa"]["score"] > 0 and results["tasks"]["cc_ocr"]["score"] > 0
    code, out = cli("export", "lmms-eval", str(tmp_path / "run"), "--output", "lmms")
    assert code == 0, out
    code, out = cli("import", "lmms-eval", "lmms", "--output", "back", "--no-report")
    assert code == 0, out
    back = Path("back/ckpt.lmms-eval")
    for task in ("textvqa", "ocrbench", "cc_ocr"):
        before, after = _records(tmp_path / "run", task), _records(back, task)
        assert before.keys() == after.keys()
        for key, rec in before.items():
            assert after[key]["output"] == rec["output"]
            assert after[key]["score"] == rec["score"]
    reimported = json.loads((back / "results.json").read_text())
    for task in ("textvqa", "ocrbench", "cc_ocr"):
        assert reimported["tasks"][task]["score"] == results["tasks"][task]["score"]
        for compared in reimported["tasks"][task]["lmms_eval"]["tasks"].values():
            assert all(m["equal"] for m in compared["metrics"].values())


def test_the_export_is_in_lmms_eval_s_layout(cli, tmp_path: Path) -> None:
    _tvbench_run(tmp_path / "run")
    assert cli("export", "lmms-eval", str(tmp_path / "run"), "--output", "lmms")[0] == 0
    (run,) = find_runs(Path("lmms"))
    assert run.results_path.parent.name == "ckpt" and run.layout == "0.7"
    assert set(run.samples) == {"textvqa_val", "ocrbench", "cc_ocr_multi_lan_ocr"}
    assert run.results["exported_by"].startswith("tvbench ") and run.version(None) == "unknown"
    # the same keys per line as lmms-eval 0.7.3 writes (compared with the fixture's lines)
    for ours, theirs in (("textvqa_val", "textvqa_val_tvbsample"),
                         ("ocrbench", "ocrbench_tvbsample"),
                         ("cc_ocr_multi_lan_ocr", "cc_ocr_multi_lan_ocr_tvbsample")):
        mine = json.loads(run.samples[ours].read_text().splitlines()[0])
        fixture = next((FIXTURES / "scripted_openai").glob(f"*/*_samples_{theirs}.jsonl"))
        real = json.loads(fixture.read_text().splitlines()[0])
        assert set(mine) == set(real) - {"token_counts"}
    ocr = [json.loads(x) for x in run.samples["ocrbench"].read_text().splitlines()]
    hits = sum(x["ocrbench_accuracy"]["score"] for x in ocr)
    assert run.results["results"]["ocrbench"]["ocrbench_accuracy,none"] == hits / 1000
    textvqa = [json.loads(x) for x in run.samples["textvqa_val"].read_text().splitlines()]
    assert run.results["results"]["textvqa_val"]["exact_match,none"] == (
        sum(x["exact_match"] for x in textvqa) / len(textvqa))


def test_tasks_lmms_eval_does_not_have_are_skipped(cli, tmp_path: Path) -> None:
    from tvbench_tasks.multi30k import Multi30K

    task = Multi30K()
    Runner(FakeAdapter(), RunFolder(tmp_path / "run"), RunSettings()).run(
        [TaskPlan(task, task.bundled_source())])
    code, out = cli("export", "lmms-eval", str(tmp_path / "run"), "--output", "lmms")
    assert code == 2 and "multi30k: lmms-eval 0.7 has no such task" in " ".join(out.split())
    code, out = cli("export", "lmms-eval", str(tmp_path / "run"), "--output", "lmms",
                    "--tasks", "textvqa")
    assert code == 2 and "'textvqa' is not in this run" in out
