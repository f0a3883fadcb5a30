"""The "what flipped" page: items whose score changed between a baseline and a candidate run.

A failed gate says *that* a language got worse; this page shows *why*: per task and
language, every shared item (same id, same input hash) whose score went down or up, with the
image thumbnail when the record has one, the prompt, both outputs and both scores side by
side. Languages are sorted by code and carry their net flips (better minus worse).

The page follows the leaderboard's rules (:mod:`tvbench.report.html`): one self-contained
file rendered with autoescaping, a Content-Security-Policy that allows only its own style and
``data:`` images (it has no script at all), and every string from a run treated as untrusted.
Control and invisible formatting characters in model output are shown as visible marks, so
an output that differs only by an escape sequence or a bidi override does not look identical.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2

from tvbench.data.record import ItemRecord, thaw
from tvbench.report.html import csp_hash, environment
from tvbench.report.item_browser import clip, output_text, score_text, thumbnail_uri
from tvbench.report.load import Run, read_run, text
from tvbench.report.tables import Language, language
from tvbench.report.visible import visible
from tvbench.runs.store import atomic_write

#: Flipped items shown per task × language (the counts always cover all of them).
PER_LANGUAGE = 40
TEMPLATE, STYLE = "compare.html.j2", "compare.css.j2"
@dataclass(frozen=True)
class Side:
    """One run's view of a flipped item."""

    output: str
    answer: str
    score: str
    error: str


@dataclass(frozen=True)
class Flip:
    item_id: str
    prompt: str
    image: str | None  # a data: URI of our own re-encoded JPEG
    worse: bool
    baseline: Side
    candidate: Side


@dataclass(frozen=True)
class LanguageFlips:
    language: Language
    worse: int
    better: int
    n_shared: int
    items: tuple[Flip, ...]

    @property
    def net(self) -> int:
        return self.better - self.worse

    @property
    def hidden(self) -> int:
        return self.worse + self.better - len(self.items)


@dataclass(frozen=True)
class TaskFlips:
    name: str
    metric: str
    higher_is_better: bool
    languages: tuple[LanguageFlips, ...]
    note: str = ""

    @property
    def worse(self) -> int:
        return sum(lf.worse for lf in self.languages)

    @property
    def better(self) -> int:
        return sum(lf.better for lf in self.languages)


def _value(r: ItemRecord) -> float | None:
    """The item's score for flip purposes: an error counts as 0, unscored as unknown."""
    if r.error:
        return 0.0
    return r.score


def _side(r: ItemRecord, max_chars: int) -> Side:
    return Side(output=visible(clip(output_text(r.output), max_chars)),
                answer=visible(clip(text(thaw(r.answer)), max_chars)),
                score="error" if r.error else score_text(r.score),
                error=visible(clip(r.error or "", 300)))


def task_flips(task: str, base: Run, cand: Run, per_language: int = PER_LANGUAGE,
               max_chars: int = 600) -> TaskFlips:
    """The flipped items of one task, by language."""
    block = cand.tasks.get(task, {})
    metric = text(block.get("metric"))
    higher = block.get("higher_is_better", True) is not False
    if base.reported is not None or cand.reported is not None:
        return TaskFlips(task, metric, higher, (), "a reported run has no item records")
    b = {r.id: r for r in base.records(task)}
    c = {r.id: r for r in cand.records(task)}
    if not b or not c:
        return TaskFlips(task, metric, higher, (), "no item records on one side")
    found: dict[str, list[tuple[bool, ItemRecord, ItemRecord]]] = {}
    shared: dict[str, int] = {}
    for item_id in sorted(b.keys() & c.keys()):
        rb, rc = b[item_id], c[item_id]
        if rb.input_hash and rc.input_hash and rb.input_hash != rc.input_hash:
            continue
        shared[rb.lang] = shared.get(rb.lang, 0) + 1
        vb, vc = _value(rb), _value(rc)
        if vb is None or vc is None or abs(vc - vb) < 1e-9:
            continue
        found.setdefault(rb.lang, []).append(((vc < vb) == higher, rb, rc))
    langs = []
    for code in sorted(shared):
        flips = sorted(found.get(code, []), key=lambda f: (not f[0], f[1].id))
        items = tuple(_flip(worse, rb, rc, base, cand, max_chars)
                      for worse, rb, rc in flips[:per_language])
        n_worse = sum(1 for f in flips if f[0])
        langs.append(LanguageFlips(language(code), n_worse, len(flips) - n_worse, shared[code],
                                   items))
    return TaskFlips(task, metric, higher, tuple(langs))


def _flip(worse: bool, rb: ItemRecord, rc: ItemRecord, base: Run, cand: Run,
          max_chars: int) -> Flip:
    image = None
    for run, rec in ((base, rb), (cand, rc)):
        if image is None and rec.thumb:
            image = thumbnail_uri(run.thumbnail(rec.thumb))
    return Flip(item_id=visible(rb.id), prompt=visible(clip(rb.prompt, max_chars)),
                image=image, worse=worse, baseline=_side(rb, max_chars),
                candidate=_side(rc, max_chars))


def compare_runs(base: Run, cand: Run, per_language: int = PER_LANGUAGE) -> list[TaskFlips]:
    """Every task both runs have, in the baseline's order."""
    return [task_flips(t, base, cand, per_language) for t in base.tasks if t in cand.tasks]


@cache
def _environment() -> jinja2.Environment:
    """The leaderboard's environment (autoescape, strict undefined) plus ``visible``."""
    env = environment().overlay()
    env.filters["visible"] = visible
    return env


def render_compare(base: Run, cand: Run, per_language: int = PER_LANGUAGE) -> str:
    """The complete, self-contained HTML page (no script; CSP allows only its style)."""
    env = _environment()
    style = env.get_template(STYLE).render()
    csp = (f"default-src 'none'; img-src data:; style-src {csp_hash(style)}; "
           "script-src 'none'; base-uri 'none'; form-action 'none'")
    tasks = compare_runs(base, cand, per_language)
    names: Mapping[str, str] = {"baseline": visible(_label(base)),
                                "candidate": visible(_label(cand))}
    only = sorted(set(base.tasks) ^ set(cand.tasks))
    return env.get_template(TEMPLATE).render(csp=csp, tasks=tasks, names=names,
                                             only=[visible(t) for t in only],
                                             per_language=per_language)


def _label(run: Run) -> str:
    return f"{run.model_name} ({run.path})"


def write_compare(base_dir: Path, cand_dir: Path, out: Path,
                  per_language: int = PER_LANGUAGE) -> Path:
    """Write ``out/compare.html`` for two run folders; returns its path."""
    runs: Sequence[Run] = (read_run(Path(base_dir)), read_run(Path(cand_dir)))
    path = Path(out) / "compare.html"
    atomic_write(path, render_compare(runs[0], runs[1], per_language))
    return path
