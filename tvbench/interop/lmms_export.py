"""``tvbench export lmms-eval RUN``: a tvbench run folder in lmms-eval 0.7's output format.

For teams whose dashboards read lmms-eval folders: ``OUT/<model>/<date>_results.json`` and
one ``<date>_samples_<task>.jsonl`` per task, with lmms-eval 0.7's task names, per-item
payloads and aggregated numbers, computed from tvbench's per-item scores with lmms-eval's
aggregation (:mod:`tvbench.interop.lmms_tasks`). The tasks lmms-eval 0.7 has are exported:
TextVQA (``textvqa_val``), OCRBench (``ocrbench``) and CC-OCR's OCR tracks
(``cc_ocr_multi_lan_ocr``, ``cc_ocr_multi_scene_ocr``); others are listed as skipped.

The per-item payloads need fields of the dataset items that records do not keep (OCRBench's
ground truth and question type, CC-OCR's subset), so the export reads the task's data like a
run does (``--data``). Items that ended in an error have no output and lmms-eval logs have no
error field: they are left out and counted in ``tvbench_export.excluded_errors``. The files
say they were written by tvbench (``exported_by``), never that lmms-eval made them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tvbench
from tvbench.config import Config
from tvbench.data.item import Item
from tvbench.data.record import ItemRecord
from tvbench.interop.lmms_tasks import NULL_DOC_HASH, TaskSpec, subset_means
from tvbench.interop.lmms_tasks import OCRBenchSpec as _OCRBench
from tvbench.interop.lmms_tasks import TextVQASpec as _TextVQA
from tvbench.runs.plan import data_choice
from tvbench.runs.store import RunFolder, atomic_write, dump_json, slug
from tvbench.tasks.registry import TASKS

OCR_TRACKS = ("multi_lan_ocr", "multi_scene_ocr")
Line = dict[str, Any]


class ExportError(ValueError):
    """A run folder that cannot be exported as it is; the message says why."""


def _input(prompt: str) -> str:
    """lmms-eval logs the text prompt alone: drop tvbench's role tag and media placeholders."""
    text = re.sub(r"^\[user\] ", "", prompt)
    return re.sub(r"<(image|video)>", "", text)


def _textvqa(i: int, item: Item, r: ItemRecord) -> Line:
    qid: Any = int(item.id) if item.id.isdigit() else item.id
    return {"doc_id": i, "target": "answer", "filtered_resps": r.text,
            "doc_hash": NULL_DOC_HASH, "exact_match": r.score,
            "submission": {"question_id": qid, "answer": r.answer}, "input": _input(r.prompt)}


def _ocrbench(i: int, item: Item, r: ItemRecord) -> Line:
    answers = list(item.fields["answers"])
    return {"doc_id": int(item.id) if item.id.isdigit() else i, "target": str(answers),
            "filtered_resps": r.text, "doc_hash": NULL_DOC_HASH,
            "ocrbench_accuracy": {"question_type": item.fields["question_type"],
                                  "score": int(r.score or 0),
                                  "prediction": (r.text or "").strip(),
                                  "ground_truth": answers},
            "input": _input(r.prompt)}


def _cc_ocr(i: int, item: Item, r: ItemRecord) -> Line:
    f = item.fields
    body = {"pred": r.text, "gt": f["answer"], "image_name": f["image_name"],
            "subset": f["subset"], "l2_category": f["l2_category"], "op": "",
            "track": f["track"]}
    return {"doc_id": i, "target": f["answer"], "filtered_resps": r.text,
            "doc_hash": NULL_DOC_HASH, "input_media": [f["image_name"]], "macro_f1": body,
            "micro_f1": dict(body), "input": _input(r.prompt)}


class _Target:
    """How one tvbench task (or CC-OCR track) is written as one lmms-eval 0.7 task."""

    def __init__(self, name: str, process: str, metrics: Sequence[str],
                 line: Callable[[int, Item, ItemRecord], Line],
                 reproduce: Callable[[Sequence[Item], Sequence[ItemRecord]],
                                     dict[str, float | None]],
                 extra_metrics: Mapping[str, Any] | None = None) -> None:
        self.name, self.process, self.metrics = name, process, metrics
        self.line, self.reproduce, self.extra_metrics = line, reproduce, extra_metrics or {}


def _targets(task_name: str, options: Mapping[str, Any], items: Sequence[Item]
             ) -> list[tuple[_Target, Callable[[Item], bool]]]:
    spec: TaskSpec
    if task_name == "textvqa":
        spec = _TextVQA()
        return [(_Target("textvqa_val", "textvqa_process_results", ("exact_match",),
                         _textvqa, spec.reproduce, {"submission": None}), lambda it: True)]
    if task_name == "ocrbench":
        spec = _OCRBench()
        return [(_Target("ocrbench", "ocrbench_process_results", ("ocrbench_accuracy",),
                         _ocrbench, spec.reproduce), lambda it: True)]
    if task_name == "cc_ocr":
        tracks = [t for t in OCR_TRACKS if any(it.fields.get("track") == t for it in items)]
        return [(_Target(f"cc_ocr_{t}", "cc_ocr_process_results", ("macro_f1", "micro_f1"),
                         _cc_ocr, subset_means),
                 lambda it, t=t: it.fields.get("track") == t) for t in tracks]  # type: ignore[misc]
    return []


