"""Run tasks on one model into one run folder, resumably.

For each task: load samples, skip items already in ``samples/<task>.jsonl`` (checking their
input hashes), run the rest through the adapter, append records as each batch completes,
then run model-based metrics, aggregate, and rewrite the item log and results atomically.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tvbench.data.inputs import ModelInput
from tvbench.data.loading import DataSource
from tvbench.data.media import MediaError, thumbnail_jpeg
from tvbench.data.outputs import Generation, LogLikelihood
from tvbench.data.sample import Sample
from tvbench.models.base import Adapter, Capability, CapabilityError
from tvbench.runs.distributed import Shard, barrier
from tvbench.runs.environment import environment
from tvbench.runs.items import Item, clean_float, prepare_item, scored_record
from tvbench.runs.results import summarize_task
from tvbench.runs.store import SCHEMA_VERSION, RunFolder, RunFolderError
from tvbench.tasks.base import Record, Task


@dataclass(frozen=True)
class RunSettings:
    """Knobs that apply to every task of a run."""

    batch_size: int = 8
    limit: int | None = None  # items per language
    languages: tuple[str, ...] | None = None
    max_new_tokens: int | None = None  # cap on every task's generation length
    check_parity: int = 0  # re-run this many items at batch size 1 and compare
    retry_errors: bool = False
    thumbnails_per_language: int = 4


@dataclass(frozen=True)
class TaskPlan:
    task: Task
    source: DataSource


class Progress(Protocol):
    def task_started(self, name: str, total: int, done: int) -> None: ...
    def advance(self, n: int) -> None: ...
    def phase(self, text: str) -> None: ...
    def task_finished(self, name: str, block: dict[str, Any]) -> None: ...
    def note(self, message: str) -> None: ...


class SilentProgress:
    def task_started(self, name: str, total: int, done: int) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def phase(self, text: str) -> None:
        pass

    def task_finished(self, name: str, block: dict[str, Any]) -> None:
        pass

    def note(self, message: str) -> None:
        pass


#: Adapter settings that change how requests travel, never what a model answers.
_TRANSPORT_SETTINGS = frozenset({"concurrency", "timeout", "max_retries"})


def _output_identity(model: dict[str, Any]) -> tuple[Any, ...]:
    """What must match for stored outputs to be reused: checkpoint, dtype, output settings."""
    settings = {k: v for k, v in (model.get("settings") or {}).items()
                if k not in _TRANSPORT_SETTINGS}
    return (model.get("source"), model.get("revision"), model.get("dtype"),
            json.dumps(settings, sort_keys=True, default=str))


def check_capabilities(capabilities: frozenset[Capability], tasks: Sequence[Task],
                       model_name: str) -> None:
    """Refuse, before any model loads, a task the adapter cannot serve."""
    for task in tasks:
        need = set(task.requires)
        need.add(Capability.LOGLIKELIHOOD if task.kind == "loglikelihood"
                 else Capability.GENERATE)
        missing = sorted(c.value for c in need - capabilities)
        if missing:
            raise CapabilityError(f"model {model_name!r} cannot run task {task.name!r}: "
                                  f"it lacks {', '.join(missing)}")


class Runner:
    """Runs a list of task plans on one adapter into one run folder."""

    def __init__(self, adapter: Adapter, folder: RunFolder, settings: RunSettings,
                 progress: Progress | None = None, scorers: Any = None,
                 shard: Shard | None = None) -> None:
        self.adapter = adapter
        self.folder = folder
        self.settings = settings
        self.progress = progress or SilentProgress()
        self.scorers = scorers
        self.shard = shard or Shard()

    # ------------------------------------------------------------------ entry
    def run(self, plans: Sequence[TaskPlan]) -> dict[str, Any]:
        check_capabilities(self.adapter.capabilities, [p.task for p in plans],
                           self.adapter.spec.name)
        results = self._open_results() if self.shard.main else {"tasks": {}}
        barrier(self.shard)
        for plan in plans:
            block = self.run_task(plan)
            if self.shard.main:
                results["tasks"][plan.task.name] = block
                self.folder.write_results(results)
        return results

    def _open_results(self) -> dict[str, Any]:
        spec = self.adapter.spec
        model = {"name": spec.name, "family": spec.family, "source": spec.source,
                 "revision": spec.revision, "dtype": spec.dtype, "adapter": spec.adapter,
                 "adapter_version": spec.adapter_version,
                 "seen_languages": (list(spec.seen_languages)
                                    if spec.seen_languages is not None else None),
                 "settings": spec.settings}
        old = self.folder.read_results()
        if old is not None:
            before = old.get("model", {})
            if _output_identity(before) != _output_identity(model):
                raise RunFolderError(
                    f"{self.folder.root} holds a run of {before.get('source')}@"
                    f"{before.get('revision')} ({before.get('dtype')}, "
                    f"{before.get('settings')}), not {spec.identity()} ({spec.dtype}, "
                    f"{spec.settings}); choose another --output or pass --overwrite")
        tasks = dict(old.get("tasks", {})) if old else {}
        results = {"schema_version": SCHEMA_VERSION, **environment(), "model": model,
                   "run": {"batch_size": self.settings.batch_size,
                           "limit": self.settings.limit,
                           "max_new_tokens": self.settings.max_new_tokens},
                   "tasks": tasks}
        self.folder.write_results(results)
        return results

    # ------------------------------------------------------------------ task
    def run_task(self, plan: TaskPlan) -> dict[str, Any]:
        task = plan.task
        samples = task.load(plan.source, self.settings.languages, self.settings.limit)
        if not samples:
            raise ValueError(f"task {task.name!r}: no items after filtering (languages "
                             f"{self.settings.languages}, source {plan.source.describe()})")
        generation = task.settings().capped(self.settings.max_new_tokens)
        items = [prepare_item(task, s, generation.describe()) for s in samples]
        done = self.folder.read_records(task.name)
        for it in items:
            old = done.get(it.sample.id)
            if old is not None and old.get("input_hash") != (it.input_hash or None):
                raise RunFolderError(
                    f"{self.folder.samples_path(task.name)}: item {it.sample.id!r} was made "
                    "from different inputs (prompt, data or settings changed); use a new "
                    "--output folder or pass --overwrite")
        if self.settings.retry_errors:
            done = {k: v for k, v in done.items() if not v.get("error")}
        # Shard over the full item list (not over what is left), and let every rank read the
        # folder before any rank writes, so all ranks agree on who does what.
        barrier(self.shard)
        todo = [it for it in self.shard.mine(items) if it.sample.id not in done]
        self.progress.task_started(task.name, len(items), len(items) - len(todo))
        thumbs = self._thumbnail_quota(items, done)
        new_errors = [it for it in todo if it.error]
        if new_errors:
            self._write(task, [(it, None) for it in new_errors], thumbs)
        runnable = [it for it in todo if not it.error]
        if task.kind == "generate":
            self._generate(task, runnable, thumbs)
        else:
            self._loglikelihood(task, runnable, thumbs)
        barrier(self.shard)  # every rank's part file is complete
        if not self.shard.main:
            barrier(self.shard)  # wait for rank 0 to merge before the next task
            return {}
        records = self._final_records(task, items)
        self.progress.phase("scoring")  # COMET or a judge can take a while
        notes = task.rescore(samples, records, self.scorers)
        block = summarize_task(task, samples, records, model=self.adapter.spec,
                               data_desc=plan.source.describe(), notes=notes,
                               generation=generation)
        if self.settings.check_parity and task.kind == "generate":
            block["parity"] = self._check_parity(task, items, records)
        self.folder.write_records(task.name, records)
        barrier(self.shard)
        self.progress.task_finished(task.name, block)
        return block

    def _thumbnail_quota(self, items: list[Item], done: dict[str, Record]) -> set[str]:
        per_lang: dict[str, int] = {}
        chosen = set()
        for it in items:
            lang = it.sample.lang
            if per_lang.get(lang, 0) < self.settings.thumbnails_per_language and it.sample.media:
                per_lang[lang] = per_lang.get(lang, 0) + 1
                if it.sample.id not in done:
                    chosen.add(it.sample.id)
        return chosen

    def _generate(self, task: Task, items: list[Item], thumbs: set[str]) -> None:
        if not items:
            return
        settings = task.settings().capped(self.settings.max_new_tokens)

        def on_batch(idx: list[int], gens: list[Generation]) -> None:
            self._write(task, [(items[i], g) for i, g in zip(idx, gens, strict=True)], thumbs)

        self.adapter.generate([it.requests[0][0] for it in items], settings, on_batch=on_batch)

    def _loglikelihood(self, task: Task, items: list[Item], thumbs: set[str]) -> None:
        if not items:
            return
        flat: list[tuple[int, int]] = []
        inputs: list[ModelInput] = []
        conts: list[str] = []
        for owner, it in enumerate(items):
            for k, (inp, cont) in enumerate(it.requests):
                flat.append((owner, k))
                inputs.append(inp)
                conts.append(cont or "")
        pending = {o: [None] * len(it.requests) for o, it in enumerate(items)}

        def on_batch(idx: list[int], lls: list[LogLikelihood]) -> None:
            complete = []
            for i, ll in zip(idx, lls, strict=True):
                owner, k = flat[i]
                pending[owner][k] = ll  # type: ignore[call-overload]
                if all(x is not None for x in pending[owner]):
                    complete.append((items[owner], list(pending.pop(owner))))
            if complete:
                self._write(task, complete, thumbs)

        self.adapter.loglikelihood(inputs, conts, on_batch=on_batch)

    def _write(self, task: Task, pairs: list[tuple[Item, Any]], thumbs: set[str]) -> None:
        records = [self._record(task, it, out, thumbs) for it, out in pairs]
        self.folder.append_records(task.name, records, part=self.shard.part)
        self.progress.advance(len(records))

    def _record(self, task: Task, item: Item, output: Any, thumbs: set[str]) -> Record:
        rec: Record = {"id": item.sample.id, "lang": item.sample.lang,
                       "input_hash": item.input_hash or None, "prompt": item.prompt,
                       "output": None, "answer": None, "score": None, "error": item.error}
        if isinstance(output, Generation):
            rec["error"] = output.error
            if output.error is None:
                rec["output"] = output.text
                rec["n_tokens"] = output.n_tokens
        elif isinstance(output, list):
            errs = [ll.error for ll in output if ll.error]
            rec["error"] = errs[0] if errs else None
            if not errs:
                rec["output"] = [{"continuation": c, "total": clean_float(ll.total),
                                  "mean": clean_float(ll.mean), "n_tokens": ll.n_tokens}
                                 for (_, c), ll in zip(item.requests, output, strict=True)]
        if item.sample.id in thumbs:
            rec["thumb"] = self._thumbnail(task, item.sample)
        return scored_record(task, item.sample, rec)

    def _thumbnail(self, task: Task, sample: Sample) -> str | None:
        from tvbench.data.inputs import ImagePart

        try:
            part = sample.media[0]
            if isinstance(part, ImagePart):
                jpeg = thumbnail_jpeg(part.data)
            else:
                import io

                from PIL import Image

                frame = part.frames(1)[0]
                buf = io.BytesIO()
                Image.fromarray(frame).save(buf, format="PNG")
                jpeg = thumbnail_jpeg(buf.getvalue())
        except (MediaError, OSError):
            return None
        return self.folder.write_thumbnail(task.name, sample.id, jpeg)

    def _final_records(self, task: Task, items: list[Item]) -> list[Record]:
        on_disk = self.folder.read_records(task.name)
        missing = [it.sample.id for it in items if it.sample.id not in on_disk]
        if missing:
            files = [self.folder.samples_path(task.name), *self.folder.part_paths(task.name)]
            sizes = ", ".join(f"{p.name}={p.stat().st_size if p.exists() else 'absent'}"
                              for p in files)
            raise RuntimeError(f"task {task.name!r}: {len(missing)} items have no record "
                               f"after the run (first: {missing[0]!r}; read {sizes})")
        # Scoring is pure and cheap, so stored outputs are scored again with the current
        # options and metric code: a resumed run can never mix old and new scores.
        return [scored_record(task, it.sample, on_disk[it.sample.id]) for it in items]

    def _check_parity(self, task: Task, items: list[Item], records: list[Record]
                      ) -> dict[str, Any]:
        """Re-run the first N items alone (batch size 1) and compare the raw outputs."""
        chosen = [(it, r) for it, r in zip(items, records, strict=True)
                  if not it.error and not r.get("error")][: self.settings.check_parity]
        if not chosen:
            return {"checked": 0, "mismatches": []}
        settings = task.settings().capped(self.settings.max_new_tokens)
        saved = getattr(self.adapter, "batch_size", 1)
        try:
            self.adapter.batch_size = 1  # type: ignore[attr-defined]
            single = self.adapter.generate([it.requests[0][0] for it, _ in chosen], settings)
        finally:
            self.adapter.batch_size = saved  # type: ignore[attr-defined]
        mismatches = [it.sample.id for (it, r), g in zip(chosen, single, strict=True)
                      if g.text != r.get("output")]
        if mismatches:
            self.progress.note(f"{task.name}: {len(mismatches)}/{len(chosen)} items differ at "
                               f"batch size 1: {', '.join(mismatches[:5])}")
        return {"checked": len(chosen), "batch_size": saved, "mismatches": mismatches}
