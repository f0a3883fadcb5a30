"""Reports show failed items beside scores and mark measured-vs-reported language-set gaps.

A headline is a mean over languages, so a measured CC-OCR score over 10 languages is not the
paper's 7-language number; the report marks such pairs (≠L) and says which sets differ.
"""

from __future__ import annotations

from pathlib import Path

from tvbench.report.html import render_html
from tvbench.report.load import load_runs
from tvbench.report.markdown import render_markdown
from tvbench.report.tables import build_board, errors_text, language_set

from .synthetic import task_block, write_run

REPO = Path(__file__).resolve().parents[2]
PAPER = REPO / "reports" / "towervision-paper"
SEVEN = ["de", "es", "fr", "it", "ko", "pt", "ru"]


def _measured(root: Path, langs: list[str], errors: int = 0) -> Path:
    block = task_block("cc_ocr", dict.fromkeys(langs, 50.0), "m", metric="macro_f1")
    block["language_set"] = {"preset": "custom", "languages": langs}
    block["languages"]["de"]["n_errors"] = errors
    block["n_errors"] = errors
    return write_run(root, "m", "measured-m", {"cc_ocr": block})


def test_language_sets_of_measured_and_reported_runs() -> None:
    reported = load_runs([PAPER]).runs
    tv = next(r for r in reported if r.path.name == "towervision-9b")
    assert language_set(tv.tasks["cc_ocr"]) == frozenset(SEVEN)
    assert len(language_set(tv.tasks["alm_bench"]) or ()) == 23
    assert language_set(tv.tasks["commute"]) == frozenset({"de", "fr", "ru", "zh"})
    # a measured block written before language_set existed: the languages it scored
    assert language_set({"languages": {"de": {}, "fr": {}}}) == frozenset({"de", "fr"})


def test_a_different_language_set_is_marked_and_explained(tmp_path: Path) -> None:
    _measured(tmp_path / "runs", SEVEN + ["ar", "ja", "vi"], errors=2)
    board = build_board(load_runs([tmp_path / "runs", PAPER]))
    view = next(t for t in board.tasks if t.name == "cc_ocr")
    assert view.headline["measured-m"].langs_differ
    assert view.headline["TowerVision-9B"].langs_differ
    assert any(line.startswith("measured-m: 10 language(s)") for line in view.langset_warnings)
    assert any("7 language(s) (de, es, fr, it, ko, pt, ru)" in line
               for line in view.langset_warnings)
    # explained once, in the page's collapsed Comparability section (no warning boxes)
    md = render_markdown(board)
    details = md[md.index("<details><summary>Comparability"):]
    assert "**cc\\_ocr**" in details and "- ≠L: measured-m: 10 language(s)" in details
    assert "(2 err)" in md
    html = render_html(board, load_runs([tmp_path / "runs", PAPER]).runs)
    explained = html[html.index('<details class="comparability"'):]
    assert 'class="diff langset-diff"' in explained and "measured-m: 10 language(s)" in explained
    assert 'class="langset"' in html and '<span class="errs"' in html and "2 err" in html


def test_the_paper_set_is_not_marked(tmp_path: Path) -> None:
    _measured(tmp_path / "runs", SEVEN)
    board = build_board(load_runs([tmp_path / "runs", PAPER]))
    view = next(t for t in board.tasks if t.name == "cc_ocr")
    assert not view.langset_warnings
    assert not any(c.langs_differ for c in view.headline.values())
    assert "≠L" not in render_markdown(board).split("· ≠L =")[1]  # only in the legend


def test_errors_text_only_when_items_failed(tmp_path: Path) -> None:
    _measured(tmp_path / "runs", SEVEN, errors=0)
    board = build_board(load_runs([tmp_path / "runs"]))
    cell = board.tasks[0].headline["measured-m"]
    assert cell.n_errors == 0 and errors_text(cell) == ""
    assert errors_text(board.tasks[0].cells["de"]["measured-m"]) == ""
