"""GitHub-flavoured Markdown leaderboard, small enough for a pull-request comment.

GitHub rejects comments over 65,536 characters, so rendering works against a budget: the
per-language tables lose rows (the averages always stay) until the text fits, with a note
saying how many languages were left out; only if that is not enough do whole task sections
go. Every name that comes from a run folder is escaped, since a model name is as untrusted
as a model output and could otherwise break a table or inject HTML and @mentions, and its
control and bidi characters are made visible (:func:`~tvbench.report.visible.visible`).

Comparability reads as in the HTML report: each score carries its setup's letter (⚠A, ⚠B)
and one collapsed ``<details>`` block says what differs, instead of a warning per table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tvbench.report.comparability import Comparison
from tvbench.report.tables import (
    AVERAGES,
    UNKNOWN_WHY,
    Board,
    Cell,
    TaskView,
    ci_text,
    errors_text,
    extra_mixing,
    score_text,
)
from tvbench.report.visible import visible

#: GitHub's comment limit is 65,536 characters; keep a margin for a bot's own header.
GITHUB_COMMENT_LIMIT = 65_536
DEFAULT_BUDGET = 60_000
_LANG_STEPS: tuple[int | None, ...] = (None, 64, 32, 16, 8, 4, 0)
_ESCAPE = re.compile(r"([\\`*_\[\]<>|~#!])")


def md_text(value: str, limit: int = 80) -> str:
    """Untrusted text as inert Markdown: one line, punctuation escaped, no @mentions."""
    flat = " ".join(visible(str(value)).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return _ESCAPE.sub(r"\\\1", flat).replace("@", "@\u2060")


def md_code(value: str) -> str:
    """A code span that no backtick inside ``value`` can close early."""
    flat = " ".join(visible(str(value)).split())
    ticks = "`" * (max((len(m) for m in re.findall(r"`+", flat)), default=0) + 1)
    return f"{ticks} {flat} {ticks}"


def _run_label(label: str, reported: bool) -> str:
    return f"_{md_text(label)}_ (rep.)" if reported else md_text(label)


def _cell(cell: Cell | None, with_ci: bool = True) -> str:
    if cell is None:
        return ""
    out = score_text(cell) + ("\\*" if cell.unseen else "")
    if cell.score is None and cell.status.startswith("unknown:"):
        out += "[^unknown]"
    if with_ci and cell.ci is not None:
        out += " " + ci_text(cell).replace("[", "\\[").replace("]", "\\]")
    if cell.reported and cell.score is not None:
        out = f"_{out}_"
    if errors_text(cell):
        out += f" ({errors_text(cell)})"
    if cell.langs_differ:
        out += " ≠L"
    if cell.letter:
        out += f" ⚠{cell.letter}"
    return out


def _setups(cmp: Comparison) -> list[str]:
    """One list line per setup of a mixed column: its letter and its runs."""
    return [f"- ⚠{s.letter}: {', '.join(md_text(m, 40) for m in s.members)}"
            + (" (reported)" if s.reported else "") for s in cmp.setups]


def _comparability(board: Board) -> list[str]:
    """The page's one explanation of the setup letters, collapsed."""
    body: list[str] = []
    mixed = 0
    for view in board.tasks:
        rows = [code for code in (lang.code for lang in view.languages)
                if extra_mixing(view, code)]
        if not view.headline_cmp.mixed and not rows and not view.langset_warnings:
            continue
        mixed += 1
        body += [f"**{md_text(view.name)}**", ""]
        if view.headline_cmp.mixed:
            body += _setups(view.headline_cmp)
            body += [f"- {md_text(line, 600)}" for line in view.headline_cmp.warnings()]
        for code in rows:
            body += [f"- {md_text(code)} only: {md_text(line, 600)}"
                     for line in view.lang_cmp[code].warnings()]
        body += [f"- ≠L: {md_text(line, 600)}" for line in view.langset_warnings]
        body.append("")
    if not mixed:
        return []
    return [f"<details><summary>Comparability: {mixed} of {len(board.tasks)} task(s) mix "
            "setups; only scores with the same letter (⚠A, ⚠B, …) are comparable. What "
            "differs:</summary>", "", *body, "</details>", ""]


def _header(board: Board) -> list[str]:
    measured = len(board.runs) - board.n_reported
    lines = ["# tvbench leaderboard", "",
             f"{measured} measured run(s), {board.n_reported} reported · scores on a 0–100 "
             "scale · \\[lo, hi\\] = 95% CI (≈ = approximated from per-language CIs) · "
             "\\* = language unseen in the model's training · _italic_ (rep.) = number "
             "reported in a paper, not measured by tvbench · ⚠A/⚠B = setup: only scores with "
             "the same letter are comparable (see Comparability) · (k err) = k failed items, "
             "counted as 0 unless the run excluded them (signature `errors`) · ≠L = measured "
             "and reported scores averaged over different language sets (see Comparability) · "
             "unknown[^unknown] = no declared training languages.", ""]
    for folder, why in board.skipped:
        lines.append(f"> skipped {md_code(folder)}: {md_text(why, 200)}")
    return lines + ([""] if board.skipped else [])


def _overview(board: Board) -> list[str]:
    tasks = board.tasks
    head = "| model | " + " | ".join(f"{md_text(t.name)}[^s{i + 1}]"
                                      for i, t in enumerate(tasks)) + " |"
    lines = ["## Overview (models × tasks)", "", head,
             "|:--|" + "--:|" * len(tasks)]
    for run in board.runs:
        cells = [_cell(t.headline.get(run.label), with_ci=True) for t in tasks]
        lines.append(f"| {_run_label(run.label, run.reported)} | " + " | ".join(cells) + " |")
    lines.append("")
    return lines + _comparability(board)


