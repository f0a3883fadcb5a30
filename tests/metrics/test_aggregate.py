"""Aggregation from summed statistics, and the seeded bootstrap."""

from __future__ import annotations

import numpy as np
import pytest

from tvbench.metrics import aggregate, bootstrap


def test_mean_and_scaling() -> None:
    stats = [aggregate.mean_stats(x) for x in (1.0, 0.0, 0.5, 0.5)]
    assert aggregate.score(aggregate.MEAN, stats) == 0.5
    assert aggregate.score(aggregate.scaled(aggregate.MEAN, 100), stats) == 50.0
    assert np.isnan(aggregate.score(aggregate.MEAN, []))


def test_scalar_function_is_applied_per_row() -> None:
    ratio = aggregate.from_scalar_function("ratio", 2, lambda s: s[0] / s[1])
    out = ratio.finalize(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert out.tolist() == [0.5, 0.75]


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(0)
    stats = [aggregate.mean_stats(float(x)) for x in rng.integers(0, 2, 200)]
    point = aggregate.score(aggregate.MEAN, stats)
    lo, hi = bootstrap.ci95(aggregate.MEAN, stats)
    assert lo < point < hi and hi - lo < 0.2
    assert bootstrap.ci95(aggregate.MEAN, stats) == (lo, hi)  # same seed, same interval
    assert bootstrap.ci95(aggregate.MEAN, stats[:1]) is None


def test_macro_bootstrap_averages_languages() -> None:
    by_lang = {"de": [aggregate.mean_stats(1.0)] * 5, "fr": [aggregate.mean_stats(0.0)] * 5}
    assert bootstrap.macro_ci95(aggregate.MEAN, by_lang) == pytest.approx((0.5, 0.5))
    constant = {"de": [aggregate.mean_stats(1.0)] * 3}
    assert bootstrap.macro_ci95(aggregate.MEAN, constant) == (1.0, 1.0)


def test_aggregation_is_pure() -> None:
    stats = [aggregate.mean_stats(x) for x in (1.0, 0.0, 1.0)]
    first = aggregate.score(aggregate.MEAN, stats)
    assert aggregate.score(aggregate.MEAN, stats) == first
    assert stats == [[1.0, 1.0], [0.0, 1.0], [1.0, 1.0]]


def test_every_known_aggregation_is_found_by_name_scaled_or_not() -> None:
    for name in aggregate.KNOWN:
        agg = aggregate.by_name(name)
        assert agg is not None and agg.name == name
        scaled = aggregate.by_name(f"{name}x100")
        assert scaled is not None and scaled.width == agg.width
        row = np.ones((1, agg.width))
        assert scaled.finalize(row) == pytest.approx(agg.finalize(row) * 100)
    assert aggregate.by_name("meanx0.5").finalize(np.array([3.0, 1.0])) == 1.5
    for unknown in ("median", "medianx100", "meanx", "x100"):
        assert aggregate.by_name(unknown) is None
