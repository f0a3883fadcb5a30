"""The run folder on disk: ``results.json`` written atomically, item records appended durably.

Layout::

    <run>/results.json            schema-versioned summary (temp file + rename)
    <run>/records/<task>.jsonl    one ItemRecord per item, appended as batches complete
    <run>/thumbs/<task>/<id>.jpg  a few small images per language for the item browser

Folders written before tvbench named them ``records/`` keep their item log in
``samples/<task>.jsonl``; it is read like the new one and replaced by it when the task's
records are next written. A killed run leaves at worst a torn last line in a JSONL file; it
is ignored on resume and that item is simply generated again, so nothing is lost or written
twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from tvbench.data.record import ItemRecord, RecordFormatError

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


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file in the same folder and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _file_mode())  # mkstemp makes 0600; results and reports are for sharing
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dump_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False, allow_nan=False) + "\n"


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

    def write_results(self, results: Mapping[str, Any]) -> None:
        atomic_write(self.results_path, dump_json(results))

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
        path.parent.mkdir(parents=True, exist_ok=True)
        self._repair_tail(path)
        lines = "".join(_line(r) for r in records)
        with path.open("a", encoding="utf-8") as f:
            f.write(lines)
            f.flush()
            os.fsync(f.fileno())

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
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            os.fchmod(fd, _file_mode())
            with os.fdopen(fd, "wb") as f:
                f.write(jpeg)
            os.replace(tmp, path)
        return str(path.relative_to(self.root))


def _line(record: ItemRecord) -> str:
    return json.dumps(record.to_json(), ensure_ascii=False, allow_nan=False) + "\n"
