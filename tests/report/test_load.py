"""Finding and reading run folders; broken folders are skipped, thumbnails stay inside."""

from __future__ import annotations

from pathlib import Path

import pytest

from tvbench.report.load import load_runs, run_dirs
from tvbench.runs.store import RunFolderError

from .synthetic import jpeg, task_block, write_run


def test_a_run_folder_or_a_folder_of_run_folders(multilang_runs: Path) -> None:
    assert [p.name for p in run_dirs(multilang_runs)] == ["alpha", "beta"]
    assert run_dirs(multilang_runs / "beta") == [multilang_runs / "beta"]
    loaded = load_runs([multilang_runs / "beta", multilang_runs])  # beta named twice
    assert [r.label for r in loaded.runs] == ["beta-7b", "alpha-3b"]


def test_broken_folders_inside_a_root_are_skipped_but_named_ones_fail(tmp_path: Path) -> None:
    write_run(tmp_path, "good", "good", {"t": task_block("t", {"en": 1.0}, "org/good")})
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "results.json").write_text("{not json")
    (tmp_path / "not-a-run").mkdir()
    loaded = load_runs([tmp_path])
    assert [r.label for r in loaded.runs] == ["good"]
    assert [p.name for p, _ in loaded.skipped] == ["bad"]
    with pytest.raises(RunFolderError, match="not valid JSON"):
        load_runs([bad])
    with pytest.raises(FileNotFoundError):
        load_runs([tmp_path / "missing"])


def test_duplicate_model_names_get_distinct_labels_and_reported_runs_go_last(
        tmp_path: Path) -> None:
    for root in ("a", "b"):
        write_run(tmp_path / root, "m", "same", {"t": task_block("t", {"en": 1.0}, "org/s")})
    write_run(tmp_path / "p", "r2", "paper-2", {}, reported={"source": "x", "order": 2})
    write_run(tmp_path / "p", "r1", "paper-1", {}, reported={"source": "x", "order": 1})
    loaded = load_runs([tmp_path / "p", tmp_path / "a", tmp_path / "b"])
    assert [r.label for r in loaded.runs] == ["same (a/m)", "same (b/m)", "paper-1", "paper-2"]


def test_thumbnails_outside_the_run_folder_are_refused(tmp_path: Path) -> None:
    run_path = write_run(tmp_path, "m", "m", {})
    (tmp_path / "secret.jpg").write_bytes(jpeg())
    (run_path / "thumbs").mkdir()
    (run_path / "thumbs" / "ok.jpg").write_bytes(jpeg())
    run = load_runs([run_path]).runs[0]
    assert run.thumbnail("thumbs/ok.jpg") is not None
    for hostile in ("../secret.jpg", str(tmp_path / "secret.jpg"), "thumbs/../../secret.jpg",
                    None, 42, ""):
        assert run.thumbnail(hostile) is None, hostile
