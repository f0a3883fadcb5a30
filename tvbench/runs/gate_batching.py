"""Runs batched differently compare only where batching cannot change outputs.

On the CPU in float32 batched outputs equal batch size 1 (tested on every family). In bf16
on a GPU they do not: at batch size 16, 2.7 % of tiny-model generations differed from batch
size 1, and real-size log-likelihoods by up to 0.52 nats (first GPU measurement, issue 9) —
enough to move a score past a gate's threshold with no change to the checkpoint. So two runs
made at different batch sizes (or token budgets) compare only when both are batch-exact,
unless the gate is told to (``--allow-batch-size-change``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def batch_exact(results: Mapping[str, Any]) -> bool:
    """Whether a run's outputs are known to equal batch size 1's: ``run.batch_exact`` as the
    runner records it (CPU and float32); for older run folders, float32 on a machine
    without a GPU."""
    run = results.get("run")
    run = run if isinstance(run, Mapping) else {}
    if "batch_exact" in run:
        return bool(run["batch_exact"])
    model = results.get("model")
    hardware = results.get("hardware")
    dtype = model.get("dtype") if isinstance(model, Mapping) else None
    gpus = hardware.get("gpus") if isinstance(hardware, Mapping) else None
    return dtype == "float32" and gpus == []


def batching(results: Mapping[str, Any]) -> tuple[Any, Any]:
    run = results.get("run")
    run = run if isinstance(run, Mapping) else {}
    return run.get("batch_size"), run.get("batch_tokens")


def batch_size_change(candidate: Mapping[str, Any], baseline: Mapping[str, Any]) -> str | None:
    """Why the two runs cannot be compared because they batched differently, or None."""
    if batching(candidate) == batching(baseline):
        return None
    if batch_exact(candidate) and batch_exact(baseline):
        return None
    (cs, ct), (bs, bt) = batching(candidate), batching(baseline)
    budget = f", token budget {bt} → {ct}" if ct != bt else ""
    return (f"made at batch size {bs} → {cs}{budget} outside CPU float32, where outputs "
            "depend on the batch (pass --allow-batch-size-change to compare anyway)")
