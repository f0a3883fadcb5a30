"""What a task hands to a model: chat messages with image and video parts, and settings.

Tasks build :class:`ModelInput` values and never see a model; adapters receive them and
never see task data. Media parts keep the dataset's encoded bytes, so an input hash covers
exactly what the model was shown.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image as PILImage

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class TextPart:
    text: str


@dataclass(frozen=True, eq=False)
class ImagePart:
    """An image as encoded bytes (PNG, JPEG, ...) exactly as the dataset stores it."""

    data: bytes

    @cached_property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def pil(self) -> PILImage.Image:
        from tvbench.data.media import decode_image

        return decode_image(self.data)


@dataclass(frozen=True, eq=False)
class VideoPart:
    """A video file's bytes plus how many frames to sample uniformly from it."""

    data: bytes
    num_frames: int = 32

    @cached_property
    def digest(self) -> str:
        return hashlib.sha256(self.data + f"|frames={self.num_frames}".encode()).hexdigest()

    def frames(self, num_frames: int | None = None) -> np.ndarray:
        """Decoded RGB frames, shape (T, H, W, 3), uniformly sampled with PyAV."""
        from tvbench.data.video import sample_frames

        return sample_frames(self.data, num_frames or self.num_frames)


Part = TextPart | ImagePart | VideoPart


@dataclass(frozen=True)
class Message:
    role: Role
    content: tuple[Part, ...]

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.content if isinstance(p, TextPart))


@dataclass(frozen=True)
class ModelInput:
    """One chat-formatted request: the messages, in order, with their media."""

    messages: tuple[Message, ...]

    @classmethod
    def user(cls, *parts: Part | str, system: str | None = None) -> ModelInput:
        content = tuple(TextPart(p) if isinstance(p, str) else p for p in parts)
        msgs = (Message("system", (TextPart(system),)),) if system else ()
        return cls(msgs + (Message("user", content),))

    @property
    def images(self) -> list[ImagePart]:
        return [p for m in self.messages for p in m.content if isinstance(p, ImagePart)]

    @property
    def videos(self) -> list[VideoPart]:
        return [p for m in self.messages for p in m.content if isinstance(p, VideoPart)]

    def render(self) -> str:
        """A model-neutral text rendering, with ``<image>``/``<video>`` placeholders."""
        lines = []
        for m in self.messages:
            body = "".join(
                p.text if isinstance(p, TextPart) else ("<image>" if isinstance(p, ImagePart)
                                                        else "<video>")
                for p in m.content)
            lines.append(f"[{m.role}] {body}")
        return "\n".join(lines)

    def fingerprint(self) -> str:
        """sha256 of the rendered prompt plus every media part's bytes, in order."""
        h = hashlib.sha256(self.render().encode())
        for m in self.messages:
            for p in m.content:
                if isinstance(p, ImagePart | VideoPart):
                    h.update(p.digest.encode())
        return h.hexdigest()


def with_reply(inp: ModelInput, reply: str) -> ModelInput:
    """``inp`` followed by an assistant turn that says ``reply`` (for scoring a reply)."""
    return ModelInput((*inp.messages, Message("assistant", (TextPart(reply),))))


@dataclass(frozen=True)
class GenerationSettings:
    """Decoding settings a task asks for; greedy unless ``temperature`` > 0."""

    max_new_tokens: int = 128
    stop: tuple[str, ...] = ()
    temperature: float = 0.0

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0

    def describe(self) -> str:
        parts = ["greedy" if self.greedy else f"t{self.temperature:g}", f"max{self.max_new_tokens}"]
        if self.stop:
            parts.append("stop=" + hashlib.sha256("\x00".join(self.stop).encode()).hexdigest()[:6])
        return ",".join(parts)

    def capped(self, max_new_tokens: int | None) -> GenerationSettings:
        """These settings with ``max_new_tokens`` lowered to a cap (None: unchanged)."""
        if max_new_tokens is None or max_new_tokens >= self.max_new_tokens:
            return self
        return GenerationSettings(max_new_tokens, self.stop, self.temperature)


@dataclass(frozen=True)
class ScoringSettings:
    """What a log-likelihood request scores: the continuation alone, or the whole reply turn.

    ``span="turn"`` renders the continuation as the assistant's reply through the chat
    template and scores every token after the generation prompt, so the template's
    end-of-turn tokens (``<end_of_turn>``, ``<|im_end|>``, ...) are scored too, as the
    TowerVision authors' CoMMuTE scoring does. ``"continuation"`` scores its tokens only.
    """

    span: Literal["continuation", "turn"] = "continuation"

    def describe(self) -> str:
        return self.span

