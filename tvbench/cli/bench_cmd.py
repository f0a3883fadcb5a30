"""``tvbench bench``: measure throughput and run times; optionally record them in BENCHMARKS.md."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

from tvbench import config as configuration

BEGIN, END = "<!-- tvbench bench: begin -->", "<!-- tvbench bench: end -->"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("bench", help="measure throughput, the default run and start-up time",
                       description="Measure generation throughput per model and batch size, "
                       "the wall time of the offline default run, and CLI start-up. Timings "
                       "are best-of-N; tests never assert on them.")
    p.add_argument("--model", action="append", metavar="MODEL",
                   help="as for `tvbench run` (default: every family's tiny checkpoint)")
    p.add_argument("--batch-sizes", default="1,8", metavar="1,8")
    p.add_argument("--items", type=int, default=32)
    p.add_argument("--new-tokens", type=int, default=16)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--dtype", default="auto")
    p.add_argument("--skip-default-run", action="store_true")
    p.add_argument("--write", metavar="FILE",
                   help="replace the measured section of FILE (e.g. BENCHMARKS.md)")
    p.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    from tvbench.models.families import FAMILIES
    from tvbench.models.registry import load_adapter, parse_model_arg
    from tvbench.runs import bench

    cfg = configuration.load(args.config)
    names = args.model or FAMILIES.names()
    sizes = [int(x) for x in args.batch_sizes.split(",")]
    inputs = bench.bench_inputs(args.items)
    lines = [f"Measured {dt.date.today().isoformat()} on {bench.machine()}{_conditions()}; best of "
             f"{args.repeat}, {args.items} TextVQA inputs, {args.new_tokens} new tokens max.",
             "", "| model | batch size | items/s | new tokens/s | speed-up vs bs 1 |",
             "|---|---:|---:|---:|---:|"]
    for name in names:
        entry = parse_model_arg(name, cfg.models)
        adapter = load_adapter(entry, device=args.device, dtype=args.dtype)
        rows = bench.throughput(adapter, entry.name, inputs, sizes, args.new_tokens, args.repeat)
        adapter.close()
        base = rows[0].items_per_s
        for r in rows:
            lines.append(f"| {r.model} | {r.batch_size} | {r.items_per_s:.1f} | "
                         f"{r.tokens_per_s:.0f} | {r.items_per_s / base:.2f}× |")
        print("\n".join(lines[-len(rows):]), flush=True)
    startup = bench.command_seconds(["--help"], repeat=5)
    lines += ["", f"- CLI start-up (`tvbench --help`, fresh interpreter): {startup:.2f} s"]
    if not args.skip_default_run:
        seconds = bench.default_run_seconds()
        lines.append(f"- Offline default run (`tvbench run`: {len(cfg.run.models)} tiny "
                     f"models × {len(cfg.run.tasks)} tasks, bundled data, reports included): "
                     f"{seconds:.1f} s (target ≤ 120 s)")
        resume = bench.resume_seconds(args.repeat)
        lines.append(f"- Resume of that run with nothing left to generate (no model loads; "
                     f"stored outputs rescored, reports refreshed; fresh interpreter): "
                     f"{resume:.1f} s (target ≤ 3 s)")
    text = "\n".join(lines)
    print(text)
    if args.write:
        _write_section(Path(args.write), text)
        print(f"updated {args.write}")
    return 0


def _conditions() -> str:
    """The 1-minute load average as the measurement starts, and OMP_NUM_THREADS when set:
    other processes on a shared machine, and how many threads each takes, move every number
    here, so the reader should know both."""
    out = ""
    try:
        out += f", load average {os.getloadavg()[0]:.1f} at the start"
    except (AttributeError, OSError):
        pass
    threads = os.environ.get("OMP_NUM_THREADS")
    return out + (f", OMP_NUM_THREADS={threads}" if threads else "")


def _write_section(path: Path, text: str) -> None:
    from tvbench.runs.store import atomic_write

    block = f"{BEGIN}\n{text}\n{END}"
    old = path.read_text("utf-8") if path.is_file() else ""
    if BEGIN in old and END in old:
        new = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _m: block, old,
                     flags=re.S)
    else:
        new = old + ("\n" if old and not old.endswith("\n") else "") + block + "\n"
    atomic_write(path, new)
