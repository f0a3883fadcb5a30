"""Corpus BLEU and chrF exactly as sacrebleu computes them, split into per-item statistics.

sacrebleu scores a corpus from the SUM of per-segment sufficient statistics (n-gram matches
and totals, lengths; character/word n-gram counts for chrF). Each item therefore carries
sacrebleu's own segment statistics (``_extract_corpus_statistics``) and the aggregation's
``finalize`` restates sacrebleu's ``_compute_score_from_stats`` operation for operation (the
same floats, tested bit for bit; chrF vectorised): the summed result equals
``sacrebleu.corpus_bleu``/``corpus_chrf`` on the same segments, and the bootstrap can
resample items. Tokenisation is sacrebleu's default for the target language (13a for
German, French, Czech; ``zh`` for Chinese).

Signatures: sacrebleu's own signature string is kept verbatim inside our metric
description (``bleu[sacrebleu:nrefs:1|case:mixed|...]``); tvbench signatures split fields
only on ``|`` outside square brackets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from tvbench.metrics.aggregate import Aggregation

if TYPE_CHECKING:
    from sacrebleu.metrics import BLEU, CHRF

#: Width of one item's statistics: 2 lengths + matches and totals for n = 1..4.
BLEU_WIDTH = 2 + 2 * 4
#: chrF (6 character orders, 0 word orders) keeps [hyp, ref, match] counts per order.
CHRF_WIDTH = 3 * 6
#: sacrebleu's defaults the corpus formulas below reproduce; a test checks them against
#: BLEU() and CHRF(), so a sacrebleu release that changed them fails loudly.
_BLEU_ORDER, _CHRF_ORDER, _CHRF_BETA = 4, 6, 2


def _bleu(trg_lang: str = "") -> BLEU:
    from sacrebleu.metrics import BLEU

    return BLEU(trg_lang=trg_lang)


def _chrf() -> CHRF:
    from sacrebleu.metrics import CHRF

    return CHRF()


def _ref_streams(references: str | Sequence[str]) -> list[list[str]]:
    """sacrebleu's layout: one stream per reference, here each one segment long."""
    refs = [references] if isinstance(references, str) else list(references)
    if not refs:
        raise ValueError("at least one reference is needed")
    return [[r] for r in refs]


def bleu_stats(hypothesis: str, references: str | Sequence[str], trg_lang: str = ""
               ) -> list[float]:
    """sacrebleu's segment statistics for one hypothesis against its reference(s)."""
    stats = _bleu(trg_lang)._extract_corpus_statistics([hypothesis], _ref_streams(references))
    return [float(x) for x in stats[0]]


def chrf_stats(hypothesis: str, references: str | Sequence[str]) -> list[float]:
    stats = _chrf()._extract_corpus_statistics([hypothesis], _ref_streams(references))
    return [float(x) for x in stats[0]]


def bleu_from_stats(stats: Sequence[float]) -> float:
    """Corpus BLEU (0–100) from summed statistics, as sacrebleu's ``compute_bleu`` with
    BLEU()'s defaults (4-grams, ``exp`` smoothing, no effective order) computes it: the same
    float operations in the same order, so the value is the same float. It skips sacrebleu's
    score objects, which made the bootstrap (1,000 resamples per language) cost seconds; a
    test holds it equal to sacrebleu bit for bit. The tokenizer plays no part here."""
    sys_len, ref_len = int(stats[0]), int(stats[1])
    correct, total = stats[2:2 + _BLEU_ORDER], stats[2 + _BLEU_ORDER:2 + 2 * _BLEU_ORDER]
    bp = 1.0
    if sys_len < ref_len:
        bp = math.exp(1 - ref_len / sys_len) if sys_len > 0 else 0.0
    if not any(correct):
        return 0.0
    precisions = [0.0] * _BLEU_ORDER
    smooth = 1.0
    for n in range(_BLEU_ORDER):
        if total[n] == 0:
            break
        if correct[n] == 0:
            smooth *= 2
            precisions[n] = 100.0 / (smooth * total[n])
        else:
            precisions[n] = 100.0 * correct[n] / total[n]
    logs = [math.log(p) if p != 0.0 else -9999999999 for p in precisions]
    return bp * math.exp(sum(logs) / _BLEU_ORDER)


def _bleu_finalize(s: np.ndarray) -> np.ndarray:
    flat = s.reshape(-1, s.shape[-1])
    return np.array([bleu_from_stats(row) for row in flat.tolist()],
                    dtype=float).reshape(s.shape[:-1])


def _chrf_finalize(s: np.ndarray) -> np.ndarray:
    """sacrebleu's ``CHRF._compute_f_score`` (6 character orders, no word orders, beta 2, no
    eps smoothing) over any number of rows at once. It uses only +, *, / and comparisons,
    elementwise and in sacrebleu's order, so every row is the same float sacrebleu returns."""
    factor = _CHRF_BETA ** 2
    avg_prec = np.zeros(s.shape[:-1])
    avg_rec = np.zeros(s.shape[:-1])
    effective = np.zeros(s.shape[:-1])
    for i in range(_CHRF_ORDER):
        n_hyp, n_ref, n_match = s[..., 3 * i], s[..., 3 * i + 1], s[..., 3 * i + 2]
        both = (n_hyp > 0) & (n_ref > 0)
        prec = np.divide(n_match, n_hyp, out=np.zeros_like(avg_prec), where=both)
        rec = np.divide(n_match, n_ref, out=np.zeros_like(avg_rec), where=both)
        avg_prec = avg_prec + prec  # adding 0.0 where sacrebleu skips leaves the same float
        avg_rec = avg_rec + rec
        effective = effective + both
    some = effective > 0
    avg_prec = np.divide(avg_prec, effective, out=np.zeros_like(avg_prec), where=some)
    avg_rec = np.divide(avg_rec, effective, out=np.zeros_like(avg_rec), where=some)
    nonzero = (avg_prec + avg_rec) != 0
    num = (1 + factor) * avg_prec * avg_rec
    den = np.where(nonzero, (factor * avg_prec) + avg_rec, 1.0)
    return np.where(nonzero, 100 * (num / den), 0.0)


def chrf_from_stats(stats: Sequence[float]) -> float:
    """Corpus chrF (0–100) from summed statistics; equal to sacrebleu's bit for bit."""
    return float(_chrf_finalize(np.asarray(stats, dtype=float)))


#: Aggregations whose finalize is sacrebleu's corpus formula (already on a 0–100 scale).
CORPUS_BLEU = Aggregation("corpus-bleu", BLEU_WIDTH, _bleu_finalize)
CORPUS_CHRF = Aggregation("corpus-chrf", CHRF_WIDTH, _chrf_finalize)


def bleu_signature(trg_lang: str = "") -> str:
    """sacrebleu's BLEU signature for single-reference scoring into ``trg_lang``, verbatim."""
    metric = _bleu(trg_lang)
    metric._extract_corpus_statistics([""], [[""]])  # fixes nrefs:1, as a real call does
    return str(metric.get_signature().format())


def chrf_signature() -> str:
    metric = _chrf()
    metric._extract_corpus_statistics([""], [[""]])
    return str(metric.get_signature().format())
