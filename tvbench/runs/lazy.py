"""Resume without loading the model when nothing is left for it to do.

A rerun whose items are all in ``records/`` only rescores and re-aggregates, which takes
seconds; loading even a tiny checkpoint (torch, transformers) takes longer than all of that.
:func:`stored_spec` decides, without loading anything, whether the run folder holds a run of
this very model entry (same source, revision, dtype and output settings, as far as they can
be known before loading); :class:`LazyAdapter` then stands in for the adapter and loads the
real one only when an item needs the model (a new task, ``--retry-errors``, a parity check).
When it does load, the loaded model must still match the folder, as on any resume.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tvbench.data.inputs import GenerationSettings, ModelInput, ScoringSettings
from tvbench.data.outputs import Capability, Generation, LogLikelihood
from tvbench.models.base import Adapter, ModelSpec, OnBatch, ReportsServed
from tvbench.models.hf_runtime import recorded_settings
from tvbench.models.registry import ModelEntry
from tvbench.runs.reuse import output_identity
from tvbench.runs.store import RunFolder, RunFolderError

_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_DTYPES = {"float32": "float32", "fp32": "float32", "bfloat16": "bfloat16", "bf16": "bfloat16",
           "float16": "float16", "fp16": "float16"}
#: HF adapter settings that are not processor options (see HFAdapter.settings).
_HF_OWN_SETTINGS = frozenset({"video_mode", "max_frames", "attn"})
#: Execution settings an HF adapter records when they are switched on.
_HF_RUNTIME_SETTINGS = frozenset({"decode", "batch_invariant"})


def spec_block(spec: ModelSpec) -> dict[str, Any]:
    """The ``model`` block of results.json for ``spec``."""
    return {"name": spec.name, "family": spec.family, "source": spec.source,
            "revision": spec.revision, "dtype": spec.dtype, "adapter": spec.adapter,
            "adapter_version": spec.adapter_version,
            "seen_languages": (list(spec.seen_languages)
                               if spec.seen_languages is not None else None),
            "settings": spec.settings}


def model_block(adapter: Adapter, served_before: Any = None) -> dict[str, Any]:
    """The ``model`` block, with ``served`` when the backend reports which model answered:
    the counts an earlier run into this folder stored plus this run's (a resume asks only
    for new items, so no reply is counted twice)."""
    counts: dict[tuple[Any, Any], int] = {}
    now = adapter.served() if isinstance(adapter, ReportsServed) else []
    for entry in [*(served_before if isinstance(served_before, list) else []), *now]:
        if isinstance(entry, dict):
            key = (entry.get("model"), entry.get("system_fingerprint"))
            counts[key] = counts.get(key, 0) + int(entry.get("replies") or 0)
    block = spec_block(adapter.spec)
    if counts:
        block["served"] = [{"model": m, "system_fingerprint": f, "replies": n}
                           for (m, f), n in sorted(counts.items(), key=lambda kv: str(kv[0]))]
    return block


def budget(batch_tokens: int | None) -> dict[str, int]:
    """The token budget as keyword arguments, passed only when set: a plugin backend without
    one need not know the keyword."""
    return {} if batch_tokens is None else {"batch_tokens": batch_tokens}


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _hf_matches(stored: Mapping[str, Any], entry: ModelEntry, dtype: str) -> bool:
    from tvbench.models.checkpoint import checkpoint_revision

    path = Path(entry.path or "").expanduser()
    if stored.get("source") != entry.path or stored.get("adapter") != f"hf-{entry.family}":
        return False
    if path.is_dir():
        if stored.get("revision") != checkpoint_revision(path):
            return False
    elif not (entry.revision and _COMMIT.match(entry.revision)
              and stored.get("revision") == entry.revision):
        return False  # a branch or no revision: only the hub knows what it resolves to
    want = dtype if dtype != "auto" else (entry.dtype or "auto")
    if entry.batch_invariant:
        want = "float32"
    if want != "auto" and stored.get("dtype") != _DTYPES.get(want, want):
        return False
    settings = dict(stored.get("settings") or {})
    if settings.get("max_frames") != entry.max_frames:
        return False
    if entry.attn_implementation and settings.get("attn") != entry.attn_implementation:
        return False
    runtime = recorded_settings(entry.compile, entry.batch_invariant)
    if {k: settings.get(k) for k in _HF_RUNTIME_SETTINGS if k in settings} != runtime:
        return False
    processor = {k: v for k, v in settings.items()
                 if k not in _HF_OWN_SETTINGS and k not in _HF_RUNTIME_SETTINGS}
    return bool(processor == _plain(dict(entry.processor_kwargs)))


def _openai_matches(stored: Mapping[str, Any], entry: ModelEntry) -> bool:
    from tvbench.models.openai_wire import MAX_VIDEO_FRAMES, public_url

    settings = dict(stored.get("settings") or {})
    return (stored.get("adapter") == "openai-chat" and entry.base_url is not None
            and stored.get("source") == public_url(entry.base_url)
            and stored.get("revision") == (entry.model or entry.name)
            and settings.get("video_frames") == min(MAX_VIDEO_FRAMES, entry.max_frames))


def stored_device(folder: RunFolder) -> str | None:
    """The device the stored run ran on (results.json ``run.device``), if recorded."""
    try:
        old = folder.read_results() or {}
    except RunFolderError:
        return None
    device = (old.get("run") or {}).get("device")
    return str(device) if device is not None else None


def stored_spec(folder: RunFolder, entry: ModelEntry, dtype: str = "auto") -> ModelSpec | None:
    """The spec of the run stored in ``folder`` when it is certainly a run of ``entry``;
    None when there is none, or when only loading the model could tell.

    ``entry`` must be materialised (a tiny entry has its path). The declared languages come
    from the entry as it is now, as they would from a loaded adapter.
    """
    try:
        old = folder.read_results()
    except RunFolderError:
        return None
    stored = (old or {}).get("model")
    if not isinstance(stored, dict):
        return None
    if entry.backend == "hf":
        ok = _hf_matches(stored, entry, dtype)
    elif entry.backend == "openai":
        ok = _openai_matches(stored, entry)
    else:
        ok = False  # vLLM resolves its settings while loading
    if not ok:
        return None
    try:
        return ModelSpec(name=entry.name, family=str(stored["family"]),
                         adapter=str(stored["adapter"]),
                         adapter_version=int(stored["adapter_version"]),
                         source=str(stored["source"]), revision=str(stored["revision"]),
                         dtype=str(stored["dtype"]), seen_languages=entry.languages(),
                         settings=dict(stored.get("settings") or {}))
    except (KeyError, TypeError, ValueError):
        return None


class LazyAdapter:
    """An adapter that loads the real one on the first request for the model.

    Until then its spec is the stored run's; once loaded, the loaded model must have the
    same output identity, else the folder holds another model's outputs and it is refused.
    """

    def __init__(self, load: Callable[[], Adapter], spec: ModelSpec,
                 capabilities: frozenset[Capability], where: str,
                 on_load: Callable[[], None] | None = None, device: str | None = None) -> None:
        self._load, self._spec, self.capabilities = load, spec, capabilities
        self._where, self._on_load = where, on_load
        self._device = device
        self._adapter: Adapter | None = None

    @property
    def device(self) -> str | None:
        """Where the model runs: the loaded adapter's device, else where the stored run ran
        (what ``tvbench gate`` reads from results.json)."""
        if self._adapter is not None:
            return getattr(self._adapter, "device", None)
        return self._device

    @property
    def loaded(self) -> bool:
        return self._adapter is not None

    @property
    def spec(self) -> ModelSpec:
        return self._adapter.spec if self._adapter is not None else self._spec

    def _real(self) -> Adapter:
        if self._adapter is None:
            if self._on_load is not None:
                self._on_load()
            adapter = self._load()
            if output_identity(spec_block(adapter.spec)) != output_identity(
                    spec_block(self._spec)):
                adapter.close()
                raise RunFolderError(
                    f"{self._where} holds a run of {self._spec.identity()} "
                    f"({self._spec.dtype}, {self._spec.settings}), not "
                    f"{adapter.spec.identity()} ({adapter.spec.dtype}, "
                    f"{adapter.spec.settings}); choose another --output or pass --overwrite")
            self._adapter = adapter
        return self._adapter

    def generate(self, inputs: Sequence[ModelInput], settings: GenerationSettings, *,
                 batch_size: int = 1, on_batch: OnBatch[Generation] | None = None,
                 batch_tokens: int | None = None) -> list[Generation]:
        return self._real().generate(inputs, settings, batch_size=batch_size,
                                     on_batch=on_batch, **budget(batch_tokens))

    def loglikelihood(self, inputs: Sequence[ModelInput], continuations: Sequence[str], *,
                      batch_size: int = 1, on_batch: OnBatch[LogLikelihood] | None = None,
                      batch_tokens: int | None = None,
                      scoring: ScoringSettings | None = None) -> list[LogLikelihood]:
        return self._real().loglikelihood(inputs, continuations, batch_size=batch_size,
                                          on_batch=on_batch, scoring=scoring,
                                          **budget(batch_tokens))

    def served(self) -> list[dict[str, Any]]:
        return self._adapter.served() if isinstance(self._adapter, ReportsServed) else []

    def close(self) -> None:
        if self._adapter is not None:
            self._adapter.close()
