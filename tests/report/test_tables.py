"""The shared view model: per-language cells, unseen flags, averages and their CIs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tvbench.report.load import load_runs
from tvbench.report.tables import Cell, average, build_board, ci_text, score_text, tooltip

from .synthetic import task_block, write_run


def test_languages_unseen_flags_and_averages(multilang_runs: Path) -> None:
    board = build_board(load_runs([multilang_runs]))
    assert [t.name for t in board.tasks] == ["mvqa", "ocr"]
    mvqa = board.tasks[0]
    assert [lang.code for lang in mvqa.languages] == ["en", "de", "is", "sw"]  # en first
    assert mvqa.cells["sw"]["alpha-3b"].unseen is True
    assert mvqa.cells["de"]["alpha-3b"].unseen is False
    assert mvqa.cells["sw"]["beta-7b"].unseen is None  # beta declares no training languages
    seen, unseen, every = (mvqa.averages[k]["alpha-3b"] for k in ("seen", "unseen", "all"))
    # by construction: seen = mean(80, 70), unseen = mean(40, 50), all = mean of the four
    assert (seen.score, unseen.score, every.score) == (75.0, 45.0, 60.0)
    assert (seen.k, unseen.k, every.k) == (2, 2, 4)
    # two languages with ±5 CIs, independent normals: half-width 5/sqrt(2)
    assert seen.approx and seen.ci == pytest.approx((75 - 5 / math.sqrt(2), 75 + 5 / math.sqrt(2)))
    # "all" is the headline quantity, so the run's own bootstrap CI ([59, 61]) is used exactly
    assert every.ci == (59.0, 61.0) and not every.approx
    assert mvqa.averages["seen"]["beta-7b"].score is None  # unknown, never guessed
    assert mvqa.averages["all"]["beta-7b"].score == 56.25


def test_unknown_and_empty_averages_say_so_instead_of_staying_blank(
        multilang_runs: Path, tmp_path: Path) -> None:
    board = build_board(load_runs([multilang_runs]))
    mvqa = board.tasks[0]
    for key in ("seen", "unseen"):  # beta declares no training languages
        cell = mvqa.averages[key]["beta-7b"]
        assert score_text(cell) == "unknown"
        assert "declares no training languages" in tooltip("beta-7b", f"avg {key}", cell)
    # alpha declares en and de: on the English-only task nothing is unseen, so "none"
    ocr_unseen = board.tasks[1].averages["unseen"]["alpha-3b"]
    assert score_text(ocr_unseen) == "none"
    assert "no unseen language among this task's languages" in tooltip("alpha-3b", "avg",
                                                                       ocr_unseen)
    assert score_text(board.tasks[1].averages["seen"]["alpha-3b"]) == "30.0"


def test_secondary_metrics_are_collected_per_run(tmp_path: Path) -> None:
    block = task_block("mt", {"de": None, "fr": None}, "org/m", metric="xcomet")
    block["metrics"] = {"bleu": task_block("mt", {"de": 30.0, "fr": 40.0}, "org/m",
                                           metric="bleu"),
                        "chrf": task_block("mt", {"de": 55.0, "fr": 65.0}, "org/m",
                                           metric="chrf")}
    write_run(tmp_path, "m", "m", {"mt": block})
    write_run(tmp_path, "n", "n", {"mt": task_block("mt", {"de": 1.0}, "org/n")})
    view = build_board(load_runs([tmp_path])).tasks[0]
    assert score_text(view.headline["m"]) == "n/s"
    assert list(view.secondary) == ["bleu", "chrf"]
    assert (view.secondary["bleu"]["m"].score, view.secondary["chrf"]["m"].score) == (35.0,
                                                                                      60.0)
    assert view.secondary_runs() == ["m"]  # n has no other metric


def test_one_language_average_keeps_its_exact_ci() -> None:
    cell = average([Cell(score=30.0, ci=(25.0, 35.0))])
    assert (cell.score, cell.ci, cell.approx, cell.k) == (30.0, (25.0, 35.0), False, 1)


def test_values_of_the_wrong_type_are_not_trusted(tmp_path: Path) -> None:
    block = task_block("t", {"en": 50.0}, "org/m")
    block["score"] = "99"
    block["ci95"] = [1, "x"]
    block["languages"]["en"].update(score=True, unseen="yes", n="many")
    write_run(tmp_path, "m", "m", {"t": block})
    view = build_board(load_runs([tmp_path])).tasks[0]
    head, en = view.headline["m"], view.cells["en"]["m"]
    assert (head.score, head.ci) == (None, None)
    assert (en.score, en.unseen, en.n) == (None, None, None)
    assert score_text(en) == "n/s"


def test_text_helpers() -> None:
    cell = Cell(score=41.25, ci=(38.0, 44.5), n=120, unseen=True, letter="B")
    assert score_text(cell) == "41.2" and ci_text(cell) == "[38.0, 44.5]"
    tip = tooltip("m", "de", cell)
    assert "n=120" in tip and "95% CI [38.0, 44.5]" in tip and "unseen" in tip
    assert "setup B" in tip
    assert score_text(Cell(score=None, status="reported: per-language scores only")) == "–"


def test_notes_are_grouped_across_runs_and_missing_scores_explained(tmp_path: Path) -> None:
    for name in ("a", "b"):
        block = task_block("t", {"en": 50.0}, f"org/{name}")
        block["notes"] = ["same note"]
        write_run(tmp_path, name, name, {"t": block})
    block = task_block("t", {"en": None}, "org/c")
    block["status"] = "not scored: no judge"
    write_run(tmp_path, "c", "c", {"t": block})
    view = build_board(load_runs([tmp_path])).tasks[0]
    assert view.notes == [("same note", ["a", "b"]), ("not scored: no judge", ["c"])]
    assert score_text(view.headline["c"]) == "n/s"


def test_the_runs_table_says_what_a_server_said_answered(tmp_path: Path) -> None:
    import json

    from tvbench.report.html import render_html
    from tvbench.report.markdown import render_markdown

    root = write_run(tmp_path, "api", "m", {"t": task_block("t", {"en": 5.0}, "org/m")})
    results = json.loads((root / "results.json").read_text())
    results["model"]["served"] = [
        {"model": "m-2026-01", "system_fingerprint": "fp_1", "replies": 11},
        {"model": "<b>m</b>|x", "system_fingerprint": None, "replies": 1}]
    (root / "results.json").write_text(json.dumps(results))
    loaded = load_runs([root])
    board = build_board(loaded)
    assert board.runs[0].model == ("org/m@r1; served as m-2026-01 [fp_1] ×11, <b>m</b>|x ×1")
    page = render_html(board, loaded.runs)
    assert "served as m-2026-01 [fp_1] ×11, &lt;b&gt;m&lt;/b&gt;|x ×1" in page
    assert "<b>m</b>" not in page
    markdown = render_markdown(board)
    assert "served as m-2026-01 \\[fp\\_1\\] ×11" in markdown and "<b>m</b>" not in markdown
