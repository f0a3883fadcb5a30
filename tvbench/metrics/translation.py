"""Corpus BLEU and chrF exactly as sacrebleu computes them, split into per-item statistics.

sacrebleu scores a corpus from the SUM of per-segment sufficient statistics (n-gram matches
and totals, lengths; character/word n-gram counts for chrF). Each item therefore carries
sacrebleu's own segment statistics (``_extract_corpus_statistics``) and the aggregation's
``finalize`` is sacrebleu's ``_compute_score_from_stats``: the summed result equals
``sacrebleu.corpus_bleu``/``corpus_chrf`` on the same segments, and the bootstrap can
resample items. Tokenisation is sacrebleu's default for the target language (13a for
German, French, Czech; ``zh`` for Chinese).

Signatures: sacrebleu's own signature string is kept verbatim inside our metric
description (``bleu[sacrebleu:nrefs:1|case:mixed|...]``); tvbench signatures split fields
only on ``|`` outside square brackets.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from tvbench.metrics.aggregate import Aggregation, from_scalar_function

if TYPE_CHECKING:
    from sacrebleu.metrics import BLEU, CHRF

#: Width of one item's statistics: 2 lengths + matches and totals for n = 1..4.
BLEU_WIDTH = 2 + 2 * 4
#: chrF (6 character orders, 0 word orders) keeps [hyp, ref, match] counts per order.
CHRF_WIDTH = 3 * 6


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


@cache
def _from_stats_scorers() -> tuple[BLEU, CHRF]:
    """One BLEU and one chrF object for scoring summed statistics, which reads only their
    fixed settings: building a new one per call made the bootstrap (1,000 resamples per
    language) spend seconds in sacrebleu's constructors."""
    return _bleu(), _chrf()


def bleu_from_stats(stats: Sequence[float]) -> float:
    """Corpus BLEU (0–100) from summed statistics; the tokenizer plays no part here."""
    return float(_from_stats_scorers()[0]._compute_score_from_stats(list(stats)).score)


def chrf_from_stats(stats: Sequence[float]) -> float:
    return float(_from_stats_scorers()[1]._compute_score_from_stats(list(stats)).score)


#: Aggregations whose finalize is sacrebleu's corpus formula (already on a 0–100 scale).
CORPUS_BLEU: Aggregation = from_scalar_function("corpus-bleu", BLEU_WIDTH, bleu_from_stats)
CORPUS_CHRF: Aggregation = from_scalar_function("corpus-chrf", CHRF_WIDTH, chrf_from_stats)


def bleu_signature(trg_lang: str = "") -> str:
    """sacrebleu's BLEU signature for single-reference scoring into ``trg_lang``, verbatim."""
    metric = _bleu(trg_lang)
    metric._extract_corpus_statistics([""], [[""]])  # fixes nrefs:1, as a real call does
    return str(metric.get_signature().format())


def chrf_signature() -> str:
    metric = _chrf()
    metric._extract_corpus_statistics([""], [[""]])
    return str(metric.get_signature().format())
