"""How the transformers backend runs a prepared batch: transfers, decode settings, numerics.

* Host tensors are pinned on the prefetch worker and copied without blocking, so a batch's
  upload overlaps the previous batch's compute.
* ``compile``: generation with a static KV cache and ``torch.compile`` of the decode step
  (transformers' own auto-compile), opt-in. On CPU, transformers compiles only when asked to
  compile on every device, which this does. The tests check its outputs equal plain generate
  on every tiny family; it is recorded in the model's settings so a resumed run never mixes
  compiled and plain outputs.
* ``batch_invariant``: float32 weights, TF32 off and deterministic kernels. This removes the
  reduced-precision rounding that flips greedy tokens between batch sizes, at the cost of
  float32 (about twice the memory and several times the time of bf16 on a GPU); it does not
  make cuBLAS pick the same kernels at every batch size, so on a GPU it narrows the divergence
  rather than proving it zero. Where it was measured is stated in BENCHMARKS.md.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tvbench.data.inputs import GenerationSettings
from tvbench.data.outputs import LogLikelihood

if TYPE_CHECKING:
    from tvbench.models.hf import LoadOptions


def dtype_for(options: LoadOptions) -> str:
    """The dtype to load in: float32 in batch-invariant mode, else the requested one."""
    if not options.batch_invariant:
        return options.dtype
    if options.dtype not in ("auto", "float32", "fp32"):
        raise ValueError(f"--batch-invariant runs in float32; --dtype {options.dtype} "
                         "contradicts it")
    return "float32"


def configure(options: LoadOptions, device: str) -> None:
    """Process-wide numerics for batch-invariant mode (nothing otherwise)."""
    if not options.batch_invariant:
        return
    # cuBLAS needs this before its first use to be deterministic (PyTorch's reproducibility
    # notes); it has no effect once a CUDA context exists, so set it as early as possible.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.set_float32_matmul_precision("highest")
    torch.use_deterministic_algorithms(True, warn_only=True)


def recorded_settings(compile: str | None, batch_invariant: bool) -> dict[str, Any]:
    """Execution settings that belong in the model spec (only when switched on, so older
    run folders keep their identity). A resume compares them before loading anything."""
    out: dict[str, Any] = {}
    if compile:
        out["decode"] = f"static-cache,compile={compile}"
    if batch_invariant:
        out["batch_invariant"] = True
    return out


def pin(tensors: dict[str, Any], device: str, options: LoadOptions) -> dict[str, Any]:
    """Page-locked copies of the host tensors when they are bound for a GPU.

    Not with ``compile``: pinning allocates through CUDA on the worker thread, and CUDA
    refuses such calls from any thread while the compiled decode captures a CUDA graph.
    """
    if not device.startswith("cuda") or options.compile:
        return tensors
    import torch

    return {k: v.pin_memory() if isinstance(v, torch.Tensor) else v for k, v in tensors.items()}


def to_device(tensors: dict[str, Any], device: Any) -> dict[str, Any]:
    import torch

    return {k: v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v
            for k, v in tensors.items()}


def generation_config(options: LoadOptions, device: str, settings: GenerationSettings,
                      eos: set[int], pad: int | None) -> Any:
    from transformers import GenerationConfig

    kw: dict[str, Any] = dict(
        max_new_tokens=settings.max_new_tokens, do_sample=not settings.greedy,
        temperature=settings.temperature if not settings.greedy else None,
        top_p=None, top_k=None, eos_token_id=sorted(eos), pad_token_id=pad)
    if options.compile:
        from transformers import CompileConfig

        compile_cfg = CompileConfig(backend=options.compile, fullgraph=False, dynamic=None,
                                    mode="reduce-overhead" if device.startswith("cuda")
                                    else "default")
        if not device.startswith("cuda"):
            compile_cfg._compile_all_devices = True  # transformers compiles on GPUs only
        kw.update(cache_implementation="static", compile_config=compile_cfg)
    return GenerationConfig(**kw)


def span_logprobs(logits: Any, ids: Any, spans: Sequence[tuple[int, int] | None],
                  extra: Sequence[Any], offset: int) -> list[LogLikelihood]:
    """Per row, the summed log-probability of ``ids[start:end]``; ``logits[:, j]`` holds the
    prediction made at position ``offset + j``. ``extra`` holds each row's expected
    continuation ids, or the reason it has none."""
    import torch

    out = []
    for row, (span, expected) in enumerate(zip(spans, extra, strict=True)):
        if span is None:
            out.append(LogLikelihood(float("nan"), float("nan"), 0, str(expected)))
            continue
        start, end = span
        targets = ids[row, start:end]
        if targets.tolist() != list(expected):
            out.append(LogLikelihood(float("nan"), float("nan"), 0,
                                     "the processor's tokens for the continuation differ from "
                                     "the tokenizer's (the media expansion changed them)"))
            continue
        rows = logits[row, start - 1 - offset:end - 1 - offset].float()
        token_lp = rows.gather(-1, targets.unsqueeze(-1).to(rows.device)).squeeze(-1) \
            - torch.logsumexp(rows, dim=-1)
        n = int(token_lp.numel())
        total = float(token_lp.sum())
        out.append(LogLikelihood(total, total / n, n))
    return out


def free_cuda() -> None:
    import gc

    gc.collect()
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
