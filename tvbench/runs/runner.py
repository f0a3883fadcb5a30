"""Run tasks on one model into one run folder, resumably.

For each task (:meth:`Runner.run_task`, which reads top to bottom as the path of an item):
load the items, prepare their requests, skip those already in ``records/<task>.jsonl``
(checking their input hashes), run the rest through the adapter and append a record per item
as each batch completes, score every record afresh, let the task's model-based metrics make
new records (:meth:`Task.rescore`), aggregate, and rewrite the records and results atomically.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tvbench.data.inputs import GenerationSettings, ModelInput
from tvbench.data.item import Item
from tvbench.data.loading import DataSource
from tvbench.data.media import MediaError, thumbnail_jpeg
from tvbench.data.outputs import Generation, LogLikelihood
from tvbench.data.record import ItemRecord
from tvbench.models.base import Adapter, Capability, CapabilityError
from tvbench.runs.distributed import Shard, barrier
from tvbench.runs.environment import environment
from tvbench.runs.items import Prepared, prepare, record_of, scored
from tvbench.runs.results import summarize_task
from tvbench.runs.store import SCHEMA_VERSION, RunFolder, RunFolderError
from tvbench.tasks.base import Task
from tvbench.tasks.scoring import NoScorers, Scorers


@dataclass(frozen=True)
class RunSettings:
    """Knobs that apply to every task of one model's run, resolved by the plan."""

    batch_size: int = 8  # inputs per adapter batch; outputs are identical at any size
    batch_tokens: int | None = None  # padded tokens per batch (visual included), or no cap
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
                 progress: Progress | None = None, scorers: Scorers | None = None,
                 shard: Shard | None = None) -> None:
        self.adapter = adapter
        self.folder = folder
        self.settings = settings
        self.progress = progress or SilentProgress()
        self.scorers: Scorers = scorers or NoScorers()
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
                           "batch_tokens": self.settings.batch_tokens,
                           "limit": self.settings.limit,
                           "max_new_tokens": self.settings.max_new_tokens,
                           **batching_record(self.adapter)},
                   "tasks": tasks}
        self.folder.write_results(results)
        return results

    # ------------------------------------------------------------------ task
    def run_task(self, plan: TaskPlan) -> dict[str, Any]:
        """One task, from dataset items to its results.json block."""
        task = plan.task
        items = task.load(plan.source, self.settings.languages, self.settings.limit)
        if not items:
            raise ValueError(f"task {task.name!r}: no items after filtering (languages "
                             f"{self.settings.languages}, source {plan.source.describe()})")
        generation = task.settings().capped(self.settings.max_new_tokens)
        prepared = [prepare(task, it, generation.describe()) for it in items]
        done = self._reusable(task, prepared)
        # Shard over the full item list (not over what is left), and let every rank read the
        # folder before any rank writes, so all ranks agree on who does what.
        barrier(self.shard)
        todo = [p for p in self.shard.mine(prepared) if p.item.id not in done]
        self.progress.task_started(task.name, len(prepared), len(prepared) - len(todo))
        thumbs = self._thumbnail_quota(prepared, done)
        broken = [p for p in todo if p.error]
        if broken:
            self._write(task, [(p, None) for p in broken], thumbs)
        runnable = [p for p in todo if not p.error]
        if task.kind == "generate":
            self._generate(task, runnable, generation, thumbs)
        else:
            self._loglikelihood(task, runnable, thumbs)
        barrier(self.shard)  # every rank's part file is complete
        if not self.shard.main:
            barrier(self.shard)  # wait for rank 0 to merge before the next task
            return {}
        records = self._final_records(task, prepared)
        self.progress.phase("scoring")  # COMET or a judge can take a while
        rescored = task.rescore(items, records, self.scorers)
        block = summarize_task(task, items, rescored, model=self.adapter.spec,
                               data_desc=plan.source.describe(), generation=generation)
        if self.settings.check_parity:
            block["parity"] = self._check_parity(task, prepared, rescored.records, generation)
            block["notes"] = [*block.get("notes", []), parity_note(block["parity"])]
        self.folder.write_records(task.name, rescored.records)
        barrier(self.shard)
        self.progress.task_finished(task.name, block)
        return block

    def _reusable(self, task: Task, prepared: list[Prepared]) -> dict[str, ItemRecord]:
        """Stored records that can stand; a stored item made from other inputs is refused."""
        done = self.folder.read_records(task.name)
        for p in prepared:
            old = done.get(p.item.id)
            if old is not None and old.input_hash != (p.input_hash or None):
                raise RunFolderError(
                    f"{self.folder.records_path(task.name)}: item {p.item.id!r} was made "
                    "from different inputs (prompt, data or settings changed); use a new "
                    "--output folder or pass --overwrite")
        if self.settings.retry_errors:
            done = {k: v for k, v in done.items() if not v.error}
        return done

    def _thumbnail_quota(self, prepared: list[Prepared], done: dict[str, ItemRecord]
                         ) -> set[str]:
        per_lang: dict[str, int] = {}
        chosen = set()
        for p in prepared:
            lang = p.item.lang
            if per_lang.get(lang, 0) < self.settings.thumbnails_per_language and p.item.media:
                per_lang[lang] = per_lang.get(lang, 0) + 1
                if p.item.id not in done:
                    chosen.add(p.item.id)
        return chosen

    def _generate(self, task: Task, todo: list[Prepared], generation: GenerationSettings,
                  thumbs: set[str]) -> None:
        if not todo:
            return

        def on_batch(idx: list[int], gens: list[Generation]) -> None:
            self._write(task, [(todo[i], g) for i, g in zip(idx, gens, strict=True)], thumbs)

        self.adapter.generate([p.requests[0][0] for p in todo], generation,
                              batch_size=self.settings.batch_size, on_batch=on_batch,
                              **self._budget())

    def _loglikelihood(self, task: Task, todo: list[Prepared], thumbs: set[str]) -> None:
        if not todo:
            return
        flat: list[tuple[int, int]] = []
        inputs: list[ModelInput] = []
        conts: list[str] = []
        for owner, p in enumerate(todo):
            for k, (inp, cont) in enumerate(p.requests):
                flat.append((owner, k))
                inputs.append(inp)
                conts.append(cont or "")
        pending = {o: [None] * len(p.requests) for o, p in enumerate(todo)}

        def on_batch(idx: list[int], lls: list[LogLikelihood]) -> None:
            complete = []
            for i, ll in zip(idx, lls, strict=True):
                owner, k = flat[i]
                pending[owner][k] = ll  # type: ignore[call-overload]
                if all(x is not None for x in pending[owner]):
                    complete.append((todo[owner], list(pending.pop(owner))))
            if complete:
                self._write(task, complete, thumbs)

        self.adapter.loglikelihood(inputs, conts, batch_size=self.settings.batch_size,
                                   on_batch=on_batch, **self._budget())

    def _budget(self) -> dict[str, int]:
        """The token budget, passed only when set (adapters without one need not know it)."""
        tokens = self.settings.batch_tokens
        return {} if tokens is None else {"batch_tokens": tokens}

    def _write(self, task: Task, answered: list[tuple[Prepared, Any]], thumbs: set[str]) -> None:
        """Append the scored records of items the model (or the data) has answered."""
        records = [scored(task, p.item, record_of(p, output, self._thumbnail(task, p.item)
                                                  if p.item.id in thumbs else None))
                   for p, output in answered]
        self.folder.append_records(task.name, records, part=self.shard.part)
        self.progress.advance(len(records))

    def _thumbnail(self, task: Task, item: Item) -> str | None:
        from tvbench.data.inputs import ImagePart

        try:
            part = item.media[0]
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
        return self.folder.write_thumbnail(task.name, item.id, jpeg)

    def _final_records(self, task: Task, prepared: list[Prepared]) -> list[ItemRecord]:
        on_disk = self.folder.read_records(task.name)
        missing = [p.item.id for p in prepared if p.item.id not in on_disk]
        if missing:
            files = [self.folder.records_path(task.name), *self.folder.part_paths(task.name)]
            sizes = ", ".join(f"{f.name}={f.stat().st_size if f.exists() else 'absent'}"
                              for f in files)
            raise RuntimeError(f"task {task.name!r}: {len(missing)} items have no record "
                               f"after the run (first: {missing[0]!r}; read {sizes})")
        # Scoring is pure and cheap, so stored outputs are scored again with the current
        # options and metric code: a resumed run can never mix old and new scores.
        return [scored(task, p.item, on_disk[p.item.id]) for p in prepared]

    def _check_parity(self, task: Task, prepared: list[Prepared], records: Sequence[ItemRecord],
                      generation: GenerationSettings) -> dict[str, Any]:
        """Re-run the first N items alone (batch size 1) and compare the raw outputs: the
        generated text, or every candidate's log-probability within ``PARITY_NATS``."""
        chosen = [(p, r) for p, r in zip(prepared, records, strict=True)
                  if not p.error and not r.error][: self.settings.check_parity]
        if not chosen:
            return {"checked": 0, "batch_size": self.settings.batch_size, "mismatches": [],
                    "divergence": 0.0}
        extra: dict[str, Any] = {}
        if task.kind == "generate":
            single = self.adapter.generate([p.requests[0][0] for p, _ in chosen], generation,
                                           batch_size=1)
            mismatches = [p.item.id for (p, r), g in zip(chosen, single, strict=True)
                          if g.text != r.text]
        else:
            mismatches, worst = self._loglikelihood_parity(chosen)
            extra["max_abs_diff"] = worst
        if mismatches:
            self.progress.note(f"{task.name}: {len(mismatches)}/{len(chosen)} items differ at "
                               f"batch size 1: {', '.join(mismatches[:5])}")
        return {"checked": len(chosen), "batch_size": self.settings.batch_size,
                "mismatches": mismatches, "divergence": len(mismatches) / len(chosen), **extra}

    def _loglikelihood_parity(self, chosen: list[tuple[Prepared, ItemRecord]]
                              ) -> tuple[list[str], float]:
        inputs = [inp for p, _ in chosen for inp, _ in p.requests]
        conts = [c or "" for p, _ in chosen for _, c in p.requests]
        single = iter(self.adapter.loglikelihood(inputs, conts, batch_size=1))
        mismatches, worst = [], 0.0
        for p, r in chosen:
            stored = r.output if isinstance(r.output, tuple) else ()
            diffs = [abs(ll.total - c.total) if c.total is not None else math.inf
                     for c, ll in zip(stored, [next(single) for _ in p.requests], strict=True)]
            worst = max([worst, *diffs])
            if any(not d <= PARITY_NATS for d in diffs):
                mismatches.append(p.item.id)
        return mismatches, worst


#: Log-likelihoods within this many nats of batch size 1's are equal (float32 on CPU agrees
#: to about 1e-5).
PARITY_NATS = 1e-4


def parity_note(parity: dict[str, Any]) -> str:
    """The parity check as one line for the terminal summary and the reports."""
    n, bad = parity["checked"], len(parity["mismatches"])
    rate = f" ({100 * bad / n:.1f} % divergence)" if n else ""
    worst = (f", largest log-likelihood difference {parity['max_abs_diff']:.2g} nats"
             if "max_abs_diff" in parity else "")
    return (f"parity: {bad}/{n} checked items differ from batch size 1 at batch size "
            f"{parity['batch_size']}{rate}{worst}")


def batching_record(adapter: Adapter) -> dict[str, Any]:
    """Where the model ran, for ``tvbench gate``: outputs equal batch size 1's exactly only
    on the CPU in float32 (the tested case); elsewhere they can depend on the batch."""
    device = getattr(adapter, "device", None)
    dtype = adapter.spec.dtype
    return {"device": device, "batch_exact": device == "cpu" and dtype == "float32"}
