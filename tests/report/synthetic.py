"""Synthetic run folders in the real results.json / item record schema, for report tests.

Real runs only cover TextVQA (English) today; these builders make multi-language,
multi-task runs with chosen scores, CIs, unseen flags and signatures, so every expected
number in the tests is known by construction.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tvbench.runs import signature
from tvbench.runs.store import RunFolder


def make_signature(task: str, langs: Sequence[str], n: int, model: str,
                   gen: str = "greedy,max128", **override: str) -> str:
    """A signature with the field order of tvbench.runs.results."""
    fields = {"task": f"{task}@1", "split": "test", "langs": signature.languages_field(langs),
              "n": str(n), "prompt": "p1", "data": f"local:{task}#d1", "gen": gen,
              "metric": "acc", "agg": "macro-lang(meanx100)" if len(langs) > 1 else "meanx100",
              "ci": "bs1000,rs12345", "model": model, "adapter": "hf-x@1", "tvbench": "0.1.0"}
    fields.update(override)
    return signature.build(list(fields.items()))


def task_block(task: str, scores: Mapping[str, float | None], model: str, *,
               seen: Sequence[str] | None = None, n: int = 10, half: float = 5.0,
               gen: str = "greedy,max128", metric: str = "accuracy",
               **override: str) -> dict[str, Any]:
    """A results.json task block: per-language score ± ``half`` CI, headline = macro mean."""
    from tvbench.data.languages import is_unseen

    langs = sorted(scores)
    languages = {}
    for lang in langs:
        s = scores[lang]
        languages[lang] = {
            "score": s, "n": n, "n_scored": n if s is not None else 0, "n_errors": 0,
            "ci95": [s - half, s + half] if s is not None else None,
            "unseen": is_unseen(lang, seen),
            "signature": make_signature(task, [lang], n, model, gen, **override)}
    vals = [v for v in scores.values() if v is not None]
    head = sum(vals) / len(vals) if vals else None
    return {"version": 1, "metric": metric, "score": head, "n": n * len(langs),
            "n_scored": n * len(vals), "n_errors": 0,
            "ci95": [head - 1.0, head + 1.0] if head is not None else None,
            "signature": make_signature(task, langs, n * len(langs), model, gen, **override),
            "languages": languages, "status": "scored" if head is not None else "not scored",
            "notes": [], "options": {}, "prompt_fingerprint": "p1",
            "data": {"source": f"local:{task}", "fingerprint": "d1"}}


def jpeg(size: tuple[int, int] = (400, 300), colour: tuple[int, int, int] = (200, 30, 30)
         ) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="JPEG")
    return buf.getvalue()


def write_run(root: Path, folder: str, model: str, tasks: Mapping[str, dict[str, Any]], *,
              seen: Sequence[str] | None = None,
              records: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
              thumbs: Mapping[tuple[str, str], bytes] | None = None,
              reported: Mapping[str, Any] | None = None) -> Path:
    """Write a run folder; ``thumbs[(task, item_id)]`` become thumbnails named by records."""
    run = RunFolder(root / folder)
    results: dict[str, Any] = {
        "schema_version": 1, "tvbench_version": "0.1.0",
        "git": {"commit": "0123456789abcdef", "dirty": False}, "packages": {}, "hardware": {},
        "model": {"name": model, "family": "x", "source": f"org/{model}", "revision": "r1",
                  "dtype": "float32", "adapter": "hf-x", "adapter_version": 1,
                  "seen_languages": list(seen) if seen is not None else None, "settings": {}},
        "run": {"batch_size": 8, "limit": None, "max_new_tokens": None}, "tasks": dict(tasks)}
    if reported is not None:
        results["reported"] = dict(reported)
    run.write_results(results)
    for task, recs in (records or {}).items():
        lines = []
        for rec in recs:
            rec = dict(rec)
            key = (task, str(rec["id"]))
            if thumbs and key in thumbs:
                rec["thumb"] = run.write_thumbnail(task, str(rec["id"]), thumbs[key])
            lines.append(json.dumps(rec, ensure_ascii=False) + "\n")
        # Raw lines, not ItemRecords: tests also write values no record could hold.
        run.records_path(task).parent.mkdir(parents=True, exist_ok=True)
        run.records_path(task).write_text("".join(lines), "utf-8")
    return run.root


def record(item: str, lang: str, output: Any = "x", answer: Any = "x", score: Any = 0.0,
           prompt: str = "[user] <image>Q?", error: str | None = None,
           target: Any = None) -> dict[str, Any]:
    out = {"id": item, "lang": lang, "input_hash": "h" * 64, "prompt": prompt,
           "output": output, "answer": answer, "score": score, "error": error}
    if target is not None:
        out["target"] = target
    return out


def read_json(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))
