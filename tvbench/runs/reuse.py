"""Finished items shared between the run folders of one model under one output root.

Every run folder keeps its own item records (``records/<task>.jsonl``), so a folder uploaded
as a CI artifact or committed as a gate baseline is complete on its own. Together, the run
folders of one model under an output root (its full run in ``<model>/``, each subset run in
``<model>.subsetN-seedS/``) form that model's per-item store: before generating, the runner
takes a finished, error-free record of the same item from a sibling folder and copies it (with
its thumbnail) into its own folder. A full run followed by a subset run generates nothing; a
subset followed by a bigger one generates only the difference.

A sibling is a donor only when its model has the same output identity (checkpoint, revision,
dtype, settings that change outputs), and a record only when its input hash (prompt, media
bytes, generation settings) equals the new item's. Stored outputs are scored again like any
resumed record, so nothing of the donor's scoring carries over.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tvbench.data.record import ItemRecord
from tvbench.runs.store import RunFolder, RunFolderError

#: Adapter settings that change how requests travel, never what a model answers.
TRANSPORT_SETTINGS = frozenset({"concurrency", "timeout", "max_retries"})


def output_identity(model: Mapping[str, Any]) -> tuple[Any, ...]:
    """What must match for stored outputs to be reused: checkpoint, dtype, output settings."""
    settings = {k: v for k, v in (model.get("settings") or {}).items()
                if k not in TRANSPORT_SETTINGS}
    return (model.get("source"), model.get("revision"), model.get("dtype"),
            json.dumps(settings, sort_keys=True, default=str))


def sibling_folders(root: Path, own: Path) -> list[RunFolder]:
    """Run folders directly under ``root`` other than ``own`` (donor candidates)."""
    if not root.is_dir():
        return []
    mine = own.resolve()
    return [RunFolder(p) for p in sorted(root.iterdir())
            if p.is_dir() and (p / "results.json").is_file() and p.resolve() != mine]


def donors_for(candidates: Sequence[RunFolder], model: Mapping[str, Any]) -> list[RunFolder]:
    """The candidates that hold runs of the same model with the same output identity.

    An unreadable sibling is not a donor (and not an error: it is not this run's folder).
    """
    want = output_identity(model)
    out = []
    for folder in candidates:
        try:
            results = folder.read_results()
        except (RunFolderError, OSError, UnicodeDecodeError):
            continue
        if results is not None and output_identity(results.get("model") or {}) == want:
            out.append(folder)
    return out


def borrow(donors: Sequence[RunFolder], task: str, wanted: Mapping[str, str]
           ) -> dict[str, tuple[RunFolder, ItemRecord]]:
    """Records for the ids of ``wanted`` (id → input hash) found finished in a donor.

    The first donor (in folder-name order) that has an error-free record with the same input
    hash wins.
    """
    found: dict[str, tuple[RunFolder, ItemRecord]] = {}
    for folder in donors:
        if len(found) == len(wanted):
            break
        for item_id, record in folder.read_records(task).items():
            if item_id in found or item_id not in wanted:
                continue
            if record.error is None and record.output is not None and \
                    record.input_hash == wanted[item_id]:
                found[item_id] = (folder, record)
    return found


def copy_thumbnail(source: RunFolder, target: RunFolder, relative: str | None) -> str | None:
    """Copy a borrowed record's thumbnail into ``target``; its relative path stays the same.

    The path comes from a record line, so one that leaves the donor folder is dropped.
    """
    if not relative:
        return None
    root = source.root.resolve()
    src = (root / relative).resolve()
    if not src.is_relative_to(root) or not src.is_file():
        return None
    dst = target.root / relative
    if not dst.is_file():
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f".{dst.name}.tmp")
        shutil.copyfile(src, tmp)
        tmp.replace(dst)
    return relative
