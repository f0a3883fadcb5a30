"""TEDS for CC-OCR tables vs the official evaluator's executed values and lmms-eval's TEDS."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tvbench.metrics.teds import clean_tables, strip_html_fence, table_score, teds, to_halfwidth

T = "<table><tr><td>a</td><td>b</td></tr></table>"
_OFF = "official-evaluate_single_table_sample@fb6187eb"
# Source: ParsingEvaluator.evaluate_single_table_sample(gt, pred) of the official CC-OCR code,
# listed in /work/research/cc_ocr.md §6.3 (ids T1–T15) and re-executed bit-for-bit on
# 2026-11-25 with /tmp/ccocr_check/check.py. (gt, pred, TEDS)
OFFICIAL = [
    pytest.param(T, '```html\n<table border="1">\n <tr>\n  <td>a</td>\n  <td>b</td>\n </tr>\n'
                    '</table>\n```', 1.0, id=f"{_OFF}:T1-fence-attrs-whitespace"),
    pytest.param(T, "<table><tr><td>a</td><td>c</td></tr></table>", 0.6666666666666667,
                 id=f"{_OFF}:T2-one-cell"),
    pytest.param("<table><tr><td>abc</td></tr></table>",
                 "<table><tr><td>abd</td></tr></table>", 0.8333333333333334,
                 id=f"{_OFF}:T3-partial-cell"),
    pytest.param(T, "<table><tr><td>a</td></tr></table>", 0.6666666666666667,
                 id=f"{_OFF}:T4-missing-cell"),
    pytest.param('<table><tr><td colspan="2">a</td></tr><tr><td>b</td><td>c</td></tr></table>',
                 "<table><tr><td>a</td><td></td></tr><tr><td>b</td><td>c</td></tr></table>",
                 0.6666666666666667, id=f"{_OFF}:T5-colspan"),
    pytest.param(T, "a | b", 0.0, id=f"{_OFF}:T6-no-table"),
    pytest.param(T, "<table><tr><td>a</td><td>b</td></tr>", 1.0, id=f"{_OFF}:T7-unclosed"),
    pytest.param("<table><tr><td>a b</td><td>1</td></tr></table>",
                 "<table><tr><td>ab</td><td>１</td></tr></table>", 1.0,
                 id=f"{_OFF}:T8-spaces-and-halfwidth"),
    pytest.param("<table><tr><th>x</th></tr><tr><td>a</td></tr></table>",
                 "<table><tr><th>y</th></tr><tr><td>a</td></tr></table>", 1.0,
                 id=f"{_OFF}:T9-th-text-ignored"),
    pytest.param(T, "<table><tbody><tr><td>a</td><td>b</td></tr></tbody></table>", 0.75,
                 id=f"{_OFF}:T10-tbody-is-a-node"),
    pytest.param("<table><tr><td>ab</td></tr></table>",
                 "<table><tr><td><b>ab</b></td></tr></table>", 0.8333333333333334,
                 id=f"{_OFF}:T11-inline-tags-in-content"),
    pytest.param(T, T + "<table><tr><td>zzz</td></tr></table>", 1.0,
                 id=f"{_OFF}:T12-first-table-only"),
    pytest.param(T, "```html\n" + T, 1.0, id=f"{_OFF}:T13-unclosed-fence"),
    pytest.param(T, "| a | b |\n|---|---|", 0.0, id=f"{_OFF}:T14-markdown"),
    pytest.param("<table><tr><td>1,2</td></tr></table>",
                 "<table><tr><td>1，2</td></tr></table>", 1.0, id=f"{_OFF}:T15-fullwidth-comma"),
]


@pytest.mark.parametrize("gt,pred,expected", OFFICIAL)
def test_official_values(gt: str, pred: str, expected: float) -> None:
    assert table_score(pred, gt) == expected


def test_cleanup_steps() -> None:
    """extract_and_clean_tables / convert_to_halfwidth behaviour described in cc_ocr.md §3.3."""
    assert clean_tables('<p>x</p><table class="c">\n <tr> <td> a b </td></tr></table>') == (
        "<table><tr><td>ab</td></tr></table>")
    assert clean_tables("no table") == ""
    assert to_halfwidth("ＡＢ１，\u3000。、") == "AB1,\u3000。、"  # U+3000, 。 and 、 untouched
    assert strip_html_fence("x ```html<t>``` y") == "<t>"


def test_inputs_the_official_code_crashes_on() -> None:
    """Both tables empty divides by zero upstream (ZeroDivisionError, re-run 2026-11-25);
    tvbench scores 0.0. A prediction with a non-integer colspan makes int() raise upstream."""
    assert table_score("<table></table>", "<table></table>") == 0.0
    assert table_score('<table><tr><td colspan="x">a</td></tr></table>', T) == 0.0
    with pytest.raises(ValueError):
        table_score(T, '<table><tr><td colspan="x">a</td></tr></table>')


# ------------------------------------------------ lmms-eval 0.7.3's TEDS (ocrbench_v2) differential
@pytest.fixture
def lmms_teds(monkeypatch: pytest.MonkeyPatch) -> Iterator[type]:
    """lmms-eval's TEDS class, importable once its optional Levenshtein packages are stubbed.

    The venv lacks ``distance``/``editdistance``/``Levenshtein`` (cc_ocr.md §3.8); the stubs
    route the rename cost to ``nltk.edit_distance``, which is what the official code calls.
    """
    nltk = pytest.importorskip("nltk")
    for name in ("distance", "editdistance", "Levenshtein"):
        if name not in sys.modules:
            stub = types.ModuleType(name)
            stub.levenshtein = nltk.edit_distance  # type: ignore[attr-defined]
            stub.eval = nltk.edit_distance  # type: ignore[attr-defined]
            stub.distance = nltk.edit_distance  # type: ignore[attr-defined]
            monkeypatch.setitem(sys.modules, name, stub)
    monkeypatch.delitem(sys.modules, "lmms_eval.tasks.ocrbench_v2.TEDS_metric", raising=False)
    from lmms_eval.tasks.ocrbench_v2.TEDS_metric import TEDS

    yield TEDS
    sys.modules.pop("lmms_eval.tasks.ocrbench_v2.TEDS_metric", None)


@pytest.mark.parametrize("gt,pred,expected", OFFICIAL)
def test_lmms_eval_eval_table_agrees(lmms_teds: type, gt: str, pred: str,
                                     expected: float) -> None:
    from lmms_eval.tasks.cc_ocr.evaluators.doc_parsing_metric import _eval_table

    assert _eval_table(pred, gt) == expected


_CELL = st.sampled_from(["a", "b c", "１", "", "<b>x</b>", "x y z", "1,2"])
_SPAN = st.sampled_from(["", ' colspan="2"', ' rowspan="2"'])
_ROW = st.lists(st.tuples(st.sampled_from(["td", "td", "th"]), _SPAN, _CELL), max_size=3).map(
    lambda cells: "<tr>" + "".join(f"<{t}{s}>{c}</{t}>" for t, s, c in cells) + "</tr>")
_TABLE = st.lists(_ROW, max_size=3).map(lambda rows: "<table>" + "".join(rows) + "</table>")


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # the fixture is read-only
@given(_TABLE, _TABLE)
def test_teds_matches_lmms_eval_teds(lmms_teds: type, gt: str, pred: str) -> None:
    pred_html, gt_html = (f"<html><body>{x}</body></html>" for x in (pred, gt))
    try:
        theirs = lmms_teds(structure_only=False, n_jobs=1).evaluate(pred_html, gt_html)
    except ZeroDivisionError:  # two empty tables: upstream divides by zero, tvbench says 0.0
        theirs = 0.0
    assert teds(pred_html, gt_html) == theirs
