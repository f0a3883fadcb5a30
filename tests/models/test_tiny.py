"""Tiny checkpoints: real architecture classes, small, seeded, loadable through Auto classes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

from tvbench.models.tiny import BUILDERS, build_tiny

EXPECTED = {
    "towervision": ("LlavaNextForConditionalGeneration", "LlavaNextProcessor"),
    "towervideo": ("LlavaOnevisionForConditionalGeneration", "LlavaOnevisionProcessor"),
    "qwen2_5_vl": ("Qwen2_5_VLForConditionalGeneration", "Qwen2_5_VLProcessor"),
    "gemma3": ("Gemma3ForConditionalGeneration", "Gemma3Processor"),
    "aya_vision": ("AyaVisionForConditionalGeneration", "AyaVisionProcessor"),
}


def _digest(folder) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.iterdir()):
        h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize("family", sorted(BUILDERS))
def test_tiny_checkpoint_is_the_real_architecture_small_and_deterministic(family, tmp_path):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    a = build_tiny(family, tmp_path / "a")
    b = build_tiny(family, tmp_path / "b")
    assert _digest(a) == _digest(b), "rebuilding must give byte-identical files"
    size = sum(p.stat().st_size for p in a.iterdir())
    assert size < 2_000_000, size
    model = AutoModelForImageTextToText.from_pretrained(a)
    proc = AutoProcessor.from_pretrained(a)
    assert (type(model).__name__, type(proc).__name__) == EXPECTED[family]
    assert proc.chat_template, "the chat template must ship with the checkpoint"
    assert not list(tmp_path.glob(".a.*")), "no temporary build folder may be left behind"


def test_unknown_family_names_the_nearest(tmp_path):
    from tvbench.registry import UnknownNameError

    with pytest.raises(UnknownNameError, match="qwen2_5_vl"):
        build_tiny("qwen25vl", tmp_path / "x")


# ------------------------------------------------------------------ never delete a user's files
def _tvbench(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tvbench", *args], cwd=cwd, text=True,
                          capture_output=True, env={**os.environ, "OMP_NUM_THREADS": "1"},
                          timeout=300)


def test_tiny_refuses_a_folder_with_other_files_and_keeps_them(tmp_path) -> None:
    """The user's steps: a folder with notes.txt and sub/, then `tvbench tiny gemma3 DIR`."""
    target = tmp_path / "DIR"
    (target / "sub").mkdir(parents=True)
    (target / "notes.txt").write_text("my notes")
    (target / "sub" / "data.csv").write_text("1,2")

    proc = _tvbench("tiny", "gemma3", str(target), cwd=tmp_path)

    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "is not empty and is not a tvbench tiny checkpoint" in proc.stderr
    assert "notes.txt" in proc.stderr and "sub/" in proc.stderr and "--force" in proc.stderr
    assert (target / "notes.txt").read_text() == "my notes"
    assert (target / "sub" / "data.csv").read_text() == "1,2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["DIR"], "no temporary folder left"


def test_tiny_replaces_its_own_checkpoint_an_empty_folder_and_with_force(tmp_path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    first = build_tiny("gemma3", empty)
    before = _digest(first)
    again = build_tiny("gemma3", empty)  # an earlier tiny checkpoint: replaced silently
    assert _digest(again) == before and (again / "tvbench_tiny.json").is_file()

    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("x")
    from tvbench.models.tiny import FolderInUseError

    with pytest.raises(FolderInUseError, match="--force"):
        build_tiny("gemma3", other)
    forced = build_tiny("gemma3", other, force=True)
    assert not (forced / "notes.txt").exists() and _digest(forced) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "other"]


def test_tiny_refuses_a_file_in_the_way(tmp_path) -> None:
    from tvbench.models.tiny import FolderInUseError

    path = tmp_path / "ckpt"
    path.write_text("not a folder")
    with pytest.raises(FolderInUseError, match="not a folder"):
        build_tiny("gemma3", path)
    assert path.read_text() == "not a folder"