def export_run(run_dir: Path, output: Path, *, config: Config, data: Sequence[str] = (),
               tasks: Sequence[str] | None = None, date: str | None = None
               ) -> tuple[list[Path], list[str]]:
    """Write ``run_dir`` as an lmms-eval 0.7 folder under ``output``; returns the files
    written and what was skipped (with why)."""
    folder = RunFolder(run_dir)
    results = folder.read_results()
    if results is None:
        raise FileNotFoundError(f"{run_dir}: no results.json (not a run folder)")
    model = results.get("model") or {}
    name = str(model.get("name") or run_dir.name)
    stamp = date or datetime.now(UTC).strftime("%Y%m%d_%H%M%S")
    target = output / slug(name)
    choice = data_choice(config, data)
    blocks: dict[str, Any] = {}
    skipped: list[str] = []
    written: list[Path] = []
    wanted = list(tasks) if tasks else list(results.get("tasks", {}))
    for task_name in wanted:
        block = (results.get("tasks") or {}).get(task_name)
        if block is None:
            raise ExportError(f"{run_dir}: task {task_name!r} is not in this run")
        task = TASKS.get(task_name)(**(block.get("options") or {}))
        records = list(folder.read_records(task_name).values())
        index = {it.id: it for it in task.load(choice.source(config, task))}
        missing = [r.id for r in records if r.id not in index]
        if missing:
            raise ExportError(f"{run_dir}: {task_name} item {missing[0]!r} is not in the data "
                              "read for the export; pass the run's data with --data")
        items = [index[r.id] for r in records]
        targets = _targets(task_name, task.config, items)
        if not targets:
            skipped.append(f"{task_name}: lmms-eval 0.7 has no such task (or track); skipped")
            continue
        left = sorted({str(it.fields.get("track")) for it in items if task_name == "cc_ocr"}
                      - set(OCR_TRACKS))
        if left:
            skipped.append(f"cc_ocr: track(s) {', '.join(left)} not exported (only the OCR "
                           "tracks' lmms-eval payloads are covered)")
        for target_spec, belongs in targets:
            pairs = [(it, r) for it, r in zip(items, records, strict=True) if belongs(it)]
            ok = [(it, r) for it, r in pairs if not r.error and r.text is not None]
            lines = [target_spec.line(i, it, r) for i, (it, r) in enumerate(ok)]
            path = target / f"{stamp}_samples_{target_spec.name}.jsonl"
            atomic_write(path, "".join(json.dumps(x, ensure_ascii=False, allow_nan=False)
                                       + "\n" for x in lines))
            written.append(path)
            blocks[target_spec.name] = (task, target_spec, [p[0] for p in ok],
                                        [p[1] for p in ok], len(pairs) - len(ok))
    if not blocks:
        return written, skipped
    path = target / f"{stamp}_results.json"
    atomic_write(path, dump_json(_results_json(name, model, results, blocks, stamp)))
    return [*written, path], skipped


def _results_json(name: str, model: Mapping[str, Any], results: Mapping[str, Any],
                  blocks: Mapping[str, Any], stamp: str) -> dict[str, Any]:
    out: dict[str, Any] = {"results": {}, "group_subtasks": {}, "configs": {}, "versions": {},
                           "n-shot": {}, "higher_is_better": {}, "n-samples": {}}
    for lmms_name, (task, target, items, records, errors) in blocks.items():
        numbers = target.reproduce(items, records)
        entry: dict[str, Any] = {"alias": lmms_name}
        for metric in target.metrics:
            entry[f"{metric},none"] = numbers.get(metric)
            entry[f"{metric}_stderr,none"] = "N/A"
        for metric, value in target.extra_metrics.items():
            entry[f"{metric},none"] = value
        out["results"][lmms_name] = entry
        out["group_subtasks"][lmms_name] = []
        gen = task.settings()
        out["configs"][lmms_name] = {
            "task": lmms_name, "dataset_path": task.hub.repo, "dataset_name": task.hub.config,
            "test_split": task.hub.split, "output_type": "generate_until",
            "process_results": f"<function {target.process} (tvbench export)>",
            "generation_kwargs": {"max_new_tokens": gen.max_new_tokens, "do_sample": False,
                                  "until": list(gen.stop)},
            "metric_list": [{"metric": m, "aggregation": "tvbench:" + target.process,
                             "higher_is_better": True} for m in target.metrics],
            "lmms_eval_specific_kwargs": ({"ocr": bool(task.config.get("ocr_tokens"))}
                                          if task.name == "textvqa" else {}),
            "tvbench_export": {"task": task.name, "options": dict(task.config),
                               "excluded_errors": errors}}
        out["versions"][lmms_name] = f"tvbench-{task.name}@{task.version}"
        out["n-shot"][lmms_name] = 0
        out["higher_is_better"][lmms_name] = {m: True for m in target.metrics}
        out["n-samples"][lmms_name] = {"original": len(items) + errors, "effective": len(items)}
    run = results.get("run") or {}
    out.update({
        "config": {"model": "tvbench", "model_args": f"pretrained={model.get('source')}",
                   "batch_size": str(run.get("batch_size", "")), "limit": run.get("limit")},
        "git_hash": None, "lmms_eval_version": None,
        "exported_by": f"tvbench {tvbench.__version__}", "date": stamp,
        "model_source": "tvbench", "model_name": name, "model_name_sanitized": slug(name)})
    return out
