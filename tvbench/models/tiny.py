"""Tiny random-weight checkpoints of every family's architectures, built offline.

The hub cannot be reached from CI, so tests and the offline default run use these: the
real transformers model and processor classes at a tiny width (each family module's "tiny"
size), a byte-level BPE tokenizer trained on a small multilingual corpus, minimal chat
templates, and seeded weights so that building twice gives byte-identical safetensors.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tvbench.cache import cache_root
from tvbench.models.families import RegistryView, architectures
from tvbench.models.loading import TINY_MARKER

#: Bumped whenever a builder changes, so cached checkpoints are rebuilt.
TINY_VERSION = 2

#: Architecture name → builder of its tiny (model, processor), from the family registry.
BUILDERS: RegistryView[Callable[[], tuple[Any, Any]]] = RegistryView(lambda: {
    name: (lambda arch=arch: arch.build("tiny")) for name, (_, arch) in architectures().items()})
#: The adapter family each tiny architecture belongs to (towervideo → towervision).
FAMILY_OF: RegistryView[str] = RegistryView(
    lambda: {name: spec.name for name, (spec, _) in architectures().items()})


class FolderInUseError(FileExistsError):
    """The destination holds something that is not a tvbench tiny checkpoint."""


def check_replaceable(dest: Path) -> None:
    """Refuse to replace ``dest`` unless it is absent, empty, or a tvbench tiny checkpoint.

    Replacing a folder deletes what was in it; a user's files must never go that way.
    """
    if not dest.exists() and not dest.is_symlink():
        return
    if not dest.is_dir() or dest.is_symlink():
        raise FolderInUseError(f"{str(dest)!r} exists and is not a folder; choose another "
                               "path, or pass --force to replace it")
    entries = sorted(p.name + ("/" if p.is_dir() else "") for p in dest.iterdir())
    if not entries or (dest / TINY_MARKER).is_file():
        return
    shown = ", ".join(entries[:5]) + (f" and {len(entries) - 5} more" if len(entries) > 5 else "")
    raise FolderInUseError(f"{str(dest)!r} is not empty and is not a tvbench tiny checkpoint "
                           f"(it holds {shown}); nothing was changed. Choose an empty or new "
                           "folder, or pass --force to replace it and everything in it")


def build_tiny(family: str, folder: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write a tiny checkpoint of ``family`` to ``folder`` (model, processor, tokenizer, template).

    The folder is assembled in a temporary sibling and renamed into place, so an interrupted
    build never leaves a half-written checkpoint behind. An existing ``folder`` is replaced
    only when it is empty or an earlier tiny checkpoint, unless ``force`` is set.
    """
    if family not in BUILDERS:
        from tvbench.registry import unknown_name_error

        raise unknown_name_error("model family", family, BUILDERS)
    dest = Path(folder)
    if not force:
        check_replaceable(dest)
    import torch

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        torch.manual_seed(0)
        model, proc = BUILDERS[family]()
        model.generation_config.pad_token_id = proc.tokenizer.pad_token_id
        model.save_pretrained(tmp)
        proc.save_pretrained(tmp)
        missing = [n for n in ("config.json", "model.safetensors") if not (tmp / n).is_file()]
        if missing:  # transformers writes weights on rank 0 only once torch.distributed is up
            raise RuntimeError(f"tiny {family} checkpoint is incomplete (missing {missing}); "
                               "build it before torch.distributed is initialised")
        (tmp / TINY_MARKER).write_text(json.dumps(
            {"architecture": family, "family": FAMILY_OF.get(family, family),
             "tiny_version": TINY_VERSION}, indent=2) + "\n")
        _swap_into_place(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def _swap_into_place(tmp: Path, dest: Path) -> None:
    """Move ``tmp`` to ``dest``; an old ``dest`` is set aside first and removed only after."""
    if not dest.exists() and not dest.is_symlink():
        os.replace(tmp, dest)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old.", dir=dest.parent))
    os.replace(dest, old / dest.name)
    try:
        os.replace(tmp, dest)
    except BaseException:
        os.replace(old / dest.name, dest)  # put the old one back
        old.rmdir()
        raise
    shutil.rmtree(old, ignore_errors=True)


def tiny_cache_dir() -> Path:
    """Where the default run keeps its tiny checkpoints (``$TVBENCH_CACHE`` or ~/.cache)."""
    return cache_root() / "tiny"


def cached_tiny(family: str) -> Path:
    """Return a cached tiny checkpoint of ``family``, building it on first use.

    A file lock serialises builders, so ranks of a data-parallel run (or parallel test
    workers) never see a folder that another process is replacing.
    """
    import fcntl

    folder = tiny_cache_dir() / f"{family}-v{TINY_VERSION}"
    marker = folder / TINY_MARKER
    if marker.is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{family}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.is_file():  # the cache is tvbench's own folder: replace what is there
            build_tiny(family, folder, force=True)
    return folder

