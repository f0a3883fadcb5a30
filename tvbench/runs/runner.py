"""Run tasks on one model into one run folder, resumably.

For each task (:meth:`Runner.run_task`, which reads top to bottom as the path of an item):
load the items, prepare their requests, skip those already in ``records/<task>.jsonl``
(checking their input hashes), run the rest through the adapter and append a record per item
as each batch completes, score every record afresh, let the task's model-based metrics make
new records (:meth:`Task.rescore`), aggregate, and rewrite the records and results atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from tvbench.data.inputs import GenerationSettings, ModelInput
from tvbench.data.item import Item
from tvbench.data.loading import DataSource
from tvbench.data.outputs import Generation, LogLikelihood
from tvbench.data.record import ItemRecord
from tvbench.models.base import Adapter, Capability, CapabilityError
from tvbench.runs.distributed import Shard, barrier
from tvbench.runs.environment import environment
from tvbench.runs.failures import DEFAULT_MAX_CONSECUTIVE_ERRORS, FailureWatch, errors_block
from tvbench.runs.items import Prepared, prepare, record_of, scored
from tvbench.runs.lazy import budget, model_block, spec_block
from tvbench.runs.parity import batching_record, check_parity
from tvbench.runs.results import Summary, summarize_task, with_item_stats
from tvbench.runs.reuse import borrow, copy_thumbnail, donors_for, output_identity
from tvbench.runs.runlog import NoLog, RunLog, log_task
from tvbench.runs.store import SCHEMA_VERSION, RunFolder, RunFolderError
from tvbench.runs.subset import Subset
from tvbench.runs.threads import plan_threads
from tvbench.runs.thumbnails import thumbnail
from tvbench.tasks.base import Task
from tvbench.tasks.scoring import NoScorers, Scorers

#: ``--languages`` presets: each task's paper set (the default), or every language it reads.
LANGUAGE_PRESETS = ("paper", "all")


@dataclass(frozen=True)
class RunSettings:
    """Knobs that apply to every task of one model's run, resolved by the plan."""

    batch_size: int = 8  # inputs per adapter batch; outputs are identical at any size
    batch_tokens: int | None = None  # padded tokens per batch (visual included), or no cap
    limit: int | None = None  # items per language
    #: A preset ("paper", "all") or an explicit list of BCP-47 codes.
    languages: str | tuple[str, ...] = "paper"
    max_new_tokens: int | None = None  # cap on every task's generation length
    check_parity: int = 0  # re-run this many items at batch size 1 and compare
    retry_errors: bool = False
    thumbnails_per_language: int = 4
    subset: Subset | None = None  # a fixed per-language sample of every task (CI budgets)
    exclude_errors: bool = False  # leave failed items out of scores instead of counting 0
    #: Stop when the model fails on this many items in a row (0: never); see FailureWatch.
    max_consecutive_errors: int = DEFAULT_MAX_CONSECUTIVE_ERRORS
    threads: int | None = None  # torch intra-op threads (``--threads``); None: from the CPUs


def language_choice(task: Task, languages: str | tuple[str, ...]
                    ) -> tuple[frozenset[str] | None, str]:
    """The languages a task loads under ``--languages`` and the preset name for its
    signatures: "paper" (the task's paper set), "all", or "custom" for an explicit list
    (named "paper" when it is exactly the paper set)."""
    if isinstance(languages, str):
        chosen = task.language_selection(languages)
        return chosen, "paper" if chosen is not None and languages == "paper" else "all"
    wanted = frozenset(languages)
    paper = task.language_selection("paper")
    return wanted, "paper" if paper is not None and wanted == paper else "custom"


@dataclass(frozen=True)
class TaskPlan:
    """A task and where it reads from; ``items``, when set, were loaded already (with the
    run's languages and limit) and are shared by every model of the run."""

    task: Task
    source: DataSource
    items: tuple[Item, ...] | None = None


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


