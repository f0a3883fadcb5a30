"""``tvbench run``: plan, check, lock the run folders, then run every task on each model.

Exit status: 0 all items answered; 2 the run could not start or failed (a bad flag, a locked
folder, a full disk); 3 it finished (or stopped early) with item errors, listed on the
terminal and in each folder's run.log (``--allow-errors`` turns 3 into 0); 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.markup import escape

from tvbench import config as configuration
from tvbench.cli.console import (
    RunProgress,
    error_lines,
    language_tables,
    make_console,
    model_notes,
    model_table,
    next_step_hint,
    parity_lines,
    remarks,
    step,
)
from tvbench.runs import distributed
from tvbench.runs.failures import DEFAULT_MAX_CONSECUTIVE_ERRORS, EXIT_ITEM_ERRORS, TooManyErrors
from tvbench.runs.plan import build_plan
from tvbench.runs.store import RunFolder, slug


def add_parser(sub: Any) -> None:
    p = sub.add_parser("run", help="evaluate models on tasks (no arguments: the offline default)",
                       description="Evaluate models on tasks. With no arguments, runs the plan "
                       "in tvbench.toml [run]: tiny offline checkpoints on the bundled data. "
                       "Exit status: 0 done, 2 error, 3 finished with item errors, "
                       "130 interrupted.")
    p.add_argument("--model", action="append", metavar="MODEL",
                   help="tvbench.toml entry, FAMILY, FAMILY:PATH_OR_HUB_ID[@REV], "
                   "vllm:FAMILY:PATH_OR_HUB_ID[@REV] or openai:NAME@URL (repeatable)")
    p.add_argument("--tasks", metavar="T1,T2", help="comma-separated task names")
    p.add_argument("--languages", metavar="paper|all|de,fr",
                   help="paper: each task's languages in the TowerVision paper (default); "
                   "all: every language a task reads; or a list of BCP-47 codes")
    p.add_argument("--limit", type=int, metavar="N", help="at most N items per language")
    p.add_argument("--subset", type=int, metavar="N",
                   help="a fixed sample of N items per language of every task, chosen by a "
                   "seeded hash of the item ids (same ids on every machine); written to "
                   "MODEL.subsetN-seedS/")
    p.add_argument("--seed", type=int, metavar="S", help="which --subset sample (default 0)")
    p.add_argument("--batch-size", type=int, metavar="N",
                   help="inputs per model batch (the item cap)")
    p.add_argument("--batch-tokens", type=int, metavar="N",
                   help="also cap each batch at N padded tokens, visual tokens included "
                   "(transformers backend)")
    p.add_argument("--compile", nargs="?", const="inductor", metavar="BACKEND",
                   help="generate with a static KV cache and torch.compile (default backend "
                   "inductor; transformers backend)")
    p.add_argument("--batch-invariant", action="store_true",
                   help="float32, TF32 off, deterministic kernels (transformers); vLLM's "
                   "batch-invariant mode (see README for where outputs equal batch size 1)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None)
    p.add_argument("--dtype", choices=["auto", "float32", "bfloat16", "float16"], default=None)
    p.add_argument("--output", metavar="DIR", help="root folder for run folders (default runs/)")
    p.add_argument("--data", action="append", default=[], metavar="TASK=PATH|bundled|hub",
                   help="a local copy for one task, or where all tasks read from by default "
                   "(bundled: the shipped synthetic sets; 'samples' is its old name)")
    p.add_argument("--task-opt", action="append", default=[], metavar="TASK.OPTION=VALUE",
                   help="set a task option, e.g. textvqa.normaliser=evalai-clean")
    p.add_argument("--max-new-tokens", type=int, metavar="N",
                   help="cap every task's generation length (recorded in signatures)")
    p.add_argument("--check-parity", type=int, metavar="N",
                   help="re-run N items per task at batch size 1 and report mismatches")
    p.add_argument("--retry-errors", action="store_true",
                   help="when resuming, run again the items that ended in an error")
    p.add_argument("--exclude-errors", action="store_true", default=None,
                   help="leave failed items out of the scores instead of counting them as "
                   "0, as official scorers do (recorded in signatures)")
    p.add_argument("--max-consecutive-errors", type=int, metavar="N",
                   default=DEFAULT_MAX_CONSECUTIVE_ERRORS,
                   help="stop when the model fails on N items in a row, e.g. the first N "
                   f"(default {DEFAULT_MAX_CONSECUTIVE_ERRORS}; 0: never stop)")
    p.add_argument("--allow-errors", action="store_true",
                   help="exit 0 even when items ended in errors (they are still listed)")
    p.add_argument("--threads", type=int, metavar="N",
                   help="torch intra-op threads (default: the CPUs this process may use, "
                   "shared among data-parallel ranks)")
    p.add_argument("--overwrite", action="store_true",
                   help="delete existing run folders of these models instead of resuming "
                   "(and take no finished items from their other run folders)")
    p.add_argument("--no-report", action="store_true",
                   help="do not refresh the leaderboards in the output folder")
    p.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    cfg = configuration.load(args.config)
    plan = build_plan(
        cfg, models=args.model, tasks=args.tasks.split(",") if args.tasks else None,
        data=args.data, task_options=args.task_opt,
        languages=args.languages.split(",") if args.languages else None, limit=args.limit,
        batch_size=args.batch_size, device=args.device, dtype=args.dtype, output=args.output,
        max_new_tokens=args.max_new_tokens, check_parity=args.check_parity,
        retry_errors=args.retry_errors, subset=args.subset, seed=args.seed,
        exclude_errors=args.exclude_errors, batch_tokens=args.batch_tokens,
        compile=args.compile, batch_invariant=args.batch_invariant, threads=args.threads,
        max_consecutive_errors=args.max_consecutive_errors)
    from tvbench.runs.preflight import check_hub, preload_bundled
    from tvbench.runs.subset import folder_name

    offline = check_hub([m.entry for m in plan.models], plan.tasks)
    common = plan.models[0].settings
    tasks = preload_bundled(plan.tasks, common.languages, common.limit)
    folders = [RunFolder(plan.output / folder_name(slug(m.entry.name), m.settings.subset))
               for m in plan.models]
    console = make_console(args.quiet)
    shard = distributed.from_env()
    if shard.main and plan.data_mode == "bundled":
        console.print("data: bundled synthetic data sets (pass --data hub for the real datasets)")
    if shard.main and offline:
        console.print(f"note: working offline from the local cache: {escape(offline)}")
    with ExitStack() as stack:
        logs = _take_folders(stack, folders, args.overwrite, console) if shard.main else None
        return _run_models(args, cfg, plan, tasks, folders, logs, shard, console)


def _take_folders(stack: ExitStack, folders: list[RunFolder], overwrite: bool,
                  console: Any) -> list[Any]:
    """Lock every run folder before any model loads (rank 0 speaks for a data-parallel run),
    tidy what a killed run left, and clear the folder for ``--overwrite``."""
    from tvbench.runs.lock import RunLock, command_line
    from tvbench.runs.runlog import RunLog

    logs = []
    for parent in {f.root.parent for f in folders}:
        if not parent.exists():  # the output root this run creates; runs last (LIFO)
            stack.callback(_remove_new_empty_folders, parent, _first_missing(parent))
    for folder in folders:
        if not folder.root.exists():  # runs after the lock is released (LIFO)
            stack.callback(_remove_if_only_the_log, folder.root)
        lock = stack.enter_context(RunLock(folder.root))
        log = RunLog(folder.root)
        log.write(f"run started: {command_line()}")
        if lock.took_over:
            log.write(lock.took_over)
            console.print(f"note: {escape(lock.took_over)}", overflow="fold")
        for path in folder.sweep_temporary():
            log.write(f"removed a temporary file left by an earlier run: {path}")
        if overwrite:
            folder.clear()
            log.write("--overwrite: cleared the earlier run")
        logs.append(log)
    return logs


def _first_missing(path: Path) -> Path:
    """The outermost folder of ``path`` that does not exist yet."""
    while not path.parent.exists():
        path = path.parent
    return path


def _remove_new_empty_folders(deepest: Path, outermost: Path) -> None:
    """The output folders this run created, if it left them empty (it failed early)."""
    path = deepest
    while True:
        try:
            path.rmdir()  # only an empty folder goes
        except OSError:
            return
        if path == outermost:
            return
        path = path.parent


def _remove_if_only_the_log(root: Path) -> None:
    """A folder this run created and left holding nothing but its log (it failed before the
    model's first item) is removed: a run that did nothing leaves nothing behind."""
    from tvbench.runs.runlog import LOG_NAME

    try:
        if [p.name for p in root.iterdir()] == [LOG_NAME]:
            (root / LOG_NAME).unlink()
            root.rmdir()
    except OSError:
        pass


def _run_models(args: argparse.Namespace, cfg: Any, plan: Any, tasks: Any,
                folders: list[RunFolder], logs: list[Any] | None, shard: Any,
                console: Any) -> int:
    from tvbench.models.loading import is_cpu_sized as cpu_sized
    from tvbench.models.registry import materialize
    from tvbench.runs.lock import command_line
    from tvbench.runs.reuse import sibling_folders
    from tvbench.runs.runner import Runner
    from tvbench.runs.threads import plan_threads
    from tvbench.scorers import build_scorers

    # before torch.distributed starts
    models = [replace(m, entry=materialize(m.entry)) for m in plan.models]
    threads = plan_threads(args.threads)
    device = distributed.device_for(shard, plan.device)
    distributed.init(shard, device)
    quiet = args.quiet or not shard.main
    scorers = build_scorers(cfg)
    finished: list[tuple[str, dict[str, Any]]] = []
    stopped: str | None = None
    started = time.perf_counter()
    try:
        for k, (model, folder) in enumerate(zip(models, folders, strict=True)):
            log = logs[k] if logs else None

            def run_one(model: Any = model, folder: RunFolder = folder, log: Any = log
                        ) -> dict[str, Any]:
                small = model.entry.tiny or bool(model.entry.path and cpu_sized(
                    model.entry.path))
                model_device = (distributed.device_for(shard, plan.device, small)
                                if shard.active else device)
                adapter = _adapter(model.entry, folder, plan, model_device, threads, console,
                                   quiet)
                try:
                    with RunProgress(console, quiet, model.entry.name) as progress:
                        donors = ([] if args.overwrite else
                                  sibling_folders(plan.output, folder.root))
                        return Runner(adapter, folder, model.settings, progress, scorers,
                                      shard, donors=donors, log=log).run(tasks)
                finally:
                    adapter.close()

            try:
                results = run_one()
            except TooManyErrors as exc:
                stopped = (f"{model.entry.name}: {exc}. Fix the cause, then resume with: "
                           f"{_retry_command(command_line())}")
                if log is not None:
                    log.write(f"stopped: {stopped}")
                done = folder.read_results() if shard.main else None
                if done and done.get("tasks"):  # the tasks it finished before stopping
                    finished.append((model.entry.name, done))
                break
            except KeyboardInterrupt:
                if log is not None:
                    log.write("interrupted (Ctrl-C); finished items are saved")
                raise
            except Exception as exc:  # said on the terminal by main(); kept in the log too
                if log is not None:
                    log.write(f"failed: {type(exc).__name__}: {exc}")
                raise
            finished.append((model.entry.name, results))
            if shard.main:
                console.print(model_table(model.entry.name, results))
                console.print(remarks(model_notes(results), parity_lines(
                    results, model.settings.check_parity, [t.task.name for t in plan.tasks])))
    finally:
        if scorers.judge is not None:
            scorers.judge.close()
        distributed.shutdown(shard)
    if not shard.main:
        return 0
    for task_plan in plan.tasks if finished else ():
        for table in language_tables(task_plan.task.name, finished, console.width):
            console.print(table)
    if not args.no_report:
        from tvbench.report.build import refresh_reports

        paths = refresh_reports(plan.output)
        console.print("reports: " + ", ".join(str(p) for p in paths))
    console.print(f"run folders: {', '.join(str(f.root) for f in folders)} "
                  f"({time.perf_counter() - started:.1f}s)")
    hint = next_step_hint(any(m.entry.tiny for m in models), plan.data_mode == "bundled")
    if hint:
        console.print(escape(hint))
    names = [t.task.name for t in plan.tasks]
    return _exit_status(finished, names, stopped, args.allow_errors, console)


def _adapter(entry: Any, folder: RunFolder, plan: Any, device: str, threads: Any,
             console: Any, quiet: bool) -> Any:
    """The model's adapter; a stand-in that loads it on first use when the folder already
    holds this model's run (a rerun with nothing left to generate loads nothing)."""
    from tvbench.models.registry import capabilities, load_adapter
    from tvbench.runs import threads as thread_settings
    from tvbench.runs.lazy import LazyAdapter, stored_device, stored_spec

    def load() -> Any:
        thread_settings.apply(threads)
        return load_adapter(entry, device=device, dtype=plan.dtype)

    spec = stored_spec(folder, entry, plan.dtype)
    if spec is not None:
        return LazyAdapter(load, spec, capabilities(entry), str(folder.root),
                           device=stored_device(folder))
    with step(console, quiet, f"loading {entry.name}"):
        return load()


def _retry_command(command: str) -> str:
    return command if "--retry-errors" in command.split() else command + " --retry-errors"


def _exit_status(finished: list[tuple[str, dict[str, Any]]], tasks: list[str],
                 stopped: str | None, allow_errors: bool, console: Any) -> int:
    """0, or EXIT_ITEM_ERRORS with every task's distinct errors listed, most frequent first."""
    lines = error_lines(finished, tasks)
    if not lines and stopped is None:
        return 0
    for line in lines:
        console.print(escape(line), overflow="fold")
    if stopped is not None:
        console.print(f"[bold red]stopped:[/] {escape(stopped)}", overflow="fold")
        return EXIT_ITEM_ERRORS
    if allow_errors:
        console.print("finished with item errors (--allow-errors: exit status 0)")
        return 0
    console.print(f"finished with item errors (exit status {EXIT_ITEM_ERRORS}; "
                  "--allow-errors exits 0; --retry-errors runs them again)")
    return EXIT_ITEM_ERRORS
