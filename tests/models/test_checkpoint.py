"""A local checkpoint's identity: exact for small folders, sampled (headers, sizes, tensor
ends) for large ones, so a 16 GB checkpoint is not read in full on every run."""

from __future__ import annotations

import hashlib
import shutil
import struct
from pathlib import Path

import pytest

from tvbench.models import checkpoint
from tvbench.models.checkpoint import checkpoint_revision, sampled_digest


def _write(folder: Path, tensors: dict[str, object], name: str = "model.safetensors") -> Path:
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(folder / name))  # type: ignore[arg-type]
    return folder / name


def _tensors(seed: int = 0) -> dict[str, object]:
    import torch

    g = torch.Generator().manual_seed(seed)
    return {"embed.weight": torch.randn(512, 256, generator=g),  # 512 KiB: sampled at its ends
            "head.weight": torch.randn(256, 512, generator=g),
            "norm.weight": torch.ones(256)}


def _data_span(path: Path, tensor: str) -> tuple[int, int]:
    import json

    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    start, end = json.loads(raw[8:8 + n])[tensor]["data_offsets"]
    return 8 + n + start, 8 + n + end


def _poke(path: Path, offset: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0xFF
    path.write_bytes(bytes(raw))


def test_small_checkpoints_are_hashed_in_full_as_before(tmp_path: Path) -> None:
    path = _write(tmp_path / "ck", _tensors())
    expected = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    assert checkpoint_revision(tmp_path / "ck") == f"local-{expected}"


def test_tiny_checkpoint_keeps_its_identity(tiny_adapter, tiny) -> None:
    folder = tiny("qwen2_5_vl")
    whole = hashlib.sha256()
    for p in sorted(folder.glob("*.safetensors")):
        whole.update(p.read_bytes())
    assert tiny_adapter("qwen2_5_vl").spec.revision == "local-" + whole.hexdigest()[:12]


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A checkpoint treated as large (the full-hash limit lowered to 0 bytes)."""
    monkeypatch.setattr(checkpoint, "FULL_HASH_LIMIT", 0)
    _write(tmp_path / "big", _tensors())
    return tmp_path / "big"


def test_large_checkpoints_get_a_sampled_identity_that_survives_a_copy(large: Path,
                                                                       tmp_path: Path) -> None:
    revision = checkpoint_revision(large)
    assert revision.startswith("local-sampled-") and len(revision) == len("local-sampled-") + 12
    copy = tmp_path / "copy"
    shutil.copytree(large, copy, copy_function=shutil.copy)  # new modification times
    assert checkpoint_revision(copy) == revision


def test_sampled_identity_changes_with_weights_layout_and_files(large: Path,
                                                                tmp_path: Path) -> None:
    before = sampled_digest(large)
    path = large / "model.safetensors"
    start, end = _data_span(path, "embed.weight")
    _poke(path, start + 3)  # the first bytes of a tensor
    first = sampled_digest(large)
    assert first != before
    _poke(path, end - 2)  # the last bytes of a tensor
    assert sampled_digest(large) not in (before, first)
    retrained = tmp_path / "retrained"
    _write(retrained, _tensors(seed=1))
    assert sampled_digest(retrained) != before
    _write(large, {"extra": __import__("torch").zeros(4)}, name="model-2.safetensors")
    assert sampled_digest(large) not in (before, first)


def test_what_the_sampled_identity_can_miss(large: Path) -> None:
    """Documented limit: an edit confined to the interior of a tensor, away from both ends."""
    before = sampled_digest(large)
    path = large / "model.safetensors"
    start, end = _data_span(path, "embed.weight")
    _poke(path, (start + end) // 2)
    assert sampled_digest(large) == before


def test_sampled_identity_reads_a_small_part_of_the_weights(large: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    read = 0
    real_open = open

    class Counting:
        def __init__(self, f):
            self.f = f

        def read(self, n: int = -1) -> bytes:
            nonlocal read
            data = self.f.read(n)
            read += len(data)
            return data

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    monkeypatch.setattr(checkpoint, "open", lambda *a, **k: Counting(real_open(*a, **k)),
                        raising=False)
    sampled_digest(large)
    size = (large / "model.safetensors").stat().st_size
    assert 0 < read < size / 10, (read, size)


def test_a_corrupt_header_is_an_error_naming_the_file(large: Path) -> None:
    (large / "model.safetensors").write_bytes(struct.pack("<Q", 10**9) + b"{}")
    with pytest.raises(ValueError, match="model.safetensors: safetensors header size"):
        sampled_digest(large)
