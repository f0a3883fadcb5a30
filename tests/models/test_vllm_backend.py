"""vLLM backend without vLLM: pure request builders against the tiny checkpoints' processors,
prompt/media parity with the transformers adapters, and the adapter driven end to end by a
fake ``vllm`` module (a test double that records what the adapter passes)."""

from __future__ import annotations

import hashlib
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tvbench.data.inputs import (
    GenerationSettings,
    ImagePart,
    Message,
    ModelInput,
    TextPart,
    VideoPart,
)
from tvbench.data.outputs import Capability, Generation, LogLikelihood
from tvbench.models.vllm_backend import (
    LOGLIKELIHOOD_KWARGS,
    VLLMAdapter,
    VLLMUnavailable,
    chat_messages,
    continuation_ids,
    continuation_logprob,
    engine_kwargs,
    multi_modal_data,
    prompt_text,
    sampling_kwargs,
    video_mode,
    vllm_request,
)

FAMILIES = ("towervision", "qwen2_5_vl", "gemma3", "aya_vision")


def _png(color: tuple[int, int, int], size: tuple[int, int] = (40, 30)) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def _clip(n: int = 12) -> bytes:
    from tvbench.data.video import write_mp4

    frames = np.zeros((n, 16, 16, 3), dtype=np.uint8)
    for t in range(n):
        frames[t, :, : t + 1] = 255
    return write_mp4(frames)


def _inputs() -> list[ModelInput]:
    red, blue = _png((220, 20, 20)), _png((20, 20, 220), (24, 48))
    return [
        ModelInput.user(ImagePart(red), "What colour is this?", system="Answer briefly."),
        ModelInput.user(ImagePart(red), ImagePart(blue), "Compare the two images."),
        ModelInput.user(VideoPart(_clip(), num_frames=10), "What moves?"),
        ModelInput((Message("user", (TextPart("Translate: cat"),)),
                    Message("assistant", (TextPart("Katze"),)),
                    Message("user", (TextPart("And dog?"),)))),
    ]


def _processor(tiny: Callable[[str], Path], family: str) -> Any:
    from transformers import AutoProcessor

    return AutoProcessor.from_pretrained(str(tiny(family)))


# --------------------------------------------------------------------------- without vLLM
def test_import_works_and_construction_says_how_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tvbench.models.registry import capabilities, load_adapter, parse_model_arg

    monkeypatch.setitem(sys.modules, "vllm", None)  # import vllm -> ImportError
    entry = parse_model_arg("vllm:qwen2_5_vl:Qwen/Qwen2.5-VL-3B-Instruct", {})
    assert capabilities(entry) == VLLMAdapter.capabilities
    with pytest.raises(VLLMUnavailable, match=r'pip install "tvbench\[vllm\]"'):
        load_adapter(entry)
    with pytest.raises(VLLMUnavailable):
        VLLMAdapter("Qwen/Qwen2.5-VL-3B-Instruct", family="qwen2_5_vl")


def test_from_entry_needs_family_and_path() -> None:
    from tvbench.models.registry import ModelEntry

    with pytest.raises(ValueError, match="needs family and path"):
        VLLMAdapter.from_entry(ModelEntry(name="x", backend="vllm", family="gemma3"))


# --------------------------------------------------------------------------- pure builders
@pytest.mark.parametrize("family", FAMILIES)
def test_prompts_and_media_match_the_transformers_adapter(
        family: str, tiny: Callable[[str], Path], tiny_adapter: Callable[..., Any]) -> None:
    """Both backends must show a model the same prompt text and the same pixels."""
    hf = tiny_adapter(family)
    proc = _processor(tiny, family)
    mode = video_mode(family, proc_model_type(tiny, family))
    assert mode == hf.video_mode
    for inp in _inputs():
        msgs = chat_messages(inp, family=family, mode=mode, max_frames=32,
                             image_token=str(getattr(proc, "image_token", "<image>")),
                             video_token=str(getattr(proc, "video_token", "<video>")))
        assert prompt_text(proc, msgs) == hf.prompt_text(inp)
        data = multi_modal_data(inp, mode=mode, max_frames=32)
        images, videos = hf.media(inp)
        assert len(data.get("image", [])) == len(images)
        for a, b in zip(data.get("image", []), images, strict=True):
            assert np.array_equal(np.asarray(a), np.asarray(b))
        assert len(data.get("video", [])) == len(videos)
        for a, b in zip(data.get("video", []), videos, strict=True):
            assert np.array_equal(a, b)


def proc_model_type(tiny: Callable[[str], Path], family: str) -> str:
    from transformers import AutoConfig

    return str(AutoConfig.from_pretrained(str(tiny(family))).model_type)


