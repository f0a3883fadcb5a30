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


def test_results_are_rewritten_only_when_they_change(tmp_path: Path) -> None:
    run = RunFolder(tmp_path / "m")
    (tmp_path / "m").mkdir()
    results = {"schema_version": 1, "tasks": {"t": {"score": 0.5, "ci95": (0.25, 0.75)}}}
    assert run.write_results(results) is True
    before = run.results_path.stat()
    assert run.write_results(json.loads(run.results_path.read_text())) is False
    assert run.write_results(results) is False  # a tuple is written as the list it reads back
    assert run.results_path.stat().st_ino == before.st_ino  # not even replaced
    changed = {**results, "tasks": {"t": {"score": 0.5000001, "ci95": (0.25, 0.75)}}}
    assert run.write_results(changed) is True
    assert run.read_results()["tasks"]["t"]["score"] == 0.5000001
    run.results_path.unlink()
    assert run.write_results(changed) is True and run.read_results() is not None


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


# ------------------------------------------------------------------ a full disk
class FullDisk:
    """``os.write`` as on a disk that fills up: under ``folder``, the ``fail_at``-th write
    writes half its bytes (a short write), and every write after it fails with ENOSPC.
    Writes elsewhere (pytest's own output) are untouched. ``failed`` names the file."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, folder: Path, fail_at: int) -> None:
        import os

        self.folder, self.fail_at, self.count, self.failed = folder, fail_at, 0, None
        real = os.write

        def write(fd: int, data) -> int:
            try:
                path = Path(os.readlink(f"/proc/self/fd/{fd}"))
            except OSError:
                return real(fd, data)
            if self.folder not in path.parents:
                return real(fd, data)
            self.count += 1
            if self.count == self.fail_at and len(data) > 1:
                return real(fd, bytes(data)[: len(data) // 2])
            if self.count >= self.fail_at:
                self.failed = self.failed or path
                raise OSError(28, "No space left on device")
            return real(fd, data)

        monkeypatch.setattr(os, "write", write)


def _textvqa_plan():
    from tvbench_tasks.textvqa import TextVQA

    from tvbench.runs.runner import TaskPlan

    task = TextVQA()
    return TaskPlan(task, task.bundled_source())


def _target_of(path: Path) -> Path:
    """The file a temp file stands for (``.results.json.k3j2.tmp`` → ``results.json``)."""
    if path.name.endswith(".tmp") and path.name.startswith("."):
        return path.with_name(path.name[1:].rsplit(".", 2)[0])
    return path


def _run(folder: Path):
    from tvbench.runs.runner import Runner, RunSettings

    from .fakes import FakeAdapter

    return Runner(FakeAdapter(), RunFolder(folder), RunSettings(batch_size=4)).run(
        [_textvqa_plan()])


def test_a_disk_that_fills_up_at_any_write_names_the_file_leaves_no_temp_and_resumes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reported steps: a run on a disk that fills up, then a resume once space is free.
    Every write of the run is made to fail in turn (thumbnails, record appends, the final
    records file, results.json)."""
    from tvbench.runs.store import WriteError

    reference = _run(tmp_path / "reference")
    counter = FullDisk(monkeypatch, tmp_path / "count", fail_at=10**9)
    _run(tmp_path / "count")
    monkeypatch.undo()
    writes = counter.count
    assert writes >= 8, "thumbnails, appends, records and results are all written"
    want = (tmp_path / "reference" / "records" / "textvqa.jsonl").read_text()

    for n in range(1, writes + 1):
        folder = tmp_path / f"full{n}"
        disk = FullDisk(monkeypatch, folder, fail_at=n)
        with pytest.raises(WriteError) as err:
            _run(folder)
        monkeypatch.undo()  # space is freed
        assert disk.failed is not None
        message = str(err.value)
        assert f"cannot write {_target_of(disk.failed)}: No space left on device" in message
        assert "disk is full" in message and "rerun the same command to resume" in message
        assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")], n

        resumed = _run(folder)

        assert (folder / "records" / "textvqa.jsonl").read_text() == want, n
        assert resumed["tasks"]["textvqa"] == reference["tasks"]["textvqa"], n
        assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")], n


def test_temp_files_of_a_killed_run_are_swept(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    atomic_write(tmp_path / "results.json", "{}")
    folder.write_thumbnail("textvqa", "1", b"jpeg")
    leftovers = [tmp_path / ".results.json.x1y2.tmp", tmp_path / "thumbs" / "textvqa" /
                 ".ab12.jpg.k9.tmp", tmp_path / "thumbs" / "textvqa" / "tmpq1w2.tmp",
                 tmp_path / "records" / ".textvqa.jsonl.z3.tmp"]
    for p in leftovers:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"half")
    assert sorted(folder.sweep_temporary()) == sorted(leftovers)
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) \
        == ["results.json", f"thumbs/textvqa/{next((tmp_path / 'thumbs/textvqa').iterdir()).name}"]


# ------------------------------------------------------------------ --overwrite
def test_clear_refuses_a_folder_holding_other_files_and_deletes_nothing(tmp_path: Path) -> None:
    _run(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "records" / "analysis.ipynb").write_text("{}")
    before = sorted(p for p in tmp_path.rglob("*"))
    with pytest.raises(RunFolderError, match=r"--overwrite: .* is not \(only\) a tvbench run "
                       r"folder: it holds notes.txt, records/analysis.ipynb; nothing was "
                       "deleted"):
        RunFolder(tmp_path).clear()
    assert sorted(p for p in tmp_path.rglob("*")) == before


def test_clear_deletes_a_run_but_keeps_its_log(tmp_path: Path) -> None:
    _run(tmp_path)
    (tmp_path / "run.log").write_text("history\n")
    RunFolder(tmp_path).clear()
    assert [p.name for p in tmp_path.iterdir()] == ["run.log"]
