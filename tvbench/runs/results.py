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

import dataclasses
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
from tvbench.runs.subset import Subset
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


@dataclass(frozen=True)
class Provenance:
    """How the items of a summary were chosen and made, for the signatures.

    ``subset``: the fixed sample the run used (adds ``subset:N,seedS#ids``). ``fields``: for
    numbers tvbench did not generate (an imported lmms-eval run), signature fields that
    replace tvbench's own (``prompt``, ``gen``) or are added before ``model`` (``source``).
    """

    subset: Subset | None = None
    fields: tuple[tuple[str, str], ...] = ()


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


def _fields(task: Task, model: ModelSpec, data_desc: str, metric: MetricSpec,
            items: Sequence[Item], data_fp: str, average: str, summary: Summary,
            provenance: Provenance, headline: bool) -> list[tuple[str, str]]:
    opts = task.describe_options()
    langs = sorted({it.lang for it in items})
    out = [("task", f"{task.name}@{task.version}")]
    if opts:
        out.append(("opts", opts))
    out += [("split", task.hub.split), ("langs", signature.languages_field(langs))]
    if headline:
        out.append(("langset", summary.langset))
    out.append(("n", str(len(items))))
    if provenance.subset is not None:
        out.append(("subset", provenance.subset.signature_field(it.id for it in items)))
    out += [("prompt", task.prompt_fingerprint()), ("data", f"{data_desc}#{data_fp}"),
            ("gen", _gen_field(task, langs, summary)), ("metric", metric.describe),
            ("agg", average),
            ("errors", ERRORS_AS_ZERO if summary.count_errors else ERRORS_EXCLUDED),
            ("ci", f"bs{bootstrap.BOOTSTRAP_SAMPLES},rs{bootstrap.BOOTSTRAP_SEED}")]
    replaced = dict(provenance.fields)
    out = [(k, replaced.pop(k, v)) for k, v in out]
    out += list(replaced.items())
    out += [("model", model.identity()), ("adapter", f"{model.adapter}@{model.adapter_version}"),
            ("tvbench", tvbench.__version__)]
    return out


def item_statistics(metric: MetricSpec, item: Item, record: ItemRecord, *,
                    withheld: bool = False, count_errors: bool = True
                    ) -> Sequence[float] | None:
    """What one item contributes to ``metric``: its statistics, the metric's zero when it
    failed and failures count, or None when it is left out.

    The one place this is decided: the aggregate in results.json and the statistics stored in
    each record (which the regression gate resamples) both come from here, so they agree.
    """
    if withheld:
        return None
    if not record.error:
        return metric.stats(item, record)
    if not count_errors:
        return None
    zero = metric.zero(item)
    width = metric.aggregation.width
    if zero is not None and len(zero) != width:
        raise ValueError(f"metric {metric.name!r}: its zero has {len(zero)} statistics, its "
                         f"aggregation {metric.aggregation.name!r} takes {width}")
    return zero


def with_item_stats(task: Task, items: Sequence[Item], rescored: Rescored, *,
                    count_errors: bool = True) -> tuple[ItemRecord, ...]:
    """The rescored records, each carrying its statistics for every metric that scores it.

    Stored in ``records/<task>.jsonl``, they let a run folder alone support paired
    comparisons with another run (:mod:`tvbench.runs.gate`), without the dataset.
    """
    metrics = task.metrics(rescored.scored_by)
    out = []
    for it, r in zip(items, rescored.records, strict=True):
        stats = {}
        for m in metrics:
            st = item_statistics(m, it, r, withheld=m.name in rescored.withheld,
                                 count_errors=count_errors)
            if st is not None:
                stats[m.name] = [float(x) for x in st]
        out.append(dataclasses.replace(r, stats=stats))
    return tuple(out)


def _metric_block(task: Task, metric: MetricSpec, items: Sequence[Item],
                  records: Sequence[ItemRecord], model: ModelSpec, data_desc: str, data_fp: str,
                  summary: Summary, withheld: bool, provenance: Provenance
                  ) -> dict[str, Any]:
    """One metric's block; a ``withheld`` metric counts its items but reports no number."""
    langs = sorted({it.lang for it in items})
    by_lang: dict[str, list[Sequence[float]]] = {lang: [] for lang in langs}
    counts: dict[str, dict[str, int]] = {lang: {"n": 0, "n_errors": 0} for lang in langs}
    lang_items: dict[str, list[Item]] = {lang: [] for lang in langs}
    agg = metric.aggregation
    for it, r in zip(items, records, strict=True):
        counts[it.lang]["n"] += 1
        lang_items[it.lang].append(it)
        if r.error:
            counts[it.lang]["n_errors"] += 1
        st = item_statistics(metric, it, r, withheld=withheld,
                             count_errors=summary.count_errors)
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
            "signature": signature.build(_fields(task, model, data_desc, metric,
                                                 lang_items[lang], data_fp, agg.name, summary,
                                                 provenance, False)),
        }
    scored_langs = [lang for lang in langs if by_lang[lang]]
    average = agg.name if len(langs) == 1 else f"macro-lang({agg.name})"
    overall = sum(lang_scores) / len(lang_scores) if lang_scores else None
    ci = (bootstrap.ci95(agg, by_lang[langs[0]]) if len(langs) == 1
          else bootstrap.macro_ci95(agg, {k: by_lang[k] for k in scored_langs}))
    n_total = len(items)
    return {
        "metric": metric.name, "aggregation": agg.name,
        "higher_is_better": metric.higher_is_better, "score": _round(overall), "n": n_total,
        "n_scored": sum(len(v) for v in by_lang.values()),
        "n_errors": sum(c["n_errors"] for c in counts.values()),
        "ci95": _ci(ci) if overall is not None else None,
        "signature": signature.build(_fields(task, model, data_desc, metric, items, data_fp,
                                             average, summary, provenance, True)),
        "languages": languages,
    }


def summarize_task(task: Task, items: Sequence[Item], rescored: Rescored, *,
                   model: ModelSpec, data_desc: str, summary: Summary | None = None,
                   subset: Subset | None = None, provenance: Provenance | None = None
                   ) -> dict[str, Any]:
    """The results.json block for one task (primary metric at the top level).

    ``rescored`` is what :meth:`Task.rescore` returned: the records (in item order), the
    scorers that ran and the notes on what is not scored. ``summary`` holds the run's
    choices (decoding settings as run, error policy, language preset); by default the
    task's own settings, failed items counted as zero, preset "all". ``subset`` (or
    ``provenance``) says how the items were chosen and made, for the signatures.
    """
    summary = summary or Summary()
    prov = provenance or Provenance()
    if subset is not None:
        prov = dataclasses.replace(prov, subset=subset)
    records, notes = rescored.records, rescored.notes
    data_fp = data_fingerprint(items)
    metrics = task.metrics(rescored.scored_by)
    blocks = [_metric_block(task, m, items, records, model, data_desc, data_fp, summary,
                            m.name in rescored.withheld, prov) for m in metrics]
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
    if task.language_groups:
        out["language_groups"] = list(task.language_groups)
    extra = task.breakdown(items, records, count_errors=summary.count_errors)
    if extra:
        out["breakdown"] = extra
    return out
