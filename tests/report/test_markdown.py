"""Markdown leaderboard: Table 1 / Table 11 shapes, marks, warnings, escaping, size budget."""

from __future__ import annotations

import re
from pathlib import Path

from tvbench.report.load import load_runs
from tvbench.report.markdown import (
    DEFAULT_BUDGET,
    GITHUB_COMMENT_LIMIT,
    md_code,
    md_text,
    render_markdown,
)
from tvbench.report.tables import build_board

from .synthetic import task_block, write_run

_PIPE = re.compile(r"(?<!\\)\|")


def _md(*roots: Path, budget: int = DEFAULT_BUDGET) -> str:
    return render_markdown(build_board(load_runs(list(roots))), budget=budget)


def _row(doc: str, first_cell: str) -> list[str]:
    for line in doc.splitlines():
        cells = [c.strip() for c in _PIPE.split(line)[1:-1]]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r}")


def test_overview_and_per_language_tables(multilang_runs: Path) -> None:
    doc = _md(multilang_runs)
    assert "| model | mvqa[^s1] | ocr[^s2] |" in doc
    # headline = macro mean with the run's CI: alpha (80+70+40+50)/4 = 60 ± 1
    assert _row(doc, "alpha-3b") == ["alpha-3b", "60.0 \\[59.0, 61.0\\]", "30.0 \\[29.0, 31.0\\]"]
    assert _row(doc, "**avg seen**")[1].startswith("75.0 ≈\\[71.5, 78.5\\] (2)")
    # beta declares no training languages: its seen/unseen averages are unknown, not blank
    assert _row(doc, "**avg unseen**")[1:] == ["45.0 ≈\\[41.5, 48.5\\] (2)", "unknown[^unknown]"]
    assert _row(doc, "**avg seen**")[2] == "unknown[^unknown]"
    footnote = next(line for line in doc.splitlines() if line.startswith("[^unknown]:"))
    assert "declares no training languages" in footnote
    assert _row(doc, "sw Swahili")[1:] == ["40.0\\* \\[35.0, 45.0\\]", "55.0 \\[50.0, 60.0\\]"]
    assert _row(doc, "de German")[1] == "70.0 \\[65.0, 75.0\\]"  # seen: no star
    assert "Not comparable" not in doc and "⚠A" not in doc.split("## Overview")[1]
    # footnotes carry the signature without model fields, and name the runs
    note = next(line for line in doc.splitlines() if line.startswith("[^s1]:"))
    assert "task:mvqa@1|split:test|langs:de,en,is,sw|n:40" in note
    assert "model:" not in note and "alpha-3b, beta-7b" in note


def test_different_setups_get_letters_and_one_collapsed_explanation(multilang_runs: Path,
                                                                     tmp_path: Path) -> None:
    write_run(tmp_path / "other", "gamma", "gamma",
              {"mvqa": task_block("mvqa", {"en": 50.0, "de": 50.0, "sw": 50.0, "is": 50.0},
                                  "org/gamma", gen="greedy,max16")})
    doc = _md(multilang_runs, tmp_path / "other")
    assert _row(doc, "gamma")[1].endswith("⚠B")
    assert _row(doc, "alpha-3b")[1].endswith("⚠A")
    lines = doc.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(
        "<details><summary>Comparability: 1 of 2 task(s) mix setups"))
    block = lines[start:lines.index("</details>", start)]
    assert "- ⚠B: gamma" in block and "- ⚠A: alpha-3b, beta-7b" in block
    warning = next(line for line in block if line.startswith("- B vs A"))
    assert "gen: greedy,max128 → greedy,max16" in warning
    # no warning boxes: the explanation is given once, collapsed
    assert "Not comparable" not in doc and not any(line.startswith(">") for line in lines)


def test_reported_runs_are_italic_labelled_and_never_silently_compared(
        multilang_runs: Path) -> None:
    paper = Path(__file__).resolve().parents[2] / "reports" / "towervision-paper"
    # a measured textvqa run next to the paper's reported textvqa numbers
    write_run(multilang_runs, "tv", "tv-measured",
              {"textvqa": task_block("textvqa", {"en": 70.0}, "org/tv")})
    doc = _md(multilang_runs, paper)
    assert _row(doc, "_TowerVision-2B_ (rep.)")[3] == "_68.1_ ⚠B"
    assert _row(doc, "tv-measured")[3].endswith("⚠A")
    assert any(line.startswith("- B (reported numbers) vs A:") for line in doc.splitlines())
    assert not any(line.startswith("> ⚠️") for line in doc.splitlines())


def test_untrusted_names_cannot_break_tables_or_inject_html(tmp_path: Path) -> None:
    name = "evil|name <script>window.__xss=1</script> @octocat `x` [a](javascript:1)"
    write_run(tmp_path, "evil", name, {"t": task_block("t", {"en": 5.0}, "org/e")})
    doc = _md(tmp_path)
    row = next(line for line in doc.splitlines() if line.startswith("| evil"))
    assert len(_PIPE.split(row)) == 4  # | name | score |: the name's own "|" is escaped
    ours = {"<details><summary>Runs</summary>", "</details>"}
    body = "\n".join(line for line in doc.splitlines() if line not in ours)
    assert not re.search(r"(?<!\\)<", body)  # every "<" from the name is escaped
    assert not re.search(r"(?<!\\)\]\(", body)  # so is every "](" (no link)
    assert "@octocat" not in doc  # no @mention
    assert md_text("a\nb") == "a b"
    assert md_code("a`b") == "`` a`b ``"


def test_size_budget_truncates_language_rows_with_a_note(tmp_path: Path) -> None:
    from tvbench.data.languages import known_codes

    langs = known_codes()[:100]
    for i in range(30):
        write_run(tmp_path, f"m{i}", f"model-number-{i}",
                  {"big": task_block("big", {c: 10.0 + i for c in langs}, f"org/m{i}")})
    doc = _md(tmp_path)
    assert len(doc) <= DEFAULT_BUDGET < GITHUB_COMMENT_LIMIT
    assert re.search(r"_… \d+ more language\(s\) not shown", doc)
    assert "| **avg all** |" in doc  # averages always survive
    tiny = _md(tmp_path, budget=3000)
    assert len(tiny) <= 3000 and "leaderboard.html" in tiny
