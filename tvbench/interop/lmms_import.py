"""``tvbench import lmms-eval DIR``: an lmms-eval output folder as tvbench run folders.

For every lmms-eval task that tvbench shares (:mod:`tvbench.interop.lmms_tasks`), each logged
doc is joined with the dataset item tvbench reads (by item id: TextVQA ``question_id``,
OCRBench row, CC-OCR track/subset/image, ALM-Bench ``ID``, Multi30K row and direction), the
reference the log states is checked against the dataset's, and the logged output is scored
again with tvbench's own task code. TextVQA's answers are not in lmms-eval 0.7.x's logs at
all, so the join is what makes it scorable; a log line that names no item of the dataset is
an error (pass the data lmms-eval ran on with ``--data``), never a guess.

One run folder per model (``<model>.lmms-eval/``), in the same layout as a measured run, so
imported runs appear in leaderboards and can serve as gate baselines. Its signatures say
where the numbers come from: ``source:lmms-eval@VERSION[layout:…]``, lmms-eval's prompt
(``prompt:lmms#…``) and generation settings (``gen:lmms,…``), so an imported score is only
comparable with another import of the same setup. Each task block also carries lmms-eval's
own aggregated numbers next to the same aggregation recomputed from tvbench's per-item
scores (``lmms_eval``), separate from tvbench's headline.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tvbench
from tvbench.config import Config
from tvbench.data.inputs import ImagePart
from tvbench.data.item import Item
from tvbench.data.media import MediaError, thumbnail_jpeg
from tvbench.data.record import ItemRecord
from tvbench.interop.lmms_folder import LmmsFormatError, LmmsRun, find_runs, function_name
from tvbench.interop.lmms_fork import (
    ALMBenchForkSpec,
    CCOCRForkSpec,
    CoMMuTEForkSpec,
    Multi30KForkSpec,
)
from tvbench.interop.lmms_tasks import CCOCRSpec, Draft, OCRBenchSpec, TaskSpec, TextVQASpec
from tvbench.models.base import ModelSpec
from tvbench.runs.environment import git_commit
from tvbench.runs.items import scored
from tvbench.runs.plan import data_choice
from tvbench.runs.results import Provenance, summarize_task, with_item_stats
from tvbench.runs.store import SCHEMA_VERSION, RunFolder, slug
from tvbench.tasks.base import Task, TaskOptionError
from tvbench.tasks.registry import TASKS
from tvbench.tasks.scoring import NoScorers, Scorers

SPECS: tuple[TaskSpec, ...] = (TextVQASpec(), OCRBenchSpec(), CCOCRSpec(), ALMBenchForkSpec(),
                               Multi30KForkSpec(), CoMMuTEForkSpec(), CCOCRForkSpec())
#: model_args keys never copied into results.json.
SECRET_ARGS = frozenset({"api_key", "token", "hf_token"})
THUMBS_PER_LANGUAGE = 4


class LogMismatchError(ValueError):
    """The folder's logs do not match the data tvbench was given; nothing is written."""


@dataclass
class _Part:
    """One lmms-eval task of one results file, mapped to a tvbench task."""

    run: LmmsRun
    name: str
    spec: TaskSpec
    options: dict[str, Any]
    drafts: list[Draft]


@dataclass
class Imported:
    """What one model's import wrote, for the command's summary."""

    folder: Path
    tasks: dict[str, int] = field(default_factory=dict)  # tvbench task → items
    skipped: list[str] = field(default_factory=list)


def _model_key(run: LmmsRun) -> str:
    args = {k: v for k, v in run.model_args().items() if k not in SECRET_ARGS}
    return json.dumps([run.model_name(), run.config().get("model"), args], sort_keys=True)


def _collect(run: LmmsRun, skipped: list[str]) -> list[_Part]:
    parts = []
    for name, config in run.configs().items():
        spec = next((s for s in SPECS if s.recognise(name, config)), None)
        where = f"{run.results_path.name}: lmms-eval task {name!r}"
        if spec is None:
            fn = function_name(config.get("process_results")) or "no process_results"
            skipped.append(f"{where} ({fn}) is not one tvbench shares; skipped")
            continue
        try:
            lines = run.lines(name)
            if not lines:
                raise LmmsFormatError(f"{run.samples[name]}: no logged docs")
            parts.append(_Part(run, name, spec, spec.options(run.layout, config, lines),
                               spec.drafts(name, lines)))
        except LmmsFormatError as exc:
            skipped.append(f"{where} → {spec.tvbench}: skipped, the log lacks what tvbench "
                           f"needs: {exc}")
    return parts


