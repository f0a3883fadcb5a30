"""Corpus BLEU/chrF from per-item sacrebleu statistics: equal to sacrebleu, bootstrap-able."""

from __future__ import annotations

import numpy as np
import pytest
import sacrebleu
from sacrebleu.metrics import BLEU, CHRF

from tvbench.metrics import aggregate, bootstrap
from tvbench.metrics.translation import (
    BLEU_WIDTH,
    CHRF_WIDTH,
    CORPUS_BLEU,
    CORPUS_CHRF,
    bleu_from_stats,
    bleu_signature,
    bleu_stats,
    chrf_signature,
    chrf_stats,
)
from tvbench.runs import signature


def corpus_bleu(hyps: list[str], refs: list[list[str]], lang: str = "") -> float:
    """Our corpus BLEU: per-item stats summed, then sacrebleu's finalize."""
    stats = [bleu_stats(h, [stream[i] for stream in refs], lang) for i, h in enumerate(hyps)]
    return aggregate.score(CORPUS_BLEU, stats)


def corpus_chrf(hyps: list[str], refs: list[list[str]]) -> float:
    stats = [chrf_stats(h, [stream[i] for stream in refs]) for i, h in enumerate(hyps)]
    return aggregate.score(CORPUS_CHRF, stats)


# --- known-good values from sacrebleu's own test suite --------------------------------------
# mjpost/sacrebleu test/test_bleu.py @2ae13669 (test_corpus_bleu_cases: README example, 2 refs)
_REFS = [
    ["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
    ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."],
]
_HYPS = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."]


@pytest.mark.parametrize("hyps,refs,expected", [
    pytest.param(_HYPS, _REFS, 48.530827, id="sacrebleu-test_bleu.py-default-13a"),
    pytest.param(["", "", ""], _REFS, 0.0, id="sacrebleu-test_bleu.py-empty-hyps-kept"),
])
def test_corpus_bleu_matches_sacrebleu_test_suite(hyps, refs, expected) -> None:
    assert abs(corpus_bleu(hyps, refs) - expected) < 1e-6  # upstream EPSILON is 1e-8 on /100


def test_bleu_finalize_matches_sacrebleu_test_scoring() -> None:
    # mjpost/sacrebleu test/test_bleu.py @2ae13669 test_case_scoring: counts [9,7,5,3],
    # totals [10,8,6,4], sys_len 11, ref_len 11 -> 0.8375922397 (x100 here).
    stats = [11, 11, 9, 7, 5, 3, 10, 8, 6, 4]
    assert abs(bleu_from_stats(stats) / 100 - 0.8375922397) < 1e-8


# mjpost/sacrebleu test/test_chrf.py @0dca9d48 test_cases_effective_order (default chrF:
# eps_smoothing=False). The file runs them with beta=3; these rows have precision == recall
# at every order, so the F-score is the same at sacrebleu's default beta=2.
@pytest.mark.parametrize("hyps,refs,expected", [
    pytest.param(["a"], ["a"], 100.0, id="test_chrf.py-a-a"),
    pytest.param([""], ["reference"], 0.0, id="test_chrf.py-empty"),
    pytest.param(["a b c"], ["a b c"], 100.0, id="test_chrf.py-abc-spaced"),
    pytest.param(["a b c"], ["abc"], 100.0, id="test_chrf.py-whitespace-ignored"),
    pytest.param([""], ["c"], 0.0, id="test_chrf.py-empty-c"),
    pytest.param(["a", "b"], ["a", "c"], 50.0, id="test_chrf.py-two-segments"),
    pytest.param(["aa"], ["ab"], 25.0, id="test_chrf.py-aa-ab"),
])
def test_corpus_chrf_matches_sacrebleu_test_suite(hyps, refs, expected) -> None:
    assert abs(corpus_chrf(hyps, [refs]) - expected) < 1e-4  # upstream EPSILON


# --- values computed with sacrebleu 2.6.0 ---------------------------------------------------
# Call: sacrebleu.corpus_bleu(hyps, [refs]).score and sacrebleu.corpus_chrf(hyps, [refs]).score,
# sacrebleu 2.6.0 in /work/main/.venv, run 2026-11-25. Hypotheses hand-written paraphrases of
# the bundled Multi30K sample references (the fr set includes an empty hypothesis).
MT_TABLE = {
    "de": (["Ein Mann mit orangefarbenem Hut starrt etwas an.", "Zwei Hunde laufen im Schnee.",
            "Ein Mädchen klettert über einen Zaun aus Holz."],
           ["Ein Mann mit einem orangefarbenen Hut, der etwas anstarrt.",
            "Zwei Hunde rennen durch den Schnee.",
            "Ein kleines Mädchen klettert auf einen Holzzaun."],
           11.854084943291747, 52.57591819694556),
    "fr": (["Un homme portant un chapeau orange regarde quelque chose.",
            "Deux chiens courent dans la neige.", ""],
           ["Un homme avec un chapeau orange regarde quelque chose.",
            "Deux chiens courent dans la neige.", "Une petite fille escalade une clôture en bois."],
           48.405941091868016, 63.68301951085281),
    "cs": (["Muž v oranžovém klobouku něco pozoruje.", "Dva psi běží ve sněhu.",
            "Holčička leze na plot."],
           ["Muž v oranžovém klobouku se na něco dívá.", "Dva psi běží sněhem.",
            "Malá holčička leze na dřevěný plot."],
           26.823011700306623, 59.37516821154656),
}


@pytest.mark.parametrize("lang", sorted(MT_TABLE))
def test_recorded_sacrebleu_values(lang: str) -> None:
    hyps, refs, bleu, chrf = MT_TABLE[lang]
    assert corpus_bleu(hyps, [refs], lang) == pytest.approx(bleu, abs=1e-9)
    assert corpus_chrf(hyps, [refs]) == pytest.approx(chrf, abs=1e-9)


@pytest.mark.parametrize("lang", sorted(MT_TABLE))
def test_exactly_equal_to_sacrebleu_corpus_functions(lang: str) -> None:
    """Bit-for-bit: summing per-item stats is what sacrebleu does internally."""
    hyps, refs, _, _ = MT_TABLE[lang]
    assert corpus_bleu(hyps, [refs], lang) == sacrebleu.corpus_bleu(hyps, [refs]).score
    assert corpus_chrf(hyps, [refs]) == sacrebleu.corpus_chrf(hyps, [refs]).score


def test_exact_equality_over_many_random_corpora() -> None:
    rng = np.random.default_rng(7)
    words = "ein der die das Mann Frau Hund Katze läuft sitzt auf dem im Park . , !".split()
    for _ in range(25):
        n = int(rng.integers(1, 12))
        refs = [" ".join(rng.choice(words, int(rng.integers(1, 12)))) for _ in range(n)]
        hyps = [" ".join(rng.choice(words, int(rng.integers(0, 12)))) for _ in range(n)]
        assert corpus_bleu(hyps, [refs], "de") == sacrebleu.corpus_bleu(hyps, [refs]).score
        assert corpus_chrf(hyps, [refs]) == sacrebleu.corpus_chrf(hyps, [refs]).score


def _edge_rows(width: int) -> list[list[float]]:
    """All-zero, one order empty, only higher orders matching, a short system: the branches
    of sacrebleu's formulas (brevity penalty, exp smoothing, the early break, eps cases)."""
    rows = [[0.0] * width]
    if width == BLEU_WIDTH:
        rows += [[5, 9, 4, 2, 0, 0, 5, 4, 3, 2], [3, 3, 0, 1, 0, 0, 3, 2, 1, 0],
                 [0, 4, 0, 0, 0, 0, 0, 0, 0, 0], [12, 7, 3, 0, 1, 0, 12, 11, 10, 9],
                 [2, 2, 2, 1, 0, 0, 2, 1, 0, 0]]
    else:
        rows += [[3, 0, 0] * 6, [0, 3, 0] * 6, [4, 4, 4] + [0, 0, 0] * 5,
                 [5, 7, 2, 4, 6, 1] + [0, 5, 0] * 4]
    return [[float(x) for x in r] for r in rows]


@pytest.mark.parametrize("agg,width,sacre", [
    (CORPUS_BLEU, BLEU_WIDTH, BLEU()), (CORPUS_CHRF, CHRF_WIDTH, CHRF())], ids=["bleu", "chrf"])
def test_corpus_formulas_return_sacrebleus_floats_bit_for_bit(agg, width, sacre) -> None:
    """tvbench restates sacrebleu's corpus formulas to make the bootstrap fast; every
    summed-statistics row, resampled or not, must give the float sacrebleu gives."""
    rng = np.random.default_rng(11)
    totals = rng.integers(0, 60, size=(3000, width)).astype(float)
    matches = np.floor(totals * rng.random(totals.shape))
    rows = totals.copy()
    if width == BLEU_WIDTH:  # [sys_len, ref_len, correct 1-4, total 1-4]
        rows[:, 2:6] = matches[:, 6:10]
    else:  # [hyp, ref, match] per order; a match never exceeds either count
        rows[:, 2::3] = np.minimum(matches[:, 0::3], rows[:, 1::3])
    rows[rng.random(len(rows)) < 0.1] = 0.0
    rows = np.vstack([rows, _edge_rows(width)])
    got = agg.finalize(rows)
    expected = [float(sacre._compute_score_from_stats(list(r)).score) for r in rows.tolist()]
    assert got.tolist() == expected  # ==, not approx
    k = len(rows) // 3  # any leading shape: (k, 3, width) → (k, 3)
    stacked = rows[: 3 * k].reshape(k, 3, width)
    assert agg.finalize(stacked).tolist() == np.reshape(expected[: 3 * k], (k, 3)).tolist()


def test_the_restated_formulas_assume_sacrebleus_defaults() -> None:
    bleu, chrf = BLEU(), CHRF()
    assert (bleu.max_ngram_order, bleu.smooth_method, bleu.effective_order) == (4, "exp", False)
    assert (chrf.char_order, chrf.word_order, chrf.beta, chrf.eps_smoothing) == (6, 0, 2, False)


def test_chinese_uses_sacrebleu_zh_tokeniser() -> None:
    hyps, refs = ["我们得除掉那只鼹鼠。"], ["我们得去掉那颗痣。"]
    expected = sacrebleu.corpus_bleu(hyps, [refs], tokenize="zh").score
    assert corpus_bleu(hyps, [refs], "zh") == expected
    assert corpus_bleu(hyps, [refs], "zh") != corpus_bleu(hyps, [refs], "de")  # 13a differs


def test_stat_widths_and_purity() -> None:
    refs = ["Zwei Hunde rennen durch den Schnee."]
    before = list(refs)
    assert len(bleu_stats("Zwei Hunde laufen.", refs, "de")) == BLEU_WIDTH
    assert len(chrf_stats("Zwei Hunde laufen.", refs)) == CHRF_WIDTH
    assert refs == before


def test_bootstrap_resamples_corpus_scores() -> None:
    hyps, refs, bleu, _ = MT_TABLE["de"]
    stats = [bleu_stats(h, r, "de") for h, r in zip(hyps, refs, strict=True)]
    arr = np.asarray(stats)
    # finalize over a stack of summed rows = the corpus score of each row's resample
    stacked = np.stack([arr.sum(axis=0), arr[[0, 0, 1]].sum(axis=0)])
    got = CORPUS_BLEU.finalize(stacked)
    assert got[0] == pytest.approx(bleu, abs=1e-9)
    resampled = [hyps[0], hyps[0], hyps[1]], [refs[0], refs[0], refs[1]]
    assert got[1] == sacrebleu.corpus_bleu(resampled[0], [resampled[1]]).score
    ci = bootstrap.ci95(CORPUS_BLEU, stats)
    assert ci is not None and ci[0] <= bleu <= ci[1] and ci[0] < ci[1]


def _sacrebleu_signature(metric: BLEU | CHRF) -> str:
    metric.corpus_score(["Ein Hund."], [["Ein Hund läuft."]])
    return metric.get_signature().format()


@pytest.mark.parametrize("lang", ["de", "fr", "cs", "zh"])
def test_bleu_signature_is_sacrebleus_verbatim(lang: str) -> None:
    sig = bleu_signature(lang)
    assert sig == _sacrebleu_signature(BLEU(trg_lang=lang))
    expected_tok = "zh" if lang == "zh" else "13a"
    assert sig == (f"nrefs:1|case:mixed|eff:no|tok:{expected_tok}|"
                   f"smooth:exp|version:{sacrebleu.__version__}")


def test_chrf_signature_is_sacrebleus_verbatim() -> None:
    assert chrf_signature() == _sacrebleu_signature(CHRF())


def test_signature_survives_tvbench_signature_fields() -> None:
    desc = f"bleu[sacrebleu:{bleu_signature('de')}]"
    built = signature.build([("task", "multi30k@1"), ("metric", desc), ("agg", "corpus-bleu")])
    assert signature.parse(built)["metric"] == desc
    assert signature.parse(built)["agg"] == "corpus-bleu"
