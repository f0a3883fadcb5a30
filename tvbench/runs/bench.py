"""Performance measurements for ``tvbench bench``: a batch-size sweep per model and workload.

Per batch size it records items/s and tokens/s, the time split into the pipeline's phases
(``data``, ``preprocess``, ``model``, ``postprocess``, from the adapter's timing hook) and the
``wall`` time, the share of wall spent outside the model, peak GPU memory, and parity with
batch size 1. Load time is measured per model. Numbers go to BENCHMARKS.md and JSON, never
into tests: timings on shared machines vary by ±20 %, so each is the best of several repeats.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from tvbench.data.outputs import Generation, LogLikelihood
from tvbench.models.base import Adapter
from tvbench.models.pipeline import NO_TIMER, PHASES, PhaseTimer
from tvbench.runs.workloads import Workload, settings

#: Log-likelihoods within this many nats of batch size 1's count as equal (float32 on CPU
#: agrees to ~1e-5; anything larger is a real divergence).
LL_TOLERANCE = 1e-4


@dataclass(frozen=True)
class Sweep:
    """One batch size's measurement (the fastest of the repeats)."""

    batch_size: int
    items: int
    wall: float
    phases: dict[str, float] | None  # None: the adapter has no timing hook (vLLM, HTTP)
    tokens: int  # new tokens (generation) or scored tokens (log-likelihood)
    peak_gpu_gib: float | None = None
    parity: dict[str, Any] = field(default_factory=dict)

    @property
    def items_per_s(self) -> float:
        return self.items / self.wall

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.wall

    @property
    def outside_model(self) -> float | None:
        """Share of the wall time the model was not running."""
        if self.phases is None:
            return None
        return max(0.0, 1.0 - self.phases["model"] / self.wall)

    @property
    def overlap_ratio(self) -> float | None:
        """wall / max(data + preprocess, model): 1.0 means the CPU work hid entirely behind
        the model (or the reverse); their sum over the max means none of it did."""
        if self.phases is None:
            return None
        cpu = self.phases["data"] + self.phases["preprocess"]
        return self.wall / max(cpu, self.phases["model"], 1e-9)

    @property
    def preprocess_ratio(self) -> float | None:
        """wall / max(preprocess, model), media decoding left out of the CPU side."""
        if self.phases is None:
            return None
        return self.wall / max(self.phases["preprocess"], self.phases["model"], 1e-9)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(items_per_s=self.items_per_s, tokens_per_s=self.tokens_per_s,
                   outside_model=self.outside_model,
                   wall_over_max_cpu_model=self.overlap_ratio,
                   wall_over_max_preprocess_model=self.preprocess_ratio,
                   **{name: (self.phases or {}).get(name) for name in PHASES})
        return out


@dataclass
class ModelBench:
    """A model's sweep on one workload, with how it was loaded."""

    model: str
    source: str
    device: str
    dtype: str
    load_s: float
    parameters: int | None
    image_processor: str
    workload: str
    rows: list[Sweep] = field(default_factory=list)
    bare_load_s: float | None = None

    def to_json(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k != "rows"}
        out["rows"] = [r.to_json() for r in self.rows]
        return out


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


def _cuda(adapter: Adapter) -> Any:
    device = str(getattr(adapter, "device", "cpu"))
    if not device.startswith("cuda"):
        return None
    import torch

    return torch.cuda


def _call(adapter: Adapter, work: Workload, batch_size: int, batch_tokens: int | None,
          new_tokens: int) -> list[Any]:
    kw: dict[str, Any] = {"batch_size": batch_size}
    if batch_tokens is not None:
        kw["batch_tokens"] = batch_tokens
    if work.kind == "loglikelihood":
        return adapter.loglikelihood(work.inputs, work.continuations or [], **kw)
    return adapter.generate(work.inputs, settings(new_tokens), **kw)


def _tokens(outputs: Sequence[Any]) -> int:
    return sum(o.n_tokens for o in outputs)


