"""``tvbench tiny FAMILY DIR``: write a tiny offline checkpoint of a family's architecture."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("tiny", help="build a tiny random-weight checkpoint (offline)",
                       description="Write a tiny, seeded checkpoint of FAMILY's real "
                       "architecture (model, processor, tokenizer, chat template) to DIR.")
    p.add_argument("family", metavar="ARCHITECTURE",
                   help="a family or one of its variants: the tiny column of `tvbench models`")
    p.add_argument("dir", help="output folder: new, empty, or an earlier tiny checkpoint "
                   "(anything else is refused unless --force)")
    p.add_argument("--force", action="store_true",
                   help="replace DIR even if it holds other files (they are deleted)")
    p.set_defaults(func=cmd_tiny)


def cmd_tiny(args: argparse.Namespace) -> int:
    from tvbench.models.tiny import build_tiny

    path = build_tiny(args.family, args.dir, force=args.force)
    size = sum(f.stat().st_size for f in path.iterdir())
    print(f"wrote {path} ({size / 1e6:.2f} MB)")
    return 0
