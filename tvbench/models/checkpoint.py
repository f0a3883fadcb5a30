"""The identity of a local checkpoint folder, standing in for a hub revision.

A run folder remembers which weights made its outputs, so a resumed run can refuse to mix
checkpoints. Reading every weight byte for that costs 10–30 s on a 16 GB checkpoint on every
run, so only small checkpoints are hashed in full; larger ones get a *sampled* identity:

* the safetensors index file, if any, verbatim;
* per weight file: its name, its size and its safetensors header (every tensor's name,
  dtype, shape and byte range);
* per tensor: the first and the last 4 KiB of its bytes (the whole tensor when smaller).

That reads a few MB whatever the size, and changes whenever a checkpoint is retrained,
fine-tuned (a dense update moves every element, so both ends of each updated tensor),
re-shaped, re-typed or re-saved with other tensors. It can miss an edit confined to the
interior of tensors, away from both ends — for example a sparse update of a few embedding
rows in the middle of the vocabulary. The sampled form is marked as such in the revision
(``local-sampled-…``), so a reader knows which guarantee a run folder holds. File
modification times are deliberately left out: copying a checkpoint must not change it.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path

#: Checkpoints up to this many bytes of weights are hashed in full (well under a second).
FULL_HASH_LIMIT = 256 * 2**20
#: Bytes read from each end of each tensor by the sampled identity.
EDGE = 4096
#: Chunks read from a weight file that has no safetensors header (``*.bin``, ``*.pt``).
_BLIND_CHUNKS, _CHUNK = 64, 64 * 1024


def weight_files(folder: Path) -> list[Path]:
    found = sorted(folder.glob("*.safetensors"))
    return found or sorted([*folder.glob("*.bin"), *folder.glob("*.pt"), *folder.glob("*.pth")])


def checkpoint_digest(folder: str | os.PathLike[str]) -> str:
    """sha256 (12 hex digits) of every safetensors byte: the exact identity of a small folder."""
    h = hashlib.sha256()
    for p in sorted(Path(folder).glob("*.safetensors")):
        with open(p, "rb") as f:
            while chunk := f.read(2**24):
                h.update(chunk)
    return h.hexdigest()[:12]


def sampled_digest(folder: str | os.PathLike[str]) -> str:
    """The sampled identity described in the module docstring (12 hex digits)."""
    root = Path(folder)
    h = hashlib.sha256(b"tvbench-sampled-v1")
    for index in sorted(root.glob("*.safetensors.index.json")):
        h.update(index.name.encode() + b"\0" + index.read_bytes())
    for path in weight_files(root):
        size = path.stat().st_size
        h.update(f"{path.name}\0{size}\0".encode())
        with open(path, "rb") as f:
            if path.suffix == ".safetensors":
                _sample_safetensors(f, size, h, path)
            else:
                _sample_blind(f, size, h)
    return h.hexdigest()[:12]


def _sample_safetensors(f: object, size: int, h: hashlib._Hash, path: Path) -> None:
    read, seek = f.read, f.seek  # type: ignore[attr-defined]
    head = read(8)
    if len(head) < 8:
        raise ValueError(f"{path}: not a safetensors file (shorter than its header size)")
    (n,) = struct.unpack("<Q", head)
    if n > size - 8:
        raise ValueError(f"{path}: safetensors header size {n} exceeds the file size {size}")
    header_bytes = read(n)
    h.update(header_bytes)
    header = json.loads(header_bytes)
    base = 8 + n
    spans = sorted((v["data_offsets"] for k, v in header.items() if k != "__metadata__"),
                   key=lambda s: s[0])
    for start, end in spans:
        if end - start <= 2 * EDGE:
            seek(base + start)
            h.update(read(end - start))
            continue
        seek(base + start)
        h.update(read(EDGE))
        seek(base + end - EDGE)
        h.update(read(EDGE))


def _sample_blind(f: object, size: int, h: hashlib._Hash) -> None:
    read, seek = f.read, f.seek  # type: ignore[attr-defined]
    step = max(1, size // _BLIND_CHUNKS)
    for offset in range(0, size, step):
        seek(offset)
        h.update(read(_CHUNK))


def checkpoint_revision(folder: str | os.PathLike[str]) -> str:
    """``local-<sha256 of every weight byte>`` up to :data:`FULL_HASH_LIMIT`, else
    ``local-sampled-<digest>``; the same value for a copy of the folder."""
    root = Path(folder)
    total = sum(p.stat().st_size for p in weight_files(root))
    if total <= FULL_HASH_LIMIT and all(p.suffix == ".safetensors" for p in weight_files(root)):
        return "local-" + checkpoint_digest(root)
    return "local-sampled-" + sampled_digest(root)
