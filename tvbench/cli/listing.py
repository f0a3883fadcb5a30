"""``tvbench tasks`` and ``tvbench models``: what is registered, without loading any model.

The tables fit an 80-column terminal without cutting a name in two: borderless, one short
fact per line of a cell (a task's version under its name, a dataset's split under its id),
list-like values space-separated so they wrap between words, and commit hashes shortened
the way git shortens them.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from tvbench import config as configuration
from tvbench.cli.console import make_console, plain_table, titled

_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("tasks", help="list registered tasks")
    p.add_argument("--languages", action="store_true", help="print every language code")
    p.set_defaults(func=cmd_tasks)
    p = sub.add_parser("models", help="list model families and tvbench.toml model entries")
    p.set_defaults(func=cmd_models)


def _langs(codes: tuple[str, ...], full: bool, shown: int = 6) -> str:
    if full or len(codes) <= shown:
        return f"{len(codes)}: " + " ".join(codes)
    return f"{len(codes)}: " + " ".join(codes[:shown]) + " …"


def short_revision(revision: str | None) -> str:
    """A 40-hex commit as its first 8 characters (as git abbreviates); names stay whole."""
    if not revision:
        return ""
    return revision[:8] if _COMMIT.match(revision) else revision


def cmd_tasks(args: argparse.Namespace) -> int:
    from tvbench.runs.plan import resolve_tasks
    from tvbench.tasks.registry import TASKS

    cfg = configuration.load(args.config)
    resolve_tasks(cfg, [])  # import extra task folders so they are listed
    table = plain_table()
    table.add_column("task", no_wrap=True)
    table.add_column("languages")
    table.add_column("metric / needs", no_wrap=True)
    table.add_column("dataset", no_wrap=True)
    for name in TASKS.names():
        cls = TASKS.get(name)
        task = cls()
        needs = sorted({c.value for c in task.requires} | {task.kind})
        repo = cls.hub.repo + (f"/{cls.hub.config}" if cls.hub.config else "")
        langs = _langs(cls.languages, args.languages)
        paper = cls.paper_languages
        if paper is not None and set(paper) != set(cls.languages):
            langs += f" (paper: {len(paper)})"
        table.add_row(f"{name}\nv{cls.version}", langs,
                      f"{task.metrics({})[0].name}\n" + " ".join(needs),
                      f"{repo}\n({cls.hub.split})")
    make_console(args.quiet).print(titled("tasks (tvbench tasks --languages: every code)",
                                          table))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from tvbench.models.families import FAMILIES, get_family
    from tvbench.models.registry import capabilities

    cfg = configuration.load(args.config)
    console = make_console(args.quiet)
    fam = plain_table()
    fam.add_column("family / adapter", no_wrap=True)
    fam.add_column("capabilities", no_wrap=True)
    fam.add_column("declared languages")
    fam.add_column("architecture: sizes")
    every = set()
    for name in FAMILIES.names():
        spec = get_family(name)
        cls = spec.adapter_class()
        caps = sorted(c.value for c in spec.capabilities)
        every.update(caps)
        langs = spec.languages
        sizes = "\n".join(f"{a.name}: " + " ".join(a.sizes) for a in spec.architectures)
        fam.add_row(f"{name}\n{cls.__name__}@{cls.version}", "\n".join(caps),
                    "unknown" if langs is None else _langs(langs, False), sizes)
    console.print(titled("model families (--model FAMILY[:PATH_OR_HUB_ID[@REV]])", fam))
    entries = plain_table()
    entries.add_column("name", no_wrap=True)
    entries.add_column("family\nbackend", no_wrap=True)
    entries.add_column("source", no_wrap=True)
    entries.add_column("revision", no_wrap=True)
    entries.add_column("langs", no_wrap=True)
    for name, e in cfg.models.items():
        source = e.base_url if e.backend == "openai" else ("tiny (built offline)" if e.tiny
                                                            else e.path or "")
        lacks = sorted(every - {c.value for c in capabilities(e)})
        if lacks:
            source += "\nlacks " + " ".join(lacks)
        langs = e.languages()
        entries.add_row(name, f"{e.family or '–'}\n{e.backend}", source or "",
                        short_revision(e.revision),
                        "unknown" if langs is None else str(len(langs)))
    console.print(titled(f"model entries ({cfg.path})", entries))
    return 0
