"""Overlap the CPU side of a batch with the model: a prefetch worker and a phase timer.

A batch travels through four phases: ``data`` (decode media bytes into pixels),
``preprocess`` (chat template, processor, tokenisation, pinned host tensors), ``model`` (the
forward pass or ``generate``) and ``postprocess`` (decode tokens, cut stop strings, gather
log-probabilities). The first two run on one background thread for the *next* batch while the
model runs the current one, so on a GPU the CPU work hides behind the model; the shared
batcher (:mod:`tvbench.models.batching`) decides the batches and drives this worker.

:class:`PhaseTimer` is the timing hook: adapters wrap each phase in ``timer.phase(name)``, and
``tvbench bench`` reads the totals. Phases on the worker overlap the model, so their sum can
exceed the wall time; that overlap is the point.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

T = TypeVar("T")
P = TypeVar("P")

#: The phases a batch goes through, in order (the names ``tvbench bench --json`` reports).
PHASES = ("data", "preprocess", "model", "postprocess")


class PhaseTimer:
    """Seconds spent per phase, summed over every batch and thread (thread-safe).

    ``sync`` is called before a phase ends (``torch.cuda.synchronize`` on a GPU) so that
    asynchronous kernels are charged to the phase that launched them.
    """

    def __init__(self, sync: Callable[[], None] | None = None) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(PHASES, 0.0)
        self.sync = sync
        self._lock = threading.Lock()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        if name not in self.seconds:
            raise ValueError(f"unknown phase {name!r}: expected one of {', '.join(PHASES)}")
        start = time.perf_counter()
        try:
            yield
        finally:
            if self.sync is not None and name == "model":
                self.sync()
            took = time.perf_counter() - start
            with self._lock:
                self.seconds[name] += took

    def reset(self) -> None:
        with self._lock:
            self.seconds = dict.fromkeys(PHASES, 0.0)

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return dict(self.seconds)


class _NoTimer(PhaseTimer):
    """The default hook: measures nothing, costs (almost) nothing."""

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        yield


#: Shared do-nothing timer; adapters use it unless a caller (``tvbench bench``) sets one.
NO_TIMER: PhaseTimer = _NoTimer()


class _Lazy(Generic[P]):
    """A ``Future`` look-alike prepared on the calling thread at ``result()`` (depth 0)."""

    def __init__(self, prepare: Callable[[list[Any]], P], batch: list[Any]) -> None:
        self._prepare, self._batch = prepare, batch

    def result(self) -> P:
        return self._prepare(self._batch)

    def cancel(self) -> bool:
        return False


class Prefetcher(Generic[T, P]):
    """Runs ``prepare`` on one background thread, ``depth`` batches ahead of the caller.

    ``depth`` 0 prepares on the calling thread when the result is asked for (no worker, no
    overlap): the same code path, which is what the parity tests compare against. Use it as a
    context manager so the worker never outlives the call that started it.
    """

    def __init__(self, prepare: Callable[[list[T]], P], depth: int = 1) -> None:
        if depth < 0:
            raise ValueError(f"prefetch depth must be >= 0, got {depth}")
        self.prepare = prepare
        self.depth = depth
        self._pool = (ThreadPoolExecutor(max_workers=1, thread_name_prefix="tvbench-prefetch")
                      if depth else None)

    def submit(self, batch: list[T]) -> Future[P] | _Lazy[P]:
        if self._pool is None:
            return _Lazy(self.prepare, batch)
        return self._pool.submit(self.prepare, batch)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Prefetcher[T, P]:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
