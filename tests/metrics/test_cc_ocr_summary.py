"""The official CC-OCR roll-up: subset → track (mean over subsets) → total (mean of tracks)."""

from __future__ import annotations

import pytest

from tvbench.metrics.cc_ocr_summary import (
    HEADLINE,
    OFFICIAL_SUBSETS,
    TRACKS,
    ScoredItem,
    summarize,
    summary_mean,
)
from tvbench.metrics.kie import KieItem
from tvbench.metrics.ocr_f1 import OcrItem

DOC_SUBSETS = list(OFFICIAL_SUBSETS["doc_parsing"])


def _doc_items() -> list[ScoredItem]:
    return [ScoredItem("doc_parsing", s, 1.0 if s.startswith(("formula", "molecular")) else 0.5)
            for s in DOC_SUBSETS]


def test_doc_parsing_track_is_the_mean_over_ten_subsets() -> None:
    """cc_ocr.md §6.4: official summary_multi_exp over the 10 doc_parsing subsets (8 at 0.5,
    formula and molecular at 1.0) prints summary 60.00."""
    out = summarize(_doc_items())["tracks"]["doc_parsing"]
    assert f"{out['scores']['score']:.2f}" == "60.00"
    assert out["scores"]["score"] == (8 * 0.5 + 2 * 1.0) / (10 + 1e-9) * 100
    assert out["complete"] and out["missing_subsets"] == []


def test_lmms_eval_averages_ops_instead() -> None:
    """cc_ocr.md §6.4: lmms-eval 0.7.3 overall_score on the same subsets is 0.7499999984999999
    (mean of 4 op means); the official track number (60.00) weighs subsets equally."""
    from lmms_eval.tasks.cc_ocr.evaluators import doc_parsing_metric

    rows = []
    for s in DOC_SUBSETS:
        op = s.split("_")[0]
        gt = "ab" if op in ("doc", "formula", "molecular") else "<table><tr><td>a</td></tr></table>"
        good = op in ("formula", "molecular")
        rows.append({"pred": gt if good else ("a" if op != "table" else ""), "gt": gt,
                     "subset": s, "op": op})
    # doc: 1 - 1/2 = 0.5; table: "" vs a 1-cell table = 0 (no table) — check lmms's numbers
    out = doc_parsing_metric.compute_track_with_breakdown(rows)
    assert out["ops"]["formula"] == pytest.approx(1.0) and out["ops"]["doc"] == pytest.approx(0.5)
    assert out["overall_score"] == pytest.approx((0.5 + 0.0 + 1.0 + 1.0) / 4, abs=1e-8)
    mine = summarize([ScoredItem("doc_parsing", r["subset"],
                                 {"doc": 0.5, "table": 0.0}.get(r["op"], 1.0)) for r in rows])
    assert mine["tracks"]["doc_parsing"]["scores"]["score"] == pytest.approx(
        (4 * 0.5 + 4 * 0.0 + 2 * 1.0) / 10 * 100)


def test_ocr_track_reports_macro_and_micro_per_subset_and_mean() -> None:
    items = [ScoredItem("multi_lan_ocr", "German", OcrItem(2, 4, 2)),  # F1 2/3
             ScoredItem("multi_lan_ocr", "German", OcrItem(1, 1, 3)),  # F1 1/2
             ScoredItem("multi_lan_ocr", "French", OcrItem(1, 1, 1))]
    out = summarize(items)["tracks"]["multi_lan_ocr"]
    german = out["subsets"]["German"]
    # official values of cc_ocr.md §6.1 O14 (same counts): macro 0.58333…, micro 0.59999…
    assert german["macro_f1"] == pytest.approx(0.5833333323958332 * 100, abs=1e-12)
    assert german["micro_f1"] == pytest.approx(0.5999999993799999 * 100, abs=1e-12)
    assert german["n"] == 2
    expected = (german["macro_f1"] + out["subsets"]["French"]["macro_f1"]) / 100 / (2 + 1e-9)
    assert out["scores"]["macro_f1"] == pytest.approx(expected * 100, abs=1e-12)
    assert out["headline_metric"] == "macro_f1"
    assert not out["complete"] and "Korean" in out["missing_subsets"]
    assert summarize(items)["total"] is None  # only one track


def test_total_is_the_mean_of_the_four_headline_scores() -> None:
    """README leaderboard "Total" = unweighted mean of the 4 track scores (cc_ocr.md §1.5;
    e.g. Gemini (83.25+78.97+62.37+67.28)/4 = 72.97), KIE ranked by f1_score."""
    items = _doc_items() + [
        ScoredItem("multi_scene_ocr", "IC15", OcrItem(1, 2, 1)),
        ScoredItem("multi_lan_ocr", "German", OcrItem(3, 3, 3)),
        ScoredItem("kie", "CORD", KieItem(tp=2, fp_fn=2, acc=0.25)),
    ]
    out = summarize(items)
    heads = [out["tracks"][t]["scores"][HEADLINE[t]] for t in TRACKS]
    assert out["total"] == sum(heads) / 4
    assert out["tracks"]["kie"]["scores"]["f1_score"] == pytest.approx(
        2 / (2 + 1 + 1e-6) / (1 + 1e-9) * 100)
    assert out["tracks"]["kie"]["scores"]["acc"] == pytest.approx(
        0.25 / (1 + 1e-6) / (1 + 1e-9) * 100, rel=1e-12)


def test_summary_mean_epsilon_and_purity() -> None:
    assert summary_mean([]) == 0.0
    assert summary_mean([1.0, 0.0]) == 1.0 / (2 + 1e-9)
    items = _doc_items()
    assert summarize(items) == summarize(items)


def test_official_index_sizes() -> None:
    """Index files at fb6187eb: 2750 + 1500 + 800 + 2008 = 7058 items, 39 subsets."""
    assert sum(len(v) for v in OFFICIAL_SUBSETS.values()) == 39
    assert [sum(v.values()) for v in (OFFICIAL_SUBSETS[t] for t in TRACKS)] == [
        2750, 1500, 800, 2008]
