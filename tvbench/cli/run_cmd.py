"""``tvbench run``: plan, then load each model in turn and run every task on it."""

from __future__ import annotations

import argparse
import shutil
import time
from dataclasses import replace
from typing import Any

from rich.markup import escape

from tvbench import config as configuration
from tvbench.cli.console import (
    RunProgress,
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
from tvbench.runs.plan import build_plan
from tvbench.runs.store import RunFolder, slug


def add_parser(sub: Any) -> None:
    p = sub.add_parser("run", help="evaluate models on tasks (no arguments: the offline default)",
                       description="Evaluate models on tasks. With no arguments, runs the plan "
                       "in tvbench.toml [run]: tiny offline checkpoints on the bundled data.")
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
        compile=args.compile, batch_invariant=args.batch_invariant)
    console = make_console(args.quiet)
    if plan.data_mode == "bundled":
        console.print("data: bundled synthetic data sets (pass --data hub for the real datasets)")
    from tvbench.models.registry import load_adapter, materialize
    from tvbench.runs.reuse import sibling_folders
    from tvbench.runs.runner import Runner
    from tvbench.runs.subset import folder_name
    from tvbench.scorers import build_scorers

    # before torch.distributed starts
    models = [replace(m, entry=materialize(m.entry)) for m in plan.models]
    shard = distributed.from_env()
    device = distributed.device_for(shard, plan.device)
    distributed.init(shard, device)
    quiet = args.quiet or not shard.main
    scorers = build_scorers(cfg)
    finished: list[tuple[str, dict[str, Any]]] = []
    folders = []
    started = time.perf_counter()
    for model in models:
        entry = model.entry
        folder = RunFolder(plan.output / folder_name(slug(entry.name), model.settings.subset))
        if args.overwrite and folder.root.exists() and shard.main:
            shutil.rmtree(folder.root)
        distributed.barrier(shard)
        with step(console, quiet, f"loading {entry.name}"):
            adapter = load_adapter(entry, device=device, dtype=plan.dtype)
        try:
            with RunProgress(console, quiet, entry.name) as progress:
                donors = [] if args.overwrite else sibling_folders(plan.output, folder.root)
                results = Runner(adapter, folder, model.settings, progress, scorers, shard,
                                 donors=donors).run(plan.tasks)
        finally:
            adapter.close()
        finished.append((entry.name, results))
        folders.append(folder.root)
        if shard.main:
            console.print(model_table(entry.name, results))
            console.print(remarks(model_notes(results), parity_lines(
                results, model.settings.check_parity, [t.task.name for t in plan.tasks])))
    if scorers.judge is not None:
        scorers.judge.close()
    distributed.shutdown(shard)
    if not shard.main:
        return 0
    for task_plan in plan.tasks:
        for table in language_tables(task_plan.task.name, finished, console.width):
            console.print(table)
    if not args.no_report:
        from tvbench.report.build import refresh_reports

        paths = refresh_reports(plan.output)
        console.print("reports: " + ", ".join(str(p) for p in paths))
    console.print(f"run folders: {', '.join(str(f) for f in folders)} "
                  f"({time.perf_counter() - started:.1f}s)")
    hint = next_step_hint(any(m.entry.tiny for m in models), plan.data_mode == "bundled")
    if hint:
        console.print(escape(hint))
    return 0
