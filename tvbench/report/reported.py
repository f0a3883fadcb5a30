"""Paper-reported numbers as run folders: one ``tables.toml`` → one results.json per model.

Reported numbers are shipped in the same results.json schema as measured runs so every
consumer (reports, gates, notebooks) reads them without a special case, but they are marked
everywhere: a top-level ``reported`` block, ``status: "reported"``, no item records, no CIs,
and signatures whose fields say ``reported``. Those signatures differ from any measured one,
so the comparability check flags reported next to measured instead of silently mixing them.

Regenerate after editing the data file::

    python -m tvbench.report.reported reports/towervision-paper/tables.toml [--check]

The same tables travel inside the package (``tvbench/report/towervision-paper.toml`` is a link
to that file, so there is one copy to edit): :func:`paper_runs` builds the reported runs from
it in memory, which is how ``tvbench run`` puts the paper's rows beside its own runs from any
working directory and from an installed wheel.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Collection, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from tvbench.data.languages import canonical, is_unseen, resolve
from tvbench.report.load import Run
from tvbench.runs import signature
from tvbench.runs.store import SCHEMA_VERSION, atomic_write, dump_json

REPORTED = "reported"
DEFAULT_TABLES = Path("reports/towervision-paper/tables.toml")
#: The packaged copy of DEFAULT_TABLES (a link to it in a checkout).
PACKAGED_TABLES = "towervision-paper.toml"


class TablesError(ValueError):
    """A malformed tables file; the message names the table and row."""


def _lang(code: str, where: str) -> str:
    try:
        resolved = resolve(code)
    except ValueError as exc:
        raise TablesError(f"{where}: {exc}") from exc
    if resolved != canonical(code):
        raise TablesError(f"{where}: write language {code!r} as {resolved!r}")
    return resolved


def _value(x: Any, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise TablesError(f"{where}: {x!r} is not a number")
    return float(x)


def _cells(table: Mapping[str, Any], models: Mapping[str, Any]
           ) -> list[tuple[str, Mapping[str, Any], float]]:
    """(model key, column spec, value) for every number of one table, validated."""
    name = str(table.get("table", "?"))
    out = []
    if table.get("layout") == "languages":
        keys = list(table["models"])
        for row in table["rows"]:
            where = f"{name}, row {row[0]!r}"
            if len(row) != len(keys) + 1:
                raise TablesError(f"{where}: {len(row) - 1} values for {len(keys)} models")
            lang = _lang(str(row[0]), where)
            col = {"label": f"{row[0]}", "task": table["task"], "metric": table["metric"],
                   "lang": lang}
            out += [(k, col, _value(v, where)) for k, v in zip(keys, row[1:], strict=True)]
    else:
        columns = [({**col, "lang": _lang(str(col["lang"]), f"{name}, column {col['label']!r}")}
                    if "lang" in col else dict(col)) for col in table["columns"]]
        for row in table["rows"]:
            where = f"{name}, row {row[0]!r}"
            if len(row) != len(columns) + 1:
                raise TablesError(f"{where}: {len(row) - 1} values for {len(columns)} columns")
            out += [(str(row[0]), c, _value(v, where))
                    for c, v in zip(columns, row[1:], strict=True)]
    for key, _, _ in out:
        if key not in models:
            raise TablesError(f"{name}: model {key!r} is not in [models]")
    return out


def _signature(task: str, langs: Sequence[str] | None, metric: str, agg: str,
               checkpoint: str, paper_id: str) -> str:
    return signature.build([
        ("task", f"{task}@{REPORTED}"), ("split", REPORTED),
        ("langs", signature.languages_field(langs) if langs else REPORTED), ("n", REPORTED),
        ("prompt", REPORTED), ("data", f"{REPORTED}:{paper_id}"), ("gen", REPORTED),
        ("metric", f"{REPORTED}:{metric}"), ("agg", agg), ("ci", "none"),
        ("model", checkpoint.replace("|", "/")), ("adapter", REPORTED), ("tvbench", REPORTED)])


def _empty_task(metric: str) -> dict[str, Any]:
    return {"metric": metric, "headline": None, "headline_langs": None, "agg": REPORTED,
            "languages": {}, "tables": [], "columns": {}, "notes": [], "derive": False,
            "extra": {}}


def _collect(data: Mapping[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """model key → task → what the tables say about it, in table order."""
    models = data["models"]
    out: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in models}
    for table in data["tables"]:
        name = str(table["table"])
        notes = table.get("notes", {})
        for key, col, value in _cells(table, models):
            t = out[key].setdefault(col["task"], _empty_task(col["metric"]))
            if name not in t["tables"]:
                t["tables"].append(name)
                if col["task"] in notes:
                    t["notes"].append(str(notes[col["task"]]))
            t["columns"][f"{name} / {col['label']}"] = value
            if col.get("headline") is True:
                t["headline"], t["agg"] = value, REPORTED
                t["headline_langs"] = [col["lang"]] if "lang" in col else None
            if "lang" in col:
                lang = col["lang"]
                old = t["languages"].get(lang)
                if old is not None and old[0] != value:
                    t["notes"].append(f"{lang}: {old[1]} reports {old[0]:g}, {name} reports "
                                      f"{value:g}; {name} is shown")
                t["languages"][lang] = (value, name)
            if table.get("headline") == "mean" and t["headline"] is None:
                t["derive"] = True
            if table.get("layout") == "languages":
                if "paper_unseen" in table:
                    t["extra"]["paper_unseen"] = list(table["paper_unseen"])
                if "paper_averages" in table:
                    pos = list(table["models"]).index(key)
                    t["extra"]["paper_averages"] = {str(r[0]): r[pos + 1]
                                                    for r in table["paper_averages"]}
    return out


def _language_set(task: str, headline_langs: Sequence[str] | None,
                  declared: Mapping[str, Any]) -> dict[str, Any] | None:
    """The languages a reported headline averages over: its own column's or derived mean's
    languages, else the paper's set for the task from ``[language_sets]``."""
    if headline_langs:
        return {"preset": REPORTED, "languages": sorted(headline_langs),
                "source": "the reported columns"}
    entry = declared.get(task)
    if not isinstance(entry, Mapping):
        return None
    langs = [_lang(str(x), f"[language_sets] {task}") for x in entry["languages"]]
    return {"preset": REPORTED, "languages": sorted(langs), "source": str(entry["source"])}


