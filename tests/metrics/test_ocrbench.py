"""OCRBench substring scoring and per-type totals: ``protocol="lmms-eval"`` against lmms-eval
0.7.3, live; the paper protocol (the authors' fork) is checked against its fixture in
tests/tasks/test_paper_scoring.py."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tvbench.metrics.aggregate import score
from tvbench.metrics.ocrbench import (
    CATEGORIES,
    SUM,
    category_totals,
    fold_fullwidth_ascii,
    ocrbench_hit,
)

_LMMS = "lmms-eval-0.7.3:ocrbench_process_results,run-2026-11-25"
# (prediction, dataset, answers, expected hit). Every row's value was printed by
# lmms_eval.tasks.ocrbench.utils.ocrbench_process_results(deepcopy(doc), [pred]) on 2026-11-25
# and is re-checked live by test_table_matches_lmms_eval.
HIT_TABLE = [
    pytest.param("CENTRE", "IIIT5K", ["CENTRE"], 1, id=f"{_LMMS}:exact"),
    pytest.param("The word is centre.", "IIIT5K", ["CENTRE"], 1, id=f"{_LMMS}:substring+case"),
    pytest.param("CENTER", "IIIT5K", ["CENTRE"], 0, id=f"{_LMMS}:miss"),
    pytest.param("ＣＥＮＴＲＥ", "IIIT5K", ["CENTRE"], 1, id=f"{_LMMS}:fullwidth-fold"),
    pytest.param("Chatswood, Epping", "STVQA", ["Chatswood Epping", "Chatswood, Epping"], 1,
                 id=f"{_LMMS}:second-answer-hits"),
    pytest.param("chatswood\nepping", "STVQA", ["Chatswood Epping"], 1,
                 id=f"{_LMMS}:newline-to-space"),
    pytest.param("y_{2}=-1", "HME100k", ["y _ { 2 } = - 1\n", "y_2 = - 1\n"], 1,
                 id=f"{_LMMS}:hme-spaces-removed"),
    pytest.param("Y_{2}=-1", "HME100k", ["y _ { 2 } = - 1\n"], 0, id=f"{_LMMS}:hme-case-kept"),
    pytest.param("$$y_2 = -1$$", "HME100k", ["y_2 = - 1\n"], 1, id=f"{_LMMS}:hme-substring"),
    pytest.param("abc", "x", [], 0, id=f"{_LMMS}:no-answers"),
    pytest.param("5743 ", "ORAND", "5743", 1, id=f"{_LMMS}:string-answer"),
    pytest.param("anything", "x", [""], 1, id=f"{_LMMS}:empty-gt-is-substring"),
    pytest.param("a\u3000b", "x", ["a b"], 1, id=f"{_LMMS}:ideographic-space-fold"),
    pytest.param("x", "x", ["Ｘ"], 1, id=f"{_LMMS}:fullwidth-gt-folded"),
]


def _lmms_hit(prediction: str, answers: object, dataset: str) -> int:
    from lmms_eval.tasks.ocrbench.utils import ocrbench_process_results

    doc = {"answer": answers, "dataset": dataset, "question_type": "Doc-oriented VQA"}
    out = ocrbench_process_results(copy.deepcopy(doc), [prediction])
    return int(out["ocrbench_accuracy"]["score"])


@pytest.mark.parametrize("prediction,dataset,answers,expected", HIT_TABLE)
def test_hit_table(prediction: str, dataset: str, answers: list[str], expected: int) -> None:
    assert ocrbench_hit(prediction, answers, dataset, "lmms-eval") == expected


@pytest.mark.parametrize("prediction,dataset,answers,expected", HIT_TABLE)
def test_table_matches_lmms_eval(prediction: str, dataset: str, answers: list[str],
                                 expected: int) -> None:
    assert _lmms_hit(prediction, answers, dataset) == expected


_CHARS = st.sampled_from(list("aAbB cC\n\t1２ＡＢａｂ\u3000{}_-=") + ["y _ { 2 }", "Ｙ"])
_TEXT = st.lists(_CHARS, max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(_TEXT, st.lists(_TEXT, max_size=3), st.sampled_from(["HME100k", "IIIT5K", "docVQA"]))
def test_matches_lmms_eval_on_random_items(pred: str, answers: list[str], dataset: str) -> None:
    assert ocrbench_hit(pred, answers, dataset, "lmms-eval") == _lmms_hit(pred, answers, dataset)


def test_lmms_eval_does_not_mutate_a_copied_doc_and_neither_do_we() -> None:
    answers = ["CENTRE"]
    ocrbench_hit("centre", answers, "IIIT5K")
    assert answers == ["CENTRE"]


def test_paper_protocol_is_the_forks_rule() -> None:
    # the fork (lmms-eval v0.3 era): no fold, so full-width never matches
    assert ocrbench_hit("ＣＥＮＴＲＥ", ["CENTRE"], "IIIT5K", "paper") == 0
    assert ocrbench_hit("centre", ["CENTRE"], "IIIT5K", "paper") == 1
    # the prediction is lower-cased before the HME100k branch, the GT is not
    assert ocrbench_hit("Y_{2}=-1", ["Y _ { 2 } = - 1"], "HME100k", "paper") == 0
    assert ocrbench_hit("Y_{2}=-1", ["y _ { 2 } = - 1"], "HME100k", "paper") == 1
    # HME100k never folds (lmms-eval 0.7.3 applies the fold only in the non-HME branch)
    assert ocrbench_hit("ｘ", ["x"], "HME100k", "lmms-eval") == 0
    with pytest.raises(ValueError, match="protocol"):
        ocrbench_hit("x", ["x"], "IIIT5K", "v0.3")


def test_fold_is_only_fullwidth_ascii_and_ideographic_space() -> None:
    assert fold_fullwidth_ascii("ＡＢＣ！～\u3000ｱ①") == "ABC!~ ｱ①"  # no NFKC: ｱ, ① stay


def test_category_totals_report() -> None:
    pairs = [("Regular Text Recognition", 1), ("Regular Text Recognition", 0),
             ("Doc-oriented VQA", 1), ("Handwritten Mathematical Expression Recognition", 1)]
    out = category_totals(pairs)
    cats = out["categories"]
    assert list(cats)[:10] == list(CATEGORIES)  # type: ignore[arg-type]
    assert cats["Regular Text Recognition"] == {"hits": 1, "n": 2}  # type: ignore[index]
    assert out["text_recognition"] == 1
    assert out["final_score"] == 3 and out["n"] == 4


def test_aggregation_is_pure_unlike_lmms_eval(monkeypatch: pytest.MonkeyPatch) -> None:
    """lmms-eval's module-level OCRBench_score double-counts on a second call; ours does not."""
    pairs = [("Regular Text Recognition", 1), ("Scene Text-centric VQA", 1)]
    first = category_totals(pairs)
    assert category_totals(pairs) == first
    assert score(SUM, [[1.0], [0.0], [1.0]]) == 2.0
    assert score(SUM, [[1.0], [0.0], [1.0]]) == 2.0

    import lmms_eval.tasks.ocrbench.utils as lmms

    saved = dict(lmms.OCRBench_score)
    try:
        results = [{"question_type": q, "score": s} for q, s in pairs]
        monkeypatch.setattr(lmms, "generate_submission_file", lambda *a, **k: "/dev/null")
        once = lmms.ocrbench_aggregate_accuracy(results, None)
        twice = lmms.ocrbench_aggregate_accuracy(results, None)
        assert twice == 2 * once  # the upstream bug the pure version avoids
    finally:
        lmms.OCRBench_score.clear()
        lmms.OCRBench_score.update(saved)
