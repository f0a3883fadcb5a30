"""The throughput paths of the transformers backend keep batched == batch size 1 on CPU fp32:
the prefetch worker, token-budget batching, the one-pass log-likelihood, a static-cache
compiled decode; and the token estimates the budget relies on count visual tokens."""

from __future__ import annotations

import copy
import importlib.util
from dataclasses import replace
from pathlib import Path

import pytest

from tvbench.data.inputs import GenerationSettings
from tvbench.models.batching import next_chunk, plan_order

FAMILIES = ["towervision", "qwen2_5_vl", "gemma3", "aya_vision"]
_spec = importlib.util.spec_from_file_location(
    "hf_parity_inputs", Path(__file__).with_name("test_hf_parity.py"))
assert _spec is not None and _spec.loader is not None
_parity = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_parity)
inputs, videos = _parity._inputs, _parity._videos
CONTS = ["Das ist eine Katze.", "gato", "x", "猫在桌子上。", "ano, pes", "кот"]


def _variant(adapter: object, **options: object) -> object:
    """The same loaded model with other load options (the copy shares the weights)."""
    other = copy.copy(adapter)
    other.options = replace(adapter.options, **options)  # type: ignore[attr-defined]
    return other


def _budgets(adapter: object, items: list) -> list[int | None]:
    tokens = [r.tokens for r in adapter._requests(items)]  # type: ignore[attr-defined]
    longest = max(tokens)
    return [None, 1, 2 * longest, 3 * longest + 1]


@pytest.mark.parametrize("family", FAMILIES)
def test_generation_equals_batch_size_one_at_every_budget_with_and_without_prefetch(
        family: str, tiny_adapter) -> None:
    adapter = tiny_adapter(family)
    settings = GenerationSettings(max_new_tokens=8)
    single = _variant(adapter, prefetch=0).generate(inputs(), settings, batch_size=1)
    assert len({g.text for g in single}) > 1, "outputs are all alike: the check is vacuous"
    # every budget with the worker one and two batches ahead; no worker without a budget
    runs = [(1, b) for b in _budgets(adapter, inputs())] + [(2, None), (0, None)]
    for prefetch, budget in runs:
        got = _variant(adapter, prefetch=prefetch).generate(
            inputs(), settings, batch_size=6, batch_tokens=budget)
        assert [(g.text, g.n_tokens, g.error) for g in got] == [
            (g.text, g.n_tokens, g.error) for g in single], (prefetch, budget)


@pytest.mark.parametrize("family", FAMILIES)
def test_loglikelihood_equals_batch_size_one_at_every_budget(family: str,
                                                             tiny_adapter) -> None:
    adapter = tiny_adapter(family)
    single = _variant(adapter, prefetch=0).loglikelihood(inputs(), CONTS, batch_size=1)
    assert all(s.error is None and s.n_tokens > 0 for s in single)
    runs = [(1, b) for b in _budgets(adapter, inputs())] + [(0, None)]
    for prefetch, budget in runs:
        got = _variant(adapter, prefetch=prefetch).loglikelihood(
            inputs(), CONTS, batch_size=6, batch_tokens=budget)
        for g, s in zip(got, single, strict=True):
            assert g.error is None and g.n_tokens == s.n_tokens, (prefetch, budget)
            assert abs(g.total - s.total) < 1e-4, (prefetch, budget)


@pytest.mark.parametrize("family", FAMILIES)
def test_video_equals_batch_size_one_under_a_budget(family: str, tiny_adapter) -> None:
    adapter = tiny_adapter(family)
    settings = GenerationSettings(max_new_tokens=6)
    single = adapter.generate(videos(), settings, batch_size=1)
    for budget in _budgets(adapter, videos()):
        got = adapter.generate(videos(), settings, batch_size=4, batch_tokens=budget)
        assert [g.text for g in got] == [g.text for g in single]
        assert all(g.error is None for g in got)


