"""What a model hands back, and what it can do: shared by tasks and adapters alike."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Capability(enum.StrEnum):
    GENERATE = "generate"
    LOGLIKELIHOOD = "loglikelihood"
    IMAGE = "image"
    MULTI_IMAGE = "multi_image"
    VIDEO = "video"


@dataclass(frozen=True)
class Generation:
    """A raw generation; ``error`` is set instead of ``text`` when this one item failed."""

    text: str
    n_tokens: int = 0
    error: str | None = None


@dataclass(frozen=True)
class LogLikelihood:
    """Log-probability of a continuation given its context: summed and per-token mean."""

    total: float
    mean: float
    n_tokens: int
    error: str | None = None
