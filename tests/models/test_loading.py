"""Where models come from: ``random:`` builds of every family size, the real vocabulary laid
over the offline tokenizer, and ``device=auto`` keeping tiny and small models on the CPU."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

from tvbench.data.inputs import GenerationSettings
from tvbench.models.families import architectures
from tvbench.models.loading import is_cpu_sized, parse_random, resolve_device
from tvbench.models.registry import ModelArgError, load_adapter, parse_model_arg
from tvbench.registry import UnknownNameError

_spec = importlib.util.spec_from_file_location(
    "hf_parity_inputs", Path(__file__).with_name("test_hf_parity.py"))
assert _spec is not None and _spec.loader is not None
_parity = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_parity)
ARCHITECTURES = ["towervision", "towervideo", "qwen2_5_vl", "gemma3", "aya_vision"]
#: One published size per architecture (building a processor lays out ~250k ids: ~1 s each).
PUBLISHED = {"towervision": "2b", "towervideo": "9b", "qwen2_5_vl": "7b", "gemma3": "4b",
             "aya_vision": "8b"}


def test_random_model_argument() -> None:
    entry = parse_model_arg("random:qwen2_5_vl-7b", {})
    assert (entry.name, entry.family, entry.path) == (
        "random-qwen2_5_vl-7b", "qwen2_5_vl", "random:qwen2_5_vl-7b")
    assert entry.max_new_tokens == 16, "random weights never stop on their own"
    assert parse_model_arg("random:towervideo-small", {}).family == "towervision"
    with pytest.raises(UnknownNameError, match="qwen2_5_vl-7b"):
        parse_model_arg("random:qwen2_5vl-7b", {})
    with pytest.raises(UnknownNameError, match="size '70b'.*7b"):
        parse_model_arg("random:qwen2_5_vl-70b", {})
    with pytest.raises((UnknownNameError, ModelArgError)):
        parse_model_arg("random:gemma3", {})


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_small_random_builds_run_batched_equal_to_batch_size_one(arch: str) -> None:
    adapter = load_adapter(parse_model_arg(f"random:{arch}-small", {}))
    assert adapter.device == "cpu" and adapter.spec.revision == "seed0"
    assert adapter.spec.source == f"random:{arch}-small"
    inputs = _parity._inputs()[:3]
    settings = GenerationSettings(max_new_tokens=4)
    single = adapter.generate(inputs, settings, batch_size=1)
    batched = adapter.generate(inputs, settings, batch_size=3)
    assert all(g.error is None for g in single)
    assert [g.text for g in batched] == [g.text for g in single]
    conts = ["a b", "gato", "x y z"]
    one = adapter.loglikelihood(inputs, conts, batch_size=1)
    three = adapter.loglikelihood(inputs, conts, batch_size=3)
    assert all(math.isfinite(a.total) and abs(a.total - b.total) < 1e-4
               for a, b in zip(one, three, strict=True))
    # the small size keeps the real processor settings: far more visual tokens than tiny
    assert max(r.tokens for r in adapter._requests(inputs)) > 50
    adapter.close()


def test_random_builds_are_seeded() -> None:
    first = load_adapter(parse_model_arg("random:gemma3-tiny", {}))
    second = load_adapter(parse_model_arg("random:gemma3-tiny", {}))
    a, b = first.model.state_dict(), second.model.state_dict()
    assert all(bool((a[k] == b[k]).all()) for k in a)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_published_sizes_lay_the_offline_tokenizer_over_the_real_vocabulary(arch: str) -> None:
    spec = architectures()[arch][1]
    size = spec.sizes[PUBLISHED[arch]]
    tok = spec.processor(size).tokenizer
    tiny_tok = spec.processor(spec.sizes["tiny"]).tokenizer
    assert len(tok) == size.vocab_size
    config = size.transformers_config()
    for attr in ("image_token_id", "video_token_id", "boi_token_index", "eoi_token_index"):
        if getattr(config, attr, None) is not None:
            token = tok.convert_ids_to_tokens(getattr(config, attr))
            assert token in size.token_ids and size.token_ids[token] == getattr(config, attr)
    assert tok.eos_token_id in ({config.get_text_config().eos_token_id}
                                | set(size.token_ids.values()))
    text = "Was ist auf dem Bild? 这是什么? Answer with a single word."
    assert (tok.convert_ids_to_tokens(tok(text)["input_ids"])
            == tiny_tok.convert_ids_to_tokens(tiny_tok(text)["input_ids"])), \
        "laying out the vocabulary changed how text tokenises"
    high = [size.vocab_size - 1, size.vocab_size - 2, 1000]
    assert len({tok.decode([i]) for i in high}) == 3, "unused ids must decode distinctly"


def test_a_published_size_builds_on_the_device_it_is_given() -> None:
    import torch

    from tvbench.models.loading import build_random

    model, processor = build_random(parse_random("random:qwen2_5_vl-7b"), device="meta",
                                    dtype=torch.bfloat16, attn=None, processor_kwargs={})
    params = sum(p.numel() for p in model.parameters())
    assert {p.device.type for p in model.parameters()} == {"meta"}
    assert abs(params / 1e9 - 8.29) < 0.01  # the published count
    assert model.dtype == torch.bfloat16 and len(processor.tokenizer) == 152064


# ------------------------------------------------------------------ device=auto
@pytest.fixture
def fake_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)


def test_auto_keeps_tiny_and_small_models_on_the_cpu_when_cuda_exists(fake_cuda, tiny,
                                                                      tmp_path: Path) -> None:
    folder = str(tiny("gemma3"))
    assert is_cpu_sized(folder) and resolve_device("auto", folder) == "cpu"
    assert resolve_device("auto", "random:aya_vision-small") == "cpu"
    assert resolve_device("auto", "random:aya_vision-8b") == "cuda"
    real = tmp_path / "real-checkpoint"
    real.mkdir()
    assert resolve_device("auto", str(real)) == "cuda"
    assert resolve_device("auto", "Qwen/Qwen2.5-VL-7B-Instruct") == "cuda"
    assert resolve_device("cuda", folder) == "cuda", "an explicit --device is obeyed"
    adapter = load_adapter(parse_model_arg("gemma3", {}), device="auto")
    assert adapter.device == "cpu" and adapter.spec.dtype == "float32"
    assert {p.device.type for p in adapter.model.parameters()} == {"cpu"}


def test_a_real_size_random_build_needs_a_gpu_or_an_explicit_cpu(monkeypatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="pass --device cpu"):
        resolve_device("auto", "random:qwen2_5_vl-7b")
    assert resolve_device("cpu", "random:qwen2_5_vl-7b") == "cpu"
