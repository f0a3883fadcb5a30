"""CC-OCR KIE: parsing, normalisation, field F1 and nTED accuracy vs the official evaluator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tvbench.metrics import aggregate
from tvbench.metrics.kie import (
    FIELD_F1,
    NTED_ACC,
    KieItem,
    field_counts,
    flatten,
    normalize_dict,
    normalize_text,
    nted_accuracy,
    parse_ground_truth,
    parse_prediction,
    score_item,
    subset_acc,
    subset_f1,
)

_OFF = "official-KieEvaluator@fb6187eb"
# Source of every row: KieEvaluator("kie")(preds, gts, dataset="X") of the official CC-OCR code,
# values listed in /work/research/cc_ocr.md §6.2 (ids K1–K13) and re-executed bit-for-bit on
# 2026-11-25 with /tmp/ccocr_check/check.py. (gts by file, raw preds by file, f1_score, acc)
FENCE = "```json\n{}\n```"
OFFICIAL = [
    pytest.param({"a": '{"company":"ABC","total":"10.00"}'},
                 {"a": FENCE.format('{"company":"ABC","total":"10.00"}')},
                 0.99999950000025, 0.9999990000010001, id=f"{_OFF}:K1-fenced"),
    pytest.param({"a": '{"company":"ABC","date":"2020-01-01","total":"10.00"}'},
                 {"a": '{"company":"ABC","date":"2020-01-02","total":"10.00"}'},
                 0.6666664444445185, 0.9523800000009524, id=f"{_OFF}:K2-one-char-off"),
    pytest.param({"a": '{"total":"RM 8.75","name":"TOTAL : 8.75"}'},
                 {"a": '{"total":"ＲＭ８．７５","name":"TOTAL:8.75"}'},
                 0.99999950000025, 0.9999990000010001, id=f"{_OFF}:K3-normalised"),
    pytest.param({"a": '{"company":"ABC","total":"10.00"}'}, {"a": "The company is ABC"},
                 0.0, 0.0, id=f"{_OFF}:K4-unparsable"),
    pytest.param({"a": '{"company":"ABC"}'}, {"a": '```json\n{"company": "ABC"}'},
                 0.0, 0.0, id=f"{_OFF}:K5-unterminated-fence-fails"),
    pytest.param({"a": '{"name":["ABC"]}'}, {"a": '{"name":["ＡＢＣ"]}'},
                 0.0, 0.24999975000025002, id=f"{_OFF}:K6-list-strings-not-normalised"),
    pytest.param({"a": '{"menu":[{"nm":"cake","cnt":"2"},{"nm":"juice","cnt":"1"}],"total":"3"}'},
                 {"a": '{"menu":[{"nm":"cake","cnt":"2"},{"nm":"juice","cnt":"2"}],"total":"3"}'},
                 0.799999840000032, 0.9499990500009501, id=f"{_OFF}:K7-nested"),
    pytest.param({"a": '{"company":"","total":"5"}'}, {"a": '{"company":"","total":"5"}'},
                 0.99999950000025, 0.9999990000010001, id=f"{_OFF}:K8-empty-string-field"),
    pytest.param({"a": '{"total":"5"}'}, {"a": '{"total":"5","tax":"1"}'},
                 0.6666662222225186, 0.0, id=f"{_OFF}:K9-extra-field"),
    pytest.param({"a": '{"total":"5","tax":"1"}'}, {"a": '{"total":"5","tax":null}'},
                 0.499999750000125, 0.0, id=f"{_OFF}:K10-null-is-None"),
    pytest.param({"a": '{"x":"1","y":"2"}', "b": '{"x":"3"}'},
                 {"a": '{"x":"1","y":"9"}', "b": '{"x":"3"}'},
                 0.6666664444445185, 0.8749995625002187, id=f"{_OFF}:K11-micro-over-files"),
    pytest.param({"a": '{"addr":"北京市 海淀区"}'}, {"a": '{"addr":"北京市海淀区"}'},
                 0.9999990000010001, 0.9999990000010001, id=f"{_OFF}:K12-cjk-space"),
    pytest.param({"a": '{"company":"ABC"}', "b": '{"company":"DEF"}'},
                 {"a": '{"company":"ABC"}'},
                 0.6666662222225186, 0.499999750000125, id=f"{_OFF}:K13-missing-file-is-empty"),
]


def _items(gts: dict[str, str], preds: dict[str, str]) -> list[KieItem]:
    return [score_item(preds.get(name, ""), gt) for name, gt in gts.items()]


@pytest.mark.parametrize("gts,preds,f1,acc", OFFICIAL)
def test_official_values(gts: dict[str, str], preds: dict[str, str], f1: float,
                         acc: float) -> None:
    items = _items(gts, preds)
    assert subset_f1(items) == f1
    assert subset_acc(items) == acc


@pytest.mark.parametrize("gts,preds,f1,acc", OFFICIAL)
def test_aggregations_give_the_official_values(gts: dict[str, str], preds: dict[str, str],
                                               f1: float, acc: float) -> None:
    items = _items(gts, preds)
    assert aggregate.score(FIELD_F1, [[i.tp, i.fp_fn] for i in items]) == f1
    assert aggregate.score(NTED_ACC, [[i.acc, 1.0] for i in items]) == pytest.approx(acc,
                                                                                     abs=1e-15)


# normalize_func outputs observed from the official KieEvaluator().normalize_func, listed in
# cc_ocr.md §2.2 and re-printed on 2026-11-25 from the git archive of fb6187eb.
@pytest.mark.parametrize("text,expected", [
    pytest.param(t, e, id=f"official-normalize_func:{t!r}") for t, e in [
        ("RM8.75", "RM 8.75"), ("ＲＭ８．７５", "RM 8.75"), ("TOTAL : 8.75", "TOTAL: 8.75"),
        ("TOTAL:8.75", "TOTAL: 8.75"), ("a , b", "a, b"), ("1 , 2", "1 , 2"),
        ("1,000.50", "1,000.50"), ("Jan.2020", "Jan. 2020"), ("北京市 海淀区", "北京市海淀区"),
        ("北京 ABC 123 路", "北京ABC 123路"), ("A、B", "A, B"), ("ABC.", "ABC. "),
        ("Hello   world !", "Hello world! "), ("\u3000x\u3000y", " x y"),
        ("abc123def", "abc 123 def")]])
def test_normalize_text(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


def test_normalize_dict_semantics() -> None:
    """official normalize_dict({'a':'','b':None,'c':[],'d':[''],'e':7}), cc_ocr.md §2.3."""
    assert normalize_dict({"a": "", "b": None, "c": [], "d": [""], "e": 7}) == {
        "a": [""], "b": ["None"], "e": ["7"]}
    assert list(normalize_dict({"bb": "1", "a": "2", "c": "3"})) == ["a", "c", "bb"]


def test_flatten_loses_list_grouping() -> None:
    """kie_evaluator.py:23-55 docstring example (cc_ocr.md §2.4)."""
    data = {"menu": [{"nm": "cake", "cnt": "2"}, {"nm": "juice", "cnt": "1"}], "total": "3"}
    assert flatten(normalize_dict(data)) == [
        ("menu.nm", "cake"), ("menu.cnt", "2"), ("menu.nm", "juice"), ("menu.cnt", "1"),
        ("total", "3")]


# post_process_to_json outputs re-printed on 2026-11-25 from the official code (cc_ocr.md §6.2)
@pytest.mark.parametrize("text,expected", [
    pytest.param('Sure! ```json\n{"a": "1"}\n``` done', {"a": "1"}, id="official:fenced"),
    pytest.param('```\n{"a": "1"}\n```', None, id="official:plain-fence-fails"),
    pytest.param("{'a': '1'}", None, id="official:python-dict-fails"),
    pytest.param('[{"a": "1"}]', [{"a": "1"}], id="official:top-level-list"),
    pytest.param("123", 123, id="official:scalar"),
    pytest.param('```json {"a":1} ``` ```json {"a":2} ```', {"a": 1}, id="official:first-block"),
    pytest.param("null", None, id="official:null-is-a-failure"),
    pytest.param('{"a":"line1\nline2"}', {"a": "line1line2"}, id="official:newlines-deleted"),
])
def test_parse_prediction(text: str, expected: Any) -> None:
    assert parse_prediction(text) == expected


# (pred, gt, TED(pred, gt), TED(empty, gt), acc) — hand-computed with the Donut costs of the
# official kie_evaluator.py: a node costs 1 to insert or remove, a leaf its length; a leaf
# renamed to a leaf costs their Levenshtein distance, a leaf to a non-leaf 1 + the leaf's
# length, two non-leaves 0 or 1.
HAND = [
    pytest.param({"a": "xz"}, {"a": "xy"}, 1, 3, 1 - 1 / 3, id="hand:leaf-one-char"),
    pytest.param({"b": "xy"}, {"a": "xy"}, 1, 3, 1 - 1 / 3, id="hand:key-renamed"),
    pytest.param({"a": ["y", "x"]}, {"a": ["x", "y"]}, 2, 3, 1 - 2 / 3,
                 id="hand:swapped-leaves=2-renames"),
    pytest.param({"n": "ab"}, {"m": [{"n": "ab"}]}, 2, 5, 1 - 2 / 5,
                 id="hand:inner-nodes-removed-children-kept"),
    pytest.param({"a": {"xy": "q"}}, {"a": "xy"}, 4, 3, 0.0,
                 id="hand:distance-above-gt-size-clamps-to-0"),
]


@pytest.mark.parametrize("pred,gt,ted,ted_empty,acc", HAND)
def test_nted_by_hand(pred: dict, gt: dict, ted: int, ted_empty: int, acc: float) -> None:
    """The costs of the official ``insert_and_remove_cost``/``update_cost`` reach zss."""
    from tvbench.metrics.kie import _ted, _tree

    gt_tree = _tree(normalize_dict(gt))
    assert _ted(_tree(normalize_dict(pred)), gt_tree) == ted
    assert _ted(_tree(normalize_dict({})), gt_tree) == ted_empty
    assert nted_accuracy(pred, gt) == acc


def test_empty_gt_scores_zero_acc() -> None:
    """official cal_acc({}, {}) → 0 (nan clamped by max), cc_ocr.md §6.2 helpers."""
    assert nted_accuracy({}, {}) == 0.0
    assert field_counts({}, {}) == (0, 0)


def test_malformed_ground_truth_raises() -> None:
    with pytest.raises(ValueError):
        parse_ground_truth('{"a": ')


def test_very_long_leaves_have_no_cap() -> None:
    value = "x" * 2500
    item = score_item(json.dumps({"k": value}), json.dumps({"k": value + "y"}))
    assert item.tp == 0 and item.acc == pytest.approx(1 - 1 / 2502)


# ----------------------------------------------------------------- lmms-eval 0.7.3 differential
def _lmms(gts: dict[str, str], preds: dict[str, str]) -> tuple[float, float]:
    from lmms_eval.tasks.cc_ocr.evaluators import kie_metric

    rows = [{"pred": preds.get(n, ""), "gt": g, "subset": "X", "image_name": n}
            for n, g in gts.items()]
    out = kie_metric.compute_track_with_breakdown(rows)["subsets"]["X"]
    return out["f1_score"], float(out["acc"])


@pytest.mark.parametrize("gts,preds,f1,acc", [
    p for p in OFFICIAL if not any(k in p.id for k in ("K5", "K6"))])
def test_lmms_eval_agrees_on_the_official_rows(gts: dict[str, str], preds: dict[str, str],
                                               f1: float, acc: float) -> None:
    assert _lmms(gts, preds) == (f1, pytest.approx(acc, abs=1e-15))


def test_lmms_eval_differs_where_expected() -> None:
    """K5 (lmms repairs an unterminated fence) and K6 (lmms normalises list strings): tvbench
    follows the official code (cc_ocr.md §5); lmms-eval 0.7.3 gives 0.999999… on both."""
    for param in OFFICIAL:
        if "K5" in param.id or "K6" in param.id:
            gts, preds, f1, acc = param.values
            assert subset_f1(_items(gts, preds)) == f1
            assert _lmms(gts, preds)[0] == pytest.approx(0.999999, abs=1e-5)


_VALUES = st.one_of(st.sampled_from(["ABC", "RM8.75", "TOTAL : 1", "北京 市", "", " x ",
                                     "ＡＢ", "a、b"]),
                    st.integers(0, 9), st.none())
_LIST_WORDS = st.lists(st.sampled_from(["abc", "DEF", "12"]), max_size=3)  # normalisation-stable
_KEYS = st.sampled_from(["a", "b", "cc", "menu", "nm"])
_OBJ = st.dictionaries(_KEYS, st.one_of(_VALUES, _LIST_WORDS,
                                        st.lists(st.dictionaries(_KEYS, _VALUES, max_size=2),
                                                 max_size=2)), max_size=4)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_OBJ, _OBJ, st.sampled_from(["raw", "fence", "junk"])), min_size=1,
                max_size=4))
def test_matches_lmms_eval_where_they_agree(cases: list[tuple[dict, dict, str]]) -> None:
    gts, preds = {}, {}
    for k, (gt, pred, style) in enumerate(cases):
        gts[f"f{k}"] = json.dumps(gt, ensure_ascii=False)
        body = json.dumps(pred, ensure_ascii=False)
        preds[f"f{k}"] = {"raw": body, "fence": FENCE.format(body), "junk": "no json"}[style]
    items = _items(gts, preds)
    f1, acc = _lmms(gts, preds)
    assert subset_f1(items) == f1
    assert subset_acc(items) == pytest.approx(acc, abs=1e-12)