def import_folder(folder: Path, output: Path, *, config: Config, data: Sequence[str] = (),
                  version: str | None = None, scorers: Scorers | None = None,
                  overwrite: bool = False) -> list[Imported]:
    """Import every results file under ``folder``; one run folder per model under ``output``."""
    runs = find_runs(folder)
    groups: dict[str, list[LmmsRun]] = {}
    for run in runs:
        groups.setdefault(_model_key(run), []).append(run)
    choice = data_choice(config, data)
    out = []
    for group in groups.values():
        skipped: list[str] = []
        parts = [p for run in group for p in _collect(run, skipped)]
        by_task: dict[str, list[_Part]] = {}
        for part in parts:
            by_task.setdefault(part.spec.tvbench, []).append(part)
        target = output / f"{slug(group[0].model_name())}.lmms-eval"
        if target.exists() and not overwrite:
            raise FileExistsError(f"{target} exists; pass --overwrite to import again")
        blocks, records = {}, {}
        for name, task_parts in by_task.items():
            options = task_parts[0].options
            clash = [p for p in task_parts if p.options != options]
            for p in clash:
                skipped.append(f"{p.run.results_path.name}: lmms-eval task {p.name!r} needs "
                               f"{name} options {p.options}, another task {options}; skipped")
            kept = [p for p in task_parts if p.options == options]
            try:
                task = TASKS.get(name)(**options)
            except TaskOptionError as exc:
                skipped.append(f"{name}: cannot set options {options} ({exc}); skipped")
                continue
            blocks[name], records[name] = _import_task(task, kept, choice.source(config, task),
                                                       version, scorers or NoScorers())
        result = Imported(target, {k: len(v[0]) for k, v in records.items()}, skipped)
        if blocks:
            _write(target, group, blocks, records, version, skipped)
        out.append(result)
    return out


def _import_task(task: Task, parts: list[_Part], source: Any, version: str | None,
                 scorers: Scorers
                 ) -> tuple[dict[str, Any], tuple[list[Item], list[ItemRecord]]]:
    index = {it.id: it for it in task.load(source)}
    items: list[Item] = []
    fresh: list[ItemRecord] = []
    owner: dict[str, str] = {}
    for part in parts:
        for draft in part.drafts:
            item = index.get(draft.item_id)
            if item is None:
                raise LogMismatchError(f"{draft.where}: {part.name} doc is item {draft.item_id!r}, "
                                   f"which is not in the data tvbench read for {task.name} "
                                   f"({source.describe()}); pass the data lmms-eval ran on "
                                   "with --data TASK=PATH or --data hub")
            problem = None if item.error else part.spec.check(item, draft)
            if problem:
                raise LogMismatchError(f"{draft.where}: {part.name} doc does not match the data "
                                   f"tvbench read ({source.describe()}): {problem}")
            if draft.item_id in owner:
                raise LogMismatchError(f"{draft.where}: item {draft.item_id!r} of {task.name} is "
                                   f"also logged at {owner[draft.item_id]}")
            owner[draft.item_id] = draft.where
            items.append(item)
            fresh.append(_record(task, item, draft, part))
    rescored = task.rescore(items, fresh, scorers)
    spec = _model_spec(parts[0].run, version)
    block = summarize_task(task, items, rescored, model=spec, data_desc=source.describe(),
                           provenance=Provenance(fields=_provenance(parts, version)))
    block["lmms_eval"] = _comparison(parts, items, rescored.records)
    # per-item statistics, so an imported run is a paired-test baseline for `tvbench gate`
    return block, (items, list(with_item_stats(task, items, rescored)))


def _record(task: Task, item: Item, draft: Draft, part: _Part) -> ItemRecord:
    config = part.run.configs().get(part.name, {})
    identity = json.dumps({"lmms_task": part.name, "prompt": draft.prompt,
                           "gen": config.get("generation_kwargs")}, sort_keys=True, default=str)
    record = ItemRecord(id=item.id, lang=item.lang,
                        input_hash=hashlib.sha256(identity.encode()).hexdigest(),
                        prompt=draft.prompt, output=draft.output, n_tokens=draft.n_tokens,
                        error=item.error)
    record = scored(task, item, record)
    logged = {k: v for k, v in draft.logged.items() if v is not None}
    return replace(record, extra={**record.extra, "lmms_eval": {
        "task": part.name, "line": draft.where.rsplit("/", 1)[-1], **logged}})


def _digest(value: Any) -> str:
    def plain(v: Any) -> Any:
        if isinstance(v, Mapping):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [plain(x) for x in v]
        return function_name(v) or v

    blob = json.dumps(plain(value), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:8]