def parity(outputs: Sequence[Any], reference: Sequence[Any]) -> dict[str, Any]:
    """How many outputs differ from batch size 1's (generations: text or length; scores:
    more than :data:`LL_TOLERANCE` nats), and the largest score difference."""
    checked = mismatches = 0
    worst = 0.0
    for out, ref in zip(outputs, reference, strict=True):
        if out.error or ref.error:
            continue
        checked += 1
        if isinstance(out, LogLikelihood):
            diff = abs(out.total - ref.total)
            worst = max(worst, diff if not math.isnan(diff) else math.inf)
            mismatches += not diff <= LL_TOLERANCE
        elif isinstance(out, Generation):
            mismatches += (out.text, out.n_tokens) != (ref.text, ref.n_tokens)
    result: dict[str, Any] = {"checked": checked, "mismatches": mismatches}
    if outputs and isinstance(outputs[0], LogLikelihood):
        result["max_abs_diff"] = worst
    return result


def sweep(adapter: Adapter, work: Workload, batch_sizes: Sequence[int], *, new_tokens: int,
          repeat: int, batch_tokens: int | None = None, check_parity: int = 0) -> list[Sweep]:
    """Measure ``work`` at each batch size; parity is against batch size 1 (its outputs when
    1 is in the sweep, else a batch-size-1 run of the first ``check_parity`` inputs)."""
    cuda = _cuda(adapter)
    timer = PhaseTimer(sync=cuda.synchronize if cuda is not None else None)
    hooked = hasattr(adapter, "timer")  # the transformers backend's timing hook
    if hooked:
        adapter.timer = timer  # type: ignore[attr-defined]
    warm = Workload(work.name, work.kind, work.inputs[:2],
                    work.continuations[:2] if work.continuations else None)
    _call(adapter, warm, 2, None, 2)  # first-call costs (kernels, caches) out of the timings
    reference: list[Any] | None = None
    if 1 not in batch_sizes and check_parity:
        head = Workload(work.name, work.kind, work.inputs[:check_parity],
                        work.continuations[:check_parity] if work.continuations else None)
        reference = _call(adapter, head, 1, None, new_tokens)
    rows = []
    for bs in batch_sizes:
        best: tuple[float, list[Any], dict[str, float], float | None] | None = None
        for _ in range(repeat):
            timer.reset()
            if cuda is not None:
                cuda.reset_peak_memory_stats()
            start = time.perf_counter()
            outputs = _call(adapter, work, bs, batch_tokens, new_tokens)
            wall = time.perf_counter() - start
            peak = cuda.max_memory_allocated() / 2**30 if cuda is not None else None
            if best is None or wall < best[0]:
                best = (wall, outputs, timer.snapshot(), peak)
        assert best is not None
        wall, outputs, phases, peak = best
        if bs == 1:
            reference = outputs
        check = (parity(outputs[:len(reference)], reference)
                 if reference is not None and bs != 1 else {})
        rows.append(Sweep(bs, len(work.inputs), wall, phases if hooked else None,
                          _tokens(outputs), peak, check))
    if hooked:
        adapter.timer = NO_TIMER  # type: ignore[attr-defined]
    return rows


def bare_load_seconds(path: str, device: str, dtype: str) -> float:
    """``from_pretrained`` alone (no processor, no identity), the yardstick for load time."""
    import torch
    from transformers import AutoModelForImageTextToText

    from tvbench.models.loading import resolve_dtype

    start = time.perf_counter()
    model = AutoModelForImageTextToText.from_pretrained(
        path, dtype=resolve_dtype(dtype, device), device_map=device)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    took = time.perf_counter() - start
    del model
    return took


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


def machine() -> dict[str, Any]:
    """The hardware and software a measurement ran on."""
    import platform

    import torch
    import transformers

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    try:  # other processes on a shared machine move every number: say how busy it was
        load: float | None = round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        load = None
    return {"cpu": platform.machine(), "cpu_count": os.cpu_count(), "load_average": load,
            "torch_threads": torch.get_num_threads(), "gpu": gpu,
            "python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__,
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}


def describe_machine(info: dict[str, Any]) -> str:
    threads = f", OMP_NUM_THREADS={info['omp_num_threads']}" if info.get("omp_num_threads") \
        else ""
    load = (f", load average {info['load_average']:.1f} at the start"
            if info.get("load_average") is not None else "")
    return (f"{info['cpu']}, {info['cpu_count']} CPU cores ({info['torch_threads']} torch "
            f"threads{threads}){load}, {info['gpu'] or 'no GPU'}, Python {info['python']}, "
            f"torch {info['torch']}, transformers {info['transformers']}")
