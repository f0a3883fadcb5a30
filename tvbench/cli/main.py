"""The ``tvbench`` command line. Heavy libraries load only inside the command that needs them."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import tvbench


def _quiet_libraries() -> None:
    # Our own progress bars replace the libraries'; their chatter would bury the summary.
    for key, value in {"HF_HUB_DISABLE_PROGRESS_BARS": "1", "HF_DATASETS_DISABLE_PROGRESS_BARS":
                       "1", "TRANSFORMERS_VERBOSITY": "error", "TOKENIZERS_PARALLELISM": "false",
                       "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1"}.items():
        os.environ.setdefault(key, value)


def build_parser() -> argparse.ArgumentParser:
    from tvbench.cli import (
        bench_cmd,
        gate_cmd,
        interop_cmd,
        listing,
        report_cmd,
        run_cmd,
        setup_cmd,
        tiny_cmd,
    )

    parser = argparse.ArgumentParser(
        prog="tvbench", description="Multilingual vision-language model evaluation.")
    parser.add_argument("--version", action="version", version=f"tvbench {tvbench.__version__}")
    parser.add_argument("--config", metavar="PATH",
                        help="tvbench.toml to use (default: ./tvbench.toml, else the packaged one)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars (for CI logs)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run_cmd.add_parser(sub)
    listing.add_parsers(sub)
    tiny_cmd.add_parser(sub)
    gate_cmd.add_parser(sub)
    bench_cmd.add_parser(sub)
    report_cmd.add_parser(sub)
    interop_cmd.add_parsers(sub)
    setup_cmd.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _quiet_libraries()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("tvbench: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    except (ValueError, KeyError, FileNotFoundError, RuntimeError, OSError) as exc:
        if args.debug or os.environ.get("TVBENCH_DEBUG"):
            raise
        from tvbench.cli.console import error

        error(str(exc))
        return 2


if __name__ == "__main__":
    sys.exit(main())
