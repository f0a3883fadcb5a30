"""A deterministic stand-in adapter for runner and report tests (no model, no torch)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from tvbench.data.inputs import GenerationSettings, ModelInput
from tvbench.data.outputs import Capability, Generation, LogLikelihood
from tvbench.models.base import ModelSpec, OnBatch
from tvbench.models.batching import isolate_failures, run_batched


class Crash(BaseException):
    """Raised by FakeAdapter to simulate a kill: like SIGINT, it is not an ``Exception``."""


class FakeAdapter:
    """Answers with a function of the prompt; can crash after a number of batches."""

    capabilities = frozenset({Capability.GENERATE, Capability.LOGLIKELIHOOD, Capability.IMAGE,
                              Capability.MULTI_IMAGE, Capability.VIDEO})

    def __init__(self, *, crash_after: int | None = None,
                 answers: dict[str, str] | None = None, seen: tuple[str, ...] | None = ("en",),
                 name: str = "fake") -> None:
        self.crash_after = crash_after
        self.answers = answers or {}
        self.batches = 0
        self.calls: list[int] = []
        self.spec = ModelSpec(name=name, family="fake", adapter="fake", adapter_version=1,
                              source=f"fake/{name}", revision="r1", dtype="n/a",
                              seen_languages=seen)

    def _answer(self, inp: ModelInput, batch_size: int) -> str:
        text = inp.render()
        for key, value in self.answers.items():
            if key in text:
                return value
        return hashlib.sha256(text.encode()).hexdigest()[:6]

    def _tick(self, n: int) -> None:
        if self.crash_after is not None and self.batches >= self.crash_after:
            raise Crash(f"killed after {self.batches} batches")
        self.batches += 1
        self.calls.append(n)

    def generate(self, inputs: Sequence[ModelInput], settings: GenerationSettings, *,
                 batch_size: int = 1, on_batch: OnBatch[Generation] | None = None,
                 batch_tokens: int | None = None) -> list[Generation]:
        def fn(batch: list[ModelInput]) -> list[Generation]:
            self._tick(len(batch))
            for inp in batch:  # a real model decodes its images; so does the fake
                for image in inp.images:
                    image.pil()
            return [Generation(self._answer(i, batch_size)[: settings.max_new_tokens], 1)
                    for i in batch]

        safe = isolate_failures(fn, lambda _i, exc: Generation("", 0, f"{exc}"))
        return run_batched(inputs, safe, batch_size=batch_size, length=lambda i: 0,
                           on_batch=on_batch, batch_tokens=batch_tokens)

    def loglikelihood(self, inputs: Sequence[ModelInput], continuations: Sequence[str], *,
                      batch_size: int = 1, on_batch: OnBatch[LogLikelihood] | None = None,
                      batch_tokens: int | None = None, scoring: object = None
                      ) -> list[LogLikelihood]:
        def fn(batch: list[tuple[ModelInput, str]]) -> list[LogLikelihood]:
            self._tick(len(batch))
            return [LogLikelihood(-float(len(c)), -1.0, max(1, len(c))) for _, c in batch]

        return run_batched(list(zip(inputs, continuations, strict=True)), fn,
                           batch_size=batch_size, length=lambda p: 0, on_batch=on_batch,
                           batch_tokens=batch_tokens)

    def close(self) -> None:
        pass
