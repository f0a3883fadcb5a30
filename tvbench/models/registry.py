"""Backends, and how a ``--model`` argument becomes an adapter.

``--model`` accepts a ``tvbench.toml`` entry name, ``FAMILY`` (its tiny offline
checkpoint), ``FAMILY:PATH_OR_HUB_ID[@REVISION]``, ``vllm:FAMILY:PATH_OR_HUB_ID[@REVISION]``,
``random:ARCHITECTURE-SIZE`` (a family size with random weights, built offline) or
``openai:MODEL_NAME@http://HOST:PORT/v1``. The families themselves live in
:mod:`tvbench.models.families`; torch and transformers are imported only when a model loads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tvbench.data.outputs import Capability
from tvbench.models.families import FAMILIES, FAMILY_LANGUAGES, architectures, get_family
from tvbench.models.loading import RANDOM_PREFIX, parse_random
from tvbench.registry import unknown_name_error

__all__ = ["BACKENDS", "FAMILIES", "FAMILY_LANGUAGES", "ModelArgError", "ModelEntry",
           "capabilities", "load_adapter", "materialize", "parse_model_arg"]

BACKENDS = ("hf", "vllm", "openai")
TINY_MAX_NEW_TOKENS = 16


class ModelArgError(ValueError):
    """A ``--model`` value that cannot be parsed; the message shows the accepted forms."""


@dataclass(frozen=True)
class ModelEntry:
    """A model as the registry in ``tvbench.toml`` or the ``--model`` flag describes it."""

    name: str
    backend: str = "hf"
    family: str | None = None
    path: str | None = None  # local folder or hub id
    revision: str | None = None
    tiny: bool = False
    seen_languages: tuple[str, ...] | None = None
    dtype: str | None = None
    device_map: str | None = None
    attn_implementation: str | None = None
    trust_remote_code: bool = False
    max_frames: int = 32
    #: Cap on every task's generation length for this model (tiny random-weight models never
    #: emit EOS on purpose); recorded in the signature of every score it makes.
    max_new_tokens: int | None = None
    processor_kwargs: Mapping[str, Any] = field(default_factory=dict)
    #: torch.compile backend for a static-cache decode ("inductor"), or None for plain
    #: generate (transformers backend).
    compile: str | None = None
    #: float32, TF32 off, deterministic kernels (transformers); vLLM's batch-invariant mode.
    batch_invariant: bool = False
    # OpenAI-compatible HTTP backend
    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = None
    concurrency: int = 8
    timeout: float = 120.0
    max_retries: int = 5
    # vLLM backend
    tensor_parallel_size: int = 1
    gpu_memory_utilization: float = 0.9

    def languages(self) -> tuple[str, ...] | None:
        if self.seen_languages is not None:
            return self.seen_languages
        return FAMILY_LANGUAGES.get(self.family or "")


def _split_revision(text: str) -> tuple[str, str | None]:
    path, sep, rev = text.rpartition("@")
    return (path, rev) if sep and path and "/" not in rev else (text, None)


def parse_model_arg(arg: str, entries: Mapping[str, ModelEntry]) -> ModelEntry:
    """Resolve a ``--model`` value against the configured entries and the known families."""
    if arg in entries:
        return entries[arg]
    if arg.startswith(RANDOM_PREFIX):
        spec = parse_random(arg)
        assert spec is not None
        family = architectures()[spec.architecture][0].name
        return ModelEntry(name=f"random-{spec.architecture}-{spec.size}", family=family,
                          path=spec.source, max_new_tokens=TINY_MAX_NEW_TOKENS)
    if arg.startswith("openai:"):
        name, sep, url = arg[len("openai:"):].partition("@")
        if not sep or not name or not url.startswith(("http://", "https://")):
            raise ModelArgError(f"--model {arg!r}: expected openai:MODEL_NAME@http://HOST:PORT/v1")
        return ModelEntry(name=name, backend="openai", model=name, base_url=url,
                          api_key_env="OPENAI_API_KEY")
    backend = "hf"
    rest = arg
    if arg.startswith("vllm:"):
        backend, rest = "vllm", arg[len("vllm:"):]
    family, sep, target = rest.partition(":")
    if family not in FAMILIES.names():
        known = list(entries) + FAMILIES.names()
        raise unknown_name_error("model", family if sep else arg, known)
    if not sep:
        if backend != "hf":
            raise ModelArgError(f"--model {arg!r}: vLLM needs a checkpoint: "
                                f"vllm:{family}:PATH_OR_HUB_ID[@REVISION]")
        return ModelEntry(name=f"tiny-{family}", family=family, tiny=True,
                          max_new_tokens=TINY_MAX_NEW_TOKENS)
    path, revision = _split_revision(target)
    return ModelEntry(name=path.rstrip("/").split("/")[-1] or path, backend=backend,
                      family=family, path=path, revision=revision)


def capabilities(entry: ModelEntry) -> frozenset[Capability]:
    """What the entry's adapter can do, known before anything is loaded."""
    if entry.backend == "openai":
        from tvbench.models.openai_http import OpenAIAdapter

        return OpenAIAdapter.capabilities
    if entry.backend == "vllm":
        from tvbench.models.vllm_backend import VLLMAdapter

        return VLLMAdapter.capabilities
    return get_family(entry.family or "").capabilities


def materialize(entry: ModelEntry) -> ModelEntry:
    """Fill in the local folder of a tiny entry, building the checkpoint if needed.

    Data-parallel runs call this before torch.distributed starts: transformers saves
    weights on rank 0 only once it is up, so a build after that would be incomplete.
    """
    if entry.backend == "hf" and entry.tiny and entry.path is None:
        from tvbench.models.tiny import cached_tiny

        return replace(entry, path=str(cached_tiny(entry.family or "")))
    return entry


def load_adapter(entry: ModelEntry, *, device: str = "auto", dtype: str | None = None) -> Any:
    """Instantiate the adapter for ``entry`` (this is where heavy imports happen)."""
    if entry.backend not in BACKENDS:
        raise unknown_name_error("backend", entry.backend, BACKENDS)
    if entry.backend == "openai":
        from tvbench.models.openai_http import OpenAIAdapter

        return OpenAIAdapter.from_entry(entry)
    if entry.backend == "vllm":
        from tvbench.models.vllm_backend import VLLMAdapter

        return VLLMAdapter.from_entry(entry, dtype=dtype or entry.dtype or "auto")
    from tvbench.models.hf import LoadOptions

    cls = get_family(entry.family or "").adapter_class()
    entry = materialize(entry)
    options = LoadOptions(
        revision=entry.revision, device=device, dtype=dtype or entry.dtype or "auto",
        device_map=entry.device_map, attn_implementation=entry.attn_implementation,
        trust_remote_code=entry.trust_remote_code, max_frames=entry.max_frames,
        processor_kwargs=tuple(sorted(entry.processor_kwargs.items())), compile=entry.compile,
        batch_invariant=entry.batch_invariant)
    return cls(entry.path, name=entry.name, options=options,
               seen_languages=entry.languages())
