"""CC-OCR OCR F1 (both OCR tracks) vs the official evaluator's executed values and lmms-eval."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tvbench.metrics import aggregate, bootstrap
from tvbench.metrics.cc_ocr_summary import OFFICIAL_SUBSETS
from tvbench.metrics.ocr_f1 import (
    MACRO_F1,
    MICRO_F1,
    OcrItem,
    macro_f1,
    micro_f1,
    score_item,
    token_config,
    tokenize,
)


def _macro_stats(items: list[OcrItem]) -> list[list[float]]:
    """The per-item statistics the CC-OCR task feeds MACRO_F1: ``[f1_i, 1]``."""
    return [[i.f1, 1.0] for i in items]


def _micro_stats(items: list[OcrItem]) -> list[list[float]]:
    """The per-item statistics the CC-OCR task feeds MICRO_F1: ``[right, n_gt, n_pred]``."""
    return [[float(i.right), float(i.n_gt), float(i.n_pred)] for i in items]

# Source of every row: the official OcrEvaluator(group)(preds, gts, dataset=subset) at
# AlibabaResearch/AdvancedLiterateMachinery@fb6187eb, values as listed in
# /work/research/cc_ocr.md §6.1 (case ids O1–O17) and re-executed bit-for-bit on 2026-11-25
# with /tmp/ccocr_check/check.py (git archive of the official evaluator + this venv).
# (track, subset, [(gt, pred), ...], macro_f1_score, mirco_f1_score)
OFFICIAL = [
    pytest.param("multi_scene_ocr", "IC15", [("Hello, World! 2024", "hello world 2025")],
                 0.6666666652777776, 0.6666666659444443, id="official:cc_ocr.md§6.1-O1"),
    pytest.param("multi_lan_ocr", "French", [("Bonjour, le monde", "bonjour le monde")],
                 0.6666666652777776, 0.6666666659444443, id="official:O2-comma-kept-multilan"),
    pytest.param("multi_scene_ocr", "IC15", [("Bonjour, le monde", "bonjour le monde")],
                 0.9999999981666665, 0.9999999991666666, id="official:O3-alnum-scene"),
    pytest.param("multi_scene_ocr", "zh_scene", [("你好 世界", "你好世")],
                 0.8571428555510203, 0.8571428564081632, id="official:O4-zh-char"),
    pytest.param("multi_lan_ocr", "Japanese",
                 [("リンゴ バナナ オレンジ", "リンゴ バ ナナ"), ("猫 犬", "猫 犬 鳥")],
                 0.7749999989312499, 0.7619047613424036, id="official:O5-ja-char"),
    pytest.param("multi_lan_ocr", "Japanese",
                 [("こんにちは\u3000世界", "こんにちわ世界"),
                  ("吾輩は猫である。名前はまだ無い。", "吾輩は猫である。名前はまだ無 い。")],
                 0.9285714275146683, 0.9565217385888468, id="official:O6-u3000-whitespace"),
    pytest.param("multi_lan_ocr", "German", [("ein zwei drei", "")], 0.0, 0.0,
                 id="official:O7-empty-pred"),
    pytest.param("multi_lan_ocr", "German", [("", "")], 0.0, 0.0,
                 id="official:O9-empty-gt-and-pred-is-0"),
    pytest.param("multi_lan_ocr", "Spanish", [("la la casa", "la la la casa casa")],
                 0.7499999985937498, 0.7499999993437498, id="official:O10-multiset"),
    pytest.param("multi_scene_ocr", "TotalText", [("Café Noël", "cafe noel")], 0.0, 0.0,
                 id="official:O11-alnum-deletes-accents"),
    pytest.param("multi_lan_ocr", "French", [("Café Noël", "cafe noel")], 0.0, 0.0,
                 id="official:O12"),
    pytest.param("multi_scene_ocr", "IC15", [("###\tSTOP\nnow***", "stop now")],
                 0.9999999979999998, 0.9999999989999999, id="official:O13-###-***"),
    pytest.param("multi_lan_ocr", "Italian",
                 [("uno due tre quattro", "uno due"), ("cinque", "cinque sei sette")],
                 0.5833333323958332, 0.5999999993799999, id="official:O14-macro-vs-micro"),
    pytest.param("multi_lan_ocr", "Arabic", [("مرحبا بك", "مرحبا")],
                 0.8333333318749999, 0.8333333327083333, id="official:O15-ar-char"),
    pytest.param("multi_scene_ocr", "IAM", [("A - B", "a b")],
                 0.9999999979999998, 0.9999999989999999, id="official:O16-dash-token-dropped"),
    pytest.param("multi_lan_ocr", "Russian", [("Привет мир", "привет мир")],
                 0.9999999979999998, 0.9999999989999999, id="official:O17-unicode-lower"),
]


@pytest.mark.parametrize("track,subset,pairs,macro,micro", OFFICIAL)
def test_official_values(track: str, subset: str, pairs: list[tuple[str, str]], macro: float,
                         micro: float) -> None:
    cfg = token_config(track, subset)
    items = [score_item(pred, gt, cfg) for gt, pred in pairs]
    assert macro_f1(items) == macro  # exact: the 1e-9 epsilons are reproduced
    assert micro_f1(items) == micro


@pytest.mark.parametrize("track,subset,pairs,macro,micro", OFFICIAL)
def test_aggregations_give_the_official_subset_values(track: str, subset: str,
                                                      pairs: list[tuple[str, str]], macro: float,
                                                      micro: float) -> None:
    cfg = token_config(track, subset)
    items = [score_item(pred, gt, cfg) for gt, pred in pairs]
    assert aggregate.score(MACRO_F1, _macro_stats(items)) == pytest.approx(
        macro, abs=1e-15)
    assert aggregate.score(MICRO_F1, _micro_stats(items)) == micro


def test_missing_prediction_scores_like_empty() -> None:
    """official:cc_ocr.md§6.1-O8: a missing key is scored as "" (ocr_evaluator.py:94)."""
    cfg = token_config("multi_lan_ocr", "German")
    assert score_item("", "ein zwei drei", cfg) == OcrItem(0, 3, 0)


# Expected switches per subset, from ocr_evaluator.py:82-90 as tabulated in cc_ocr.md §1.1.
def _expected(track: str, subset: str) -> str:
    char = subset in ("Arabic", "Japanese", "Korean") or subset.startswith("zh")
    if char:
        return "char"
    return "word+alnum" if track == "multi_scene_ocr" else "word"


@pytest.mark.parametrize("track,subset", [(t, s) for t in ("multi_scene_ocr", "multi_lan_ocr")
                                          for s in OFFICIAL_SUBSETS[t]])
def test_token_config_for_every_real_subset(track: str, subset: str) -> None:
    assert token_config(track, subset).describe() == _expected(track, subset)


def test_zh_rule_is_a_substring_test_as_upstream() -> None:
    assert not token_config("multi_scene_ocr", "my_zh_set").word_level  # "zh" in name


@pytest.mark.parametrize("text,track,subset,tokens", [
    pytest.param("  Hello,\tWorld!\n2024 ", "multi_scene_ocr", "IC15",
                 ["hello", "world", "2024"], id="official:cc_ocr.md§1.2-word-alnum"),
    pytest.param("Bonjour, le monde", "multi_lan_ocr", "French", ["bonjour,", "le", "monde"],
                 id="official:cc_ocr.md§1.2-punct-attached"),
    pytest.param("你好 世界。", "multi_scene_ocr", "zh_doc", ["你", "好", "世", "界", "。"],
                 id="official:cc_ocr.md§1.2-char-keeps-punct"),
    pytest.param("a\u00a0b", "multi_lan_ocr", "German", ["a", "b"],
                 id="official:cc_ocr.md§1.2-nbsp-is-whitespace"),
    pytest.param("###", "multi_lan_ocr", "German", [], id="official:cc_ocr.md§1.4-###-empty"),
])
def test_tokenize(text: str, track: str, subset: str, tokens: list[str]) -> None:
    assert tokenize(text, token_config(track, subset)) == tokens


def test_epsilon_edge_cases() -> None:
    perfect = OcrItem(5, 5, 5)
    assert perfect.f1 < 1.0 and perfect.f1 == pytest.approx(1.0, abs=1e-8)
    assert OcrItem(0, 0, 0).f1 == 0.0  # empty GT + empty prediction → 0, not 1
    assert macro_f1([]) == 0.0 and micro_f1([]) == 0.0


def test_micro_f1_bootstraps_from_count_vectors() -> None:
    items = [OcrItem(3, 4, 5), OcrItem(1, 1, 1), OcrItem(0, 2, 3), OcrItem(2, 2, 2)]
    stats = _micro_stats(items)
    point = aggregate.score(MICRO_F1, stats)
    assert point == micro_f1(items)
    lo, hi = bootstrap.ci95(MICRO_F1, stats)  # type: ignore[misc]
    assert 0.0 <= lo <= point <= hi <= 1.0
    # a micro F1 is not the mean of item F1s: the two aggregations must disagree here
    assert point != pytest.approx(aggregate.score(MACRO_F1, _macro_stats(items)))


# ----------------------------------------------------------------- lmms-eval 0.7.3 differential
_WORDS = st.sampled_from(["la", "La", "casa,", "Café", "###", "***", "2024", "你好", "世界", "-",
                          "\t", "\n", " ", "\u3000", "ＡＢ", "привет"])
_TEXT = st.lists(_WORDS, max_size=10).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([("multi_scene_ocr", "IC15"), ("multi_scene_ocr", "zh_dense"),
                        ("multi_lan_ocr", "German"), ("multi_lan_ocr", "Korean"),
                        ("multi_lan_ocr", "Arabic")]),
       st.lists(st.tuples(_TEXT, _TEXT), min_size=1, max_size=5))
def test_matches_lmms_eval_ocr_metric(where: tuple[str, str],
                                      pairs: list[tuple[str, str]]) -> None:
    """lmms-eval's ocr_metric agrees with the official code on every real subset name."""
    from lmms_eval.tasks.cc_ocr.evaluators import ocr_metric

    track, subset = where
    rows = [{"pred": p, "gt": g, "subset": subset, "track": track, "image_name": f"i{k}"}
            for k, (g, p) in enumerate(pairs)]
    theirs = ocr_metric.compute_track_with_breakdown(rows)["subsets"][subset]
    cfg = token_config(track, subset)
    items = [score_item(p, g, cfg) for g, p in pairs]
    assert macro_f1(items) == theirs["macro_f1"]
    assert micro_f1(items) == theirs["micro_f1"]
