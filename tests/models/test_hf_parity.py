"""Batched == batch size 1, on every family: greedy tokens, log-likelihoods, video.

Inputs vary in prompt length, image size/aspect and language, and the test checks that the
outputs are not all alike, so equality is not vacuous.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image

from tvbench.data.inputs import GenerationSettings, ImagePart, ModelInput, VideoPart
from tvbench.data.video import write_mp4

FAMILIES = ["towervision", "qwen2_5_vl", "gemma3", "aya_vision"]
PROMPTS = [
    "What is in this image?",
    "Traduza para inglês: o gato está em cima da mesa. Qual é a cor do carro?",
    "Was?",
    "这是什么? Answer with a single word.",
    "Co je na obrázku? Odpovězte jedním slovem, prosím, a pak vysvětlete proč.",
    "Что на картинке?",
]
SIZES = [(48, 64), (64, 48), (40, 40), (80, 56), (30, 90), (100, 40)]


def _png(w: int, h: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def _inputs() -> list[ModelInput]:
    return [ModelInput.user(ImagePart(_png(w, h, i)), p)
            for i, ((w, h), p) in enumerate(zip(SIZES, PROMPTS, strict=True))]


def _videos() -> list[ModelInput]:
    out = []
    for seed, prompt in [(1, "What happens in the video?"), (2, "Was passiert hier? Kurz.")]:
        frames = np.zeros((12, 48, 64, 3), np.uint8)
        for i in range(12):
            frames[i, :, (i * (seed + 2)) % 56:(i * (seed + 2)) % 56 + 8] = 200 + seed * 20
        out.append(ModelInput.user(VideoPart(write_mp4(frames), num_frames=4), prompt))
    return out


@pytest.mark.parametrize("family", FAMILIES)
def test_batched_generation_equals_batch_size_one(family: str, tiny_adapter) -> None:
    settings = GenerationSettings(max_new_tokens=8)
    batched = tiny_adapter(family).generate(_inputs(), settings, batch_size=4)
    single = tiny_adapter(family).generate(_inputs(), settings, batch_size=1)
    assert all(g.error is None for g in batched + single)
    assert [g.text for g in batched] == [g.text for g in single]
    assert [g.n_tokens for g in batched] == [g.n_tokens for g in single]
    assert len({g.text for g in batched}) > 1, "outputs are all alike: the check would be vacuous"


@pytest.mark.parametrize("family", FAMILIES)
def test_batches_are_left_padded(family: str, tiny_adapter) -> None:
    adapter = tiny_adapter(family)
    inputs = _inputs()[:4]
    enc = adapter.encode([adapter.prompt_text(i) for i in inputs], inputs, padding_side="left")
    mask = enc["attention_mask"]
    assert bool((mask[:, 0] == 0).any()), "no row is padded: prompts should differ in length"
    assert bool((mask[:, -1] == 1).all()), "left padding keeps every row's last token real"


@pytest.mark.parametrize("family", FAMILIES)
def test_loglikelihood_batched_equals_single_and_manual(family: str, tiny_adapter) -> None:
    import torch

    conts = ["Das ist eine Katze.", "gato", "x", "猫在桌子上。", "ano, pes", "кот"]
    single_adapter = tiny_adapter(family)
    batched = single_adapter.loglikelihood(_inputs(), conts, batch_size=4)
    single = single_adapter.loglikelihood(_inputs(), conts, batch_size=1)
    for b, s in zip(batched, single, strict=True):
        assert b.error is None and s.error is None
        assert b.n_tokens == s.n_tokens > 0
        assert abs(b.total - s.total) < 1e-4
        assert math.isclose(b.mean, b.total / b.n_tokens, rel_tol=1e-9)
    # A hand-written forward pass on one unpadded sequence gives the same number.
    inp, cont = _inputs()[1], conts[1]
    prompt = single_adapter.prompt_text(inp)
    full = single_adapter.encode([prompt + cont], [inp], padding_side="right")
    head = single_adapter.encode([prompt], [inp], padding_side="right")
    with torch.inference_mode():
        logits = single_adapter.model(**full).logits[0].float()
    ids = full["input_ids"][0]
    start = head["input_ids"].shape[1]
    manual = sum(float(torch.log_softmax(logits[t - 1], -1)[ids[t]])
                 for t in range(start, ids.shape[0]))
    assert abs(manual - batched[1].total) < 1e-4
    assert len({round(b.total, 3) for b in batched}) > 1


@pytest.mark.parametrize("family", FAMILIES)
def test_video_batched_equals_single(family: str, tiny_adapter) -> None:
    settings = GenerationSettings(max_new_tokens=6)
    batched = tiny_adapter(family).generate(_videos(), settings, batch_size=4)
    single = tiny_adapter(family).generate(_videos(), settings, batch_size=1)
    assert all(g.error is None for g in batched), [g.error for g in batched]
    assert [g.text for g in batched] == [g.text for g in single]


def test_towervideo_takes_video_natively(tmp_path) -> None:
    from tvbench.models.families.towervision import TowerVisionAdapter
    from tvbench.models.tiny import build_tiny

    folder = build_tiny("towervideo", tmp_path / "tv")
    adapter = TowerVisionAdapter(str(folder))
    assert adapter.video_mode == "native"
    assert type(adapter.model).__name__ == "LlavaOnevisionForConditionalGeneration"
    settings = GenerationSettings(max_new_tokens=6)
    batched = adapter.generate(_videos(), settings, batch_size=2)
    single = adapter.generate(_videos(), settings, batch_size=1)
    assert [g.text for g in batched] == [g.text for g in single]
    assert "<video>" in adapter.prompt_text(_videos()[0])


def test_stop_strings_cut_identically(tiny_adapter) -> None:
    adapter = tiny_adapter("qwen2_5_vl")
    free = adapter.generate(_inputs(), GenerationSettings(max_new_tokens=8), batch_size=4)
    stop = free[0].text[2:4]
    assert stop, "need a non-empty stop string taken from a real output"
    cut = adapter.generate(_inputs(), GenerationSettings(max_new_tokens=8, stop=(stop,)),
                           batch_size=4)
    assert cut[0].text == free[0].text[: free[0].text.find(stop)]
    assert all(stop not in g.text for g in cut)
