"""Performance measurements for ``tvbench bench``: throughput, the default run, start-up.

Numbers go to BENCHMARKS.md, never into tests: timings on shared 2-core machines vary by
±20 %, so each measurement is the best of several repeats and is reported with its setup.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tvbench.data.inputs import GenerationSettings, ModelInput
from tvbench.data.outputs import Generation
from tvbench.models.base import Adapter


@dataclass(frozen=True)
class Throughput:
    model: str
    batch_size: int
    items: int
    seconds: float
    new_tokens: int

    @property
    def items_per_s(self) -> float:
        return self.items / self.seconds

    @property
    def tokens_per_s(self) -> float:
        return self.new_tokens / self.seconds


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Fastest wall time of ``repeat`` calls, with that call's result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        took = time.perf_counter() - start
        if took < best:
            best, result = took, out
    return best, result


def bench_inputs(n: int) -> list[ModelInput]:
    """``n`` inputs cycled from the bundled TextVQA items (real prompts, real images)."""
    from tvbench_tasks.textvqa import TextVQA

    task = TextVQA()
    items = task.load(task.bundled_source())
    return [task.build(items[i % len(items)]) for i in range(n)]


def throughput(adapter: Adapter, name: str, inputs: Sequence[ModelInput],
               batch_sizes: Sequence[int], new_tokens: int, repeat: int) -> list[Throughput]:
    settings = GenerationSettings(max_new_tokens=new_tokens)
    adapter.generate(inputs[:2], GenerationSettings(max_new_tokens=2))  # warm-up
    rows = []
    for bs in batch_sizes:
        def once(size: int = bs) -> list[Generation]:
            return adapter.generate(inputs, settings, batch_size=size)

        seconds, gens = best_of(repeat, once)
        rows.append(Throughput(name, bs, len(inputs), seconds, sum(g.n_tokens for g in gens)))
    return rows


def command_seconds(args: Sequence[str], repeat: int, env: dict[str, str] | None = None,
                    cwd: str | None = None) -> float:
    """Best wall time of a tvbench command run in a fresh interpreter (start-up included)."""
    def once() -> None:
        subprocess.run([sys.executable, "-m", "tvbench", *args], check=True, cwd=cwd,
                       env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    return best_of(repeat, once)[0]


def default_run_seconds(repeat: int = 1) -> float:
    """Wall time of ``tvbench run`` (the offline default) into a fresh output folder.

    Tiny checkpoints come from the normal cache, as for a user's second run; the first-ever
    build adds about two seconds.
    """
    best = float("inf")
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "tvbench", "--quiet", "run", "--output", out],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            best = min(best, time.perf_counter() - start)
    return best


def resume_seconds(repeat: int = 3) -> float:
    """Best wall time of rerunning ``tvbench run`` when every item is already done.

    A fresh output folder gets one full default run first (not timed); each timed rerun then
    finds nothing to generate, loads no model, rescores the stored outputs and refreshes the
    reports: the everyday loop after a change to scoring or reporting.
    """
    with tempfile.TemporaryDirectory() as out:
        args = ["--quiet", "run", "--output", out]
        subprocess.run([sys.executable, "-m", "tvbench", *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return command_seconds(args, repeat)


def machine() -> str:
    import platform

    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (f"{platform.machine()}, {os.cpu_count()} CPU cores, {gpu}, Python "
            f"{platform.python_version()}, torch {torch.__version__}")
