"""The run folder on disk: ``results.json`` written atomically, item records appended durably.

Layout::

    <run>/results.json            schema-versioned summary (temp file + rename)
    <run>/records/<task>.jsonl    one ItemRecord per item, appended as batches complete
    <run>/thumbs/<task>/<id>.jpg  a few small images per language for the item browser

Folders written before tvbench named them ``records/`` keep their item log in
``samples/<task>.jsonl``; it is read like the new one and replaced by it when the task's
records are next written. A killed run leaves at worst a torn last line in a JSONL file; it
is ignored on resume and that item is simply generated again, so nothing is lost or written
twice. A write that fails (a full disk) raises :class:`WriteError` naming the file, and
leaves no temporary file behind; temporary files of a killed process are swept by
:meth:`RunFolder.sweep_temporary` when the next run takes the folder.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from tvbench.data.record import ItemRecord, RecordFormatError
from tvbench.runs.lock import LOCK_NAME
from tvbench.runs.runlog import LOG_NAME

#: Version of the results.json layout; a file from a newer tvbench is refused, not misread.
SCHEMA_VERSION = 1
RECORDS, LEGACY_RECORDS = "records", "samples"


@cache
def _file_mode() -> int:
    """What ``open(path, "w")`` would give: 0666 minus the process umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


class RunFolderError(RuntimeError):
    """A run folder that cannot be resumed (different model or different inputs)."""


class WriteError(OSError):
    """A file that could not be written; the message names it (``[Errno 28]`` alone does not).
    """

    def __init__(self, path: Path, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror, str(path))
        full = cause.errno == errno.ENOSPC
        self.message = (f"cannot write {path}: {cause.strerror or cause}"
                        + (" (the disk is full). Free some space and rerun the same command to "
                           "resume: everything written so far is kept" if full else ""))

    def __str__(self) -> str:
        return self.message


def _write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is down (a short write is not an error by itself)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _write_new(path: Path, data: bytes) -> None:
    """Write ``data`` to a new temp file next to ``path``, fsync it and rename it into place;
    on any failure the temp file is removed and the error names ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            os.fchmod(fd, _file_mode())  # mkstemp makes 0600; results, reports are for sharing
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and not isinstance(exc, WriteError):
            raise WriteError(path, exc) from exc
        raise


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file in the same folder and an atomic rename."""
    _write_new(path, text.encode("utf-8"))


def dump_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False, allow_nan=False) + "\n"