def test_video_layout_per_mode(tiny: Callable[[str], Path]) -> None:
    inp = _inputs()[2]  # a 12-frame clip, num_frames=10
    native = multi_modal_data(inp, mode="native", max_frames=32)
    assert list(native) == ["video"] and native["video"][0].shape == (10, 16, 16, 3)
    frames = multi_modal_data(inp, mode="frames", max_frames=32)
    assert list(frames) == ["image"] and len(frames["image"]) == 8  # the frames-mode cap
    assert len(multi_modal_data(inp, mode="frames", max_frames=4)["image"]) == 4
    qwen = prompt_text(_processor(tiny, "qwen2_5_vl"), chat_messages(
        inp, family="qwen2_5_vl", mode="native", max_frames=32))
    assert qwen.count("<|video_pad|>") == 1 and "<|image_pad|>" not in qwen
    gemma = prompt_text(_processor(tiny, "gemma3"), chat_messages(
        inp, family="gemma3", mode="frames", max_frames=32))
    assert gemma.count("<start_of_image>") == 8
    assert video_mode("towervision", "llava_onevision") == "native"
    assert video_mode("towervision", "llava_next") == "frames"


def test_vllm_request_shape() -> None:
    assert vllm_request("p", {}) == {"prompt": "p"}
    assert vllm_request("p", {"image": ["x"]}) == {"prompt": "p",
                                                   "multi_modal_data": {"image": ["x"]}}


class _BosTokenizer:
    """A tokenizer that prepends BOS on its own (like Gemma's real one)."""

    bos_token, bos_token_id = "<bos>", 2

    def __call__(self, text: str, add_special_tokens: bool = True) -> dict[str, list[int]]:
        return {"input_ids": ([2] if add_special_tokens else []) + [ord(c) for c in text]}


class _Proc:
    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def apply_chat_template(self, messages: Any, add_generation_prompt: bool,
                            tokenize: bool) -> str:
        assert add_generation_prompt and not tokenize
        return "<bos><start_of_turn>user\nhi<end_of_turn>\n<start_of_turn>model\n"


def test_prompt_drops_a_bos_the_tokenizer_adds_again(tiny: Callable[[str], Path]) -> None:
    msgs = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    assert prompt_text(_Proc(_BosTokenizer()), msgs).startswith("<start_of_turn>user")
    # The tiny Gemma 3 tokenizer adds no BOS, so the template's BOS stays.
    assert prompt_text(_processor(tiny, "gemma3"), msgs).startswith("<bos><start_of_turn>")


def test_sampling_and_engine_kwargs() -> None:
    assert sampling_kwargs(GenerationSettings(64, stop=("\n", ""))) == {
        "n": 1, "max_tokens": 64, "temperature": 0.0, "stop": ["\n"]}
    assert sampling_kwargs(GenerationSettings(8, temperature=0.6)) == {
        "n": 1, "max_tokens": 8, "temperature": 0.6, "seed": 0}
    assert LOGLIKELIHOOD_KWARGS == {"n": 1, "max_tokens": 1, "temperature": 0.0,
                                    "prompt_logprobs": 0}
    kw = engine_kwargs("org/m", revision="abc", dtype="bfloat16", tensor_parallel_size=2,
                       gpu_memory_utilization=0.8, limits={"image": 8, "video": 1},
                       trust_remote_code=False, processor_kwargs={"max_pixels": 1003520})
    assert kw == {"model": "org/m", "revision": "abc", "tokenizer_revision": "abc",
                  "dtype": "bfloat16", "tensor_parallel_size": 2, "gpu_memory_utilization": 0.8,
                  "limit_mm_per_prompt": {"image": 8, "video": 1}, "trust_remote_code": False,
                  "seed": 0, "mm_processor_kwargs": {"max_pixels": 1003520}}


class _LP:
    def __init__(self, logprob: float) -> None:
        self.logprob = logprob


def test_continuation_logprob_sums_the_tail() -> None:
    ids = [5, 6, 7, 8, 9]
    lps: list[dict[int, Any] | None] = [None, {6: _LP(-1.0)}, {7: _LP(-0.5), 1: _LP(-0.1)},
                                        {8: _LP(-0.25)}, {9: -2.0}]
    # hand-computed: positions 3 and 4 -> -0.25 + -2.0
    assert continuation_logprob(ids, lps, [8, 9]) == -2.25
    assert continuation_logprob(ids, lps, [6, 7, 8, 9]) == -3.75
    with pytest.raises(ValueError, match="do not end with"):
        continuation_logprob(ids, lps, [7, 9])
    with pytest.raises(ValueError, match="do not end with"):
        continuation_logprob(ids, lps, ids)  # the first token has no logprob
    with pytest.raises(ValueError, match="different number"):
        continuation_logprob(ids, lps[1:], [9])


