"""The one batcher every adapter uses: sort by length, chunk, back off on OOM, restore order.

Adapters implement only "run this homogeneous batch"; the loop, the ordering and the
out-of-memory back-off live here once, so they cannot drift between model families.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


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


def run_batched(
    items: Sequence[T],
    fn: Callable[[list[T]], list[R]],
    *,
    batch_size: int,
    length: Callable[[T], int],
    group: Callable[[T], Hashable] | None = None,
    on_batch: Callable[[list[int], list[R]], None] | None = None,
) -> list[R]:
    """Apply ``fn`` to batches of ``items`` and return results in the original order.

    Items are grouped by ``group`` (so a batch never mixes, say, image and video inputs),
    then sorted longest first, so the largest batch runs first and an out-of-memory error
    surfaces early. On OOM the batch size halves (rounding up) for the rest of the call; an
    OOM at batch size 1 propagates. ``on_batch(indices, results)`` fires after each batch completes.
    """
    if batch_size < 1:
        raise ValueError(f"batch size must be >= 1, got {batch_size}")
    keyed = sorted(range(len(items)),
                   key=lambda i: (repr(group(items[i])) if group else "", -length(items[i]), i))
    out: list[R | None] = [None] * len(items)
    size = batch_size
    pos = 0
    while pos < len(keyed):
        chunk = [keyed[pos]]
        g = repr(group(items[keyed[pos]])) if group else ""
        while len(chunk) < size and pos + len(chunk) < len(keyed):
            nxt = keyed[pos + len(chunk)]
            if group and repr(group(items[nxt])) != g:
                break
            chunk.append(nxt)
        try:
            results = fn([items[i] for i in chunk])
        except Exception as exc:
            if not is_oom(exc) or size == 1:
                raise
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


def isolate_failures(fn: Callable[[list[T]], list[R]],
                     on_error: Callable[[T, Exception], R]) -> Callable[[list[T]], list[R]]:
    """Wrap a batch function so one bad item becomes one error result, not a lost batch.

    A failing batch is retried item by item; out-of-memory errors still propagate so the
    batcher can halve the batch size instead.
    """

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
