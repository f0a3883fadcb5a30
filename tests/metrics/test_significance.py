"""Paired bootstrap comparisons and multiple-comparison control."""

from __future__ import annotations

import numpy as np
import pytest

from tvbench.metrics import aggregate, significance
from tvbench.metrics.translation import CORPUS_BLEU, bleu_stats

MEAN = aggregate.MEAN

# Benjamini & Hochberg (1995), J. R. Statist. Soc. B 57(1), §4.1: the fifteen p-values of the
# myocardial-infarction example; at q = 0.05 the procedure rejects the four smallest.
BH_1995 = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240,
           0.4262, 0.5719, 0.6528, 0.7590, 1.000]


@pytest.mark.parametrize("method,p_values,expected", [
    # statsmodels 0.15.0 multipletests(BH_1995, alpha=0.05, method="fdr_bh")[1]
    ("bh", BH_1995, [0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.063857, 0.063857, 0.0645,
                     0.0765, 0.486, 0.581182, 0.714875, 0.753231, 0.813214, 1.0]),
    # statsmodels 0.15.0 multipletests(BH_1995, alpha=0.05, method="holm")[1]
    ("holm", BH_1995, [0.0015, 0.0056, 0.0247, 0.114, 0.2211, 0.278, 0.278, 0.278, 0.3213,
                       1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    # statsmodels 0.15.0 multipletests([.04, .01, .03, .02, .5], method="fdr_bh")[1]
    ("bh", [0.04, 0.01, 0.03, 0.02, 0.5], [0.05, 0.05, 0.05, 0.05, 0.5]),
    # statsmodels 0.15.0 multipletests([.04, .01, .03, .02, .5], method="holm")[1]
    ("holm", [0.04, 0.01, 0.03, 0.02, 0.5], [0.09, 0.05, 0.09, 0.08, 0.5]),
    ("none", [0.04, 0.01], [0.04, 0.01]),
    ("bh", [], []),
])
def test_adjusted_p_values_match_statsmodels(method: significance.Method, p_values: list[float],
                                             expected: list[float]) -> None:
    assert significance.adjust(p_values, method) == pytest.approx(expected, abs=1e-6)


def test_bh_rejects_the_four_smallest_of_the_1995_example() -> None:
    adjusted = significance.adjust(BH_1995, "bh")
    assert [q <= 0.05 for q in adjusted] == [True] * 4 + [False] * 11


def test_adjust_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="method"):
        significance.adjust([0.1], "bonferonni")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        significance.adjust([1.5], "bh")


def _stats(values: np.ndarray) -> list[list[float]]:
    return [aggregate.mean_stats(float(v)) for v in values]


def test_identical_runs_show_no_change() -> None:
    rng = np.random.default_rng(1)
    items = _stats(rng.integers(0, 2, 80))
    cmp = significance.paired_bootstrap(MEAN, {"en": items}, {"en": items})
    assert cmp.delta == 0 and cmp.ci95 == (0.0, 0.0) and cmp.p_value == 1.0
    assert cmp.n == 80 and cmp.resamples == 1000


def test_a_drop_on_every_item_is_significant_and_seeded() -> None:
    base = _stats(np.ones(50))
    cand = _stats(np.r_[np.zeros(25), np.ones(25)])
    cmp = significance.paired_bootstrap(MEAN, {"en": base}, {"en": cand}, resamples=400, seed=7)
    assert cmp.delta == pytest.approx(-0.5)
    assert cmp.p_value == pytest.approx(1 / 401)
    assert cmp.ci95[1] < 0
    again = significance.paired_bootstrap(MEAN, {"en": base}, {"en": cand}, resamples=400,
                                          seed=7)
    assert again == cmp


def test_pairing_removes_item_difficulty_from_the_noise() -> None:
    """Items vary widely in difficulty but the candidate is uniformly 0.02 worse: a paired
    test sees the drop clearly, although the unpaired intervals overlap."""
    rng = np.random.default_rng(3)
    difficulty = rng.uniform(0.1, 0.9, 200)
    cmp = significance.paired_bootstrap(MEAN, {"en": _stats(difficulty)},
                                        {"en": _stats(difficulty - 0.02)})
    assert cmp.ci95[1] < 0 and cmp.p_value < 0.01
    from tvbench.metrics.bootstrap import ci95

    lo_b, _ = ci95(MEAN, _stats(difficulty))
    _, hi_c = ci95(MEAN, _stats(difficulty - 0.02))
    assert hi_c > lo_b


def test_matches_a_brute_force_resampling_loop() -> None:
    """The count-matrix arithmetic equals indexing the items directly, draw for draw (the
    loop draws its indices in the same chunk shapes, so both see the same random stream)."""
    rng = np.random.default_rng(5)
    base, cand = rng.integers(0, 2, 30).astype(float), rng.integers(0, 2, 30).astype(float)
    cmp = significance.paired_bootstrap(MEAN, {"en": _stats(base)}, {"en": _stats(cand)},
                                        resamples=300, seed=11)
    draw = np.random.default_rng(11)
    deltas = []
    chunk = significance._CHUNK
    for size in (chunk, chunk, 300 - 2 * chunk):
        for idx in draw.integers(0, 30, size=(size, 30)):
            deltas.append(cand[idx].mean() - base[idx].mean())
    assert cmp.ci95 == pytest.approx(tuple(np.percentile(deltas, [2.5, 97.5])))
    assert cmp.p_value == (1 + sum(d >= 0 for d in deltas)) / 301


def test_corpus_metrics_are_resampled_at_corpus_level() -> None:
    """For BLEU a resample's score is corpus BLEU of the resampled segments, not a mean."""
    refs = ["the cat sat on the mat", "a dog runs in the park", "two birds fly over a lake",
            "the child reads a book", "an old man walks slowly"]
    hyps_b = ["the cat sat on a mat", "a dog runs in a park", "two birds fly over the lake",
              "the child reads the book", "an old man walks"]
    hyps_c = ["cat on mat", "dog park", "birds lake", "child book", "old man"]
    base = [bleu_stats(h, r) for h, r in zip(hyps_b, refs, strict=True)]
    cand = [bleu_stats(h, r) for h, r in zip(hyps_c, refs, strict=True)]
    cmp = significance.paired_bootstrap(CORPUS_BLEU, {"de": base}, {"de": cand},
                                        resamples=50, seed=2)
    import sacrebleu

    assert cmp.baseline == pytest.approx(sacrebleu.corpus_bleu(hyps_b, [refs]).score)
    assert cmp.candidate == pytest.approx(sacrebleu.corpus_bleu(hyps_c, [refs]).score)
    assert cmp.delta < -20 and cmp.p_value < 0.05


def test_macro_over_languages_pairs_within_each_language() -> None:
    base = {"de": _stats(np.ones(20)), "fr": _stats(np.zeros(20))}
    cand = {"de": _stats(np.ones(20)), "fr": _stats(np.r_[np.ones(10), np.zeros(10)])}
    cmp = significance.paired_bootstrap(MEAN, base, cand, resamples=200)
    assert cmp.baseline == 0.5 and cmp.candidate == 0.75 and cmp.delta == 0.25
    assert cmp.p_value == 1.0 and cmp.ci95[0] > 0


def test_mismatched_items_are_refused() -> None:
    with pytest.raises(ValueError, match="pair them first"):
        significance.paired_bootstrap(MEAN, {"en": _stats(np.ones(3))},
                                      {"en": _stats(np.ones(4))})
    with pytest.raises(ValueError, match="same strata"):
        significance.paired_bootstrap(MEAN, {"en": _stats(np.ones(3))},
                                      {"de": _stats(np.ones(3))})
    with pytest.raises(ValueError, match="statistics"):
        significance.paired_bootstrap(MEAN, {"en": [[1.0, 1.0, 1.0]]}, {"en": [[1.0, 1.0, 1.0]]})


def test_false_positive_rate_under_no_change_is_at_most_alpha() -> None:
    """Pairs of runs that differ only by noise (each item's outcome redrawn from the same
    per-item probability) are flagged at about the nominal rate, not more."""
    rng = np.random.default_rng(2026)
    flagged, trials = 0, 400
    for _ in range(trials):
        prob = rng.uniform(0.2, 0.9, 60)
        base = (rng.uniform(size=60) < prob).astype(float)
        cand = (rng.uniform(size=60) < prob).astype(float)
        cmp = significance.paired_bootstrap(MEAN, {"en": _stats(base)}, {"en": _stats(cand)},
                                            resamples=200, seed=int(rng.integers(1 << 30)))
        flagged += cmp.p_value < 0.05
    assert flagged / trials <= 0.08
