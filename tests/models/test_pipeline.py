"""The timing hook and the prefetch worker that overlap the CPU side with the model."""

from __future__ import annotations

import threading

import pytest

from tvbench.models.pipeline import NO_TIMER, PHASES, PhaseTimer, Prefetcher


def test_phase_timer_sums_each_phase_across_threads() -> None:
    synced: list[str] = []
    timer = PhaseTimer(sync=lambda: synced.append("sync"))

    def work() -> None:
        for _ in range(50):
            with timer.phase("preprocess"):
                sum(range(1000))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with timer.phase("model"):
        pass
    seconds = timer.snapshot()
    assert set(seconds) == set(PHASES) == {"data", "preprocess", "model", "postprocess"}
    assert seconds["preprocess"] > 0 and seconds["data"] == 0.0
    assert synced == ["sync"], "only the model phase waits for the device"
    timer.reset()
    assert timer.snapshot() == dict.fromkeys(PHASES, 0.0)


def test_phase_timer_rejects_unknown_phases_and_the_default_measures_nothing() -> None:
    with pytest.raises(ValueError, match="unknown phase 'load'"):
        with PhaseTimer().phase("load"):
            pass
    with NO_TIMER.phase("model"):
        pass
    assert NO_TIMER.snapshot() == dict.fromkeys(PHASES, 0.0)


def test_prefetcher_runs_on_a_worker_and_reraises_errors() -> None:
    def prepare(batch: list[int]) -> str:
        if batch == [0]:
            raise ValueError("bad batch")
        return threading.current_thread().name

    with Prefetcher(prepare, depth=1) as worker:
        assert worker.submit([1]).result().startswith("tvbench-prefetch")
        with pytest.raises(ValueError, match="bad batch"):
            worker.submit([0]).result()
    with Prefetcher(prepare, depth=0) as inline:
        assert inline.submit([1]).result() == threading.current_thread().name
        handle = inline.submit([0])  # prepared lazily, on the caller's request
        with pytest.raises(ValueError, match="bad batch"):
            handle.result()
    with pytest.raises(ValueError, match="prefetch depth"):
        Prefetcher(prepare, depth=-1)
