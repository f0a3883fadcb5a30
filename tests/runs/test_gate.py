"""Gating on real run folders made by the runner with a fake model."""

from __future__ import annotations

from pathlib import Path

import pytest

from tvbench.runs.gate import GateRule, compare, rules_from_config
from tvbench.runs.runner import Runner, RunSettings, TaskPlan
from tvbench.runs.store import RunFolder

from .fakes import FakeAdapter

GOOD = {"name of the cafe": "cafe roma", "brand": "coca cola", "speed limit": "50",
        "english word": "books", "does the train go": "lisboa", "sign say": "exit"}


def _run(tmp_path: Path, name: str, answers: dict[str, str], **task_opts) -> dict:
    from tvbench_tasks.textvqa import TextVQA

    task = TextVQA(**task_opts)
    return Runner(FakeAdapter(answers=answers, name=name), RunFolder(tmp_path / name),
                  RunSettings()).run([TaskPlan(task, task.bundled_source())])


def test_same_quality_passes_and_a_drop_fails(tmp_path: Path) -> None:
    base = _run(tmp_path, "base", GOOD)
    same = _run(tmp_path, "same", GOOD)
    worse = _run(tmp_path, "worse", {k: v for k, v in list(GOOD.items())[:3]})
    assert base["tasks"]["textvqa"]["score"] == 50.0
    ok = compare(same, base, default=GateRule(max_drop=1.0))
    assert ok.exit_code == 0 and [c.verdict for c in ok.checks] == ["pass"]
    bad = compare(worse, base, default=GateRule(max_drop=1.0))
    assert bad.exit_code == 1
    assert bad.checks[0].delta == pytest.approx(-25.0) and "dropped 25.00" in bad.checks[0].reason
    lenient = compare(worse, base, default=GateRule(max_drop=30.0))
    assert lenient.exit_code == 0


def test_different_signatures_cannot_be_compared(tmp_path: Path) -> None:
    base = _run(tmp_path, "base", GOOD)
    other = _run(tmp_path, "clean", GOOD, normaliser="evalai-clean")
    report = compare(other, base, default=GateRule())
    assert report.exit_code == 2
    assert report.checks[0].verdict == "incomparable" and "opts" in report.checks[0].reason


def test_min_score_errors_and_missing_tasks(tmp_path: Path) -> None:
    base = _run(tmp_path, "base", GOOD)
    assert compare(base, base, default=GateRule(min_score=60)).exit_code == 1
    broken = _run(tmp_path, "broken", GOOD)
    broken["tasks"]["textvqa"]["n_errors"] = 2
    assert compare(broken, base, default=GateRule()).checks[0].reason.startswith("2 items")
    assert compare(broken, base, default=GateRule(), allow_errors=True).exit_code == 0
    missing = compare(base, base, default=GateRule(), tasks=["ocrbench"])
    assert missing.exit_code == 1 and "missing" in missing.checks[0].reason


def test_per_language_checks_and_config_rules(tmp_path: Path) -> None:
    base = _run(tmp_path, "base", GOOD)
    report = compare(base, base, default=GateRule(), per_language=True)
    assert [(c.task, c.lang) for c in report.checks] == [("textvqa", None), ("textvqa", "en")]
    default, per_task = rules_from_config({"max_drop": 2, "tasks": {"textvqa": {"max_drop": 0.5}}},
                                          min_score=10)
    assert default == GateRule(2.0, 10) and per_task["textvqa"] == GateRule(0.5, 10)


def test_gate_cli_exit_codes_and_markdown(cli, tmp_path: Path) -> None:
    _run(tmp_path, "base", GOOD)
    _run(tmp_path, "worse", {"brand": "coca cola"})
    code, out = cli("gate", str(tmp_path / "base"), "--baseline", str(tmp_path / "base"))
    assert code == 0 and "gate passed" in out
    code, out = cli("gate", str(tmp_path / "worse"), "--baseline", str(tmp_path / "base"),
                    "--markdown", "gate.md")
    assert code == 1 and "gate FAILED: 1 regression" in out
    assert "| textvqa | all |" in Path("gate.md").read_text()
    code, out = cli("gate", str(tmp_path / "nowhere"), "--baseline", str(tmp_path / "base"))
    assert code == 2 and "no results.json" in out


