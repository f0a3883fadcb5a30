"""The shared batcher: order restored, groups kept apart, OOM halves the batch, bad items
isolated."""

from __future__ import annotations

import pytest

from tvbench.models.batching import (
    cut_at_stop,
    is_oom,
    isolate_failures,
    run_batched,
    truncate_at_eos,
)


class FakeOOM(RuntimeError):
    pass


FakeOOM.__name__ = "OutOfMemoryError"


def test_results_come_back_in_input_order_and_batches_are_sorted_longest_first() -> None:
    items = ["aaaa", "b", "ccc", "dd", "eeeee", "f"]
    seen: list[list[str]] = []

    def fn(batch: list[str]) -> list[str]:
        seen.append(batch)
        return [x.upper() for x in batch]

    out = run_batched(items, fn, batch_size=2, length=len)
    assert out == [x.upper() for x in items]
    assert seen == [["eeeee", "aaaa"], ["ccc", "dd"], ["b", "f"]]


def test_groups_never_share_a_batch() -> None:
    items = [("img", 3), ("vid", 5), ("img", 1), ("vid", 2), ("img", 2)]
    batches: list[list[tuple[str, int]]] = []

    def fn(batch: list[tuple[str, int]]) -> list[int]:
        batches.append(batch)
        return [n for _, n in batch]

    out = run_batched(items, fn, batch_size=8, length=lambda x: x[1], group=lambda x: x[0])
    assert out == [3, 5, 1, 2, 2]
    assert all(len({kind for kind, _ in b}) == 1 for b in batches)
    assert len(batches) == 2


def test_oom_halves_the_batch_and_carries_on() -> None:
    sizes: list[int] = []

    def fn(batch: list[int]) -> list[int]:
        sizes.append(len(batch))
        if len(batch) > 2:
            raise FakeOOM("CUDA out of memory")
        return [x * 10 for x in batch]

    out = run_batched(list(range(7)), fn, batch_size=8, length=lambda x: 0)
    assert out == [x * 10 for x in range(7)]
    # 7 fails, halves to 4, fails, halves to 2, which fits for the rest of the items.
    assert sizes == [7, 4, 2, 2, 2, 1]


def test_oom_at_batch_size_one_propagates() -> None:
    def fn(batch: list[int]) -> list[int]:
        raise FakeOOM("out of memory")

    with pytest.raises(FakeOOM):
        run_batched([1, 2], fn, batch_size=1, length=lambda x: 0)


def test_on_batch_sees_every_item_once() -> None:
    got: list[int] = []
    run_batched(list(range(10)), lambda b: b, batch_size=3, length=lambda x: x,
                on_batch=lambda idx, res: got.extend(idx))
    assert sorted(got) == list(range(10))


def test_isolate_failures_turns_one_bad_item_into_one_error() -> None:
    def fn(batch: list[int]) -> list[str]:
        if 13 in batch:
            raise ValueError("corrupt image")
        return [str(x) for x in batch]

    wrapped = isolate_failures(fn, lambda item, exc: f"error:{item}:{exc}")
    assert wrapped([1, 13, 2]) == ["1", "error:13:corrupt image", "2"]


def test_isolate_failures_lets_oom_through() -> None:
    def fn(batch: list[int]) -> list[int]:
        raise FakeOOM("out of memory")

    with pytest.raises(FakeOOM):
        isolate_failures(fn, lambda i, e: -1)([1, 2])


def test_helpers() -> None:
    assert is_oom(FakeOOM("x")) and is_oom(RuntimeError("CUDA out of memory. Tried"))
    assert not is_oom(ValueError("out of memory"))
    assert truncate_at_eos([5, 6, 2, 7, 2], {2}) == [5, 6]
    assert truncate_at_eos([5, 6], {2}) == [5, 6]
    assert cut_at_stop("abc ASSISTANT: xyz USER:", ["USER:", "ASSISTANT:"]) == "abc "
    assert cut_at_stop("abc", []) == "abc"
