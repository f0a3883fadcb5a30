"""Contrastive accuracy: strict preference, ties and NaN wrong, pairs matched by id."""

from __future__ import annotations

import math
import random

import pytest

from tvbench.metrics.contrastive import contrastive_accuracy, pair_outcomes, prefers_correct


@pytest.mark.parametrize("correct,incorrect,expected", [
    # MatthieuFP/CoMMuTE evaluate.py @e0356524: preds = int(c < i) on perplexities, i.e. the
    # correct candidate must be strictly better; with log-probabilities "better" is higher.
    pytest.param(-1.0, -2.0, True, id="evaluate.py-strictly-better"),
    pytest.param(-2.0, -1.0, False, id="evaluate.py-worse"),
    pytest.param(-1.5, -1.5, False, id="evaluate.py-tie-is-wrong(c<i false)"),
    pytest.param(0.0, -0.0, False, id="signed-zero-tie"),
    pytest.param(math.nan, -5.0, False, id="nan-correct-is-wrong"),
    pytest.param(-5.0, math.nan, False, id="nan-incorrect-is-wrong"),
    pytest.param(-math.inf, -math.inf, False, id="both-impossible"),
    pytest.param(-1.0, -math.inf, False, id="non-finite-is-wrong"),
])
def test_prefers_correct(correct: float, incorrect: float, expected: bool) -> None:
    assert prefers_correct(correct, incorrect) is expected


def test_accuracy_hand_computed_from_official_rule() -> None:
    # Perplexities (official input) -> log-scores by negation; evaluate.py would print
    # mean([1.2<3.4, 5.0<2.0, 2.2<2.2, 1.0<1.1]) = 2/4 = 0.5.
    ppl_c = {"a": 1.2, "b": 5.0, "c": 2.2, "d": 1.0}
    ppl_i = {"a": 3.4, "b": 2.0, "c": 2.2, "d": 1.1}
    acc = contrastive_accuracy({k: -v for k, v in ppl_c.items()},
                               {k: -v for k, v in ppl_i.items()})
    assert acc == 0.5


def test_pairs_are_matched_by_id_not_position() -> None:
    rng = random.Random(3)
    ids = [f"de-{i}-img{i}.png" for i in range(40)]
    good = {k: rng.uniform(-30, -1) for k in ids}
    bad = {k: good[k] + rng.choice([-2.0, 2.0]) for k in ids}
    expected = sum(good[k] > bad[k] for k in ids) / len(ids)
    shuffled = ids[:]
    rng.shuffle(shuffled)
    # Insertion order differs between the two mappings; zipping by position would mispair.
    assert contrastive_accuracy({k: good[k] for k in shuffled},
                                {k: bad[k] for k in reversed(ids)}) == expected
    assert 0.2 < expected < 0.8  # the data is mixed, so a mispairing would show


def test_unpaired_ids_are_an_error() -> None:
    with pytest.raises(ValueError, match="unpaired"):
        pair_outcomes({"a": 1.0, "b": 1.0}, {"a": 0.0, "c": 0.0})


def test_empty_is_nan() -> None:
    assert math.isnan(contrastive_accuracy({}, {}))


def test_inputs_are_not_mutated() -> None:
    good, bad = {"a": 1.0}, {"a": 0.0}
    pair_outcomes(good, bad)
    assert good == {"a": 1.0} and bad == {"a": 0.0}