# ------------------------------------------------------------------ batch size in bf16 on GPU
def _retarget(tmp_path: Path, name: str, *, batch_size: int, dtype: str, device: str | None,
              exact: bool | None, gpus: list[str]) -> Path:
    """A run folder made by the runner, edited to say how it was batched and where it ran."""
    import json

    _run(tmp_path, name, GOOD)
    path = tmp_path / name / "results.json"
    results = json.loads(path.read_text())
    results["run"]["batch_size"] = batch_size
    results["model"]["dtype"] = dtype
    results["hardware"]["gpus"] = gpus
    if exact is None:  # a run folder written before the field existed
        results["run"].pop("batch_exact", None)
        results["run"].pop("device", None)
    else:
        results["run"].update(device=device, batch_exact=exact)
    path.write_text(json.dumps(results))
    return tmp_path / name


def test_the_runner_records_where_batched_outputs_are_exact(tmp_path: Path) -> None:
    results = _run(tmp_path, "fake", GOOD)
    assert results["run"]["batch_exact"] is False  # the fake model runs on no known device
    assert results["run"]["batch_tokens"] is None and "device" in results["run"]


def test_gpu_bf16_runs_at_different_batch_sizes_are_not_compared(cli, tmp_path: Path) -> None:
    gpu = dict(dtype="bfloat16", device="cuda:0", exact=False, gpus=["NVIDIA H200"])
    base = _retarget(tmp_path, "base", batch_size=8, **gpu)
    cand = _retarget(tmp_path, "cand", batch_size=32, **gpu)
    code, out = cli("gate", str(cand), "--baseline", str(base), "--markdown", "gate.md")
    assert code == 2 and "could not compare" in out
    assert "batch size 8 → 32" in Path("gate.md").read_text()
    code, out = cli("gate", str(cand), "--baseline", str(base), "--allow-batch-size-change")
    assert code == 0 and "gate passed" in out
    same = _retarget(tmp_path, "same", batch_size=8, **gpu)
    assert cli("gate", str(same), "--baseline", str(base))[0] == 0


def test_cpu_float32_runs_compare_across_batch_sizes(cli, tmp_path: Path) -> None:
    cpu = dict(dtype="float32", device="cpu", exact=True, gpus=[])
    base = _retarget(tmp_path, "base", batch_size=1, **cpu)
    cand = _retarget(tmp_path, "cand", batch_size=16, **cpu)
    assert cli("gate", str(cand), "--baseline", str(base))[0] == 0
    # one side on a GPU is enough to make the comparison unsafe
    gpu = _retarget(tmp_path, "gpu", batch_size=16, dtype="bfloat16", device="cuda:0",
                    exact=False, gpus=["NVIDIA H200"])
    assert cli("gate", str(gpu), "--baseline", str(base))[0] == 2


def test_older_run_folders_are_judged_by_dtype_and_hardware(tmp_path: Path) -> None:
    import json

    from tvbench.runs.gate import batch_exact, batch_size_change

    cpu = _retarget(tmp_path, "cpu", batch_size=1, dtype="float32", device=None, exact=None,
                    gpus=[])
    gpu = _retarget(tmp_path, "gpu", batch_size=8, dtype="float32", device=None, exact=None,
                    gpus=["NVIDIA H200"])
    cpu_r, gpu_r = (json.loads((p / "results.json").read_text()) for p in (cpu, gpu))
    assert batch_exact(cpu_r) and not batch_exact(gpu_r)
    assert batch_size_change(cpu_r, cpu_r) is None
    assert "batch size 8 → 1" in (batch_size_change(cpu_r, gpu_r) or "")
    report = compare(cpu_r, gpu_r, default=GateRule())
    assert report.exit_code == 2 and report.checks[0].verdict == "incomparable"
    assert compare(cpu_r, gpu_r, default=GateRule(),
                   allow_batch_size_change=True).exit_code == 0


def test_allow_batch_size_change_from_the_config(cli, tmp_path: Path) -> None:
    gpu = dict(dtype="bfloat16", device="cuda:0", exact=False, gpus=["NVIDIA H200"])
    base = _retarget(tmp_path, "base", batch_size=8, **gpu)
    cand = _retarget(tmp_path, "cand", batch_size=32, **gpu)
    config = Path("tvbench.toml")
    assert "\n[gate]\n" in config.read_text()
    config.write_text(config.read_text().replace("\n[gate]\n",
                                                 "\n[gate]\nallow_batch_size_change = true\n"))
    assert cli("gate", str(cand), "--baseline", str(base))[0] == 0
