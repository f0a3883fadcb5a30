"""Tiny checkpoints: real architecture classes, small, seeded, loadable through Auto classes."""

from __future__ import annotations

import hashlib

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
