"""Everything tvbench knows about one model family, as one frozen record.

A family module (``tvbench/models/families/<name>.py``) defines a :class:`FamilySpec`, its
transformers adapter and how to build its checkpoints offline. The registry in
:mod:`tvbench.models.families` lists one line per family; the backends, the ``tiny`` command
and the listings read what they need from the spec and never compare family names.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from tvbench.data.outputs import Capability

ChatLayout = Literal["typed", "inline"]
VideoMode = Literal["frames", "native"]

CHAT_LAYOUTS: tuple[ChatLayout, ...] = ("typed", "inline")
VIDEO_MODES: tuple[VideoMode, ...] = ("frames", "native")
ALL_CAPABILITIES = frozenset(Capability)


def _build(kind: str, settings: Mapping[str, Any], type_key: str) -> Any:
    import transformers

    data = copy.deepcopy(dict(settings))
    name = data.pop(type_key)
    try:
        cls = getattr(transformers, name)
    except AttributeError:
        raise ValueError(f"{kind} {type_key} {name!r} is not a transformers class") from None
    return cls(**data)


@dataclass(frozen=True)
class ModelSize:
    """One configuration of an architecture, as the checkpoint's own JSON files give it.

    The mappings mirror ``config.json``, ``preprocessor_config.json`` and the processor's
    settings, so a real size is data that builds a real transformers config (on the ``meta``
    device for counting, or with random weights for throughput runs).
    """

    config: Mapping[str, Any]  # config.json: "model_type" plus its fields
    image_processor: Mapping[str, Any]  # "image_processor_type" plus its fields
    processor: Mapping[str, Any] = field(default_factory=dict)  # e.g. tokens per image
    video_processor: Mapping[str, Any] | None = None  # "video_processor_type" plus its fields
    #: The parameter count the checkpoint's page publishes, as written there ("8.29B").
    parameters: str | None = None
    #: Published sizes: the ids the config gives the family's special tokens, so the offline
    #: tokenizer is laid out on the real vocabulary (``tiny_parts.widen``). Empty for the
    #: offline sizes, whose configs use the offline tokenizer's own ids.
    token_ids: Mapping[str, int] = field(default_factory=dict)

    @property
    def vocab_size(self) -> int:
        """The text model's vocabulary (flat configs and ``text_config`` alike)."""
        text = self.config.get("text_config") or {}
        return int(self.config.get("vocab_size") or text["vocab_size"])

    def tokenizer_layout(self) -> dict[str, Any]:
        """``bpe_tokenizer`` arguments: the real vocabulary for published sizes, else none."""
        if not self.token_ids:
            return {}
        return {"vocab_size": self.vocab_size, "ids": dict(self.token_ids)}

    def transformers_config(self) -> Any:
        from transformers import AutoConfig

        data = copy.deepcopy(dict(self.config))
        return AutoConfig.for_model(data.pop("model_type"), **data)

    def image_processor_object(self) -> Any:
        return _build("image processor", self.image_processor, "image_processor_type")

    def video_processor_object(self) -> Any:
        if self.video_processor is None:
            return None
        return _build("video processor", self.video_processor, "video_processor_type")


@dataclass(frozen=True)
class Architecture:
    """One checkpoint layout of a family; TowerVision and TowerVideo share one adapter."""

    name: str  # also the name of its tiny checkpoint (``tvbench tiny NAME DIR``)
    #: The processor for a size's settings, with the offline tokenizer and chat template.
    processor: Callable[[ModelSize], Any]
    #: "tiny" (the offline checkpoint), "small" (real structure at a small width) and the
    #: published sizes ("2b", "7b", ...).
    sizes: Mapping[str, ModelSize]

    def build(self, size: str) -> tuple[Any, Any]:
        """(model, processor) of ``size`` with random weights; the caller seeds torch."""
        from transformers import AutoModelForImageTextToText

        if size not in self.sizes:
            from tvbench.registry import unknown_name_error

            raise unknown_name_error(f"{self.name} size", size, self.sizes)
        chosen = self.sizes[size]
        model = AutoModelForImageTextToText.from_config(chosen.transformers_config())
        return model, self.processor(chosen)


@dataclass(frozen=True)
class FamilySpec:
    """A model family: how its adapter lays out prompts and video, and how to build it."""

    name: str
    adapter: str  # "module:Class" of its transformers adapter, imported only when loading
    summary: str  # one line for `tvbench models`
    architectures: tuple[Architecture, ...]
    #: "typed": content parts ({"type": "image"}); "inline": one string per turn with the
    #: processor's media tokens written in, each followed by a newline.
    chat_layout: ChatLayout = "typed"
    #: "native": clips reach the processor as video; "frames": as a capped run of images.
    video_mode: VideoMode = "frames"
    #: Checkpoint ``model_type`` values that take video natively whatever ``video_mode`` says.
    native_video_model_types: frozenset[str] = frozenset()
    #: Extra processor arguments whenever a batch holds video.
    video_kwargs: Mapping[str, Any] = field(default_factory=dict)
    capabilities: frozenset[Capability] = ALL_CAPABILITIES
    #: Training languages the family declares (BCP-47), or None when it publishes none.
    languages: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        where = f"model family {self.name!r}"
        if self.chat_layout not in CHAT_LAYOUTS:
            raise ValueError(f"{where}: chat_layout {self.chat_layout!r} is not one of "
                             f"{', '.join(CHAT_LAYOUTS)}")
        if self.video_mode not in VIDEO_MODES:
            raise ValueError(f"{where}: video_mode {self.video_mode!r} is not one of "
                             f"{', '.join(VIDEO_MODES)}")
        if ":" not in self.adapter:
            raise ValueError(f"{where}: adapter {self.adapter!r} must read 'module:Class'")
        if not self.architectures:
            raise ValueError(f"{where}: needs at least one architecture")
        for arch in self.architectures:
            if "tiny" not in arch.sizes:
                raise ValueError(f"{where}: architecture {arch.name!r} has no 'tiny' size")

    def adapter_class(self) -> type[Any]:
        """The transformers adapter class (this is where its module is imported)."""
        module, _, attr = self.adapter.partition(":")
        cls: type[Any] = getattr(importlib.import_module(module), attr)
        if getattr(cls, "family_spec", None) is not self:
            raise TypeError(f"{self.adapter} does not serve model family {self.name!r}: set "
                            "its family_spec to this family's FamilySpec")
        return cls

    def video_mode_for(self, model_type: str | None) -> VideoMode:
        """How a checkpoint of this family with ``model_type`` takes video."""
        return "native" if model_type in self.native_video_model_types else self.video_mode

    def sizes(self) -> dict[str, ModelSize]:
        """Every size of every architecture, named ``ARCHITECTURE-SIZE``."""
        return {f"{a.name}-{s}": size for a in self.architectures for s, size in a.sizes.items()}
