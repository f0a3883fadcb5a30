"""Model families, backends, and how a ``--model`` argument becomes an adapter.

``--model`` accepts a ``tvbench.toml`` entry name, ``FAMILY`` (its tiny offline
checkpoint), ``FAMILY:PATH_OR_HUB_ID[@REVISION]``, ``vllm:FAMILY:PATH_OR_HUB_ID[@REVISION]``
or ``openai:MODEL_NAME@http://HOST:PORT/v1``. Adapter classes are imported only when a model
is loaded, so parsing and listing never import torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tvbench.data.outputs import Capability
from tvbench.registry import Registry, unknown_name_error

FAMILIES: Registry[type[Any]] = Registry("model family", "tvbench.models", {
    "towervision": "tvbench.models.towervision:TowerVisionAdapter",
    "qwen2_5_vl": "tvbench.models.qwen2_5_vl:Qwen25VLAdapter",
    "gemma3": "tvbench.models.gemma3:Gemma3Adapter",
    "aya_vision": "tvbench.models.aya_vision:AyaVisionAdapter",
})

BACKENDS = ("hf", "vllm", "openai")
TINY_MAX_NEW_TOKENS = 16

#: Training languages each family declares when a checkpoint's entry gives none.
#: TowerVision: paper footnote 2 / model card (20 languages and dialects; the paper's
#: Table 11 nevertheless marks ja as unseen). Aya Vision: model card (23). Qwen2.5-VL and
#: Gemma 3 publish no list, so their languages are unknown rather than guessed.
FAMILY_LANGUAGES: Mapping[str, tuple[str, ...] | None] = {
    "towervision": ("en", "de", "nl", "es", "fr", "pt-PT", "pt-BR", "uk", "hi", "zh-Hans",
                    "zh-Hant", "ru", "cs", "ko", "ja", "it", "pl", "ro", "nn", "nb"),
    "aya_vision": ("en", "fr", "de", "es", "it", "pt", "ja", "ko", "zh", "ar", "el", "fa", "pl",
                   "id", "cs", "he", "hi", "nl", "ro", "ru", "tr", "uk", "vi"),
    "qwen2_5_vl": None,
    "gemma3": None,
}


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
            raise ModelArgError(f"--model {arg!r}: vLLM needs a checkpoint, "
                                "e.g. vllm:qwen2_5_vl:Qwen/Qwen2.5-VL-3B-Instruct")
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
    return FAMILIES.get(entry.family or "").capabilities  # type: ignore[no-any-return]


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

    cls = FAMILIES.get(entry.family or "")
    entry = materialize(entry)
    options = LoadOptions(
        revision=entry.revision, device=device, dtype=dtype or entry.dtype or "auto",
        device_map=entry.device_map, attn_implementation=entry.attn_implementation,
        trust_remote_code=entry.trust_remote_code, max_frames=entry.max_frames,
        processor_kwargs=tuple(sorted(entry.processor_kwargs.items())))
    return cls(entry.path, name=entry.name, options=options,
               seen_languages=entry.languages())