def _task_table(board: Board, view: TaskView, max_langs: int | None) -> list[str]:
    reported = {r.label for r in board.runs if r.reported}
    labels = view.runs
    header = "| language | " + " | ".join(
        _run_label(lb, lb in reported) + (f" ⚠{view.headline.get(lb, Cell(None)).letter}"
                                          if view.headline_cmp.mixed else "")
        for lb in labels) + " |"
    lines = [f"### {md_text(view.name)} · {md_text(view.metric)}", "", header,
             "|:--|" + "--:|" * len(labels)]
    for key in AVERAGES:
        row = view.averages[key]
        cells = []
        for lb in labels:
            c = row.get(lb)
            cells.append("" if c is None else _cell(c) if c.score is None else
                         f"{_cell(c)} ({c.k})")
        lines.append(f"| **avg {key}** | " + " | ".join(cells) + " |")
    if not view.languages:
        return lines[:1] + ["", "_No per-language scores._", ""]
    shown = view.languages if max_langs is None else view.languages[:max_langs]
    for lang in shown:
        mark = " ⚠" if extra_mixing(view, lang.code) else ""
        row = view.cells[lang.code]
        lines.append(f"| {md_text(lang.code)} {md_text(lang.name, 30)}{mark} | "
                     + " | ".join(_cell(row.get(lb)) for lb in labels) + " |")
    lines.append("")
    left = len(view.languages) - len(shown)
    if left:
        lines += [f"_… {left} more language(s) not shown to fit a GitHub comment; "
                  "see leaderboard.html for all of them._", ""]
    for note, who in view.notes:
        lines.append(f"- _note_: {md_text(note, 240)} ({', '.join(md_text(w, 40) for w in who)})")
    if view.notes:
        lines.append("")
    return lines + _secondary(view, reported)


def _secondary(view: TaskView, reported: set[str]) -> list[str]:
    """The task's other metrics (BLEU and chrF beside XCOMET, ViMUL's MCQ accuracy)."""
    runs = view.secondary_runs()
    if not runs:
        return []
    names = list(view.secondary)
    lines = [f"_Other metrics of {md_text(view.name)}:_", "",
             "| model | " + " | ".join(md_text(n) for n in names) + " |",
             "|:--|" + "--:|" * len(names)]
    for lb in runs:
        lines.append(f"| {_run_label(lb, lb in reported)} | "
                     + " | ".join(_cell(view.secondary[n].get(lb)) for n in names) + " |")
    return lines + [""]


def _footnotes(board: Board) -> list[str]:
    lines = [f"[^unknown]: unknown: {UNKNOWN_WHY}."]
    for i, t in enumerate(board.tasks):
        parts = []
        for s in t.headline_cmp.setups:
            who = ", ".join(md_text(m, 40) for m in s.members)
            mark = f"{s.letter}: " if t.headline_cmp.mixed else ""
            parts.append(f"{mark}{md_code(s.setup) if s.setup else '(no signature)'} — {who}")
        lines.append(f"[^s{i + 1}]: **{md_text(t.name)}** signature(s), model fields omitted: "
                     + "; ".join(parts))
    return lines + [""] if lines else []


def _runs(board: Board) -> list[str]:
    lines = ["<details><summary>Runs</summary>", "", "| run | model | adapter | tvbench | "
             "commit / source |", "|:--|:--|:--|:--|:--|"]
    for r in board.runs:
        lines.append(f"| {_run_label(r.label, r.reported)} | {md_text(r.model, 140)} | "
                     f"{md_text(r.adapter, 30)} | {md_text(r.tvbench, 20)} | "
                     f"{md_text(r.source or r.commit, 80)} |")
    return lines + ["", "</details>", ""]


def _document(board: Board, max_langs: int | None, n_tasks: int, runs: bool) -> str:
    lines = _header(board) + _overview(board)
    if board.tasks:
        lines += ["## Per language (\\* = unseen in training)", ""]
    for view in board.tasks[:n_tasks]:
        lines += _task_table(board, view, max_langs)
    left = len(board.tasks) - n_tasks
    if left:
        lines += [f"_… per-language tables of {left} task(s) left out to fit a GitHub comment; "
                  "see leaderboard.html._", ""]
    if runs:
        lines += _runs(board)
    lines += _footnotes(board)
    return "\n".join(lines).rstrip("\n") + "\n"


def render_markdown(board: Board, budget: int = DEFAULT_BUDGET) -> str:
    """The leaderboard as Markdown of at most ``budget`` characters."""
    attempts: Sequence[tuple[int | None, int, bool]] = (
        [(m, len(board.tasks), True) for m in _LANG_STEPS]
        + [(0, len(board.tasks), False)]
        + [(0, n, False) for n in range(len(board.tasks) - 1, -1, -1)])
    for max_langs, n_tasks, runs in attempts:
        doc = _document(board, max_langs, n_tasks, runs)
        if len(doc) <= budget:
            return doc
    note = "\n\n_… truncated to fit a GitHub comment; see leaderboard.html._\n"
    cut = doc[: max(0, budget - len(note))]
    return cut[: cut.rfind("\n") + 1] + note if "\n" in cut else note[-budget:]