def test_continuation_ids_with_a_real_tokenizer(tiny: Callable[[str], Path]) -> None:
    tok = _processor(tiny, "qwen2_5_vl").tokenizer
    prompt = "<|im_start|>assistant\n"
    ids = continuation_ids(tok, prompt, "Katze")
    assert tok.decode(ids) == "Katze"
    assert tok(prompt)["input_ids"] + ids == tok(prompt + "Katze")["input_ids"]
    with pytest.raises(ValueError, match="empty continuation"):
        continuation_ids(tok, prompt, "")


# --------------------------------------------------------------------------- fake vLLM
class FakeSamplingParams:
    def __init__(self, **kw: Any) -> None:
        self.kw = kw


class FakeLLM:
    """Records its arguments; answers deterministically. Scoring requests get per-token
    logprobs -(position+1)/100 over the prompt tokenised with the checkpoint's tokenizer,
    each image placeholder expanded to 4 tokens as a real engine would."""

    instances: list[FakeLLM] = []
    tokenizer: Any = None
    pad_id: int = -1

    def __init__(self, **kw: Any) -> None:
        self.kw = kw
        self.calls: list[tuple[list[dict[str, Any]], FakeSamplingParams, bool]] = []
        self.llm_engine = types.SimpleNamespace(
            model_config=types.SimpleNamespace(dtype="torch.bfloat16"))
        FakeLLM.instances.append(self)

    def generate(self, requests: list[dict[str, Any]], params: FakeSamplingParams,
                 use_tqdm: bool = True) -> list[Any]:
        self.calls.append((requests, params, use_tqdm))
        if any("TOO LONG" in r["prompt"] for r in requests):
            raise ValueError("prompt is longer than max_model_len")
        outs = []
        for r in requests:
            if "prompt_logprobs" in params.kw:
                ids: list[int] = []
                for t in self.tokenizer(r["prompt"])["input_ids"]:
                    ids.extend([t] * (4 if t == self.pad_id else 1))
                lps = [None] + [{t: _LP(-(j + 1) / 100)} for j, t in enumerate(ids) if j > 0]
                outs.append(types.SimpleNamespace(prompt_token_ids=ids, prompt_logprobs=lps,
                                                  outputs=[]))
            else:
                digest = hashlib.sha256(r["prompt"].encode()).hexdigest()[:6]
                text = f"out {digest} STOP tail"
                outs.append(types.SimpleNamespace(outputs=[types.SimpleNamespace(
                    text=text, token_ids=list(range(len(text.split()))))]))
        return outs


@pytest.fixture
def fake_vllm(monkeypatch: pytest.MonkeyPatch, tiny: Callable[[str], Path]) -> type[FakeLLM]:
    module = types.ModuleType("vllm")
    module.LLM = FakeLLM  # type: ignore[attr-defined]
    module.SamplingParams = FakeSamplingParams  # type: ignore[attr-defined]
    module.__version__ = "0.0-fake"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "vllm", module)
    tok = _processor(tiny, "qwen2_5_vl").tokenizer
    monkeypatch.setattr(FakeLLM, "instances", [])
    monkeypatch.setattr(FakeLLM, "tokenizer", tok)
    monkeypatch.setattr(FakeLLM, "pad_id", tok.convert_tokens_to_ids("<|image_pad|>"))
    return FakeLLM


def test_adapter_end_to_end_with_fake_vllm(fake_vllm: type[FakeLLM],
                                           tiny: Callable[[str], Path]) -> None:
    from tvbench.models.registry import ModelEntry, load_adapter

    path = str(tiny("qwen2_5_vl"))
    entry = ModelEntry(name="q", backend="vllm", family="qwen2_5_vl", path=path,
                       tensor_parallel_size=2, gpu_memory_utilization=0.5,
                       processor_kwargs={"max_pixels": 12544}, seen_languages=("en",))
    adapter = load_adapter(entry, dtype="bfloat16")
    assert isinstance(adapter, VLLMAdapter)
    [llm] = fake_vllm.instances
    assert llm.kw == {"model": path, "dtype": "bfloat16", "tensor_parallel_size": 2,
                      "gpu_memory_utilization": 0.5, "seed": 0, "trust_remote_code": False,
                      "limit_mm_per_prompt": {"image": 8, "video": 1},
                      "mm_processor_kwargs": {"max_pixels": 12544}}
    spec = adapter.spec
    assert (spec.family, spec.adapter, spec.dtype) == ("qwen2_5_vl", "vllm-qwen2_5_vl",
                                                       "bfloat16")
    assert spec.revision.startswith("local-") and spec.seen_languages == ("en",)
    assert spec.settings["video_mode"] == "native" and spec.settings["max_pixels"] == 12544

    inputs = _inputs()
    batches: list[list[int]] = []
    out = adapter.generate(inputs, GenerationSettings(20, stop=("STOP",)), batch_size=8,
                           on_batch=lambda i, _r: batches.append(i))
    [(requests, params, use_tqdm)] = llm.calls
    assert params.kw == {"n": 1, "max_tokens": 20, "temperature": 0.0, "stop": ["STOP"]}
    assert use_tqdm is False
    by_prompt = {r["prompt"]: r for r in requests}
    for inp, gen in zip(inputs, out, strict=True):
        prompt = adapter.prompt(inp)
        digest = hashlib.sha256(prompt.encode()).hexdigest()[:6]
        assert gen == Generation(f"out {digest} ", 4)
        req = by_prompt[prompt]
        mm = req.get("multi_modal_data", {})
        assert len(mm.get("image", [])) == len(inp.images)
        assert [v.shape for v in mm.get("video", [])] == [(10, 16, 16, 3)] * len(inp.videos)
    assert "multi_modal_data" not in by_prompt[adapter.prompt(inputs[3])]
    assert sorted(i for b in batches for i in b) == [0, 1, 2, 3]


