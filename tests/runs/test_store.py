"""Run folder I/O: atomic writes leave no temp files; torn JSONL tails are tolerated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tvbench.runs.store import RunFolder, RunFolderError, atomic_write, slug


def test_atomic_write_replaces_and_leaves_nothing_behind(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    atomic_write(path, "one")
    atomic_write(path, "two")
    assert path.read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    folder.write_results({"schema_version": 1, "tasks": {}})
    with pytest.raises(ValueError):  # NaN is not JSON: nothing half-written may replace it
        folder.write_results({"schema_version": 1, "score": float("nan")})
    assert json.loads(folder.results_path.read_text()) == {"schema_version": 1, "tasks": {}}
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_append_then_read_skips_a_torn_tail_and_repairs_it(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    folder.append_records("t", [{"id": "a", "x": 1}, {"id": "b", "x": 2}])
    with folder.samples_path("t").open("a") as f:
        f.write('{"id": "c", "x"')  # killed mid-write
    assert set(folder.read_records("t")) == {"a", "b"}
    folder.append_records("t", [{"id": "c", "x": 3}])
    lines = folder.samples_path("t").read_text().splitlines()
    assert [json.loads(x)["id"] for x in lines] == ["a", "b", "c"]


def test_results_that_are_not_ours_are_refused(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text('{"hello": 1}')
    with pytest.raises(RunFolderError, match="not a tvbench results file"):
        RunFolder(tmp_path).read_results()
    (tmp_path / "results.json").write_text("{broken")
    with pytest.raises(RunFolderError, match="not valid JSON"):
        RunFolder(tmp_path).read_results()


@pytest.mark.parametrize("name,expected", [
    ("Qwen/Qwen2.5-VL-3B-Instruct", "Qwen__Qwen2.5-VL-3B-Instruct"),
    ("tiny-gemma3", "tiny-gemma3"),
    ("../../etc", "etc"),
    ("a b:c", "a_b_c"),
])
def test_slug_is_folder_safe(name: str, expected: str) -> None:
    assert slug(name) == expected


def test_written_files_get_ordinary_permissions(tmp_path: Path) -> None:
    import os
    import stat

    atomic_write(tmp_path / "results.json", "{}")
    mask = os.umask(0)
    os.umask(mask)
    mode = stat.S_IMODE((tmp_path / "results.json").stat().st_mode)
    assert mode == 0o666 & ~mask  # not mkstemp's 0600: results and reports are shared