def _task_block(task: str, t: Mapping[str, Any], model: Mapping[str, Any], paper: str,
                url: str, language_sets: Mapping[str, Any]) -> dict[str, Any]:
    paper_id = url.rstrip("/").rsplit("/", 1)[-1] if url else paper
    checkpoint = str(model["checkpoint"])
    seen = model.get("seen_languages")
    langs = sorted(t["languages"])
    headline, agg, notes = t["headline"], t["agg"], list(t["notes"])
    headline_langs = t["headline_langs"]
    if headline is None and t["derive"] and langs:
        headline = round(sum(t["languages"][lang][0] for lang in langs) / len(langs), 4)
        agg, headline_langs = "reported-langs-mean", langs
        notes.append("headline = unweighted mean of the reported languages, computed by tvbench "
                     "(the paper gives no overall score)")
    languages = {
        lang: {"score": t["languages"][lang][0], "n": None, "n_scored": None, "n_errors": None,
               "ci95": None, "unseen": is_unseen(lang, seen),
               "signature": _signature(task, [lang], t["metric"], REPORTED, checkpoint,
                                       paper_id),
               "reported": {"source": f"{paper}, {t['languages'][lang][1]}"}}
        for lang in langs}
    source = f"{paper}, " + ("Table " if len(t["tables"]) == 1 else "Tables ") + ", ".join(
        x.removeprefix("Table ") for x in t["tables"])
    return {
        "version": REPORTED, "metric": t["metric"], "score": headline, "n": None,
        "n_scored": None, "n_errors": None, "ci95": None,
        "signature": _signature(task, headline_langs, t["metric"], agg, checkpoint, paper_id),
        "languages": languages,
        "status": REPORTED if headline is not None else "reported: per-language scores only",
        "notes": notes, "options": {}, "prompt_fingerprint": REPORTED,
        "data": {"source": REPORTED, "fingerprint": REPORTED},
        "language_set": (_language_set(task, headline_langs, language_sets)
                         if headline is not None else None),
        "reported": {"source": source, "url": url, "columns": dict(t["columns"]),
                     **t["extra"]},
    }


