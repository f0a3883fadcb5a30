"""``tvbench import lmms-eval`` on output folders written by lmms-eval 0.7.3 itself.

The fixtures (tests/fixtures/lmms_eval/, see its README) were made by ``python -m lmms_eval``
0.7.3 on tvbench's bundled data: the tiny Qwen2.5-VL at batch sizes 1 and 2 (all scores 0),
and lmms-eval's own ``openai`` model against a scripted local server (non-zero scores). The
numbers below are read from lmms-eval's results JSON in each test, never typed in.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tvbench.runs.signature import parse

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "lmms_eval"
#: lmms-eval task (as renamed for the bundled data) → tvbench task
SHARED = {"textvqa_val_tvbsample": "textvqa", "ocrbench_tvbsample": "ocrbench",
          "cc_ocr_multi_lan_ocr_tvbsample": "cc_ocr"}


def _lmms(run: str) -> tuple[dict, Path]:
    path = next((FIXTURES / run).glob("*/*_results.json"))
    return json.loads(path.read_text()), path


def _samples(run: str, task: str) -> list[dict]:
    path = next((FIXTURES / run).glob(f"*/*_samples_{task}.jsonl"))
    return [json.loads(x) for x in path.read_text().splitlines()]


def _imported(out: Path) -> tuple[dict, Path]:
    folder = next(p for p in out.iterdir() if p.name.endswith(".lmms-eval"))
    return json.loads((folder / "results.json").read_text()), folder


def _records(folder: Path, task: str) -> list[dict]:
    return [json.loads(x) for x in (folder / "records" / f"{task}.jsonl").read_text()
            .splitlines()]


@pytest.mark.parametrize("run", ["scripted_openai", "tiny_qwen_bs1", "tiny_qwen_bs2"])
def test_imported_scores_equal_lmms_eval_s_own_numbers_exactly(cli, run: str) -> None:
    code, out = cli("import", "lmms-eval", str(FIXTURES / run), "--output", "runs",
                    "--no-report")
    assert code == 0, out
    theirs, _ = _lmms(run)
    results, folder = _imported(Path("runs"))
    tasks = [t for t in theirs["results"] if t in SHARED]
    assert sorted(results["tasks"]) == sorted(SHARED[t] for t in tasks)
    for lmms_task in tasks:
        block = results["tasks"][SHARED[lmms_task]]
        compared = block["lmms_eval"]["tasks"][lmms_task]["metrics"]
        stored = {k.split(",")[0]: v for k, v in theirs["results"][lmms_task].items()
                  if k.endswith(",none") and "_stderr" not in k and v is not None}
        assert set(compared) == set(stored)
        for metric, value in stored.items():
            # the aggregation recomputed from tvbench's per-item scores equals lmms-eval's
            # stored float with ==, not approximately
            assert compared[metric]["lmms_eval"] == value
            assert compared[metric]["recomputed"] == value and compared[metric]["equal"] is True
        assert block["n"] == theirs["n-samples"][lmms_task]["effective"]
    if run == "scripted_openai":  # the scripted replies make the numbers non-trivial
        assert results["tasks"]["textvqa"]["score"] == pytest.approx(63.3333, abs=1e-4)
        assert theirs["results"]["ocrbench_tvbsample"]["ocrbench_accuracy,none"] == 0.012


def test_every_item_is_scored_as_lmms_eval_scored_it(cli) -> None:
    assert cli("import", "lmms-eval", str(FIXTURES / "scripted_openai"), "--output", "r",
               "--no-report")[0] == 0
    _, folder = _imported(Path("r"))
    textvqa = {r["id"]: r for r in _records(folder, "textvqa")}
    lines = _samples("scripted_openai", "textvqa_val_tvbsample")
    assert len(textvqa) == len(lines) == 12
    for line in lines:  # TextVQA answers come from the dataset, joined by question_id
        rec = textvqa[str(line["submission"]["question_id"])]
        assert rec["output"] == line["filtered_resps"]
        assert rec["score"] == float(line["exact_match"])
        assert rec["answer"] == line["submission"]["answer"]
    ocr = {r["id"]: r for r in _records(folder, "ocrbench")}
    lines = _samples("scripted_openai", "ocrbench_tvbsample")
    assert [ocr[str(x["doc_id"])]["score"] for x in lines] == [
        float(x["ocrbench_accuracy"]["score"]) for x in lines]
    assert sum(r["score"] for r in ocr.values()) == 12  # 12 hits of 20: lmms-eval's 0.012
    cc = _records(folder, "cc_ocr")
    assert len(cc) == 18 and all(r["error"] is None and r["metrics"] for r in cc)


def test_the_signature_records_where_the_numbers_come_from(cli) -> None:
    args = ("import", "lmms-eval", str(FIXTURES / "tiny_qwen_bs2"), "--no-report")
    assert cli(*args, "--output", "a")[0] == 0
    assert cli(*args, "--output", "b", "--lmms-version", "0.7.3")[0] == 0
    results, _ = _imported(Path("a"))
    sig = parse(results["tasks"]["textvqa"]["signature"])
    assert sig["source"] == "lmms-eval@unknown[layout:0.7]"  # never invented
    assert sig["prompt"].startswith("lmms#") and sig["gen"].startswith("lmms,")
    assert results["import"]["lmms_eval_version_recorded"] == "unknown@unknown"
    assert results["model"]["name"] == "tiny-qwen"
    pinned, _ = _imported(Path("b"))
    assert parse(pinned["tasks"]["textvqa"]["signature"])["source"] == (
        "lmms-eval@0.7.3[layout:0.7]")
    code, out = cli(*args, "--output", "a")
    assert code == 2 and "--overwrite" in out


def test_imported_runs_are_gate_baselines_and_refuse_tvbench_runs(cli, tmp_path: Path) -> None:
    for run in ("scripted_openai", "tiny_qwen_bs1", "tiny_qwen_bs2"):
        assert cli("import", "lmms-eval", str(FIXTURES / run), "--output", f"i/{run}",
                   "--no-report")[0] == 0
    good = "i/scripted_openai/scripted-replies.lmms-eval"
    tiny1 = "i/tiny_qwen_bs1/tiny-qwen.lmms-eval"
    tiny2 = "i/tiny_qwen_bs2/tiny-qwen.lmms-eval"
    assert cli("gate", good, "--baseline", good)[0] == 0
    code, out = cli("gate", tiny1, "--baseline", good, "--json", "gate.json")
    assert code == 1 and "regression" in out
    # imported records carry per-item statistics, so the gate's test is the paired one
    checks = json.loads(Path("gate.json").read_text())["checks"]
    assert {c["test"] for c in checks if c["scope"] == "task"} == {"paired bootstrap"}
    # batch size 2 and batch size 1: the same setup, so comparable (and equal)
    assert cli("gate", tiny2, "--baseline", tiny1, "--tasks", "textvqa")[0] == 0
    # a run tvbench made itself has another prompt and no lmms-eval source: not comparable
    from tvbench_tasks.textvqa import TextVQA

    from tvbench.runs.runner import Runner, RunSettings, TaskPlan
    from tvbench.runs.store import RunFolder

    from ..runs.fakes import FakeAdapter

    task = TextVQA()
    Runner(FakeAdapter(), RunFolder(tmp_path / "own"), RunSettings()).run(
        [TaskPlan(task, task.bundled_source())])
    code, out = cli("gate", str(tmp_path / "own"), "--baseline", good, "--tasks", "textvqa")
    assert code == 2 and "source" in out


def test_the_leaderboard_shows_imported_runs(cli) -> None:
    assert cli("import", "lmms-eval", str(FIXTURES / "scripted_openai"), "--output", "r")[0] == 0
    board = Path("r/leaderboard.md").read_text()
    assert "scripted-replies" in board and "74.1" in board


def _has(out: str, text: str) -> bool:
    """``text`` in console output, whatever the terminal wrapped."""
    return "".join(text.split()) in "".join(out.split())


def _copy(run: str, dest: Path) -> Path:
    shutil.copytree(FIXTURES / run, dest)
    return next(dest.glob("*/*_results.json"))


def test_tasks_it_cannot_read_are_skipped_with_a_reason(cli, tmp_path: Path) -> None:
    results_path = _copy("scripted_openai", tmp_path / "f")
    data = json.loads(results_path.read_text())
    data["configs"]["ocrbench_tvbsample"]["process_results"] = "<function mmmu_process at 0x1>"
    results_path.write_text(json.dumps(data))
    next(results_path.parent.glob("*_samples_cc_ocr*")).unlink()
    code, out = cli("import", "lmms-eval", str(tmp_path / "f"), "--output", "r", "--no-report")
    assert code == 0, out
    assert _has(out, "'ocrbench_tvbsample' (mmmu_process) is not one tvbench shares")
    assert _has(out, "cc_ocr: skipped, the log lacks what tvbench needs")
    assert _has(out, "--log_samples")
    results, _ = _imported(Path("r"))
    assert sorted(results["tasks"]) == ["textvqa"]
    assert len(results["import"]["skipped"]) == 2


def test_logs_that_do_not_match_the_data_are_refused(cli, tmp_path: Path) -> None:
    results_path = _copy("scripted_openai", tmp_path / "f")
    samples = next(results_path.parent.glob("*_samples_ocrbench*"))
    lines = samples.read_text().splitlines()
    first = json.loads(lines[0])
    first["ocrbench_accuracy"]["ground_truth"] = ["SOMETHING ELSE"]
    samples.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    code, out = cli("import", "lmms-eval", str(tmp_path / "f"), "--output", "r", "--no-report")
    assert code == 2 and _has(out, "ocrbench_tvbsample doc does not match the data")
    assert _has(out, "SOMETHING ELSE") and _has(out, ".jsonl:1:")
    assert not Path("r").exists() or not any(Path("r").iterdir())  # nothing half-written
    code, out = cli("import", "lmms-eval", str(FIXTURES / "scripted_openai"), "--output", "r",
                    "--no-report", "--data", f"textvqa={FIXTURES.parent.parent.parent}"
                    "/tasks/bundled/ocrbench")
    assert code == 2 and _has(out, "not in the data tvbench read for textvqa")
    assert _has(out, "--data")


def test_a_broken_results_file_names_the_file(cli, tmp_path: Path) -> None:
    results_path = _copy("tiny_qwen_bs2", tmp_path / "f")
    results_path.write_text(results_path.read_text()[:500])
    code, out = cli("import", "lmms-eval", str(tmp_path / "f"), "--output", "r")
    assert code == 2 and _has(out, results_path.name) and _has(out, "not a JSON")
    code, out = cli("import", "lmms-eval", str(tmp_path / "nowhere"), "--output", "r")
    assert code == 2 and _has(out, "no such folder")
