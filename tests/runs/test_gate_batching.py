"""The gate refuses to compare runs batched differently where outputs depend on the batch
(bf16 on a GPU) unless told to; CPU float32 runs compare across batch sizes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tvbench.runs.gate import compare
from tvbench.runs.gate_batching import batch_exact, batch_size_change
from tvbench.runs.gate_pairs import load_side
from tvbench.runs.gate_rules import GateSettings
from tvbench.runs.runner import Runner, RunSettings, TaskPlan
from tvbench.runs.store import RunFolder

from .fakes import FakeAdapter
from .gate_runs import accuracies, write_run

GPU = dict(dtype="bfloat16", device="cuda:0", exact=False, gpus=["NVIDIA H200"])
CPU = dict(dtype="float32", device="cpu", exact=True, gpus=[])


def _run(root: Path, name: str, *, batch_size: int, dtype: str, device: str | None,
         exact: bool | None, gpus: list[str], batch_tokens: int | None = None) -> Path:
    """The same scores every time, with the run block saying how they were batched;
    ``exact=None`` writes a folder from before ``run.batch_exact`` existed."""
    path = write_run(root, name, {"mvqa": accuracies(np.random.default_rng(0), ("de", "fr"),
                                                     30, 0.6)})
    results = json.loads((path / "results.json").read_text())
    results["model"]["dtype"] = dtype
    results["hardware"] = {"gpus": gpus}
    results["run"] = {"batch_size": batch_size, "batch_tokens": batch_tokens}
    if exact is not None:
        results["run"].update(device=device, batch_exact=exact)
    (path / "results.json").write_text(json.dumps(results))
    return path


def test_the_runner_records_where_batched_outputs_are_exact(tmp_path: Path) -> None:
    from tvbench_tasks.textvqa import TextVQA

    task = TextVQA()
    results = Runner(FakeAdapter(), RunFolder(tmp_path / "fake"), RunSettings(
        batch_size=4, batch_tokens=512)).run([TaskPlan(task, task.bundled_source())])
    run = results["run"]
    assert (run["batch_size"], run["batch_tokens"]) == (4, 512)
    assert run["device"] is None and run["batch_exact"] is False  # the fake runs nowhere


def test_gpu_bf16_runs_at_different_batch_sizes_are_not_compared(cli, tmp_path: Path) -> None:
    base = _run(tmp_path, "base", batch_size=8, **GPU)
    cand = _run(tmp_path, "cand", batch_size=32, **GPU)
    code, out = cli("gate", str(cand), "--baseline", str(base), "--markdown", "gate.md")
    assert code == 2, out
    assert "batch size 8 → 32 outside CPU float32" in Path("gate.md").read_text()
    code, out = cli("gate", str(cand), "--baseline", str(base), "--allow-batch-size-change")
    assert code == 0, out
    same = _run(tmp_path, "same", batch_size=8, **GPU)
    assert cli("gate", str(same), "--baseline", str(base))[0] == 0
    budget = _run(tmp_path, "budget", batch_size=8, batch_tokens=8192, **GPU)
    report = compare(load_side(budget), load_side(base), GateSettings())
    assert report.exit_code == 2 and "token budget None → 8192" in report.checks[0].reason


def test_cpu_float32_runs_compare_across_batch_sizes(tmp_path: Path) -> None:
    base = _run(tmp_path, "base", batch_size=1, **CPU)
    cand = _run(tmp_path, "cand", batch_size=16, **CPU)
    assert compare(load_side(cand), load_side(base), GateSettings()).exit_code == 0
    # one side on a GPU is enough to make the comparison unsafe
    gpu = _run(tmp_path, "gpu", batch_size=16, **GPU)
    report = compare(load_side(gpu), load_side(base), GateSettings())
    assert report.exit_code == 2 and report.checks[0].verdict == "incomparable"
    assert compare(load_side(gpu), load_side(base),
                   GateSettings(allow_batch_size_change=True)).exit_code == 0


def test_older_run_folders_are_judged_by_dtype_and_hardware(tmp_path: Path) -> None:
    cpu = json.loads((_run(tmp_path, "cpu", batch_size=1, dtype="float32", device=None,
                           exact=None, gpus=[]) / "results.json").read_text())
    gpu = json.loads((_run(tmp_path, "gpu", batch_size=8, dtype="float32", device=None,
                           exact=None, gpus=["NVIDIA H200"]) / "results.json").read_text())
    assert batch_exact(cpu) and not batch_exact(gpu)
    assert batch_size_change(cpu, cpu) is None
    assert "batch size 8 → 1" in (batch_size_change(cpu, gpu) or "")


def test_allow_batch_size_change_from_the_config(cli, tmp_path: Path) -> None:
    base = _run(tmp_path, "base", batch_size=8, **GPU)
    cand = _run(tmp_path, "cand", batch_size=32, **GPU)
    config = Path("tvbench.toml")
    assert "\n[gate]\n" in config.read_text()
    config.write_text(config.read_text().replace("\n[gate]\n",
                                                 "\n[gate]\nallow_batch_size_change = true\n"))
    assert cli("gate", str(cand), "--baseline", str(base))[0] == 0