def _by_settings(prepared: Sequence[Prepared], gen_for: Callable[[str], GenerationSettings]
                 ) -> list[tuple[GenerationSettings, list[Prepared]]]:
    """Items grouped by the decoding settings of their language, in first-seen order."""
    groups: dict[GenerationSettings, list[Prepared]] = {}
    for p in prepared:
        groups.setdefault(gen_for(p.item.lang), []).append(p)
    return list(groups.items())


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
    """Runs a list of task plans on one adapter into one run folder.

    ``donors`` are other run folders (the model's siblings under the output root) whose
    finished items may be copied instead of generated again (:mod:`tvbench.runs.reuse`).
    """

    def __init__(self, adapter: Adapter, folder: RunFolder, settings: RunSettings,
                 progress: Progress | None = None, scorers: Scorers | None = None,
                 shard: Shard | None = None, donors: Sequence[RunFolder] = (),
                 log: RunLog | NoLog | None = None) -> None:
        self.adapter = adapter
        self.folder = folder
        self.settings = settings
        self.progress = progress or SilentProgress()
        self.scorers: Scorers = scorers or NoScorers()
        self.shard = shard or Shard()
        self.donors: list[RunFolder] = list(donors)
        self.log = log or NoLog()
        self._watch: FailureWatch | None = None
        self._served_before: Any = None  # what answered earlier runs into this folder

    # ------------------------------------------------------------------ entry
    def run(self, plans: Sequence[TaskPlan]) -> dict[str, Any]:
        check_capabilities(self.adapter.capabilities, [p.task for p in plans],
                           self.adapter.spec.name)
        results = self._open_results() if self.shard.main else {"tasks": {}}
        self.donors = donors_for(self.donors, self._model_block())
        barrier(self.shard)
        for plan in plans:
            block = self.run_task(plan)
            if self.shard.main:
                results["model"] = model_block(self.adapter, self._served_before)
                results["tasks"][plan.task.name] = block
                self.folder.write_results(results)
        return results

    def _model_block(self) -> dict[str, Any]:
        return spec_block(self.adapter.spec)

    def _open_results(self) -> dict[str, Any]:
        spec = self.adapter.spec
        model = self._model_block()
        old = self.folder.read_results()
        if old is not None:
            before = old.get("model", {})
            if output_identity(before) != output_identity(model):
                raise RunFolderError(
                    f"{self.folder.root} holds a run of {before.get('source')}@"
                    f"{before.get('revision')} ({before.get('dtype')}, "
                    f"{before.get('settings')}), not {spec.identity()} ({spec.dtype}, "
                    f"{spec.settings}); choose another --output or pass --overwrite")
        tasks = dict(old.get("tasks", {})) if old else {}
        self._served_before = (old.get("model") or {}).get("served") if old else None
        # Written when the first task is done: a run that fails before that leaves no
        # results.json pretending to be one.
        threads = plan_threads(self.settings.threads).describe()
        return {"schema_version": SCHEMA_VERSION, **environment(threads), "model": model,
                "run": {"batch_size": self.settings.batch_size,
                        "batch_tokens": self.settings.batch_tokens,
                        **batching_record(self.adapter),
                        "limit": self.settings.limit,
                        "max_new_tokens": self.settings.max_new_tokens,
                        "languages": (self.settings.languages
                                      if isinstance(self.settings.languages, str)
                                      else list(self.settings.languages)),
                        "exclude_errors": self.settings.exclude_errors,
                        **self._subset_setting()},
                "tasks": tasks}

    def _subset_setting(self) -> dict[str, Any]:
        subset = self.settings.subset
        return {} if subset is None else {"subset": subset.per_language, "seed": subset.seed}

    # ------------------------------------------------------------------ task
    def run_task(self, plan: TaskPlan) -> dict[str, Any]:
        """One task, from dataset items to its results.json block."""
        task = plan.task
        languages, langset = language_choice(task, self.settings.languages)
        items = (list(plan.items) if plan.items is not None else
                 task.load(plan.source, languages, self.settings.limit))
        available = len(items)
        subset = self.settings.subset
        if subset is not None:
            items = subset.select(task.name, items)
        if not items:
            raise ValueError(f"task {task.name!r}: no items after filtering (languages "
                             f"{self.settings.languages}, source {plan.source.describe()})")
        gen_for = self._generation_for(task)
        prepared = [prepare(task, it, gen_for(it.lang).describe() if task.kind == "generate"
                            else task.scoring().describe()) for it in items]
        done = self._reusable(task, prepared)
        borrowed = self._borrowed(task, prepared, done)
        done.update({k: r for k, (_, r) in borrowed.items()})
        # Shard over the full item list (not over what is left), and let every rank read the
        # folder before any rank writes, so all ranks agree on who does what.
        barrier(self.shard)
        if borrowed and self.shard.main:
            self._keep_borrowed(task, borrowed)
        todo = [p for p in self.shard.mine(prepared) if p.item.id not in done]
        self.progress.task_started(task.name, len(prepared), len(prepared) - len(todo))
        thumbs = self._thumbnail_quota(prepared, done)
        self._watch = FailureWatch(task.name, self.settings.max_consecutive_errors)
        broken = [p for p in todo if p.error]
        if broken:  # the data's errors: reported at the end, they cost no model time
            self._write(task, [(p, None) for p in broken], thumbs, watch=False)
        runnable = [p for p in todo if not p.error]
        if task.kind == "generate":
            for generation, group in _by_settings(runnable, gen_for):
                self._generate(task, group, generation, thumbs)
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
                               data_desc=plan.source.describe(), summary=Summary(
                                   gen_for, not self.settings.exclude_errors, langset),
                               subset=subset)
        if subset is not None:
            block["subset"] = subset.describe(items, available)
        block["error_messages"] = errors_block(rescored.records)
        log_task(self.log, task.name, block)
        if self.settings.check_parity:
            block["parity"] = self._check_parity(task, prepared, rescored.records, gen_for)
        self.folder.write_records(task.name, with_item_stats(
            task, items, rescored, count_errors=not self.settings.exclude_errors))
        barrier(self.shard)
        self.progress.task_finished(task.name, block)
        return block

    def _generation_for(self, task: Task) -> Callable[[str], GenerationSettings]:
        """A language's decoding settings as run: the task's, lowered to the run's cap."""
        cap = self.settings.max_new_tokens
        return lambda lang: task.generation_for(lang).capped(cap)

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

    def _borrowed(self, task: Task, prepared: list[Prepared], done: dict[str, ItemRecord]
                  ) -> dict[str, tuple[RunFolder, ItemRecord]]:
        """Finished records of items still to do, from the model's other run folders."""
        wanted = {p.item.id: p.input_hash for p in prepared
                  if p.item.id not in done and not p.error}
        return borrow(self.donors, task.name, wanted) if wanted and self.donors else {}

    def _keep_borrowed(self, task: Task, borrowed: dict[str, tuple[RunFolder, ItemRecord]]
                       ) -> None:
        """Copy borrowed records (and thumbnails) into this folder before anything else runs."""
        records = [replace(record, thumb=copy_thumbnail(donor, self.folder, record.thumb))
                   for donor, record in borrowed.values()]
        self.folder.append_records(task.name, records)
        self.progress.note(f"{task.name}: {len(records)} finished items taken from "
                           f"{', '.join(sorted({d.root.name for d, _ in borrowed.values()}))}")

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
                                   on_batch=on_batch, scoring=task.scoring(), **self._budget())

    def _budget(self) -> dict[str, int]:
        return budget(self.settings.batch_tokens)

    def _write(self, task: Task, answered: list[tuple[Prepared, Any]], thumbs: set[str],
               watch: bool = True) -> None:
        """Append the scored records of items the model (or the data) has answered."""
        records = [scored(task, p.item, record_of(
            p, output, thumbnail(self.folder, task.name, p.item) if p.item.id in thumbs
            else None)) for p, output in answered]
        self.folder.append_records(task.name, records, part=self.shard.part)
        self.progress.advance(len(records))
        if watch and self._watch is not None:
            self._watch.observe(records)  # the model's answers, saved: may stop the run

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
                      gen_for: Callable[[str], GenerationSettings]) -> dict[str, Any]:
        """Re-run the first N items alone (batch size 1) and compare the raw outputs."""
        chosen = [(p, r) for p, r in zip(prepared, records, strict=True)
                  if not p.error and not r.error][: self.settings.check_parity]
        result = check_parity(self.adapter, task.kind, chosen, self.settings.batch_size,
                              lambda group: _by_settings(group, gen_for), task.scoring())
        mismatches = result["mismatches"]
        if mismatches:
            self.progress.note(f"{task.name}: {len(mismatches)}/{len(chosen)} items differ at "
                               f"batch size 1: {', '.join(mismatches[:5])}")
        return result
