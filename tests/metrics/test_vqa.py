"""VQA accuracy and the EvalAI normaliser, against lmms-eval 0.7.3 (the paper's harness)."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tvbench.metrics.vqa import normalize_evalai, normalize_evalai_clean, vqa_accuracy

# (input, expected) — source for each row in the id.
NORMALISER_TABLE = [
    pytest.param("Two Dogs.", "2 dogs", id="lmms-eval-0.7.3-doc-example:benchmarks.md§5.3"),
    pytest.param("the ten", "10", id="lmms-eval-0.7.3-doc-example:benchmarks.md§5.3"),
    pytest.param("Coca-Cola!", "coca cola", id="lmms-eval-0.7.3-doc-example:benchmarks.md§5.3"),
    # The following rows were produced by lmms_eval 0.7.3 EvalAIAnswerProcessor()(x) on
    # 2026-11-25 and are re-checked live by test_matches_lmms_eval below.
    pytest.param("3.", "3", id="lmms-eval-0.7.3:period-after-digit-stripped(quirk)"),
    pytest.param("3.5", "3.5", id="lmms-eval-0.7.3:decimal-kept"),
    pytest.param("a.b.c", "abc", id="lmms-eval-0.7.3:periods-removed"),
    pytest.param("1,000", "1000", id="lmms-eval-0.7.3:comma-removed-by-word_tokenize"),
    pytest.param("it's", "it 's", id="lmms-eval-0.7.3:possessive-split"),
    pytest.param("dont", "don't", id="lmms-eval-0.7.3:contraction-table"),
    pytest.param("Im", "im", id="lmms-eval-0.7.3:capitalised-contraction-key-unreachable"),
    pytest.param("somebody'd", "somebodyd", id="lmms-eval-0.7.3:inverted-table-entry"),
    pytest.param("." * 40 + "x", "." * 8 + "x", id="lmms-eval-0.7.3:count=re.UNICODE(32)-quirk"),
    pytest.param("yes (left)", "yes left", id="lmms-eval-0.7.3:parens-next-to-space-dropped"),
    pytest.param("a/b", "b", id="lmms-eval-0.7.3:slash-becomes-space-then-article-a-dropped"),
]


@pytest.mark.parametrize("text,expected", NORMALISER_TABLE)
def test_normaliser_table(text: str, expected: str) -> None:
    assert normalize_evalai(text) == expected


def _lmms_processor():
    from lmms_eval.tasks._task_utils.vqa_eval_metric import EvalAIAnswerProcessor

    return EvalAIAnswerProcessor()


@pytest.mark.parametrize("text,expected", NORMALISER_TABLE)
def test_table_matches_lmms_eval(text: str, expected: str) -> None:
    assert _lmms_processor()(text) == expected


_ALPHABET = st.sampled_from(list("aAbt eh'0123456789.,;/[]\"{}()=+\\_-><@`?!\n\tsnoTHE")
                            + ["two", "the ", "dont", "'s", "ten", "an ", "none"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=30).map("".join))
def test_matches_lmms_eval_on_random_strings(text: str) -> None:
    assert normalize_evalai(text) == _lmms_processor()(text)


def test_clean_variant_fixes_the_quirks_and_only_those() -> None:
    assert normalize_evalai_clean("3.") == "3."  # period after a digit is kept
    assert normalize_evalai_clean("." * 40 + "x") == "x"  # no 32-replacement cap
    assert normalize_evalai_clean("Two Dogs.") == normalize_evalai("Two Dogs.")


# (prediction, ten answers, accuracy). Hand-computed from the VQA rule: for each of the ten
# leave-one-out subsets, min(1, matches/3); then the mean (VQA eval, Antol et al. 2015;
# lmms-eval textvqa_process_results).
ACCURACY_TABLE = [
    pytest.param("cafe", ["cafe"] * 10, 1.0, id="all-agree"),
    pytest.param("cafe", ["cafe"] * 3 + ["bar"] * 7, 0.9, id="3-of-10:(3*2/3+7*1)/10"),
    pytest.param("cafe", ["cafe"] * 2 + ["bar"] * 8, 0.6, id="2-of-10:(2*1/3+8*2/3)/10"),
    pytest.param("cafe", ["cafe"] + ["bar"] * 9, 0.3, id="1-of-10:(1*0+9*1/3)/10"),
    pytest.param("cafe", ["bar"] * 10, 0.0, id="none"),
    pytest.param("Two", ["2"] * 4 + ["two dogs"] * 6, 1.0, id="normalised-both-sides"),
    pytest.param("x", [], 0.0, id="no-answers"),
]


@pytest.mark.parametrize("pred,answers,expected", ACCURACY_TABLE)
def test_accuracy_table(pred: str, answers: list[str], expected: float) -> None:
    assert vqa_accuracy(pred, answers) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("pred,answers,expected", ACCURACY_TABLE[:-1])
def test_accuracy_matches_lmms_eval_textvqa(pred: str, answers: list[str],
                                            expected: float) -> None:
    from lmms_eval.tasks.textvqa.utils import textvqa_process_results

    doc = {"question_id": 1, "answers": list(answers)}
    ours = vqa_accuracy(pred, answers)
    theirs = textvqa_process_results(copy.deepcopy(doc), [pred])["exact_match"]
    assert ours == theirs  # exact, not approximate


def test_answers_are_not_mutated() -> None:
    answers = ["Two Dogs.", "cafe"]
    vqa_accuracy("2 dogs", answers)
    assert answers == ["Two Dogs.", "cafe"]
