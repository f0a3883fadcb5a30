"""``tvbench import lmms-eval DIR`` and ``tvbench export lmms-eval RUN``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.markup import escape

from tvbench import config as configuration
from tvbench.cli.console import make_console

FORMATS = ("lmms-eval",)


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "import", help="turn another harness's output folder into tvbench run folders",
        description="Read an lmms-eval output folder (0.7.x, or the TowerVision authors' fork): "
        "the results JSON and the per-sample logs (--log_samples). Each logged doc is "
        "joined with the dataset tvbench reads (--data, as for `tvbench run`) and its output "
        "scored again with tvbench's metrics. Writes RUNS/<model>.lmms-eval/.")
    p.add_argument("format", choices=FORMATS)
    p.add_argument("folder", help="lmms-eval --output_path folder")
    p.add_argument("--output", metavar="RUNS", default=None,
                   help="root of the run folders (default: [run] output, runs/)")
    p.add_argument("--data", action="append", default=[], metavar="TASK=PATH|bundled|hub",
                   help="the data lmms-eval ran on (needed to join its logs: TextVQA's "
                   "answers are not in lmms-eval 0.7's logs)")
    p.add_argument("--lmms-version", metavar="VERSION",
                   help="the lmms-eval version that wrote the folder (a PyPI install records "
                   "'unknown@unknown'); recorded as 'unknown' when not given")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier import")
    p.add_argument("--no-report", action="store_true",
                   help="do not refresh the leaderboards in the output folder")
    p.set_defaults(func=cmd_import)

    e = sub.add_parser(
        "export", help="write a tvbench run folder in another harness's format",
        description="Write a run folder as an lmms-eval 0.7 output folder (results JSON and "
        "samples JSONL) for dashboards that read lmms-eval: TextVQA, OCRBench and CC-OCR's "
        "OCR tracks, with lmms-eval's per-item payloads and aggregation.")
    e.add_argument("format", choices=FORMATS)
    e.add_argument("run", help="tvbench run folder")
    e.add_argument("--output", metavar="DIR", required=True, help="folder to write into")
    e.add_argument("--tasks", metavar="T1,T2", help="only these tasks")
    e.add_argument("--data", action="append", default=[], metavar="TASK=PATH|bundled|hub",
                   help="the data the run read (the payloads need dataset fields)")
    e.set_defaults(func=cmd_export)


def cmd_import(args: argparse.Namespace) -> int:
    from tvbench.interop.lmms_import import import_folder
    from tvbench.scorers import build_scorers

    cfg = configuration.load(args.config)
    console = make_console(args.quiet)
    output = Path(args.output or cfg.run.output)
    scorers = build_scorers(cfg)
    try:
        done = import_folder(Path(args.folder), output, config=cfg, data=args.data,
                             version=args.lmms_version, scorers=scorers,
                             overwrite=args.overwrite)
    finally:
        if scorers.judge is not None:
            scorers.judge.close()
    wrote = False
    for result in done:
        for note in result.skipped:
            console.print(f"  note: {escape(note)}", overflow="fold")
        if result.tasks:
            wrote = True
            counts = ", ".join(f"{k} ({n} items)" for k, n in result.tasks.items())
            console.print(f"imported {escape(counts)} into {escape(str(result.folder))}")
    if not wrote:
        console.print("nothing imported: no task of the folder is one tvbench shares")
        return 2
    if not args.no_report:
        from tvbench.report.build import refresh_reports

        paths = refresh_reports(output)
        console.print("reports: " + ", ".join(str(p) for p in paths))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from tvbench.interop.lmms_export import export_run

    cfg = configuration.load(args.config)
    console = make_console(args.quiet)
    files, skipped = export_run(Path(args.run), Path(args.output), config=cfg, data=args.data,
                                tasks=args.tasks.split(",") if args.tasks else None)
    for note in skipped:
        console.print(f"  note: {escape(note)}", overflow="fold")
    if not files:
        console.print("nothing exported: no task of the run is one lmms-eval 0.7 has")
        return 2
    for path in files:
        console.print(f"wrote {escape(str(path))}")
    return 0
