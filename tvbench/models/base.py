"""The adapter contract: two batch-first calls, declared capabilities, and a spec for logs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from tvbench.data.inputs import GenerationSettings, ModelInput, ScoringSettings
from tvbench.data.outputs import Capability, Generation, LogLikelihood

__all__ = ["Adapter", "Capability", "CapabilityError", "Generation", "LogLikelihood", "ModelSpec",
           "OnBatch", "ReportsServed"]


R = TypeVar("R")
#: Called as each batch completes with the original indices and their results, so the
#: runner can persist work incrementally.
OnBatch = Callable[[list[int], list[R]], None]


@dataclass(frozen=True)
class ModelSpec:
    """Who the model is, for results.json and signatures."""

    name: str
    family: str
    adapter: str
    adapter_version: int
    source: str  # local path or hub id
    revision: str  # hub revision, resolved commit, or a content digest for local folders
    dtype: str
    seen_languages: tuple[str, ...] | None
    settings: dict[str, Any] = field(default_factory=dict)

    def identity(self) -> str:
        return f"{self.source}@{self.revision}"


@runtime_checkable
class Adapter(Protocol):
    """What every backend implements. Inputs arrive as a batch; results come back in order.

    ``batch_size`` is how many inputs one forward pass (or engine call) takes, and
    ``batch_tokens`` (when set, on backends that batch themselves) caps the padded tokens of a
    batch, visual tokens included. They are arguments, not adapter state, because the caller
    decides them per call (the run's size, 1 for a parity check, each size of a throughput
    sweep); outputs must not depend on them (exactly so on CPU in float32; see README).
    ``scoring`` says what a log-likelihood covers: the continuation's tokens, or the whole
    reply turn through the chat template's end-of-turn tokens (None: the continuation).
    """

    spec: ModelSpec
    capabilities: frozenset[Capability]

    def generate(self, inputs: Sequence[ModelInput], settings: GenerationSettings, *,
                 batch_size: int = 1, on_batch: OnBatch[Generation] | None = None,
                 batch_tokens: int | None = None) -> list[Generation]: ...

    def loglikelihood(self, inputs: Sequence[ModelInput], continuations: Sequence[str], *,
                      batch_size: int = 1, on_batch: OnBatch[LogLikelihood] | None = None,
                      batch_tokens: int | None = None,
                      scoring: ScoringSettings | None = None) -> list[LogLikelihood]: ...

    def close(self) -> None: ...


@runtime_checkable
class ReportsServed(Protocol):
    """A backend whose replies name the model that answered them: an OpenAI-compatible server
    reports its ``model`` and ``system_fingerprint``, and what answered is not always what
    was asked for (an alias, a redeployed endpoint, a load balancer's mix)."""

    def served(self) -> list[dict[str, Any]]:
        """``{"model", "system_fingerprint", "replies"}`` per distinct pair seen so far."""
        ...


class CapabilityError(RuntimeError):
    """A task needs something the chosen adapter cannot do (raised at plan time)."""
