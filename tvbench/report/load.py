"""Find and read run folders for reports, tolerating the untrusted and the half-written.

Reports never re-run a model: everything comes from ``results.json`` and the item records
(``records/<task>.jsonl``, or ``samples/<task>.jsonl`` in older folders). A folder of run
folders may contain stray or broken folders (a run killed before its first write, a foreign
directory); those are listed as skipped instead of failing the whole report, because
``tvbench run`` refreshes the leaderboards at its very end and must not crash there.
results.json values are treated as untrusted data: accessors below return ``None`` for
anything of the wrong type rather than trusting the file. Item records are type-checked as
they are read (:meth:`ItemRecord.from_json`); a line that is not a record arrives as an error
record saying why.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tvbench.data.record import ItemRecord
from tvbench.runs.store import RunFolder, RunFolderError

#: Larger thumbnails than this are not decoded (a report must never choke on a hostile file).
MAX_THUMB_BYTES = 2_000_000


def number(value: Any) -> float | None:
    """A finite number from untrusted JSON, else None (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def interval(value: Any) -> tuple[float, float] | None:
    """A ``[low, high]`` confidence interval from untrusted JSON, else None."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    lo, hi = number(value[0]), number(value[1])
    return None if lo is None or hi is None else (lo, hi)


def text(value: Any) -> str:
    """Any JSON value as display text (still untrusted: renderers escape it)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass
class Run:
    """One run folder as read from disk; ``label`` is unique among the runs of a report."""

    path: Path
    results: Mapping[str, Any]
    label: str = ""
    where: str = ""  # where the run comes from, when not a folder on disk (packaged numbers)

    @property
    def model(self) -> Mapping[str, Any]:
        return mapping(self.results.get("model"))

    @property
    def model_name(self) -> str:
        return text(self.model.get("name")) or self.path.name

    @property
    def reported(self) -> Mapping[str, Any] | None:
        """The ``reported`` block of numbers copied from a paper, None for measured runs."""
        rep = self.results.get("reported")
        return rep if isinstance(rep, Mapping) else None

    @property
    def order(self) -> float:
        rep = self.reported or {}
        return number(rep.get("order")) or 0.0

    @property
    def tasks(self) -> Mapping[str, Mapping[str, Any]]:
        return {str(k): v for k, v in mapping(self.results.get("tasks")).items()
                if isinstance(v, Mapping)}

    def records(self, task: str) -> list[ItemRecord]:
        """The item records of one task (none for reported runs and tasks never run)."""
        if self.reported is not None:
            return []
        return list(RunFolder(self.path).read_records(task).values())

    def thumbnail(self, relative: Any) -> bytes | None:
        """Bytes of a thumbnail named by a record, only if it lies inside this run folder.

        The path comes from an untrusted record line, so ``../`` and absolute paths are
        refused.
        """
        if not isinstance(relative, str) or not relative:
            return None
        root = self.path.resolve()
        try:
            target = (root / relative).resolve()
        except (OSError, RuntimeError):
            return None
        if not target.is_relative_to(root) or not target.is_file():
            return None
        if target.stat().st_size > MAX_THUMB_BYTES:
            return None
        return target.read_bytes()


@dataclass
class Loaded:
    runs: list[Run] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def is_run_folder(path: Path) -> bool:
    return (path / "results.json").is_file()


def run_dirs(path: Path) -> list[Path]:
    """``path`` itself when it is a run folder, else the run folders directly inside it."""
    if is_run_folder(path):
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such folder")
    return sorted(p for p in path.iterdir() if p.is_dir() and is_run_folder(p))


def read_run(path: Path) -> Run:
    try:
        data = RunFolder(path).read_results()
    except (UnicodeDecodeError, OSError) as exc:
        raise RunFolderError(f"{path}/results.json: unreadable ({exc})") from exc
    if data is None:
        raise RunFolderError(f"{path}: no results.json")
    if not isinstance(data.get("model"), Mapping) or not isinstance(data.get("tasks"), Mapping):
        raise RunFolderError(f"{path}/results.json: missing 'model' or 'tasks'")
    return Run(path=path, results=data)


def _unique_labels(runs: Sequence[Run]) -> None:
    """Label runs by model name; two runs of one model get their folder name appended."""
    counts: dict[str, int] = {}
    for run in runs:
        counts[run.model_name] = counts.get(run.model_name, 0) + 1
    seen: set[str] = set()
    for run in runs:
        label = run.model_name
        if counts[label] > 1:
            label = f"{label} ({run.path.parent.name}/{run.path.name})"
        base, k = label, 2
        while label in seen:
            label, k = f"{base} #{k}", k + 1
        seen.add(label)
        run.label = label


def load_runs(paths: Iterable[Path], *, strict: bool = True) -> Loaded:
    """Read every run folder named by ``paths`` (run folders or folders of run folders).

    A path that is itself a broken run folder is an error when ``strict``; broken folders
    found inside a folder of runs are always skipped with the reason. Measured runs come
    first in the order given, then reported runs in their declared order.
    """
    out = Loaded()
    seen: set[Path] = set()
    for path in paths:
        path = Path(path)
        named_directly = is_run_folder(path)
        for folder in run_dirs(path):
            key = folder.resolve()
            if key in seen:
                continue
            seen.add(key)
            try:
                out.runs.append(read_run(folder))
            except RunFolderError as exc:
                if strict and named_directly:
                    raise
                out.skipped.append((folder, str(exc)))
    return arranged(out)


def arranged(loaded: Loaded, extra: Sequence[Run] = ()) -> Loaded:
    """``loaded`` plus ``extra`` runs, measured runs first in their order, then reported runs
    in their declared order, every run labelled uniquely."""
    runs = [*loaded.runs, *extra]
    measured = [r for r in runs if r.reported is None]
    reported = sorted((r for r in runs if r.reported is not None), key=lambda r: r.order)
    out = Loaded(runs=measured + reported, skipped=list(loaded.skipped))
    _unique_labels(out.runs)
    return out
