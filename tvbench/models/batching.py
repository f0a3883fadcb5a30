"""The one batcher every adapter uses: sort, chunk by items and tokens, back off on OOM,
prefetch the next batch, restore order.

Adapters implement only "run this homogeneous batch" — as one function, or as two
:class:`Stages` (``prepare`` on the CPU, ``run`` on the model) so that the next batch is
decoded and preprocessed on a background worker while the model runs the current one. The
loop, the ordering, the token budget and the out-of-memory back-off live here once, so they
cannot drift between model families.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tvbench.models.pipeline import Prefetcher

T = TypeVar("T")
P = TypeVar("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Stages(Generic[T, P, R]):
    """A batch function in two steps; ``prepare`` may run on a worker thread ahead of ``run``.

    ``prepare`` must not touch state that ``run`` changes (it runs concurrently with the
    previous batch's ``run``); ``run`` gets exactly what ``prepare`` returned.
    """

    prepare: Callable[[list[T]], P]
    run: Callable[[P], list[R]]

    def __call__(self, batch: list[T]) -> list[R]:
        return self.run(self.prepare(batch))


def is_oom(exc: BaseException) -> bool:
    """True for CUDA (or other accelerator) out-of-memory errors."""
    name = type(exc).__name__
    return name == "OutOfMemoryError" or (isinstance(exc, RuntimeError)
                                          and "out of memory" in str(exc).lower())


def _free_accelerator_memory() -> None:
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def plan_order(lengths: Sequence[int], groups: Sequence[str]) -> list[int]:
    """Indices grouped (so a batch never mixes, say, image and video inputs), then longest
    first, so the largest batch runs first and an out-of-memory error surfaces early."""
    return sorted(range(len(lengths)), key=lambda i: (groups[i], -lengths[i], i))


def next_chunk(order: Sequence[int], pos: int, lengths: Sequence[int], groups: Sequence[str],
               max_items: int, max_tokens: int | None) -> list[int]:
    """The batch starting at ``order[pos]``: one group, at most ``max_items`` inputs and, with a
    token budget, at most ``max_tokens`` padded tokens (inputs × the longest, which is the
    first, since the order is longest first). A batch always holds at least one input."""
    first = order[pos]
    chunk = [first]
    while len(chunk) < max_items and pos + len(chunk) < len(order):
        nxt = order[pos + len(chunk)]
        if groups[nxt] != groups[first]:
            break
        if max_tokens is not None and (len(chunk) + 1) * lengths[first] > max_tokens:
            break
        chunk.append(nxt)
    return chunk


def run_batched(
    items: Sequence[T],
    fn: Callable[[list[T]], list[R]] | Stages[T, Any, R],
    *,
    batch_size: int,
    length: Callable[[T], int],
    group: Callable[[T], Hashable] | None = None,
    on_batch: Callable[[list[int], list[R]], None] | None = None,
    batch_tokens: int | None = None,
    prefetch: int = 0,
) -> list[R]:
    """Apply ``fn`` to batches of ``items`` and return results in the original order.

    ``batch_size`` caps the inputs per batch; ``batch_tokens`` (when set) caps the padded
    tokens per batch as ``length`` counts them, visual tokens included. ``fn`` given as
    :class:`Stages` with ``prefetch`` > 0 prepares that many batches ahead on a background
    worker. On OOM the batch size halves (rounding up) for the rest of the call and the
    batches prepared ahead are planned again; an OOM at batch size 1 propagates.
    ``on_batch(indices, results)`` fires after each batch completes, in completion order.
    """
    if batch_size < 1:
        raise ValueError(f"batch size must be >= 1, got {batch_size}")
    if batch_tokens is not None and batch_tokens < 1:
        raise ValueError(f"batch token budget must be >= 1, got {batch_tokens}")
    stages = fn if isinstance(fn, Stages) else Stages(lambda b: b, fn)
    lengths = [length(x) for x in items]
    groups = [repr(group(x)) if group else "" for x in items]
    order = plan_order(lengths, groups)
    out: list[R | None] = [None] * len(items)
    size = batch_size
    pos = 0
    with Prefetcher(stages.prepare, prefetch if isinstance(fn, Stages) else 0) as worker:
        ahead: deque[tuple[list[int], Any]] = deque()
        planned = 0  # first position of ``order`` not yet in a planned batch
        while pos < len(order):
            while len(ahead) <= worker.depth and planned < len(order):
                chunk = next_chunk(order, planned, lengths, groups, size, batch_tokens)
                ahead.append((chunk, worker.submit([items[i] for i in chunk])))
                planned += len(chunk)
            chunk, handle = ahead.popleft()
            try:
                results = stages.run(handle.result())
            except Exception as exc:
                if not is_oom(exc) or size == 1:
                    raise
                for _, later in ahead:  # planned for the old size: plan them again
                    later.cancel()
                ahead.clear()
                planned = pos
                _free_accelerator_memory()
                size = max(1, (len(chunk) + 1) // 2)
                continue
            if len(results) != len(chunk):
                raise RuntimeError(f"batch function returned {len(results)} results for "
                                   f"{len(chunk)} inputs")
            for i, r in zip(chunk, results, strict=True):
                out[i] = r
            if on_batch is not None:
                on_batch(chunk, results)
            pos += len(chunk)
    return out  # type: ignore[return-value]


def truncate_at_eos(token_ids: Sequence[int], eos_ids: set[int]) -> list[int]:
    """The generated ids up to (not including) the first end-of-sequence token."""
    out = []
    for t in token_ids:
        if t in eos_ids:
            break
        out.append(t)
    return out


def cut_at_stop(text: str, stops: Sequence[str]) -> str:
    """Text before the earliest stop string (the same rule at every batch size)."""
    cut = len(text)
    for s in stops:
        if s:
            i = text.find(s)
            if i != -1:
                cut = min(cut, i)
    return text[:cut]


def isolate_failures(fn: Callable[[list[T]], list[R]] | Stages[T, Any, R],
                     on_error: Callable[[T, Exception], R]
                     ) -> Callable[[list[T]], list[R]] | Stages[T, Any, R]:
    """Wrap a batch function so one bad item becomes one error result, not a lost batch.

    A failing batch is retried item by item; out-of-memory errors still propagate so the
    batcher can halve the batch size instead. For :class:`Stages`, a failure in ``prepare``
    (a corrupt image on the worker) is carried to ``run``, which then retries item by item.
    """
    if isinstance(fn, Stages):
        return _isolate_stages(fn, on_error)

    def wrapped(batch: list[T]) -> list[R]:
        try:
            return fn(batch)
        except Exception as exc:
            if is_oom(exc):
                raise
            if len(batch) == 1:
                return [on_error(batch[0], exc)]
            return [wrapped([item])[0] for item in batch]

    return wrapped


@dataclass(frozen=True)
class _Prepared(Generic[T]):
    batch: list[T]
    value: Any = None
    error: Exception | None = None


def _isolate_stages(stages: Stages[T, Any, R], on_error: Callable[[T, Exception], R]
                    ) -> Stages[T, _Prepared[T], R]:
    def prepare(batch: list[T]) -> _Prepared[T]:
        try:
            return _Prepared(batch, stages.prepare(batch))
        except Exception as exc:
            if is_oom(exc):
                raise
            return _Prepared(batch, error=exc)

    def one(item: T) -> R:
        try:
            return stages.run(stages.prepare([item]))[0]
        except Exception as exc:
            if is_oom(exc):
                raise
            return on_error(item, exc)

    def run(prepared: _Prepared[T]) -> list[R]:
        if prepared.error is not None:
            if len(prepared.batch) == 1:
                return [on_error(prepared.batch[0], prepared.error)]
            return [one(item) for item in prepared.batch]
        try:
            return stages.run(prepared.value)
        except Exception as exc:
            if is_oom(exc):
                raise
            if len(prepared.batch) == 1:
                return [on_error(prepared.batch[0], exc)]
            return [one(item) for item in prepared.batch]

    return Stages(prepare, run)
