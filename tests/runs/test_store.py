"""Run folder I/O: atomic writes leave no temp files; torn JSONL tails are tolerated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tvbench.data.record import ItemRecord
from tvbench.runs.store import RunFolder, RunFolderError, atomic_write, slug


def _rec(item: str, score: float) -> ItemRecord:
    return ItemRecord(id=item, lang="en", output="x", score=score)


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
    folder.append_records("t", [_rec("a", 1.0), _rec("b", 2.0)])
    with folder.records_path("t").open("a") as f:
        f.write('{"id": "c", "x"')  # killed mid-write
    assert set(folder.read_records("t")) == {"a", "b"}
    folder.append_records("t", [_rec("c", 3.0)])
    lines = folder.records_path("t").read_text().splitlines()
    assert [json.loads(x)["id"] for x in lines] == ["a", "b", "c"]
    assert folder.read_records("t")["c"] == _rec("c", 3.0)


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


def test_results_from_a_newer_tvbench_are_refused(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text('{"schema_version": 2, "tasks": {}}')
    with pytest.raises(RunFolderError, match="schema_version 2"):
        RunFolder(tmp_path).read_results()


def test_an_old_samples_log_is_read_and_replaced_by_the_records_log(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    old = folder.legacy_records_path("t")
    old.parent.mkdir()
    old.write_text(json.dumps(_rec("a", 1.0).to_json()) + "\n"
                   + json.dumps(_rec("b", 0.0).to_json()) + "\n")
    folder.append_records("t", [_rec("b", 1.0)])  # a resumed run appends to records/
    assert folder.read_records("t") == {"a": _rec("a", 1.0), "b": _rec("b", 1.0)}
    folder.write_records("t", folder.read_records("t").values())
    assert not (tmp_path / "samples").exists()
    assert [json.loads(x)["id"] for x in folder.records_path("t").read_text().splitlines()] == [
        "a", "b"]


def test_a_line_that_is_not_a_record_becomes_an_error_record(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    folder.append_records("t", [_rec("a", 1.0)])
    with folder.records_path("t").open("a") as f:
        f.write(json.dumps({"id": "b", "lang": "de", "input_hash": "h", "prompt": "p",
                            "output": ["not", "candidates"], "score": None}) + "\n")
        f.write(json.dumps(["no", "id"]) + "\n")
    records = folder.read_records("t")
    assert sorted(records) == ["a", "b"]
    bad = records["b"]
    assert (bad.lang, bad.input_hash, bad.prompt, bad.output) == ("de", "h", "p", None)
    assert bad.error is not None and "unreadable stored record" in bad.error
    assert "t.jsonl" in bad.error and "output[0]" in bad.error
