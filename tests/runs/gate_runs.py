"""Run folders for gate tests, written directly: results.json and records with statistics.

Each item has a 0/1 (or any) score; its record carries ``stats[metric] = [score, 1]`` as the
runner stores them for a ``scaled(MEAN, 100)`` metric, and results.json carries the
per-language and headline scores those statistics give, with real signatures. So every
number a gate test expects is known by construction, and the folders read back through the
same code paths as folders written by ``tvbench run``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tvbench.data.languages import is_unseen
from tvbench.data.record import ItemRecord
from tvbench.runs import signature
from tvbench.runs.store import RunFolder

Scores = Mapping[str, Sequence[float]]  # language → item scores (0..1)


def sig(task: str, langs: Sequence[str], n: int, model: str, **override: str) -> str:
    fields = {"task": f"{task}@1", "split": "test", "langs": signature.languages_field(langs),
              "n": str(n), "prompt": "p1", "data": f"local:{task}#d1", "gen": "greedy,max16",
              "metric": "acc", "agg": "macro-lang(meanx100)" if len(langs) > 1 else "meanx100",
              "ci": "bs1000,rs12345", "model": model, "adapter": "fake@1", "tvbench": "0.1.0"}
    fields.update(override)
    return signature.build(list(fields.items()))


def task_block(task: str, scores: Scores, model: str, *, metric: str = "accuracy",
               higher_is_better: bool = True, seen: Sequence[str] | None = None,
               groups: Sequence[str] = (), **override: str) -> dict[str, Any]:
    langs = sorted(scores)
    languages = {}
    for lang in langs:
        vals = list(scores[lang])
        languages[lang] = {"score": 100 * sum(vals) / len(vals) if vals else None,
                           "n": len(vals), "n_scored": len(vals), "n_errors": 0,
                           "ci95": None, "unseen": is_unseen(lang, seen),
                           "signature": sig(task, [lang], len(vals), model, **override)}
    lang_scores = [b["score"] for b in languages.values() if b["score"] is not None]
    n = sum(len(v) for v in scores.values())
    head = sum(lang_scores) / len(lang_scores) if lang_scores else None
    block = {"version": 1, "metric": metric, "aggregation": "meanx100",
             "higher_is_better": higher_is_better, "score": head, "n": n, "n_scored": n,
             "n_errors": 0, "ci95": None, "signature": sig(task, langs, n, model, **override),
             "status": "scored" if head is not None else "not scored", "notes": [],
             "languages": languages}
    if groups:
        block["language_groups"] = list(groups)
    return block


def write_run(root: Path, name: str, tasks: Mapping[str, Scores], *, model: str | None = None,
              seen: Sequence[str] | None = None, metric: str = "accuracy",
              higher_is_better: bool = True, stats: bool = True,
              hashes: Mapping[str, str] | None = None, groups: Sequence[str] = (),
              **override: str) -> Path:
    """A run folder with one task block and one record per item (``<lang>-<i>`` ids)."""
    model = model or f"org/{name}"
    folder = RunFolder(root / name)
    blocks = {t: task_block(t, s, model, metric=metric, higher_is_better=higher_is_better,
                            seen=seen, groups=groups, **override) for t, s in tasks.items()}
    folder.write_results({
        "schema_version": 1, "tvbench_version": "0.1.0",
        "model": {"name": name, "family": "fake", "source": model, "revision": "r1",
                  "dtype": "float32", "adapter": "fake", "adapter_version": 1,
                  "seen_languages": list(seen) if seen is not None else None,
                  "settings": {}},
        "tasks": blocks})
    for task, scores in tasks.items():
        records = []
        for lang in sorted(scores):
            for i, value in enumerate(scores[lang]):
                item = f"{lang}-{i}"
                records.append(ItemRecord(
                    id=item, lang=lang, input_hash=(hashes or {}).get(item, f"hash-{item}"),
                    prompt=f"question {item}", output=f"answer {value}", score=float(value),
                    stats={metric: [float(value), 1.0]} if stats else {}))
        folder.write_records(task, records)
    return folder.root


def accuracies(rng: np.random.Generator, langs: Sequence[str], n: int,
               p: float | Mapping[str, float]) -> dict[str, list[float]]:
    """0/1 item scores drawn with accuracy ``p`` (per language when a mapping)."""
    return {lang: [float(x) for x in rng.random(n) < (p[lang] if isinstance(p, Mapping)
                                                       else p)] for lang in langs}