def test_engine_failure_is_isolated_to_its_item(fake_vllm: type[FakeLLM],
                                                tiny: Callable[[str], Path]) -> None:
    adapter = VLLMAdapter(str(tiny("qwen2_5_vl")), family="qwen2_5_vl")
    out = adapter.generate([ModelInput.user("fine"), ModelInput.user("TOO LONG"),
                            ModelInput.user("also fine")], GenerationSettings(8))
    assert out[1] == Generation("", 0, "ValueError: prompt is longer than max_model_len")
    assert out[0].error is None and out[2].error is None


def test_loglikelihood_through_prompt_logprobs(fake_vllm: type[FakeLLM],
                                               tiny: Callable[[str], Path]) -> None:
    adapter = VLLMAdapter(str(tiny("qwen2_5_vl")), family="qwen2_5_vl")
    assert Capability.LOGLIKELIHOOD in VLLMAdapter.capabilities
    img = ModelInput.user(ImagePart(_png((1, 2, 3))), "Is it dark?")
    txt = ModelInput.user("Say yes.")
    conts = [" yes", "Yes, it is", ""]
    res = adapter.loglikelihood([img, txt, txt], conts)
    [llm] = fake_vllm.instances
    (requests, params, _), *_ = llm.calls
    assert params.kw == LOGLIKELIHOOD_KWARGS
    for inp, cont, ll in zip([img, txt], conts, res, strict=False):
        prompt = adapter.prompt(inp)
        tok = fake_vllm.tokenizer
        n = len(tok(prompt + cont)["input_ids"]) - len(tok(prompt)["input_ids"])
        ids: list[int] = []
        for t in tok(prompt + cont)["input_ids"]:
            ids.extend([t] * (4 if t == fake_vllm.pad_id else 1))
        # the fake gives token j the logprob -(j+1)/100; the continuation is the last n
        expected = sum(-(j + 1) / 100 for j in range(len(ids) - n, len(ids)))
        assert ll.error is None and ll.n_tokens == n > 0
        assert ll.total == pytest.approx(expected) and ll.mean == pytest.approx(expected / n)
    assert res[0].n_tokens < res[1].n_tokens
    assert isinstance(res[2], LogLikelihood) and res[2].error == "ValueError: empty continuation"
    assert any("multi_modal_data" in r for r in requests)


def test_loglikelihood_of_the_reply_turn(fake_vllm: type[FakeLLM],
                                         tiny: Callable[[str], Path]) -> None:
    """``scoring=turn``: the request is the chat template's whole conversation with the
    assistant turn, and the scored tail is the reply plus ``<|im_end|>\\n``."""
    from tvbench.data.inputs import ScoringSettings

    adapter = VLLMAdapter(str(tiny("qwen2_5_vl")), family="qwen2_5_vl")
    inp = ModelInput.user(ImagePart(_png((4, 5, 6))), "Translate: the mole")
    [plain] = adapter.loglikelihood([inp], ["Der Maulwurf"])
    [turn] = adapter.loglikelihood([inp], ["Der Maulwurf"], scoring=ScoringSettings("turn"))
    [llm] = fake_vllm.instances
    prompt = adapter.prompt(inp)
    sent = llm.calls[-1][0][0]["prompt"]
    assert sent == prompt + "Der Maulwurf<|im_end|>\n"
    tok = fake_vllm.tokenizer
    tail = len(tok(sent)["input_ids"]) - len(tok(prompt)["input_ids"])
    assert turn.error is None and turn.n_tokens == tail == plain.n_tokens + 2
