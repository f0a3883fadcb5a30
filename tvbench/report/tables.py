"""The leaderboard as data: one view model that both the Markdown and the HTML renderer read.

Building it once keeps the two formats from disagreeing about a number, a mark or a warning.
Per task it holds the headline cell of every run (Table 1 of the TowerVision paper), the
per-language cells (its Table 11) with unseen flags, averages over seen, unseen and all
languages, the task's secondary metrics (BLEU and chrF when XCOMET is not scored, ViMUL's MCQ
accuracy without a judge), and the comparability groups of every column.

An empty cell never stands for "we do not know": a seen/unseen average of a model that
declares no training languages is *unknown* and says why, and one over no languages says
*none*.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tvbench.data.languages import Language, info
from tvbench.report.comparability import Comparison, compare
from tvbench.report.load import Loaded, Run, interval, mapping, number, text
from tvbench.runs.parity import parity_note

AVERAGES = ("seen", "unseen", "all")
_Z95 = 1.959964


@dataclass(frozen=True)
class Cell:
    """One score with what is needed to judge it: n, CI, unseen flag, signature, provenance."""

    score: float | None
    ci: tuple[float, float] | None = None
    n: int | None = None
    unseen: bool | None = None
    signature: str = ""
    reported: bool = False
    letter: str = ""  # comparability setup, "" when the column holds one setup
    status: str = ""  # why there is no score ("not scored: ...", "unknown: ...", "none: ...")
    k: int | None = None  # languages behind an average
    approx: bool = False  # CI from per-language CIs by a normal approximation
    n_errors: int | None = None  # failed items (counted as 0 unless the run excluded them)
    langs_differ: bool = False  # measured vs reported over different language sets


@dataclass
class TaskView:
    name: str
    metric: str
    runs: list[str]  # labels of the runs that have this task, in board order
    headline: dict[str, Cell]
    headline_cmp: Comparison
    languages: list[Language]
    cells: dict[str, dict[str, Cell]]  # lang -> label -> cell
    lang_cmp: dict[str, Comparison]
    averages: dict[str, dict[str, Cell]]  # "seen" | "unseen" | "all" -> label -> cell
    notes: list[tuple[str, list[str]]] = field(default_factory=list)  # note -> run labels
    #: Headline language sets where a measured run and a reported row differ, as lines.
    langset_warnings: list[str] = field(default_factory=list)
    #: Secondary metrics in first-seen order: metric name -> run label -> cell.
    secondary: dict[str, dict[str, Cell]] = field(default_factory=dict)

    def secondary_runs(self) -> list[str]:
        """Labels of the runs that have any secondary metric, in board order."""
        return [lb for lb in self.runs if any(lb in row for row in self.secondary.values())]


@dataclass(frozen=True)
class RunInfo:
    label: str
    folder: str
    reported: bool
    source: str  # the paper table for reported runs
    model: str  # checkpoint@revision
    adapter: str
    tvbench: str
    commit: str
    seen_languages: tuple[str, ...] | None


@dataclass
class Board:
    runs: list[RunInfo]
    tasks: list[TaskView]
    languages: list[Language]
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def n_reported(self) -> int:
        return sum(r.reported for r in self.runs)


def language(code: str) -> Language:
    meta = info(code)
    return Language(code, meta.name, meta.script or "unknown", meta.family or "unknown",
                    meta.resource or "unknown")


def language_order(codes: Sequence[str]) -> list[str]:
    """English first (every suite's anchor), then by code."""
    return sorted(set(codes), key=lambda c: (c != "en", c.lower()))


def _count(value: Any) -> int | None:
    x = number(value)
    return int(x) if x is not None else None


def _unseen(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _cell(block: Mapping[str, Any], reported: bool, unseen: bool | None = None) -> Cell:
    score = number(block.get("score"))
    status = text(block.get("status")) if score is None else ""
    return Cell(score=score, ci=interval(block.get("ci95")), n=_count(block.get("n")),
                unseen=unseen, signature=text(block.get("signature")), reported=reported,
                status=status, n_errors=_count(block.get("n_errors")))


def language_set(block: Mapping[str, Any]) -> frozenset[str] | None:
    """The languages a headline averages over: the block's ``language_set``, else (runs
    written before it existed) the languages it has scores for; None when unknown."""
    declared = mapping(block.get("language_set")).get("languages")
    if isinstance(declared, list) and all(isinstance(x, str) for x in declared):
        return frozenset(declared)
    if mapping(block.get("reported")) or block.get("status") == "reported":
        return None
    langs = mapping(block.get("languages"))
    return frozenset(str(k) for k in langs) or None


def _langset_mismatch(blocks: Sequence[tuple[Run, Mapping[str, Any]]]
                      ) -> tuple[set[str], list[str]]:
    """Runs whose headline averages over another language set than a run on the other side
    (measured vs reported), and one warning line per distinct set involved."""
    sets = {r.label: language_set(b) for r, b in blocks}
    measured = [r.label for r, _ in blocks if r.reported is None and sets[r.label]]
    reported = [r.label for r, _ in blocks if r.reported is not None and sets[r.label]]
    differ = {x for m in measured for p in reported if sets[m] != sets[p] for x in (m, p)}
    groups: dict[frozenset[str], list[str]] = {}
    for label in (x for x in sets if x in differ):
        groups.setdefault(sets[label] or frozenset(), []).append(label)
    lines = [f"{', '.join(labels)}: {len(langs)} language(s) ({', '.join(sorted(langs))})"
             for langs, labels in groups.items()]
    return differ, lines


def average(cells: Sequence[Cell]) -> Cell:
    """Unweighted mean of per-language scores with an approximate 95% CI.

    Runs store bootstrap CIs per language, not the resamples, so the CI of a subset mean is
    approximated by treating languages as independent normals: se = sqrt(sum se_l^2) / k.
    The cell says so (``approx``) and renderers mark it.
    """
    scored = [c for c in cells if c.score is not None]
    if not scored:
        return Cell(score=None, k=0)
    k = len(scored)
    if k == 1:  # one language: its own bootstrap CI is exact
        only = scored[0]
        return Cell(score=only.score, ci=only.ci, k=1, reported=only.reported)
    mean = sum(c.score for c in scored if c.score is not None) / k
    ci = None
    if all(c.ci is not None for c in scored):
        var = sum(((c.ci[1] - c.ci[0]) / (2 * _Z95)) ** 2 for c in scored if c.ci)
        half = _Z95 * math.sqrt(var) / k
        ci = (mean - half, mean + half)
    return Cell(score=mean, ci=ci, k=k, approx=ci is not None,
                reported=all(c.reported for c in scored))


#: Why a seen/unseen average is unknown (the tooltip and the Markdown footnote say it).
UNKNOWN_WHY = ("the model declares no training languages, so which languages are unseen is "
               "unknown (not guessed)")


def _split_average(cells: Sequence[Cell], which: str) -> Cell:
    """The seen or unseen average; "none" when the task has no such language."""
    if not cells:
        return Cell(None, k=0, status=f"none: no {which} language among this task's languages")
    return average(cells)


def _averages(cells: Mapping[str, Cell], headline: Cell) -> dict[str, Cell]:
    values = list(cells.values())
    declared = any(c.unseen is not None for c in values)
    if declared:
        seen = _split_average([c for c in values if c.unseen is False], "seen")
        unseen = _split_average([c for c in values if c.unseen is True], "unseen")
    else:
        seen = unseen = Cell(None, status=f"unknown: {UNKNOWN_WHY}")
    out = {"seen": seen, "unseen": unseen, "all": average(values)}
    every = all(c.score is not None for c in values)
    if (every and headline.score is not None and headline.ci is not None
            and out["all"].score is not None and abs(out["all"].score - headline.score) < 0.01):
        # Same quantity as the headline (macro mean over languages): use its exact bootstrap CI.
        out["all"] = Cell(score=out["all"].score, ci=headline.ci, k=out["all"].k,
                          reported=headline.reported)
    return out


def _with_letters(cells: dict[str, Cell], cmp: Comparison) -> dict[str, Cell]:
    return {label: replace(c, letter=cmp.letter(label)) for label, c in cells.items()}


def task_view(name: str, runs: Sequence[Run]) -> TaskView | None:
    blocks = [(r, r.tasks[name]) for r in runs if name in r.tasks]
    if not blocks:
        return None
    reported = {r.label for r, _ in blocks if r.reported is not None}
    headline = {r.label: _cell(b, r.reported is not None) for r, b in blocks}
    differ, langset_lines = _langset_mismatch(blocks)
    headline = {k: replace(c, langs_differ=k in differ) for k, c in headline.items()}
    headline_cmp = compare({r.label: text(b.get("signature")) for r, b in blocks}, reported)
    headline = _with_letters(headline, headline_cmp)
    per_run: dict[str, dict[str, Cell]] = {}
    for r, b in blocks:
        per_run[r.label] = {str(lang): _cell(mapping(v), r.reported is not None,
                                             _unseen(mapping(v).get("unseen")))
                            for lang, v in mapping(b.get("languages")).items()}
    codes = language_order([c for cells in per_run.values() for c in cells])
    cells: dict[str, dict[str, Cell]] = {}
    lang_cmp: dict[str, Comparison] = {}
    for code in codes:
        row = {label: per_run[label][code] for label in per_run if code in per_run[label]}
        lang_cmp[code] = compare({k: c.signature for k, c in row.items()}, reported)
        cells[code] = _with_letters(row, lang_cmp[code])
    avgs: dict[str, dict[str, Cell]] = {a: {} for a in AVERAGES}
    for label, lang_cells in per_run.items():
        for key, cell in _averages(lang_cells, headline[label]).items():
            avgs[key][label] = cell
    notes: dict[str, list[str]] = {}
    for r, b in blocks:
        raw = b.get("notes")
        found = [text(n) for n in raw] if isinstance(raw, list) else []
        status = headline[r.label].status
        if status and not found and not status.startswith("reported"):
            found.append(status)  # the reason a score is missing, when no note gives it
        if isinstance(b.get("parity"), Mapping):  # --check-parity: the divergence rate
            found.append(parity_note(b["parity"]))
        for note in dict.fromkeys(n for n in found if n):
            notes.setdefault(note, []).append(r.label)
    secondary: dict[str, dict[str, Cell]] = {}
    for r, b in blocks:
        for metric_name, sub in mapping(b.get("metrics")).items():
            if isinstance(sub, Mapping):
                secondary.setdefault(str(metric_name), {})[r.label] = _cell(
                    sub, r.reported is not None)
    metric = next((text(b.get("metric")) for r, b in blocks if r.reported is None), "")
    metric = metric or text(blocks[0][1].get("metric"))
    return TaskView(name=name, metric=metric, runs=[r.label for r, _ in blocks],
                    headline=headline, headline_cmp=headline_cmp,
                    languages=[language(c) for c in codes], cells=cells, lang_cmp=lang_cmp,
                    averages=avgs, notes=list(notes.items()), langset_warnings=langset_lines,
                    secondary=secondary)


def run_info(run: Run) -> RunInfo:
    model = run.model
    rep = run.reported
    seen = model.get("seen_languages")
    git = mapping(run.results.get("git"))
    source = text(model.get("source"))
    revision = text(model.get("revision"))
    return RunInfo(
        label=run.label, folder=run.where or str(run.path), reported=rep is not None,
        source=text(rep.get("source")) if rep is not None else "",
        model=(f"{source}@{revision}" if revision else source) + _served(model),
        adapter=f"{text(model.get('adapter'))}@{text(model.get('adapter_version'))}",
        tvbench=text(run.results.get("tvbench_version")),
        commit=(text(git.get("commit"))[:12] + ("+dirty" if git.get("dirty") else ""))
        if git.get("commit") else "",
        seen_languages=tuple(str(s) for s in seen) if isinstance(seen, list) else None)


def _served(model: Mapping[str, Any]) -> str:
    """What an HTTP server said answered, when the run recorded it: an endpoint's name alone
    does not say which model produced the numbers."""
    answered = [f"{text(s.get('model'))}"
                + (f" [{text(s.get('system_fingerprint'))}]" if s.get("system_fingerprint")
                   else "") + f" ×{text(s.get('replies'))}"
                for s in model.get("served") or [] if isinstance(s, Mapping)]
    return f"; served as {', '.join(answered)}" if answered else ""


def build_board(loaded: Loaded) -> Board:
    """The whole leaderboard: tasks in order of first appearance (measured runs first)."""
    names: list[str] = []
    for run in loaded.runs:
        for name in run.tasks:
            if name not in names:
                names.append(name)
    views = [v for v in (task_view(n, loaded.runs) for n in names) if v is not None]
    codes = language_order([lang.code for v in views for lang in v.languages])
    return Board(runs=[run_info(r) for r in loaded.runs], tasks=views,
                 languages=[language(c) for c in codes],
                 skipped=[(str(p), why) for p, why in loaded.skipped])


def partition(cmp: Comparison, members: Sequence[str]) -> set[frozenset[str]]:
    """The grouping of ``members`` into setups (for checking one grouping explains another)."""
    groups: dict[str, set[str]] = {}
    for m in members:
        groups.setdefault(cmp.letter(m), set()).add(m)
    return {frozenset(g) for g in groups.values()}


def extra_mixing(view: TaskView, code: str) -> bool:
    """True when a language row mixes setups in a way the columns' letters do not explain."""
    cmp = view.lang_cmp.get(code)
    if cmp is None or not cmp.mixed:
        return False
    members = list(view.cells.get(code, {}))
    return partition(cmp, members) != partition(view.headline_cmp, members)


def score_text(cell: Cell | None) -> str:
    """The score to one decimal; "n/s" (not scored), "–" (a paper gave no number),
    "unknown" (no declared languages to split by) or "none" (no language to average)."""
    if cell is None:
        return ""
    if cell.score is None:
        for word in ("unknown", "none"):
            if cell.status.startswith(word + ":"):
                return word
        return "–" if cell.status.startswith("reported") else "n/s"
    return f"{cell.score:.1f}"


def why(cell: Cell) -> str:
    """The reason a cell holds no score, without its leading keyword."""
    return cell.status.partition(": ")[2] if ": " in cell.status else cell.status


def ci_text(cell: Cell | None) -> str:
    if cell is None or cell.ci is None:
        return ""
    return f"{'≈' if cell.approx else ''}[{cell.ci[0]:.1f}, {cell.ci[1]:.1f}]"


def tooltip(label: str, what: str, cell: Cell | None) -> str:
    """Hover text for a chart mark or a table cell: model, column, score, n and CI."""
    if cell is None:
        return f"{label} · {what}: no score"
    parts = [f"{label} · {what}: {score_text(cell)}"]
    if cell.status:
        parts.append(why(cell) if cell.status.startswith(("unknown:", "none:")) else cell.status)
    if cell.n is not None:
        parts.append(f"n={cell.n}")
        if cell.n_errors:
            parts.append(f"{cell.n_errors} failed")
    elif cell.k is not None:
        parts.append(f"{cell.k} languages")
    if cell.ci is not None:
        parts.append(f"95% CI {ci_text(cell)}" + (" (approx.)" if cell.approx else ""))
    if cell.unseen:
        parts.append("unseen language")
    if cell.reported:
        parts.append("reported in a paper, not measured")
    if cell.letter:
        parts.append(f"setup {cell.letter}")
    if cell.langs_differ:
        parts.append("averaged over another language set than the run it is shown with")
    return " · ".join(parts)


def errors_text(cell: Cell | None) -> str:
    """"k err" beside a score with failed items (counted as 0 unless excluded), else ""."""
    return f"{cell.n_errors} err" if cell is not None and cell.n_errors else ""