def _provenance(parts: Sequence[_Part], version: str | None) -> tuple[tuple[str, str], ...]:
    """Signature fields for numbers lmms-eval generated: its prompt, generation, version."""
    configs = {p.name: p.run.configs().get(p.name, {}) for p in parts}
    prompt = {k: {key: c.get(key) for key in ("doc_to_text", "doc_to_visual",
                                             "lmms_eval_specific_kwargs", "target_delimiter")}
              for k, c in sorted(configs.items())}
    run = parts[0].run
    prompt["chat"] = {k: run.results.get(k) for k in ("system_instruction_sha",
                                                     "chat_template_sha")}
    gen = {k: c.get("generation_kwargs") for k, c in sorted(configs.items())}
    caps = sorted({str((g or {}).get("max_new_tokens", "default")) for g in gen.values()})
    return (("prompt", f"lmms#{_digest(prompt)}"),
            ("gen", f"lmms,max{'/'.join(caps)}#{_digest(gen)}"),
            ("source", f"lmms-eval@{run.version(version)}[layout:{run.layout}]"))


def _comparison(parts: Sequence[_Part], items: Sequence[Item], records: Sequence[ItemRecord]
                ) -> dict[str, Any]:
    """lmms-eval's stored numbers and the same aggregation over tvbench's per-item scores."""
    by_id = {r.id: (it, r) for it, r in zip(items, records, strict=True)}
    out: dict[str, Any] = {"aggregation": parts[0].spec.aggregation, "tasks": {}}
    for part in parts:
        pairs = [by_id[d.item_id] for d in part.drafts]
        theirs = part.spec.lmms_numbers(part.run.task_results(part.name))
        ours = part.spec.reproduce([p[0] for p in pairs], [p[1] for p in pairs])
        metrics = {}
        for name, value in theirs.items():
            mine = ours.get(name)
            metrics[name] = {"lmms_eval": value, "recomputed": mine,
                             "equal": None if mine is None else mine == value}
        out["tasks"][part.name] = {"results_file": part.run.results_path.name,
                                   "n": len(part.drafts), "metrics": metrics}
    return out


def _model_spec(run: LmmsRun, version: str | None) -> ModelSpec:
    args = {k: v for k, v in run.model_args().items() if k not in SECRET_ARGS}
    backend = str(run.config().get("model") or "unknown")
    return ModelSpec(name=run.model_name(), family="lmms-eval", adapter=f"lmms-eval:{backend}",
                     adapter_version=0, source=args.get("pretrained") or run.model_name(),
                     revision=args.get("revision", "unknown"),
                     dtype=args.get("dtype") or args.get("torch_dtype") or "unknown",
                     seen_languages=None, settings=args)


def _thumbnails(folder: RunFolder, task: str, items: Sequence[Item],
                records: Sequence[ItemRecord]) -> list[ItemRecord]:
    per_lang: dict[str, int] = {}
    out = []
    for it, r in zip(items, records, strict=True):
        part = it.media[0] if it.media else None
        if isinstance(part, ImagePart) and per_lang.get(it.lang, 0) < THUMBS_PER_LANGUAGE:
            per_lang[it.lang] = per_lang.get(it.lang, 0) + 1
            try:
                r = replace(r, thumb=folder.write_thumbnail(task, it.id,
                                                            thumbnail_jpeg(part.data)))
            except (MediaError, OSError):
                pass
        out.append(r)
    return out


def _write(target: Path, runs: Sequence[LmmsRun], blocks: Mapping[str, Any],
           records: Mapping[str, tuple[list[Item], list[ItemRecord]]], version: str | None,
           skipped: list[str]) -> None:
    """The run folder, built in a temporary sibling and moved into place whole."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        folder = RunFolder(tmp)
        spec = _model_spec(runs[0], version)
        for task, (items, recs) in records.items():
            folder.write_records(task, _thumbnails(folder, task, items, recs))
        first = runs[0]
        folder.write_results({
            "schema_version": SCHEMA_VERSION, "tvbench_version": tvbench.__version__,
            "git": git_commit(),
            "model": {"name": spec.name, "family": spec.family, "source": spec.source,
                      "revision": spec.revision, "dtype": spec.dtype, "adapter": spec.adapter,
                      "adapter_version": spec.adapter_version, "seen_languages": None,
                      "settings": spec.settings},
            "run": {"imported_from": "lmms-eval"},
            "import": {"from": "lmms-eval", "version": first.version(version),
                       "version_given": version is not None, "layout": first.layout,
                       "results_files": [str(r.results_path) for r in runs],
                       "dates": [r.results.get("date") for r in runs],
                       "lmms_eval_version_recorded": first.results.get("lmms_eval_version"),
                       "git_hash": first.results.get("git_hash"),
                       "config": {k: v for k, v in first.config().items()
                                  if k not in ("model_args", "resolved_cli_args")},
                       "skipped": skipped},
            "tasks": dict(blocks)})
        if target.exists():
            shutil.rmtree(target)
        tmp.replace(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