def build_results(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The results.json content of every reported model, keyed by folder name (pure)."""
    paper, url = str(data["paper"]), str(data.get("url", ""))
    collected = _collect(data)
    order = []
    for table in data["tables"]:
        keys = (table["models"] if table.get("layout") == "languages"
                else [row[0] for row in table["rows"]])
        order += [k for k in keys if k not in order]
    out = {}
    for index, key in enumerate(order):
        model = data["models"][key]
        tasks = collected[key]
        tables = sorted({x for t in tasks.values() for x in t["tables"]},
                        key=lambda x: int(x.split()[-1]))
        seen = model.get("seen_languages")
        out[key] = {
            "schema_version": SCHEMA_VERSION, "tvbench_version": REPORTED,
            "reported": {"source": f"{paper}, " + ", ".join(tables), "paper": paper,
                         "url": url, "tables": tables, "order": index,
                         "generated_from": "tables.toml"},
            "git": {"commit": None, "dirty": None}, "packages": {}, "hardware": {},
            "model": {"name": str(model["name"]), "family": str(model.get("family", "")),
                      "source": str(model["checkpoint"]), "revision": REPORTED,
                      "dtype": REPORTED, "adapter": REPORTED, "adapter_version": REPORTED,
                      "seen_languages": list(seen) if seen is not None else None,
                      "settings": {}},
            "run": {"batch_size": None, "limit": None, "max_new_tokens": None},
            "tasks": {task: _task_block(task, t, model, paper, url,
                                        data.get("language_sets", {}))
                      for task, t in tasks.items()},
        }
    return out


def load_tables(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(Path(path).read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise TablesError(f"{path}: {exc}") from exc


def paper_runs(tasks: Collection[str]) -> list[Run]:
    """The paper's reported rows for ``tasks``, as runs built in memory from the packaged
    tables; models with none of those tasks are left out, as are the other tasks."""
    text = resources.files("tvbench.report").joinpath(PACKAGED_TABLES).read_text("utf-8")
    runs = []
    for key, results in build_results(tomllib.loads(text)).items():
        kept = {name: block for name, block in results["tasks"].items() if name in tasks}
        if kept:
            runs.append(Run(path=DEFAULT_TABLES.parent / key, results={**results,
                                                                       "tasks": kept},
                            where=f"packaged with tvbench ({DEFAULT_TABLES.parent / key})"))
    return runs


def generate(tables: Path, out: Path | None = None, check: bool = False) -> list[Path]:
    """Write (or with ``check``, compare) one ``<out>/<model>/results.json`` per model.

    Returns the files written, or with ``check`` the files that are missing or out of date.
    """
    out = Path(out) if out is not None else Path(tables).parent
    stale = []
    for key, results in build_results(load_tables(tables)).items():
        path = out / key / "results.json"
        text = dump_json(results)
        if check:
            if not path.is_file() or path.read_text("utf-8") != text:
                stale.append(path)
        else:
            atomic_write(path, text)
            stale.append(path)
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tvbench.report.reported",
                                     description="Generate reported-number run folders.")
    parser.add_argument("tables", nargs="?", default=str(DEFAULT_TABLES), type=Path)
    parser.add_argument("--out", type=Path, help="folder for the run folders "
                        "(default: the tables file's folder)")
    parser.add_argument("--check", action="store_true",
                        help="only verify that the run folders are up to date")
    args = parser.parse_args(argv)
    paths = generate(args.tables, args.out, check=args.check)
    if args.check:
        for p in paths:
            print(f"out of date: {p}", file=sys.stderr)
        return 1 if paths else 0
    print(f"wrote {len(paths)} run folders under {args.out or args.tables.parent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
