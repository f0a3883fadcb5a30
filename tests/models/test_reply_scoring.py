"""Scoring a continuation as the whole reply turn (``ScoringSettings(span="turn")``).

The TowerVision authors' CoMMuTE scoring is the mean cross-entropy of everything the chat
template writes after its generation prompt: the translation plus the end-of-turn tokens.
Checked on every family: batched == batch size 1, the number equals transformers' own
``loss`` with the prompt masked (the fork's computation, with a correct mask), and the
scored tokens end with the template's end-of-turn token.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image

from tvbench.data.inputs import ImagePart, Message, ModelInput, ScoringSettings, TextPart

FAMILIES = ["towervision", "qwen2_5_vl", "gemma3", "aya_vision"]
TURN = ScoringSettings("turn")
#: Each family's end-of-turn token, as its chat template writes it.
END_OF_TURN = {"towervision": "<end_of_turn>", "qwen2_5_vl": "<|im_end|>",
               "gemma3": "<end_of_turn>", "aya_vision": "<|END_OF_TURN_TOKEN|>"}


def _png(w: int, h: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def _pairs() -> list[tuple[ModelInput, str]]:
    prompts = ["Translate to German: the mole", "Traduire : la souris", "Переведите: кот",
               "翻译：猫", "Přeložte: pes"]
    conts = ["Der Maulwurf muss weg.", "La souris", "Кот.", "猫在桌子上。", "Pes"]
    sizes = [(48, 64), (64, 48), (40, 40), (80, 56), (30, 90)]
    return [(ModelInput.user(ImagePart(_png(w, h, i)), p), c)
            for i, ((w, h), p, c) in enumerate(zip(sizes, prompts, conts, strict=True))]


@pytest.mark.parametrize("family", FAMILIES)
def test_turn_scoring_batched_equals_single(family: str, tiny_adapter) -> None:
    adapter = tiny_adapter(family)
    inputs, conts = zip(*_pairs(), strict=True)
    batched = adapter.loglikelihood(inputs, conts, batch_size=3, scoring=TURN)
    single = adapter.loglikelihood(inputs, conts, batch_size=1, scoring=TURN)
    plain = adapter.loglikelihood(inputs, conts, batch_size=3)
    for b, s, p in zip(batched, single, plain, strict=True):
        assert b.error is None and s.error is None, (b.error, s.error)
        assert b.n_tokens == s.n_tokens
        assert abs(b.total - s.total) < 1e-4
        # The turn adds the end-of-turn tokens to the candidate's own.
        assert b.n_tokens > p.n_tokens
        assert b.total < p.total
    assert len({round(b.mean, 3) for b in batched}) > 1


@pytest.mark.parametrize("family", FAMILIES)
def test_turn_mean_is_the_models_own_loss_over_the_reply(family: str, tiny_adapter) -> None:
    """Independent computation: the full chat (with the assistant turn) through the
    processor, labels masked over the generation prompt (encoded with its images), and the
    model's ``loss`` = mean cross-entropy; it is minus our mean log-probability."""
    import torch

    adapter = tiny_adapter(family)
    inp, cont = _pairs()[0]
    ours = adapter.loglikelihood([inp], [cont], scoring=TURN)[0]
    assert ours.error is None
    prompt = adapter.prompt_text(inp)
    reply = ModelInput((*inp.messages, Message("assistant", (TextPart(cont),))))
    full_text = str(adapter.processor.apply_chat_template(
        adapter.chat(reply), add_generation_prompt=False, tokenize=False))
    assert full_text.startswith(prompt) and cont in full_text[len(prompt):]
    full = adapter.encode([full_text], [inp], padding_side="right")
    head = adapter.encode([prompt], [inp], padding_side="right")
    labels = full["input_ids"].clone()
    labels[:, :head["input_ids"].shape[1]] = -100
    with torch.inference_mode():
        loss = float(adapter.model(**full, labels=labels).loss)
    assert math.isclose(-ours.mean, loss, rel_tol=1e-4, abs_tol=1e-4)
    n_scored = full["input_ids"].shape[1] - head["input_ids"].shape[1]
    assert ours.n_tokens == n_scored
    tail_ids = full["input_ids"][0, head["input_ids"].shape[1]:].tolist()
    end = adapter.tokenizer.convert_tokens_to_ids(END_OF_TURN[family])
    assert end in tail_ids[-2:], "the scored reply must end with the end-of-turn token"
