"""Turn a task's rescored item records into the ``tasks.<task>`` block of results.json.

Scores are per language first; a task's headline number is the unweighted mean over its
languages (the TowerVision protocol for ALM-Bench, CC-OCR, Multi30K, CoMMuTE and ViMUL),
which equals the plain item mean for single-language tasks. Confidence intervals come from a
seeded bootstrap that resamples items within each language.

A failed item (its record has an error) counts as the metric's zero, as in every official
scorer (:attr:`MetricSpec.zero`); ``count_errors=False`` (``--exclude-errors``) leaves it
out instead, and the ``errors`` field of every signature says which. A model-based metric
that was not run at all (no COMET, no judge: the task withholds it) stays "not scored".
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import tvbench
from tvbench.data.inputs import GenerationSettings
from tvbench.data.item import Item
from tvbench.data.languages import is_unseen
from tvbench.data.record import ItemRecord
from tvbench.metrics import aggregate, bootstrap
from tvbench.models.base import ModelSpec
from tvbench.runs import signature
from tvbench.tasks.base import MetricSpec, Task
from tvbench.tasks.scoring import Rescored


def data_fingerprint(items: Sequence[Item]) -> str:
    h = hashlib.sha256()
    for it in sorted(items, key=lambda x: x.id):
        h.update(it.content_hash().encode())
    return h.hexdigest()[:8]


def _round(x: float | None) -> float | None:
    if x is None or math.isnan(x):
        return None
    return round(x, 4)


def _ci(ci: tuple[float, float] | None) -> list[float] | None:
    return None if ci is None else [round(ci[0], 4), round(ci[1], 4)]


#: What a run does with failed items, as the ``errors`` signature field says it.
ERRORS_AS_ZERO, ERRORS_EXCLUDED = "zero", "excluded"


@dataclass(frozen=True)
class Summary:
    """Run-level choices that shape every score of a task (all of them in its signatures).

    ``generation_for`` gives the decoding settings a language actually ran with (a run
    cap may lower the task's own); ``langset`` names the language preset ("paper", "all")
    or "custom" for an explicit list.
    """

    generation_for: Callable[[str], GenerationSettings] | None = None
    count_errors: bool = True
    langset: str = "all"


def _gen_field(task: Task, langs: Sequence[str], summary: Summary) -> str:
    """``gen`` of a signature: the decoding settings, or the scoring span of a log-likelihood
    task. Languages with their own settings are listed after the common ones."""
    if task.kind != "generate":
        return f"loglikelihood[{task.scoring().describe()}]"
    gen_for = summary.generation_for or task.generation_for
    described = {lang: gen_for(lang).describe() for lang in langs} or {
        "": task.settings().describe()}
    counts: dict[str, int] = {}
    for d in described.values():
        counts[d] = counts.get(d, 0) + 1
    common = max(counts, key=lambda d: (counts[d], d))
    others = [f"{lang}={d}" for lang, d in sorted(described.items()) if d != common]
    return ";".join([common, *others])


def _fields(task: Task, model: ModelSpec, data_desc: str, metric: MetricSpec, langs: list[str],
            n: int, data_fp: str, average: str, summary: Summary, headline: bool
            ) -> list[tuple[str, str]]:
    opts = task.describe_options()
    out = [("task", f"{task.name}@{task.version}")]
    if opts:
        out.append(("opts", opts))
    out += [("split", task.hub.split), ("langs", signature.languages_field(langs))]
    if headline:
        out.append(("langset", summary.langset))
    out += [("n", str(n)), ("prompt", task.prompt_fingerprint()),
            ("data", f"{data_desc}#{data_fp}"), ("gen", _gen_field(task, langs, summary)),
            ("metric", metric.describe), ("agg", average),
            ("errors", ERRORS_AS_ZERO if summary.count_errors else ERRORS_EXCLUDED),
            ("ci", f"bs{bootstrap.BOOTSTRAP_SAMPLES},rs{bootstrap.BOOTSTRAP_SEED}"),
            ("model", model.identity()), ("adapter", f"{model.adapter}@{model.adapter_version}"),
            ("tvbench", tvbench.__version__)]
    return out


def _item_stats(metric: MetricSpec, item: Item, record: ItemRecord, summary: Summary,
                agg_width: int) -> Sequence[float] | None:
    """What one item contributes: its statistics, the metric's zero when it failed and
    failures count, or nothing."""
    if not record.error:
        return metric.stats(item, record)
    if not summary.count_errors:
        return None
    zero = metric.zero(item)
    if zero is not None and len(zero) != agg_width:
        raise ValueError(f"metric {metric.name!r}: its zero has {len(zero)} statistics, its "
                         f"aggregation {metric.aggregation.name!r} takes {agg_width}")
    return zero


def _metric_block(task: Task, metric: MetricSpec, items: Sequence[Item],
                  records: Sequence[ItemRecord], model: ModelSpec, data_desc: str, data_fp: str,
                  summary: Summary, withheld: bool) -> dict[str, Any]:
    """One metric's block; a ``withheld`` metric counts its items but reports no number."""
    langs = sorted({it.lang for it in items})
    by_lang: dict[str, list[Sequence[float]]] = {lang: [] for lang in langs}
    counts: dict[str, dict[str, int]] = {lang: {"n": 0, "n_errors": 0} for lang in langs}
    agg = metric.aggregation
    for it, r in zip(items, records, strict=True):
        counts[it.lang]["n"] += 1
        if r.error:
            counts[it.lang]["n_errors"] += 1
        st = None if withheld else _item_stats(metric, it, r, summary, agg.width)
        if st is not None:
            by_lang[it.lang].append(st)
    languages: dict[str, Any] = {}
    lang_scores = []
    for lang in langs:
        stats = by_lang[lang]
        value = aggregate.score(agg, stats) if stats else None
        if value is not None:
            lang_scores.append(value)
        n = counts[lang]["n"]
        languages[lang] = {
            "score": _round(value), "n": n, "n_scored": len(stats),
            "n_errors": counts[lang]["n_errors"],
            "ci95": _ci(bootstrap.ci95(agg, stats)) if stats else None,
            "unseen": is_unseen(lang, model.seen_languages),
            "signature": signature.build(_fields(task, model, data_desc, metric, [lang], n,
                                                 data_fp, agg.name, summary, False)),
        }
    scored_langs = [lang for lang in langs if by_lang[lang]]
    average = agg.name if len(langs) == 1 else f"macro-lang({agg.name})"
    overall = sum(lang_scores) / len(lang_scores) if lang_scores else None
    ci = (bootstrap.ci95(agg, by_lang[langs[0]]) if len(langs) == 1
          else bootstrap.macro_ci95(agg, {k: by_lang[k] for k in scored_langs}))
    n_total = len(items)
    return {
        "metric": metric.name, "score": _round(overall), "n": n_total,
        "n_scored": sum(len(v) for v in by_lang.values()),
        "n_errors": sum(c["n_errors"] for c in counts.values()),
        "ci95": _ci(ci) if overall is not None else None,
        "signature": signature.build(_fields(task, model, data_desc, metric, langs, n_total,
                                             data_fp, average, summary, True)),
        "languages": languages,
    }


def summarize_task(task: Task, items: Sequence[Item], rescored: Rescored, *,
                   model: ModelSpec, data_desc: str, summary: Summary | None = None
                   ) -> dict[str, Any]:
    """The results.json block for one task (primary metric at the top level).

    ``rescored`` is what :meth:`Task.rescore` returned: the records (in item order), the
    scorers that ran and the notes on what is not scored. ``summary`` holds the run's
    choices (decoding settings as run, error policy, language preset); by default the
    task's own settings, failed items counted as zero, preset "all".
    """
    summary = summary or Summary()
    records, notes = rescored.records, rescored.notes
    data_fp = data_fingerprint(items)
    metrics = task.metrics(rescored.scored_by)
    blocks = [_metric_block(task, m, items, records, model, data_desc, data_fp, summary,
                            m.name in rescored.withheld) for m in metrics]
    primary = blocks[0]
    if primary["score"] is not None:
        status = "scored"
    else:
        status = "not scored" + (": " + "; ".join(notes) if notes else "")
    out: dict[str, Any] = {"version": task.version, **primary, "status": status,
                           "notes": list(notes), "options": dict(task.config),
                           "prompt_fingerprint": task.prompt_fingerprint(),
                           "data": {"source": data_desc, "fingerprint": data_fp},
                           "language_set": {"preset": summary.langset,
                                            "languages": sorted({it.lang for it in items})},
                           "errors": ERRORS_AS_ZERO if summary.count_errors
                           else ERRORS_EXCLUDED}
    if len(blocks) > 1:
        out["metrics"] = {b["metric"]: b for b in blocks[1:]}
    extra = task.breakdown(items, records, count_errors=summary.count_errors)
    if extra:
        out["breakdown"] = extra
    return out
