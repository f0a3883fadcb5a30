"""``tvbench report``: leaderboards from run folders, without running any model."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "report", help="write leaderboard.md and leaderboard.html from run folders",
        description="Read run folders (results.json + records/) and write a Markdown "
        "leaderboard sized for a pull-request comment and a self-contained HTML report. "
        "Never runs a model.")
    p.add_argument("run_dirs", nargs="*", metavar="RUN_DIR", type=Path,
                   help="a run folder, or a folder of run folders (e.g. runs/ "
                   "reports/towervision-paper)")
    p.add_argument("--compare", nargs=2, metavar=("BASE", "CANDIDATE"), type=Path,
                   help="write DIR/compare.html: the items whose score changed between two "
                   "run folders, side by side, with net flips per language")
    p.add_argument("--out", default=Path("reports"), type=Path, metavar="DIR",
                   help="where to write the reports (default: reports/)")
    p.add_argument("--format", default="md,html", metavar="md,html",
                   help="comma-separated formats to write (default: md,html)")
    p.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from tvbench.report.build import build_reports, parse_formats

    if not args.run_dirs and not args.compare:
        raise ValueError("tvbench report: name RUN_DIR... or --compare BASE CANDIDATE")
    if args.compare:
        from tvbench.report.compare import write_compare

        page = write_compare(args.compare[0], args.compare[1], args.out)
        print(f"wrote {page} ({page.stat().st_size:,} bytes)")
        if not args.run_dirs:
            return 0
    formats = parse_formats(args.format)
    paths, loaded = build_reports(args.run_dirs, args.out, formats)
    for folder, why in loaded.skipped:
        print(f"skipped {folder}: {why}")
    n_rep = sum(1 for r in loaded.runs if r.reported is not None)
    print(f"read {len(loaded.runs) - n_rep} measured and {n_rep} reported run(s)")
    for path in paths:
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0
