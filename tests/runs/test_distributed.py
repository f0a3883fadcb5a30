"""Data-parallel runs launched by torchrun leave exactly the folder one process would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tvbench.runs.distributed import Shard, device_for, from_env


def test_shards_partition_the_items() -> None:
    items = list(range(11))
    parts = [Shard(r, 3).mine(items) for r in range(3)]
    assert sorted(x for p in parts for x in p) == items
    assert Shard().mine(items) == items and Shard().part is None
    assert Shard(1, 3).part == "rank1"


def test_shard_from_launcher_environment(monkeypatch) -> None:
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "2")
    monkeypatch.setenv("LOCAL_RANK", "0")
    assert from_env() == Shard(2, 4, 0)
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert from_env() == Shard()


def test_each_rank_takes_its_own_gpu_but_tiny_models_stay_on_the_cpu(monkeypatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    rank1 = Shard(rank=1, world=2, local_rank=1)
    assert device_for(rank1, "auto") == "cuda:1"
    assert device_for(rank1, "auto", cpu_sized=True) == "cpu"
    assert device_for(rank1, "cuda:0", cpu_sized=True) == "cuda:0"  # what --device says
    assert device_for(Shard(), "auto") == "auto"  # a single process resolves it per model


def test_torchrun_two_processes_match_one(tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    common = ["run", "--model", "qwen2_5_vl", "--tasks", "textvqa", "--device", "cpu",
              "--no-report", "--batch-size", "4"]
    for launcher, out in ((["-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
                             "2"], "two"), ([], "one")):
        proc = subprocess.run([sys.executable, *launcher, "-m", "tvbench", "--quiet", *common,
                               "--output", str(tmp_path / out)], env=env, cwd=tmp_path,
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[:3000]
    one, two = tmp_path / "one" / "tiny-qwen2_5_vl", tmp_path / "two" / "tiny-qwen2_5_vl"
    assert (one / "records/textvqa.jsonl").read_bytes() == (two / "records/textvqa.jsonl"
                                                            ).read_bytes()
    assert sorted(p.name for p in (two / "records").iterdir()) == ["textvqa.jsonl"]
    # The ranks of one run share its lock: rank 0 holds it for all of them (none locked the
    # others out), and it is released at the end.
    started = [x for x in (two / "run.log").read_text().splitlines() if "run started" in x]
    assert len(started) == 1 and not (two / ".tvbench.lock").exists()
    a = json.loads((one / "results.json").read_text())["tasks"]
    b = json.loads((two / "results.json").read_text())["tasks"]
    assert a == b
