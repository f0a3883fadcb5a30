"""``tvbench gate CANDIDATE --baseline BASELINE``: fail CI when a checkpoint regresses."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.table import Table

from tvbench import config as configuration
from tvbench.cli.console import make_console
from tvbench.runs.gate import GateReport, compare, rules_from_config
from tvbench.runs.store import RunFolder


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "gate", help="compare a run with a baseline run; exit 1 on a regression",
        description="Exit 0 when every task holds up, 1 on a regression, 2 when the runs "
        "cannot be compared (different signatures, nothing scored). Thresholds come from "
        "[gate] in tvbench.toml; flags override the defaults.")
    p.add_argument("candidate", help="run folder of the new checkpoint")
    p.add_argument("--baseline", required=True, help="run folder to compare against")
    p.add_argument("--tasks", metavar="T1,T2", help="only these tasks")
    p.add_argument("--max-drop", type=float, metavar="POINTS",
                   help="largest allowed drop on the 0-100 scale")
    p.add_argument("--min-score", type=float, metavar="SCORE", help="smallest allowed score")
    p.add_argument("--per-language", action="store_true", default=None,
                   help="also gate every language's score")
    p.add_argument("--allow-errors", action="store_true", default=None,
                   help="do not fail on per-item errors")
    p.add_argument("--allow-batch-size-change", action="store_true", default=None,
                   help="compare runs made at different batch sizes even where outputs depend "
                   "on the batch (GPU, bf16)")
    p.add_argument("--markdown", metavar="FILE", help="also write the verdict as Markdown")
    p.set_defaults(func=cmd_gate)


def _load(path: str) -> dict[str, Any]:
    folder = RunFolder(path)
    results = folder.read_results()
    if results is None:
        raise FileNotFoundError(f"{path}: no results.json (not a run folder)")
    return results


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:.2f}"


def to_markdown(report: GateReport, candidate: str, baseline: str) -> str:
    verdict = {0: "passed", 1: "FAILED", 2: "could not compare"}[report.exit_code]
    lines = [f"### tvbench gate: {verdict}", "", f"candidate `{candidate}` vs baseline "
             f"`{baseline}`", "", "| task | lang | candidate | baseline | Δ | verdict | reason |",
             "|---|---|---:|---:|---:|---|---|"]
    for c in report.checks:
        lines.append(f"| {c.task} | {c.lang or 'all'} | {_fmt(c.candidate)} | "
                     f"{_fmt(c.baseline)} | {_fmt(c.delta)} | {c.verdict} | "
                     f"{c.reason.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def cmd_gate(args: argparse.Namespace) -> int:
    cfg = configuration.load(args.config)
    default, per_task = rules_from_config(cfg.gate, args.max_drop, args.min_score)
    per_language = args.per_language if args.per_language is not None else bool(
        cfg.gate.get("per_language", False))
    allow_errors = args.allow_errors if args.allow_errors is not None else bool(
        cfg.gate.get("allow_errors", False))
    allow_batch = args.allow_batch_size_change if args.allow_batch_size_change is not None \
        else bool(cfg.gate.get("allow_batch_size_change", False))
    report = compare(_load(args.candidate), _load(args.baseline), default=default,
                     per_task=per_task, tasks=args.tasks.split(",") if args.tasks else None,
                     per_language=per_language, allow_errors=allow_errors,
                     allow_batch_size_change=allow_batch)
    table = Table(title=f"gate: {args.candidate} vs {args.baseline}")
    for col in ("task", "lang", "candidate", "baseline", "Δ", "verdict", "reason"):
        table.add_column(col, overflow="fold")
    styles = {"pass": "green", "fail": "bold red", "incomparable": "yellow"}
    for c in report.checks:
        table.add_row(c.task, c.lang or "all", _fmt(c.candidate), _fmt(c.baseline),
                      _fmt(c.delta), f"[{styles.get(c.verdict, '')}]{c.verdict}[/]" if
                      c.verdict in styles else c.verdict, c.reason)
    console = make_console(args.quiet)
    console.print(table)
    verdict = {0: "gate passed", 1: f"gate FAILED: {len(report.failed)} regression(s)",
               2: "gate could not compare the runs"}[report.exit_code]
    console.print(verdict)
    if args.markdown:
        from tvbench.runs.store import atomic_write

        atomic_write(Path(args.markdown), to_markdown(report, args.candidate, args.baseline))
    return report.exit_code