def _compact(obj: Any) -> str:
    """One-line JSON through the C encoder: equal strings mean equal files' content."""
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def slug(text: str) -> str:
    """A folder-safe name: ``Qwen/Qwen2.5-VL-3B-Instruct`` → ``Qwen__Qwen2.5-VL-3B-Instruct``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text.replace("/", "__")).strip("._") or "model"


class RunFolder:
    """One model's run: results plus per-task item records."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    @property
    def results_path(self) -> Path:
        return self.root / "results.json"

    def records_path(self, task: str) -> Path:
        return self.root / RECORDS / f"{task}.jsonl"

    def legacy_records_path(self, task: str) -> Path:
        """Where folders from before the ``records/`` name keep a task's records."""
        return self.root / LEGACY_RECORDS / f"{task}.jsonl"

    def thumbs_dir(self, task: str) -> Path:
        return self.root / "thumbs" / task

    # ---------------------------------------------------------------- results
    def read_results(self) -> dict[str, Any] | None:
        if not self.results_path.is_file():
            return None
        try:
            data = json.loads(self.results_path.read_text("utf-8"))
        except json.JSONDecodeError as exc:
            raise RunFolderError(f"{self.results_path}: not valid JSON ({exc})") from exc
        if not isinstance(data, dict) or "schema_version" not in data:
            raise RunFolderError(f"{self.results_path}: not a tvbench results file")
        version = data["schema_version"]
        if isinstance(version, bool) or not isinstance(version, int) or version > SCHEMA_VERSION:
            raise RunFolderError(f"{self.results_path}: schema_version {version!r} is not one "
                                 f"this tvbench reads (1 to {SCHEMA_VERSION}); upgrade tvbench")
        return data

    def write_results(self, results: Mapping[str, Any]) -> bool:
        """Write results.json atomically, unless it holds exactly these results already: a
        rerun that changes nothing rewrites nothing (indented JSON goes through the standard
        library's pure-Python encoder, so rewriting after every task cost a resume time).
        True when written."""
        try:
            if _compact(json.loads(self.results_path.read_text("utf-8"))) == _compact(results):
                return False
        except (OSError, ValueError):  # absent or unreadable: write it
            pass
        atomic_write(self.results_path, dump_json(results))
        return True

    # ---------------------------------------------------------------- records
    def part_paths(self, task: str) -> list[Path]:
        """Per-rank part files of a data-parallel run that are not merged yet."""
        return sorted(p for folder in (LEGACY_RECORDS, RECORDS)
                      for p in (self.root / folder).glob(f"{task}.rank*.jsonl"))

    def read_records(self, task: str) -> dict[str, ItemRecord]:
        """Records by id: the old ``samples/`` log, the task's log, then unmerged part files
        (a later file wins for an item).

        A torn final line (from a crash) is skipped; a line that is not a record becomes an
        error record saying so, never a silent drop.
        """
        out: dict[str, ItemRecord] = {}
        for path in [self.legacy_records_path(task), self.records_path(task),
                     *self.part_paths(task)]:
            if path.is_file():
                out.update(self._read_jsonl(path))
        return out

    @staticmethod
    def _read_jsonl(path: Path) -> dict[str, ItemRecord]:
        out: dict[str, ItemRecord] = {}
        with path.open(encoding="utf-8") as f:
            for line in f:
                if not line.endswith("\n"):
                    break  # torn write: the process died mid-line
                try:
                    raw = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if not isinstance(raw, dict) or "id" not in raw:
                    continue
                try:
                    record = ItemRecord.from_json(raw)
                except RecordFormatError as exc:
                    record = ItemRecord.unreadable(raw, f"{path.name}: {exc}")
                out[record.id] = record
        return out

    def append_records(self, task: str, records: Iterable[ItemRecord],
                       part: str | None = None) -> None:
        """Append and fsync, so a batch that returned is on disk before the next starts.

        ``part`` names a rank's own file in a data-parallel run (no two writers per file).
        """
        path = self.records_path(task)
        if part:
            path = path.with_name(f"{task}.{part}.jsonl")
        data = "".join(_line(r) for r in records).encode("utf-8")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._repair_tail(path)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, _file_mode())
            try:
                _write_all(fd, data)  # a failure leaves at worst a torn last line
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise WriteError(path, exc) from exc

    @staticmethod
    def _repair_tail(path: Path) -> None:
        """Drop a torn final line so appended records start on a line of their own."""
        if not path.is_file() or path.stat().st_size == 0:
            return
        with path.open("rb+") as f:
            f.seek(-1, os.SEEK_END)
            if f.read(1) == b"\n":
                return
            data = path.read_bytes()
            f.truncate(data.rfind(b"\n") + 1)

    def write_records(self, task: str, records: Iterable[ItemRecord]) -> None:
        """Replace the task's log with the final records, atomically; parts and an old
        ``samples/`` log are merged into it and removed."""
        atomic_write(self.records_path(task), "".join(_line(r) for r in records))
        for part in self.part_paths(task):
            part.unlink()
        legacy = self.legacy_records_path(task)
        legacy.unlink(missing_ok=True)
        if legacy.parent.is_dir() and not any(legacy.parent.iterdir()):
            legacy.parent.rmdir()

    # ---------------------------------------------------------------- media
    def write_thumbnail(self, task: str, item_id: str, jpeg: bytes) -> str:
        """Store a thumbnail; returns its path relative to the run folder."""
        name = hashlib.sha256(item_id.encode()).hexdigest()[:16] + ".jpg"
        path = self.thumbs_dir(task) / name
        if not path.is_file():
            _write_new(path, jpeg)
        return str(path.relative_to(self.root))

    # ---------------------------------------------------------------- upkeep
    def _entries(self) -> list[tuple[Path, bool]]:
        """Every path under the folder with whether tvbench writes such a path."""
        out: list[tuple[Path, bool]] = []
        for p in sorted(self.root.iterdir()):
            if p.name in ("results.json", LOG_NAME, LOCK_NAME) or _is_temp(p):
                out.append((p, p.is_file()))
            elif p.name in (RECORDS, LEGACY_RECORDS) and p.is_dir():
                out.append((p, True))
                out += [(q, q.is_file() and (q.suffix == ".jsonl" or _is_temp(q)))
                        for q in sorted(p.iterdir())]
            elif p.name == "thumbs" and p.is_dir():
                out.append((p, True))
                for task in sorted(p.iterdir()):
                    out.append((task, task.is_dir()))
                    if task.is_dir():
                        out += [(q, q.is_file() and (q.suffix == ".jpg" or _is_temp(q)))
                                for q in sorted(task.iterdir())]
            else:
                out.append((p, False))
        return out

    def foreign_entries(self) -> list[str]:
        """Paths in the folder that tvbench does not write (a user's own files)."""
        if not self.root.is_dir():
            return []
        return [str(p.relative_to(self.root)) + ("/" if p.is_dir() else "")
                for p, ours in self._entries() if not ours]

    def clear(self) -> None:
        """Delete the run (``--overwrite``), but only if everything in it is tvbench's.

        The lock and the log stay: the lock is held by this run, the log is the folder's
        history. A folder holding anything else is refused, and nothing is deleted.
        """
        if not self.root.exists():
            return
        if not self.root.is_dir():
            raise RunFolderError(f"--overwrite: {self.root} is a file, not a run folder; "
                                 "nothing was deleted")
        foreign = self.foreign_entries()
        if foreign:
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more"
                                             if len(foreign) > 5 else "")
            raise RunFolderError(
                f"--overwrite: {self.root} is not (only) a tvbench run folder: it holds "
                f"{shown}; nothing was deleted. Move those away, or pass another --output")
        for p in self.root.iterdir():
            if p.name in (LOG_NAME, LOCK_NAME):
                continue
            if p.is_dir():
                shutil.rmtree(p)
            else:
                p.unlink()

    def sweep_temporary(self) -> list[Path]:
        """Remove temp files a killed or failed run left (the caller holds the lock)."""
        if not self.root.is_dir():
            return []
        swept = [p for p, ours in self._entries() if ours and _is_temp(p)]
        for p in swept:
            p.unlink(missing_ok=True)
        return swept


def _is_temp(path: Path) -> bool:
    """A temp file of :func:`_write_new` (``.NAME.XXXX.tmp``), or of older tvbench versions."""
    return path.name.endswith(".tmp") and path.is_file()


def _line(record: ItemRecord) -> str:
    return json.dumps(record.to_json(), ensure_ascii=False, allow_nan=False) + "\n"
