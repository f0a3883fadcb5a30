"""The runner: records, resume after a crash, stale-input detection, errors kept, parity check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tvbench.runs.parity import parity_note
from tvbench.runs.runner import Runner, RunSettings, TaskPlan, check_capabilities
from tvbench.runs.store import RunFolder, RunFolderError

from .fakes import Crash, FakeAdapter


def _plan():
    from tvbench_tasks.textvqa import TextVQA

    task = TextVQA()
    return TaskPlan(task, task.bundled_source())


def _lines(folder: Path) -> list[dict]:
    return [json.loads(x) for x in (folder / "records" / "textvqa.jsonl").read_text().splitlines()]


def test_records_follow_the_log_contract(tmp_path: Path) -> None:
    adapter = FakeAdapter(answers={"speed limit": "Fifty", "name of the cafe": "Cafe Roma."})
    results = Runner(adapter, RunFolder(tmp_path), RunSettings(batch_size=4)).run([_plan()])
    recs = _lines(tmp_path)
    assert len(recs) == 12
    for r in recs:
        assert {"id", "lang", "input_hash", "output", "answer", "score", "error"} <= set(r)
        assert len(r["input_hash"]) == 64 and r["lang"] == "en" and r["error"] is None
    by_q = {r["prompt"].split("\n")[0]: r for r in recs}
    speed = next(v for k, v in by_q.items() if "speed limit" in k)
    # EvalAI maps only zero..ten to digits, so "Fifty" matches the single "fifty": (9*1/3)/10
    assert (speed["answer"], speed["score"]) == ("fifty", pytest.approx(0.3))
    cafe = next(v for k, v in by_q.items() if "name of the cafe" in k)
    assert (cafe["answer"], cafe["score"]) == ("cafe roma", 1.0)
    block = results["tasks"]["textvqa"]
    assert block["n"] == 12 and block["languages"]["en"]["unseen"] is False
    assert block["score"] == pytest.approx(100 * sum(r["score"] for r in recs) / 12, abs=1e-4)
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert on_disk["tasks"]["textvqa"] == block
    assert on_disk["schema_version"] == 1 and on_disk["model"]["source"] == "fake/fake"


def test_a_killed_run_resumes_to_identical_results(tmp_path: Path) -> None:
    ref_dir, crash_dir = tmp_path / "ref", tmp_path / "crash"
    reference = Runner(FakeAdapter(), RunFolder(ref_dir), RunSettings(batch_size=2)).run([_plan()])
    crashing = FakeAdapter(crash_after=3)
    with pytest.raises(Crash):
        Runner(crashing, RunFolder(crash_dir), RunSettings(batch_size=2)).run([_plan()])
    partial = _lines(crash_dir)
    assert len(partial) == 6  # three batches of two made it to disk before the "kill"
    resumed_adapter = FakeAdapter()
    resumed = Runner(resumed_adapter, RunFolder(crash_dir), RunSettings(batch_size=2)).run(
        [_plan()])
    assert sum(resumed_adapter.calls) == 6  # only the missing items were generated
    assert _lines(crash_dir) == _lines(ref_dir)  # nothing lost, nothing twice, same order
    strip = ("signature",)
    assert {k: v for k, v in resumed["tasks"]["textvqa"].items() if k not in strip} == \
        {k: v for k, v in reference["tasks"]["textvqa"].items() if k not in strip}


def test_a_torn_last_line_is_regenerated(tmp_path: Path) -> None:
    Runner(FakeAdapter(), RunFolder(tmp_path), RunSettings(batch_size=4)).run([_plan()])
    path = tmp_path / "records" / "textvqa.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:5]) + lines[5][:30])  # died in the middle of a write
    adapter = FakeAdapter()
    Runner(adapter, RunFolder(tmp_path), RunSettings(batch_size=4)).run([_plan()])
    assert sum(adapter.calls) == 7
    assert len(_lines(tmp_path)) == 12


def test_changed_inputs_are_refused_not_mixed(tmp_path: Path) -> None:
    from tvbench_tasks.textvqa import TextVQA

    Runner(FakeAdapter(), RunFolder(tmp_path), RunSettings()).run([_plan()])
    task = TextVQA(ocr_tokens=True)  # a different prompt for the same items
    with pytest.raises(RunFolderError, match="different inputs"):
        Runner(FakeAdapter(), RunFolder(tmp_path), RunSettings()).run(
            [TaskPlan(task, task.bundled_source())])


def test_another_model_in_the_same_folder_is_refused(tmp_path: Path) -> None:
    Runner(FakeAdapter(name="a"), RunFolder(tmp_path), RunSettings()).run([_plan()])
    with pytest.raises(RunFolderError, match="--overwrite"):
        Runner(FakeAdapter(name="b"), RunFolder(tmp_path), RunSettings()).run([_plan()])


def test_a_broken_item_is_a_recorded_error_not_a_drop(tmp_path: Path) -> None:
    import datasets
    from tvbench_tasks.textvqa import TextVQA

    from tvbench.data.loading import LocalDataset

    task = TextVQA()
    rows = datasets.Dataset(__import__("pyarrow.parquet", fromlist=["x"]).read_table(
        task.bundled_source().path / "validation.parquet")).to_list()
    rows[1]["image"] = {"bytes": b"not an image", "path": None}
    rows[2]["answers"] = None
    del rows[3]["question"]
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "validation.jsonl").write_text("".join(
        json.dumps({**r, "image": {"path": f"img{i}.png"} if i != 1 else {"path": "bad.png"}})
        + "\n" for i, r in enumerate(rows)))
    for i, r in enumerate(rows):
        (folder / (f"img{i}.png" if i != 1 else "bad.png")).write_bytes(r["image"]["bytes"])
    results = Runner(FakeAdapter(), RunFolder(tmp_path / "run"), RunSettings()).run(
        [TaskPlan(task, LocalDataset(folder, "validation"))])
    recs = {r["id"]: r for r in _lines(tmp_path / "run")}
    assert len(recs) == 12
    errors = {k: v["error"] for k, v in recs.items() if v["error"]}
    assert set(errors) == {str(rows[1]["question_id"]), str(rows[3]["question_id"])}
    assert "cannot decode image" in errors[str(rows[1]["question_id"])]
    assert "question" in errors[str(rows[3]["question_id"])]
    assert recs[str(rows[2]["question_id"])]["score"] == 0.0  # no answers scores 0, like lmms-eval
    block = results["tasks"]["textvqa"]
    # the two failed items count as 0 (the official rule), so every item is in the score
    assert (block["n"], block["n_errors"], block["n_scored"]) == (12, 2, 12)
    scored = [recs[k]["score"] for k in recs if not recs[k]["error"]]
    assert block["score"] == round(100 * sum(scored) / 12, 4)
    excluded = Runner(FakeAdapter(), RunFolder(tmp_path / "run2"),
                      RunSettings(exclude_errors=True)).run(
        [TaskPlan(task, LocalDataset(folder, "validation"))])["tasks"]["textvqa"]
    assert (excluded["n_errors"], excluded["n_scored"]) == (2, 10)
    assert excluded["score"] == round(100 * sum(scored) / 10, 4)
    assert "|errors:excluded|" in excluded["signature"] and excluded["errors"] == "excluded"
    assert "|errors:zero|" in block["signature"] and block["errors"] == "zero"


def test_parity_check_reports_mismatches(tmp_path: Path) -> None:
    class Drifting(FakeAdapter):
        def _answer(self, inp, batch_size):  # depends on the batch size: the bug to catch
            return super()._answer(inp, batch_size) + ("" if batch_size == 1 else "!")

    results = Runner(Drifting(), RunFolder(tmp_path),
                     RunSettings(batch_size=4, check_parity=3)).run([_plan()])
    parity = results["tasks"]["textvqa"]["parity"]
    assert parity["checked"] == 3 and len(parity["mismatches"]) == 3
    clean = Runner(FakeAdapter(), RunFolder(tmp_path / "ok"),
                   RunSettings(batch_size=4, check_parity=3)).run([_plan()])
    assert clean["tasks"]["textvqa"]["parity"] == {"checked": 3, "batch_size": 4,
                                                   "mismatches": [], "divergence": 0.0}
    # the divergence rate, as the terminal summary and the reports print it
    assert parity["divergence"] == 1.0
    assert parity_note(parity) == ("parity: 3/3 checked items differ from batch size 1 at "
                                   "batch size 4 (100.0 % divergence)")


def test_loglikelihood_parity_compares_every_candidate(tmp_path: Path) -> None:
    from tvbench_tasks.commute import CoMMuTE

    from tvbench.data.outputs import LogLikelihood

    class Drifting(FakeAdapter):
        def loglikelihood(self, inputs, continuations, *, batch_size=1, on_batch=None, **kw):
            out = super().loglikelihood(inputs, continuations, batch_size=batch_size,
                                        on_batch=None, **kw)
            if batch_size != 1:  # batched scores drift by 0.01 nats
                out = [LogLikelihood(o.total + 0.01, o.mean, o.n_tokens) for o in out]
            if on_batch is not None:
                on_batch(list(range(len(out))), out)
            return out

    task = CoMMuTE()
    plan = TaskPlan(task, task.bundled_source())
    drift = Runner(Drifting(), RunFolder(tmp_path / "d"),
                   RunSettings(batch_size=4, check_parity=2)).run([plan])
    parity = drift["tasks"]["commute"]["parity"]
    assert parity["checked"] == 2 and len(parity["mismatches"]) == 2
    assert abs(parity["max_abs_diff"] - 0.01) < 1e-9
    same = Runner(FakeAdapter(), RunFolder(tmp_path / "s"),
                  RunSettings(batch_size=4, check_parity=2)).run([plan])
    assert same["tasks"]["commute"]["parity"]["mismatches"] == []
    assert same["tasks"]["commute"]["parity"]["max_abs_diff"] == 0.0


def test_capabilities_are_checked_before_anything_runs() -> None:
    from tvbench_tasks.textvqa import TextVQA

    from tvbench.data.outputs import Capability
    from tvbench.models.base import CapabilityError

    with pytest.raises(CapabilityError, match="lacks image"):
        check_capabilities(frozenset({Capability.GENERATE}), [TextVQA()], "text-only")


def test_changing_a_scoring_option_rescores_stored_outputs(tmp_path: Path) -> None:
    """Outputs are reused on resume, but scores always follow the current options."""
    from tvbench_tasks.textvqa import TextVQA

    def run(normaliser: str) -> dict:
        task = TextVQA(normaliser=normaliser)
        return Runner(FakeAdapter(answers={"time is displayed": "12:45."}), RunFolder(tmp_path),
                      RunSettings()).run([TaskPlan(task, task.bundled_source())])

    def clock() -> dict:
        return next(r for r in _lines(tmp_path) if "time is displayed" in r["prompt"])

    run("evalai")
    assert clock()["score"] == 1.0  # lmms-eval strips a period after a digit: "12:45"
    results = run("evalai-clean")
    assert (clock()["answer"], clock()["score"]) == ("12:45.", 0.0)  # the fixed rule keeps it
    assert "opts:normaliser=evalai-clean" in results["tasks"]["textvqa"]["signature"]


def test_a_different_generation_cap_is_refused_not_mixed(tmp_path: Path) -> None:
    Runner(FakeAdapter(), RunFolder(tmp_path), RunSettings(max_new_tokens=16)).run([_plan()])
    with pytest.raises(RunFolderError, match="different inputs"):
        Runner(FakeAdapter(), RunFolder(tmp_path), RunSettings(max_new_tokens=8)).run([_plan()])


def test_a_different_dtype_or_output_setting_is_refused(tmp_path: Path) -> None:
    from dataclasses import replace

    Runner(FakeAdapter(), RunFolder(tmp_path), RunSettings()).run([_plan()])
    other = FakeAdapter()
    other.spec = replace(other.spec, dtype="bfloat16")
    with pytest.raises(RunFolderError, match="bfloat16"):
        Runner(other, RunFolder(tmp_path), RunSettings()).run([_plan()])
    tuned = FakeAdapter()
    tuned.spec = replace(tuned.spec, settings={"concurrency": 4})  # transport only: fine
    Runner(tuned, RunFolder(tmp_path), RunSettings()).run([_plan()])


def test_a_run_folder_in_the_old_samples_layout_resumes_and_reports(tmp_path: Path) -> None:
    """Folders written before ``records/`` keep their item log in ``samples/<task>.jsonl``."""
    from tvbench.report.build import build_reports
    from tvbench.report.item_browser import browse
    from tvbench.report.tables import build_board

    reference = Runner(FakeAdapter(), RunFolder(tmp_path), RunSettings()).run([_plan()])
    lines = _lines(tmp_path)
    (tmp_path / "records").rename(tmp_path / "samples")  # the old layout, byte for byte
    old = build_reports([tmp_path], tmp_path / "report-old", ("md", "html"))[1]
    items = browse(build_board(old).tasks[0], old.runs, per_language=len(lines))
    assert {it.item_id for it in items} == {r["id"] for r in lines}
    assert {o.output for it in items for o in it.outputs} == {r["output"] for r in lines}
    adapter = FakeAdapter()
    resumed = Runner(adapter, RunFolder(tmp_path), RunSettings()).run([_plan()])
    assert adapter.calls == []  # every item was read back from samples/
    assert resumed["tasks"] == reference["tasks"]
    assert _lines(tmp_path) == lines and not (tmp_path / "samples").exists()
