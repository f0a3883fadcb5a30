"""``tvbench gate CANDIDATE --baseline BASELINE``: fail CI when a checkpoint regresses."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from tvbench.runs.gate import GateReport


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "gate", help="compare a run with a baseline run; exit 1 on a regression",
        description="Exit 0 when every task holds up, 1 on a regression (a drop beyond the "
        "tolerance that a paired bootstrap over the shared items finds significant), 2 when "
        "the runs cannot be compared (different signatures, a named task missing, too few "
        "shared items, nothing scored). Settings come from [gate] in tvbench.toml; flags "
        "override them.")
    p.add_argument("candidate", help="run folder of the new checkpoint")
    p.add_argument("--baseline", required=True,
                   help="run folder to compare against (a measured run, or a reported one "
                   "such as reports/towervision-paper/towervision-2b)")
    p.add_argument("--tasks", metavar="T1,T2",
                   help="only these tasks (default: every task of the baseline)")
    p.add_argument("--max-drop", type=float, metavar="POINTS",
                   help="largest allowed drop on the metric's scale (default tolerance)")
    p.add_argument("--min-score", type=float, metavar="SCORE", help="smallest allowed score")
    p.add_argument("--per-language", action=argparse.BooleanOptionalAction, default=None,
                   help="also check every language and language group (default: on)")
    p.add_argument("--allow-errors", action="store_true", default=None,
                   help="do not fail on per-item errors")
    p.add_argument("--allow-batch-size-change", action="store_true", default=None,
                   help="compare runs made at different batch sizes even where outputs depend "
                   "on the batch (GPU, bf16)")
    p.add_argument("--alpha", type=float, metavar="A", help="significance level (0.05)")
    p.add_argument("--resamples", type=int, metavar="N", help="bootstrap resamples (10000)")
    p.add_argument("--seed", type=int, metavar="S", help="bootstrap seed (12345)")
    p.add_argument("--correction", choices=("bh", "holm", "none"),
                   help="multiple-comparison correction across a task's language and group "
                   "checks: bh = Benjamini-Hochberg (default), holm = Holm")
    p.add_argument("--min-items", type=int, metavar="N",
                   help="fewest shared items a check needs for the paired test (10)")
    p.add_argument("--markdown", metavar="FILE", help="also write the verdict as Markdown")
    p.add_argument("--junit", metavar="FILE", help="also write JUnit XML (one test per check)")
    p.add_argument("--json", metavar="FILE", help="also write the verdict as JSON")
    p.add_argument("--report", metavar="DIR", type=Path,
                   help="also write DIR/compare.html: the items that flipped, side by side")
    p.set_defaults(func=cmd_gate)


def _task_names(arg: str | None, *runs: Any) -> list[str] | None:
    """``--tasks`` as a list; a name no run has and no registry knows is an error that
    suggests the nearest (exit 2, never a failed gate)."""
    if not arg:
        return None
    from tvbench.registry import unknown_name_error
    from tvbench.tasks.registry import TASKS

    names = [t.strip() for t in arg.split(",") if t.strip()]
    known = set(TASKS.names()).union(*(run.tasks for run in runs))
    for name in names:
        if name not in known:
            raise unknown_name_error("task", name, known)
    return names


def cmd_gate(args: argparse.Namespace) -> int:
    from tvbench import config as configuration
    from tvbench.cli.console import make_console
    from tvbench.runs.gate import compare
    from tvbench.runs.gate_output import to_json, to_junit, to_markdown
    from tvbench.runs.gate_pairs import load_side
    from tvbench.runs.gate_rules import settings_from_config
    from tvbench.runs.store import atomic_write

    cfg = configuration.load(args.config)
    settings = settings_from_config(
        cfg.gate, max_drop=args.max_drop, min_score=args.min_score,
        per_language=args.per_language, allow_errors=args.allow_errors,
        allow_batch_size_change=args.allow_batch_size_change, alpha=args.alpha,
        resamples=args.resamples, seed=args.seed, correction=args.correction,
        min_items=args.min_items)
    candidate, baseline = load_side(args.candidate), load_side(args.baseline)
    tasks = _task_names(args.tasks, candidate, baseline)
    report = compare(candidate, baseline, settings, tasks=tasks)
    console = make_console(args.quiet)
    print_report(console, report, args.candidate, args.baseline)
    for path, render in ((args.markdown, to_markdown), (args.junit, to_junit),
                         (args.json, to_json)):
        if path:
            atomic_write(Path(path), render(report, args.candidate, args.baseline))
    if args.report:
        from tvbench.report.compare import write_compare

        page = write_compare(Path(args.baseline), Path(args.candidate), args.report)
        console.print(f"flipped items: {page}", markup=False, highlight=False)
    return report.exit_code


def print_report(console: Console, report: GateReport, candidate: str, baseline: str) -> None:
    """The terminal table (fits 80 columns), the reasons once each, and the verdict."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from tvbench.runs.gate_output import noteworthy, num, p_text, signed, summary

    console.print(Text(f"gate: {candidate} vs baseline {baseline}"), highlight=False)
    console.print(Text(report.settings.describe(), style="dim"), highlight=False)
    # No padding: the box's blank column separators are the only gaps, so seven columns of
    # worst-case numbers fit 80 terminal columns; only the check name may fold.
    table = Table(box=box.SIMPLE_HEAD, padding=0, pad_edge=False, show_edge=False)
    for col in ("check", "base", "cand", "Δ", "95% CI", "p_adj", "verdict"):
        table.add_column(col, justify="left" if col in ("check", "95% CI", "verdict")
                         else "right", overflow="fold", no_wrap=col != "check")
    styles = {"pass": "green", "fail": "bold red", "incomparable": "yellow",
              "not compared": "dim"}
    reasons: list[tuple[str, str]] = []
    hidden: dict[str, Counter[str]] = {}
    for c in report.checks:
        if not noteworthy(c):
            key = "passed" if c.verdict == "pass" else f"{c.verdict} ({c.reason})"
            hidden.setdefault(c.task, Counter())[key] += 1
            continue
        label = c.task if c.scope == "task" else f"  {c.name}"
        table.add_row(Text(label), num(c.baseline), num(c.candidate), signed(c.delta),
                      _short_ci(c.ci95), p_text(c),
                      Text(c.verdict, style=styles[c.verdict]))
        if c.reason and (c.label, c.reason) not in reasons:
            reasons.append((c.label, c.reason))
    console.print(table)
    for label, reason in reasons:
        console.print(Text(f"{label}: {reason}"), highlight=False)
    for task, counts in hidden.items():
        parts = ", ".join(f"{n} {what}" for what, n in counts.items())
        console.print(Text(f"{task}: other language/group checks: {parts}", style="dim"),
                      highlight=False)
    for task, notes in report.notes.items():
        for note in notes:
            console.print(Text(f"note{' (' + task + ')' if task else ''}: {note}"),
                          highlight=False)
    style = {0: "bold green", 1: "bold red", 2: "bold yellow"}[report.exit_code]
    console.print(Text(summary(report), style=style), highlight=False)


def _short_ci(ci: tuple[float, float] | None) -> str:
    return "" if ci is None else f"[{ci[0]:+.1f},{ci[1]:+.1f}]"
