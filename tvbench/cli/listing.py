"""``tvbench tasks`` and ``tvbench models``: what is registered, without loading any model."""

from __future__ import annotations

import argparse
from typing import Any

from rich.table import Table

from tvbench import config as configuration
from tvbench.cli.console import make_console


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("tasks", help="list registered tasks")
    p.add_argument("--languages", action="store_true", help="print every language code")
    p.set_defaults(func=cmd_tasks)
    p = sub.add_parser("models", help="list model families and tvbench.toml model entries")
    p.set_defaults(func=cmd_models)


def _langs(codes: tuple[str, ...], full: bool) -> str:
    if full or len(codes) <= 8:
        return f"{len(codes)}: " + " ".join(codes)
    return f"{len(codes)}: " + " ".join(codes[:8]) + " …"


def cmd_tasks(args: argparse.Namespace) -> int:
    from tvbench.runs.plan import resolve_tasks
    from tvbench.tasks.registry import TASKS

    cfg = configuration.load(args.config)
    resolve_tasks(cfg, [])  # import extra task folders so they are listed
    table = Table(title="tasks")
    for col in ("name", "version", "languages", "metric", "needs", "dataset"):
        table.add_column(col, overflow="fold", no_wrap=col == "name")
    for name in TASKS.names():
        cls = TASKS.get(name)
        task = cls()
        needs = sorted({c.value for c in task.requires} | {task.kind})
        paper = cls.paper_languages
        langs = _langs(cls.languages, args.languages)
        if paper is not None and set(paper) != set(cls.languages):
            langs += f" (paper: {len(paper)})"
        table.add_row(name, str(cls.version), langs,
                      task.metrics({})[0].name, ",".join(needs),
                      f"{cls.hub.repo}" + (f"/{cls.hub.config}" if cls.hub.config else "")
                      + f":{cls.hub.split}")
    make_console(args.quiet).print(table)
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from tvbench.models.families import FAMILIES, get_family
    from tvbench.models.registry import capabilities

    cfg = configuration.load(args.config)
    console = make_console(args.quiet)
    fam = Table(title="model families (--model FAMILY[:PATH_OR_HUB_ID[@REV]])")
    for col in ("family", "adapter", "capabilities", "declared languages", "tiny", "sizes"):
        fam.add_column(col, overflow="fold")
    for name in FAMILIES.names():
        spec = get_family(name)
        cls = spec.adapter_class()
        langs = spec.languages
        fam.add_row(name, f"{cls.__name__}@{cls.version}",
                    ",".join(sorted(c.value for c in spec.capabilities)),
                    "unknown" if langs is None else _langs(langs, False),
                    " ".join(a.name for a in spec.architectures),
                    " ".join(n for n in spec.sizes() if not n.endswith("-tiny")))
    console.print(fam)
    entries = Table(title=f"model entries ({cfg.path})")
    for col in ("name", "backend", "family", "source", "revision", "capabilities", "languages"):
        entries.add_column(col, overflow="fold")
    for name, e in cfg.models.items():
        source = e.base_url if e.backend == "openai" else ("tiny (built offline)" if e.tiny
                                                            else e.path or "")
        langs = e.languages()
        entries.add_row(name, e.backend, e.family or "", source, e.revision or "",
                        ",".join(sorted(c.value for c in capabilities(e))),
                        "unknown" if langs is None else str(len(langs)))
    console.print(entries)
    return 0
