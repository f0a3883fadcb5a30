"""Where a transformers model comes from: a local folder, the hub, or random weights.

``random:ARCHITECTURE-SIZE`` (``random:qwen2_5_vl-7b``, ``random:towervision-small``) builds a
family's size from its configuration data with seeded random weights, directly on the target
device, with tvbench's offline tokenizer laid out on the real vocabulary and the real image
processor settings: real-size throughput measurements without a download or a save/load.
Tiny and small builds (and tiny checkpoint folders) run on the CPU when the device is left to
tvbench: they are kernel-launch bound on a GPU, where they run several times slower.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

RANDOM_PREFIX = "random:"
#: Sizes that stay on the CPU under ``device=auto``.
CPU_SIZES = frozenset({"tiny", "small"})
#: The marker file every tiny checkpoint folder carries (``tvbench.models.tiny``).
TINY_MARKER = "tvbench_tiny.json"
#: Seed of every random build, recorded as the model's revision.
RANDOM_SEED = 0


class CheckpointError(FileNotFoundError):
    """A checkpoint path or hub id that cannot be loaded; the message names it."""


@dataclass(frozen=True)
class RandomSpec:
    """A parsed ``random:ARCHITECTURE-SIZE``."""

    architecture: str
    size: str

    @property
    def source(self) -> str:
        return f"{RANDOM_PREFIX}{self.architecture}-{self.size}"


def parse_random(source: str) -> RandomSpec | None:
    """The architecture and size of a ``random:`` source; None for any other source.

    An unknown architecture or size is an error listing the valid ones.
    """
    if not source.startswith(RANDOM_PREFIX):
        return None
    from tvbench.models.families import architectures
    from tvbench.registry import unknown_name_error

    arch, sep, size = source[len(RANDOM_PREFIX):].rpartition("-")
    known = architectures()
    if not sep or arch not in known:
        names = [f"{a}-{s}" for a, (_, spec) in known.items() for s in spec.sizes]
        raise unknown_name_error("random model (ARCHITECTURE-SIZE)",
                                 source[len(RANDOM_PREFIX):], names)
    if size not in known[arch][1].sizes:
        raise unknown_name_error(f"{arch} size", size, list(known[arch][1].sizes))
    return RandomSpec(arch, size)


def is_cpu_sized(source: str) -> bool:
    """True for tiny checkpoint folders and ``random:`` tiny and small builds."""
    spec = parse_random(source)
    if spec is not None:
        return spec.size in CPU_SIZES
    return (Path(source).expanduser() / TINY_MARKER).is_file()


def resolve_device(device: str, source: str | None = None) -> str:
    """``auto``: CUDA when available, except for tiny/small models, which stay on the CPU.

    A real-size ``random:`` build is refused under ``auto`` without a GPU (tens of GB of
    random weights on the CPU are rarely what was meant); ``--device cpu`` builds it anyway.
    """
    if device != "auto":
        return device
    if source is not None and is_cpu_sized(source):
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if source is not None and parse_random(source) is not None:
        raise ValueError(f"{source} is a real-size model and no GPU is available: pass "
                         "--device cpu to build it on the CPU anyway, or use a tiny or small "
                         "size")
    return "cpu"


def resolve_dtype(dtype: str, device: str) -> Any:
    import torch

    if dtype == "auto":
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    try:
        return {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16,
                "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}[dtype]
    except KeyError:
        raise ValueError(f"--dtype {dtype!r}: expected auto, float32, bfloat16 or float16"
                         ) from None


def default_attention(device: str) -> str | None:
    """flash-attention 2 on CUDA when installed; otherwise transformers' own default (sdpa
    where the architecture supports it, eager for e.g. Gemma2's soft-capped attention)."""
    if device.startswith("cuda"):
        from transformers.utils import is_flash_attn_2_available

        if is_flash_attn_2_available():
            return "flash_attention_2"
    return None


def load_pretrained(source: str, *, device: str, dtype: Any, revision: str | None,
                    device_map: str | None, attn: str | None, trust_remote_code: bool,
                    processor_kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """(model, processor) from a local folder or a hub id; weights land on ``device``
    directly (no CPU copy first) unless ``device_map`` shards them."""
    from transformers import AutoModelForImageTextToText, AutoProcessor

    local = Path(source).expanduser()
    is_local = local.exists()
    if not is_local and (source.startswith((".", "/", "~")) or os.sep in source
                         and source.count("/") != 1):
        raise CheckpointError(f"checkpoint folder {source!r} does not exist")
    kw: dict[str, Any] = {"trust_remote_code": trust_remote_code}
    if revision and not is_local:
        kw["revision"] = revision
    target = str(local) if is_local else source
    try:
        processor = AutoProcessor.from_pretrained(target, **kw, **processor_kwargs)
        model = AutoModelForImageTextToText.from_pretrained(
            target, dtype=dtype, device_map=device_map or device, attn_implementation=attn,
            **kw)
    except OSError as exc:
        where = "folder" if is_local else "hub id"
        raise CheckpointError(f"cannot load checkpoint {where} {source!r}: {exc}") from exc
    return model.eval(), processor


def build_random(spec: RandomSpec, *, device: str, dtype: Any, attn: str | None,
                 processor_kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """(model, processor) of a family size with seeded random weights, built on ``device``."""
    import torch
    from transformers import AutoModelForImageTextToText

    from tvbench.models.families import architectures

    arch = architectures()[spec.architecture][1]
    size = arch.sizes[spec.size]
    if processor_kwargs:  # as from_pretrained does: into the image processor's settings
        size = replace(size, image_processor={**size.image_processor, **processor_kwargs})
    torch.manual_seed(RANDOM_SEED)
    kw: dict[str, Any] = {"dtype": dtype}
    if attn:
        kw["attn_implementation"] = attn
    with torch.device(device):
        model = AutoModelForImageTextToText.from_config(size.transformers_config(), **kw)
    processor = arch.processor(size)
    tok = getattr(processor, "tokenizer", processor)
    if tok.pad_token_id is not None:
        model.generation_config.pad_token_id = tok.pad_token_id
    return model.eval(), processor
