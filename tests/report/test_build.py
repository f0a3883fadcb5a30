"""Writing reports: both formats, atomically, from run folders only; the run-end refresh."""

from __future__ import annotations

from pathlib import Path

import pytest

from tvbench.report.build import build_reports, parse_formats, refresh_reports

from .synthetic import task_block, write_run

REPO = Path(__file__).resolve().parents[2]


def test_refresh_writes_both_files_next_to_the_runs(multilang_runs: Path) -> None:
    paths = refresh_reports(multilang_runs)
    assert paths == [multilang_runs / "leaderboard.md", multilang_runs / "leaderboard.html"]
    assert "alpha-3b" in paths[0].read_text() and "beta-7b" in paths[1].read_text()
    # temp files are renamed into place, never left behind
    assert sorted(p.name for p in multilang_runs.iterdir() if p.is_file()) == [
        "leaderboard.html", "leaderboard.md"]
    # a second refresh reads the same runs (the reports themselves are not run folders)
    assert refresh_reports(multilang_runs) == paths


def test_refresh_survives_a_broken_sibling_and_says_so(multilang_runs: Path) -> None:
    broken = multilang_runs / "killed-early"
    broken.mkdir()
    (broken / "results.json").write_text('{"no": "schema"}')
    md = refresh_reports(multilang_runs)[0].read_text()
    assert "skipped" in md and "killed-early" in md and "alpha-3b" in md


def test_refresh_of_an_empty_or_missing_folder_writes_nothing(tmp_path: Path) -> None:
    assert refresh_reports(tmp_path) == []
    assert refresh_reports(tmp_path / "missing") == []
    assert list(tmp_path.iterdir()) == []


def test_refresh_reads_only_the_folders_inside_the_root(tmp_path: Path) -> None:
    write_run(tmp_path, "inner", "inner", {"t": task_block("t", {"en": 1.0}, "org/i")})
    write_run(tmp_path.parent, tmp_path.name, "root-itself", {})
    md = refresh_reports(tmp_path)[0].read_text()
    assert "inner" in md and "root-itself" not in md


def test_the_run_leaderboard_shows_the_papers_rows_for_the_tasks_that_ran(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From any working directory (the numbers travel inside the package), only the tasks
    the measured runs have, and never a paper model twice."""
    runs = tmp_path / "runs"
    write_run(runs, "mine", "mine", {"textvqa": task_block("textvqa", {"en": 70.0}, "org/m")})
    monkeypatch.chdir(tmp_path)  # no reports/ folder here
    md = refresh_reports(runs)[0].read_text()
    assert "1 measured run(s), 9 reported" in md
    assert "| _TowerVision-2B_ (rep.) | _68.1_ ⚠B |" in md
    assert "ViMUL-7B" not in md  # reports ViMUL-Bench only, which did not run here
    assert "alm\\_bench" not in md.split("## Per language")[0]  # no column for other tasks
    html = (runs / "leaderboard.html").read_text()
    assert "packaged with tvbench (reports/towervision-paper/towervision-2b)" in html
    # a paper folder copied into runs/ is not shown twice
    from tvbench.report.reported import build_results, load_tables

    paper = build_results(load_tables(REPO / "reports/towervision-paper/tables.toml"))
    write_run(runs, "tv2b", "TowerVision-2B", paper["towervision-2b"]["tasks"],
              reported=paper["towervision-2b"]["reported"])
    md = refresh_reports(runs)[0].read_text()
    assert "1 measured run(s), 9 reported" in md  # the copy stands in for the packaged one
    assert "TowerVision-2B (" not in md and "#2" not in md  # no second, relabelled row
    assert "_Qwen2.5-VL-7B_ (rep.)" in md
    only_mine = refresh_reports(runs, paper=False)[0].read_text()
    assert "Qwen2.5-VL-7B" not in only_mine


def test_build_reports_formats_and_errors(multilang_runs: Path, tmp_path: Path) -> None:
    paths, loaded = build_reports([multilang_runs], tmp_path / "out", ("md",))
    assert paths == [tmp_path / "out" / "leaderboard.md"] and len(loaded.runs) == 2
    assert not (tmp_path / "out" / "leaderboard.html").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no run folders"):
        build_reports([empty], tmp_path / "out")
    assert parse_formats("html, md,html") == ("html", "md")
    with pytest.raises(ValueError, match="md,html"):
        parse_formats("md,pdf")
