"""``tvbench bench``: measure throughput per model, workload and batch size; record it in
BENCHMARKS.md (``--write``) and JSON (``--json``)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from tvbench import config as configuration

BEGIN, END = "<!-- tvbench bench: begin{} -->", "<!-- tvbench bench: end{} -->"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("bench", help="measure throughput, load time, the default run, start-up",
                       description="Measure throughput per model, workload and batch size, with "
                       "the time split into data / preprocess / model / postprocess, the share "
                       "of wall time outside the model, peak GPU memory, load time and parity "
                       "with batch size 1. Timings are best-of-N; tests never assert on them.")
    p.add_argument("--model", action="append", metavar="MODEL",
                   help="as for `tvbench run`, including random:ARCHITECTURE-SIZE (default: "
                   "every family's tiny checkpoint)")
    p.add_argument("--workload", default="bundled",
                   choices=["bundled", "photos", "video", "loglikelihood"])
    p.add_argument("--batch-sizes", default="1,8", metavar="1,8")
    p.add_argument("--batch-tokens", type=int, metavar="N",
                   help="also cap each batch at N padded tokens, visual tokens included")
    p.add_argument("--items", type=int, default=32)
    p.add_argument("--new-tokens", type=int, default=16)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--dtype", default="auto",
                   choices=["auto", "float32", "bfloat16", "float16"])
    p.add_argument("--prefetch", type=int, default=1, metavar="N",
                   help="batches prepared ahead on a background worker (0: none)")
    p.add_argument("--compile", nargs="?", const="inductor", metavar="BACKEND",
                   help="static KV cache + torch.compile for generation (default backend "
                   "inductor)")
    p.add_argument("--batch-invariant", action="store_true",
                   help="float32, TF32 off, deterministic kernels (see README)")
    p.add_argument("--check-parity", type=int, default=8, metavar="N",
                   help="when 1 is not among the batch sizes, compare N inputs with a batch "
                   "size 1 run (default 8)")
    p.add_argument("--load-baseline", action="store_true",
                   help="for a local checkpoint, also time a bare from_pretrained")
    p.add_argument("--skip-default-run", action="store_true",
                   help="do not time the offline default `tvbench run` and CLI start-up")
    p.add_argument("--json", metavar="FILE", help="write every number as JSON")
    p.add_argument("--write", metavar="FILE",
                   help="replace this run's section of FILE (e.g. BENCHMARKS.md)")
    p.add_argument("--label", metavar="NAME",
                   help="the section of --write FILE to replace (default: the workload and "
                   "device, e.g. photos-cpu)")
    p.set_defaults(func=cmd_bench)


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"--batch-sizes {text!r}: expected comma-separated integers") from None
    if not sizes or min(sizes) < 1:
        raise ValueError(f"--batch-sizes {text!r}: every size must be at least 1")
    return sizes


def cmd_bench(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from tvbench.models.families import FAMILIES
    from tvbench.models.registry import load_adapter, parse_model_arg
    from tvbench.runs import bench, workloads

    cfg = configuration.load(args.config)
    sizes = _sizes(args.batch_sizes)
    work = workloads.build(args.workload, args.items)
    names = args.model or FAMILIES.names()
    entries = [parse_model_arg(n, cfg.models) for n in names]
    # Libraries are imported before any load is timed: load time is the model's, not theirs.
    import torch  # noqa: F401
    from transformers import AutoModelForImageTextToText, AutoProcessor  # noqa: F401

    results = []
    for entry in entries:
        entry = replace(entry, compile=args.compile or entry.compile,
                        batch_invariant=args.batch_invariant or entry.batch_invariant)
        start = time.perf_counter()
        adapter = load_adapter(entry, device=args.device, dtype=args.dtype)
        load_s = time.perf_counter() - start
        if hasattr(adapter, "options"):
            adapter.options = replace(adapter.options, prefetch=args.prefetch)
        model = getattr(adapter, "model", None)
        processor = getattr(getattr(adapter, "processor", None), "image_processor", None)
        result = bench.ModelBench(
            model=entry.name, source=adapter.spec.source,
            device=str(getattr(adapter, "device", "n/a")), dtype=adapter.spec.dtype,
            load_s=load_s,
            parameters=sum(p.numel() for p in model.parameters()) if model is not None
            else None,
            image_processor=type(processor).__name__ if processor is not None else "n/a",
            workload=work.name)
        try:
            result.rows = bench.sweep(adapter, work, sizes, new_tokens=args.new_tokens,
                                      repeat=args.repeat, batch_tokens=args.batch_tokens,
                                      check_parity=args.check_parity)
        finally:
            adapter.close()
        if args.load_baseline and entry.path and Path(entry.path).expanduser().is_dir():
            result.bare_load_s = bench.bare_load_seconds(
                str(Path(entry.path).expanduser()), result.device, args.dtype)
        results.append(result)
        print(_table(result), flush=True)
    info = bench.machine()
    extra: dict[str, float] = {}
    if not args.skip_default_run:
        extra["startup_s"] = bench.command_seconds(["--help"], repeat=5)
        extra["default_run_s"] = bench.default_run_seconds()
        extra["resume_s"] = bench.resume_seconds(args.repeat)
    text = _markdown(args, work.describe(args.new_tokens), info, results, extra,
                     len(cfg.run.models), len(cfg.run.tasks))
    print(text)
    if args.json:
        from tvbench.runs.store import atomic_write

        payload = {"date": dt.date.today().isoformat(), "command": _command(),
                   "machine": info, "workload": work.name, "items": len(work.inputs),
                   "new_tokens": args.new_tokens, "repeat": args.repeat,
                   "batch_tokens": args.batch_tokens, "prefetch": args.prefetch,
                   "models": [r.to_json() for r in results], **extra}
        atomic_write(Path(args.json), json.dumps(payload, indent=2) + "\n")
        print(f"wrote {args.json}")
    if args.write:
        label = args.label or ("default" if not args.model and work.name == "bundled" else
                               f"{work.name}-{'gpu' if info['gpu'] else 'cpu'}")
        write_section(Path(args.write), label, text)
        print(f"updated {args.write} (section {label})")
    return 0


def _command() -> str:
    return "tvbench " + " ".join(sys.argv[1:]) if sys.argv and "tvbench" in sys.argv[0] \
        else "tvbench bench"


def _fmt(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _parity_cell(check: dict[str, Any]) -> str:
    if not check:
        return "–"
    cell = f"{check['mismatches']}/{check['checked']}"
    if "max_abs_diff" in check:
        cell += f" (max {check['max_abs_diff']:.1e} nats)"
    return cell


def _rows(result: Any) -> list[str]:
    base = result.rows[0].items_per_s if result.rows else 1.0
    lines = []
    for r in result.rows:
        phases = r.phases or {}
        share = None if r.outside_model is None else 100 * r.outside_model
        lines.append(
            f"| {result.model} | {r.batch_size} | {r.items_per_s:.2f} | {r.tokens_per_s:.0f} | "
            f"{r.items_per_s / base:.2f}× | {_fmt(phases.get('data'))} | "
            f"{_fmt(phases.get('preprocess'))} | {_fmt(phases.get('model'))} | "
            f"{_fmt(phases.get('postprocess'))} | {r.wall:.2f} | "
            f"{_fmt(share, 1)}{' %' if share is not None else ''} | "
            f"{_fmt(r.overlap_ratio)} | {_fmt(r.preprocess_ratio)} | "
            f"{_fmt(r.peak_gpu_gib, 1)} | {_parity_cell(r.parity)} |")
    return lines


HEADER = ["| model | batch size | items/s | tokens/s | × bs 1 | data s | preprocess s | model s "
          "| postprocess s | wall s | outside model | wall / max(CPU, model) | "
          "wall / max(preprocess, model) | peak GiB | ≠ bs 1 |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]


def _table(result: Any) -> str:
    return "\n".join(HEADER + _rows(result))


def _markdown(args: argparse.Namespace, what: str, info: dict[str, Any], results: list[Any],
              extra: dict[str, float], n_models: int, n_tasks: int) -> str:
    from tvbench.runs.bench import describe_machine

    lines = [f"Measured {dt.date.today().isoformat()} on {describe_machine(info)}.",
             "", f"Command: `{_command()}`", "",
             f"Workload: {what}; best of {args.repeat}; prefetch {args.prefetch}"
             + (f"; batch token budget {args.batch_tokens}" if args.batch_tokens else "")
             + ". Tokens/s counts new tokens (generation) or scored tokens (log-likelihood); "
             "CPU = data + preprocess.", "", *HEADER]
    for r in results:
        lines += _rows(r)
    lines.append("")
    for r in results:
        bare = f" (bare from_pretrained: {r.bare_load_s:.1f} s)" if r.bare_load_s else ""
        params = f"{r.parameters / 1e6:.1f} M parameters, " if r.parameters else ""
        lines.append(f"- {r.model}: {params}{r.dtype} on {r.device}, image processor "
                     f"{r.image_processor}; load {r.load_s:.1f} s{bare}")
    if "startup_s" in extra:
        lines.append("- CLI start-up (`tvbench --help`, fresh interpreter): "
                     f"{extra['startup_s']:.2f} s")
    if "default_run_s" in extra:
        lines.append(f"- Offline default run (`tvbench run`: {n_models} tiny models × {n_tasks} "
                     f"tasks, bundled data, reports included): {extra['default_run_s']:.1f} s "
                     "(target ≤ 120 s)")
    if "resume_s" in extra:
        lines.append("- Resume of that run with nothing left to generate (no model loads; "
                     "stored outputs rescored, reports refreshed; fresh interpreter): "
                     f"{extra['resume_s']:.1f} s (target ≤ 3 s)")
    return "\n".join(lines)


def write_section(path: Path, label: str, text: str) -> None:
    """Replace the section ``label`` of ``path`` (append it when absent); the unlabelled
    section of older files is the ``default`` one."""
    from tvbench.runs.store import atomic_write

    if not re.fullmatch(r"[\w.+-]+", label):
        raise ValueError(f"--label {label!r}: use letters, digits, '.', '+', '-' or '_'")
    old = path.read_text("utf-8") if path.is_file() else ""
    suffix = f" {label}"
    begin, end = BEGIN.format(suffix), END.format(suffix)
    if label == "default" and begin not in old and BEGIN.format("") in old:
        begin_old, end_old = BEGIN.format(""), END.format("")
    else:
        begin_old, end_old = begin, end
    block = f"{begin}\n{text}\n{end}"
    if begin_old in old and end_old in old:
        new = re.sub(re.escape(begin_old) + ".*?" + re.escape(end_old), lambda _m: block, old,
                     count=1, flags=re.S)
    else:
        new = old + ("\n" if old and not old.endswith("\n") else "") + block + "\n"
    atomic_write(path, new)
