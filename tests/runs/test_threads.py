"""torch's threads come from the CPUs this process may use (affinity, cgroup quota), shared
among data-parallel ranks; ``--threads`` overrides; the setting is in results.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tvbench.runs import threads
from tvbench.runs.threads import ThreadPlan, available_cpus, cgroup_cpu_limit, plan_threads

from . import processes


def test_cgroup_v2_quota(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert cgroup_cpu_limit(tmp_path) == 1.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cgroup_cpu_limit(tmp_path) is None


def test_cgroup_v1_quota_and_no_cgroup(tmp_path: Path) -> None:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("200000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_cpu_limit(tmp_path) == 2.0
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    assert cgroup_cpu_limit(tmp_path) is None
    assert cgroup_cpu_limit(tmp_path / "absent") is None


def test_the_quota_caps_the_affinity_mask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    monkeypatch.setattr(threads, "affinity_cpus", lambda: 64)  # a big host...
    (tmp_path / "cpu.max").write_text("200000 100000\n")  # ...and a 2-CPU container
    assert available_cpus(tmp_path) == 2
    (tmp_path / "cpu.max").write_text("50000 100000\n")  # half a CPU still runs one thread
    assert available_cpus(tmp_path) == 1


def test_ranks_share_the_machine_and_overrides_win(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "affinity_cpus", lambda: 8)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "3")
    plan = plan_threads(root=tmp_path)
    assert (plan.threads, plan.source, plan.available, plan.ranks) == (2, "available CPUs", 8, 3)
    monkeypatch.setenv("OMP_NUM_THREADS", "5")
    assert plan_threads(root=tmp_path).threads == 5
    assert plan_threads(1, root=tmp_path) == ThreadPlan(1, "--threads", 8, 3)


def test_apply_sets_torch_intra_op_threads() -> None:
    import torch

    before = torch.get_num_threads()
    try:
        threads.apply(ThreadPlan(1, "--threads", 2, 1))
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs Linux affinity")
def test_a_process_pinned_to_one_cpu_runs_one_thread_and_records_it(tmp_path: Path) -> None:
    cpu = min(os.sched_getaffinity(0))
    env = {k: v for k, v in processes.env().items() if k != "OMP_NUM_THREADS"}
    proc = subprocess.run([sys.executable, "-m", "tvbench", "--quiet", "run", "--model",
                           "gemma3", "--tasks", "textvqa", "--output", "out", "--no-report"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
                          preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((tmp_path / "out/tiny-gemma3/results.json").read_text())
    recorded = results["hardware"]["threads"]
    assert recorded["intra_op"] == 1 and recorded["cpus_available"] == 1
    assert recorded["source"] == "available CPUs"

    again = processes.run(["run", "--model", "gemma3", "--tasks", "textvqa", "--output", "o2",
                           "--no-report", "--threads", "2"], tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    recorded = json.loads((tmp_path / "o2/tiny-gemma3/results.json").read_text())["hardware"]
    assert recorded["threads"]["intra_op"] == 2 and recorded["threads"]["source"] == "--threads"