@pytest.mark.parametrize("family", FAMILIES)
def test_token_estimates_count_visual_tokens_as_the_processor_expands_them(
        family: str, tiny_adapter) -> None:
    adapter = tiny_adapter(family)
    for inp, request in zip(inputs(), adapter._requests(inputs()), strict=True):
        enc = adapter.encode([request.prompt], [inp], padding_side="left")
        actual = int(enc["input_ids"].shape[1])
        text_only = len(adapter.tokenizer(request.prompt, add_special_tokens=False)["input_ids"])
        assert actual > text_only, "the processor expanded no visual tokens"
        # placeholders and the image's framing tokens (begin/end, newlines) are the only slack
        assert abs(request.tokens - actual) <= 8, (request.tokens, actual)


def test_the_budget_changes_the_batches_it_is_tested_with(tiny_adapter) -> None:
    adapter = tiny_adapter("qwen2_5_vl")
    tokens = [r.tokens for r in adapter._requests(inputs())]
    groups = [""] * len(tokens)
    order = plan_order(tokens, groups)
    budget = 2 * max(tokens)
    sizes, pos = [], 0
    while pos < len(order):
        chunk = next_chunk(order, pos, tokens, groups, 6, budget)
        sizes.append(len(chunk))
        pos += len(chunk)
    assert max(sizes) >= 2 and len(sizes) > 1, sizes


def test_loglikelihood_scores_only_the_continuation_positions(tiny_adapter) -> None:
    """One processor pass: the prompt is not encoded a second time, and logits are asked for
    from the first continuation position only."""
    adapter = _variant(tiny_adapter("gemma3"), prefetch=0)
    calls: list[int] = []
    kept: list[int] = []
    process, forward = adapter._process, adapter.model.forward

    def counting_process(texts, media, padding_side):
        calls.append(len(texts))
        return process(texts, media, padding_side)

    def spying_forward(*args, **kwargs):
        kept.append(kwargs.get("logits_to_keep", 0))
        return forward(*args, **kwargs)

    adapter._process = counting_process
    adapter.model.forward = spying_forward
    try:
        out = adapter.loglikelihood(inputs()[:3], CONTS[:3], batch_size=3)
    finally:
        del adapter.model.forward
    assert calls == [3], "the batch went through the processor more than once"
    assert all(o.error is None for o in out)
    full = adapter.encode([adapter.prompt_text(i) + c for i, c in zip(inputs()[:3], CONTS[:3],
                                                                       strict=True)],
                          inputs()[:3], padding_side="right")
    assert 0 < kept[0] < full["input_ids"].shape[1]


def test_empty_and_boundary_breaking_continuations_are_per_item_errors(tiny_adapter) -> None:
    adapter = tiny_adapter("qwen2_5_vl")
    out = adapter.loglikelihood(inputs()[:2], ["", "ok"], batch_size=2)
    assert out[0].error == "empty continuation" and out[1].error is None


@pytest.mark.parametrize("family", FAMILIES)
def test_static_cache_compiled_decode_equals_plain_generate(family: str,
                                                            tiny_adapter) -> None:
    """``--compile`` path with the ``eager`` backend (graph capture, no code generation: the
    suite stays fast); the inductor backend is what BENCHMARKS.md measures."""
    adapter = tiny_adapter(family)
    settings = GenerationSettings(max_new_tokens=6)
    plain = adapter.generate(inputs()[:4], settings, batch_size=4)
    compiled = _variant(adapter, compile="eager")
    assert compiled.settings()["decode"] == "static-cache,compile=eager"
    got = compiled.generate(inputs()[:4], settings, batch_size=4)
    assert [g.text for g in got] == [g.text for g in plain]
    assert all(g.error is None for g in got)


def test_host_tensors_are_pinned_only_for_a_gpu_and_never_under_a_compiled_decode() -> None:
    import torch

    from tvbench.models.hf import LoadOptions
    from tvbench.models.hf_runtime import pin

    tensors = {"input_ids": torch.ones(2, 3, dtype=torch.long), "flag": True}
    assert pin(tensors, "cpu", LoadOptions()) is tensors
    # a compiled decode may be capturing a CUDA graph: no CUDA call from the worker
    assert pin(tensors, "cuda", LoadOptions(compile="inductor")) is tensors
