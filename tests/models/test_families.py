"""Family specs: one registry, real published sizes, small sizes that run, and a fifth family
added by one module plus one registry line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tvbench.models.families import FAMILIES, architectures, get_family
from tvbench.models.families.spec import Architecture, FamilySpec, ModelSize
from tvbench.models.families.tiny_parts import HALF, TINY_SIGLIP, bpe_tokenizer, token_ids
from tvbench.models.hf import HFAdapter

ARCHITECTURES = sorted(architectures())
PUBLISHED = sorted((arch, size) for arch, (_, a) in architectures().items()
                   for size in a.sizes if size not in ("tiny", "small"))


def _size(arch: str, size: str) -> ModelSize:
    return architectures()[arch][1].sizes[size]


def _on_meta(size: ModelSize):
    import torch
    from transformers import AutoModelForImageTextToText

    with torch.device("meta"):
        return AutoModelForImageTextToText.from_config(size.transformers_config())


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters())


# ---------------------------------------------------------------- published sizes
def test_the_sizes_the_project_uses_are_published() -> None:
    assert {f"{a}-{s}" for a, s in PUBLISHED} >= {
        "towervision-2b", "towervision-9b", "towervideo-2b", "towervideo-9b", "qwen2_5_vl-3b",
        "qwen2_5_vl-7b", "gemma3-4b", "gemma3-12b", "aya_vision-8b"}
    assert all("small" in architectures()[a][1].sizes for a in ARCHITECTURES)


@pytest.mark.parametrize("arch,size", PUBLISHED, ids=lambda x: x)
def test_a_published_size_is_the_real_architecture_at_the_published_parameter_count(
        arch: str, size: str) -> None:
    chosen = _size(arch, size)
    model = _on_meta(chosen)
    tiny = _size(arch, "tiny").transformers_config()
    assert type(model.config) is type(tiny), "the real size must be the tiny's architecture"
    processor = chosen.image_processor_object()
    assert type(processor).__name__.startswith(chosen.image_processor["image_processor_type"])
    if chosen.parameters is not None:
        decimals = len(chosen.parameters.rstrip("B").partition(".")[2])
        assert f"{_count(model) / 1e9:.{decimals}f}B" == chosen.parameters


# Text towers of the TowerVision sizes that publish no total, against their base models.
# google/gemma-2-2b and google/gemma-2-9b model pages: 2.61B and 9.24B parameters (the extra
# <image> row of TowerVision's vocabulary is far below that precision).
TOWER_TEXT = [("towervision", "2b", "2.61"), ("towervision", "9b", "9.24")]


@pytest.mark.parametrize("arch,size,billions", TOWER_TEXT)
def test_towervision_text_towers_match_their_gemma2_base(arch: str, size: str,
                                                         billions: str) -> None:
    model = _on_meta(_size(arch, size))
    assert f"{_count(model.model.language_model) / 1e9:.2f}" == billions


@pytest.mark.parametrize("size", ["2b", "9b"])
def test_towervideo_is_towervision_plus_one_video_token_row(size: str) -> None:
    image, video = _on_meta(_size("towervision", size)), _on_meta(_size("towervideo", size))
    hidden = video.config.text_config.hidden_size
    assert _count(video) - _count(image) == hidden  # tied embeddings: one row for <video>


# ---------------------------------------------------------------- small sizes
@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_small_keeps_the_real_structure(arch: str) -> None:
    small = _size(arch, "small")
    real = next(_size(arch, s) for a, s in PUBLISHED if a == arch)
    assert small.image_processor == real.image_processor
    assert small.video_processor == real.video_processor
    assert small.processor == real.processor
    small_cfg, real_cfg = small.transformers_config(), real.transformers_config()
    assert type(small_cfg.vision_config) is type(real_cfg.vision_config)
    assert small_cfg.vision_config.patch_size == real_cfg.vision_config.patch_size
    small_text = small_cfg.get_text_config()
    real_text = real_cfg.get_text_config()
    assert set(getattr(small_text, "layer_types", ())) == set(getattr(real_text, "layer_types", ()))
    assert small_text.hidden_size < real_text.hidden_size


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_small_runs_a_forward_pass_on_cpu(arch: str) -> None:
    import torch
    from PIL import Image

    torch.manual_seed(0)
    model, proc = architectures()[arch][1].build("small")
    text = proc.apply_chat_template(
        [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What?"}]}],
        add_generation_prompt=True, tokenize=False)
    pixels = torch.randint(0, 256, (60, 80, 3), dtype=torch.uint8).numpy()
    enc = proc(text=[text], images=[[Image.fromarray(pixels)]], return_tensors="pt")
    image_tokens = int((enc["input_ids"] == model.config.image_token_id).sum())
    assert image_tokens > 1, "the processor must expand the image into its real token count"
    with torch.inference_mode():
        logits = model(**enc).logits
    assert logits.shape[:2] == enc["input_ids"].shape
    assert torch.isfinite(logits).all()


# ---------------------------------------------------------------- spec checks
def test_registry_entries_name_themselves() -> None:
    for name in FAMILIES.names():
        spec = get_family(name)
        assert spec.name == name and spec.adapter_class().family_spec is spec


def test_a_malformed_spec_is_refused_naming_the_family() -> None:
    arch = Architecture("x", lambda size: None, {"tiny": ModelSize({}, {})})
    with pytest.raises(ValueError, match="model family 'x': chat_layout 'plain'"):
        FamilySpec("x", "m:C", "", (arch,), chat_layout="plain")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="has no 'tiny' size"):
        FamilySpec("x", "m:C", "", (Architecture("x", lambda size: None, {}),))
    with pytest.raises(ValueError, match="'module:Class'"):
        FamilySpec("x", "Adapter", "", (arch,))


# ---------------------------------------------------------------- a fifth family
# Everything a new family needs, defined here and registered with one line: no other file
# of tvbench changes. A LLaVA-NeXT layout on a Llama text model stands in for a new family.
_SPECIAL = ["<pad>", "<eos>", "<bos>", "<unk>", "<image>"]
_ID = token_ids(_SPECIAL)
_TEMPLATE = ("{{ bos_token }}{% for m in messages %}{{ m['role'] }}: {% for c in m['content'] %}"
             "{% if c['type'] == 'image' %}<image>{% else %}{{ c['text'] }}{% endif %}"
             "{% endfor %}\n{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}")
_PINS = [[32, 32], [32, 64], [64, 32]]
_FIFTH_SIZES = {"tiny": ModelSize(
    config=dict(model_type="llava_next", vision_config=TINY_SIGLIP,
                text_config=dict(model_type="llama", vocab_size=512, hidden_size=32,
                                 intermediate_size=64, num_hidden_layers=2,
                                 num_attention_heads=2, num_key_value_heads=1,
                                 pad_token_id=_ID["<pad>"], eos_token_id=_ID["<eos>"],
                                 bos_token_id=_ID["<bos>"]),
                image_token_index=_ID["<image>"], image_grid_pinpoints=_PINS,
                vision_feature_select_strategy="full", vision_feature_layer=-1),
    image_processor={"image_processor_type": "LlavaNextImageProcessor",
                     "size": {"shortest_edge": 32}, "crop_size": {"height": 32, "width": 32},
                     "image_grid_pinpoints": _PINS, "image_mean": HALF, "image_std": HALF},
    processor={"patch_size": 8, "vision_feature_select_strategy": "full"})}


def _fifth_processor(size: ModelSize):
    import transformers

    tok = bpe_tokenizer(_SPECIAL, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
                        unk_token="<unk>", extra_special_tokens={"image_token": "<image>"})
    return transformers.LlavaNextProcessor(image_processor=size.image_processor_object(),
                                           tokenizer=tok, chat_template=_TEMPLATE,
                                           **size.processor)


FIFTH = FamilySpec(
    name="llava_demo", adapter=f"{__name__}:FifthAdapter",
    summary="a LLaVA-NeXT family defined in a test",
    architectures=(Architecture("llava_demo", _fifth_processor, _FIFTH_SIZES),),
    languages=("en", "de"))


class FifthAdapter(HFAdapter):
    family_spec = FIFTH


@pytest.fixture
def fifth_family(monkeypatch: pytest.MonkeyPatch) -> str:
    FAMILIES.names()  # entry points first, so the copy below is complete
    monkeypatch.setattr(FAMILIES, "_specs", dict(FAMILIES._specs))
    monkeypatch.setattr(FAMILIES, "_sources", dict(FAMILIES._sources))
    FAMILIES.add("llava_demo", f"{__name__}:FIFTH")  # the one registry line
    return "llava_demo"


def test_a_fifth_family_builds_lists_and_runs(fifth_family: str, cli, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from tvbench.data.inputs import GenerationSettings, ImagePart, ModelInput
    from tvbench.models.registry import capabilities, parse_model_arg
    from tvbench.models.tiny import cached_tiny
    from tvbench.models.vllm_backend import chat_messages, video_mode

    code, out = cli("tiny", fifth_family, str(tmp_path / "ckpt"))
    assert code == 0, out
    assert (tmp_path / "ckpt" / "model.safetensors").is_file()
    monkeypatch.setenv("COLUMNS", "240")  # one table row per line
    code, out = cli("models")
    assert code == 0 and "llava_demo" in out and "FifthAdapter" in out

    entry = parse_model_arg(fifth_family, {})
    assert entry.tiny and entry.languages() == ("en", "de")
    assert capabilities(entry) == FIFTH.capabilities
    adapter = FifthAdapter(str(cached_tiny(fifth_family)))
    image = ImagePart(_png())
    inputs = [ModelInput.user(image, "What is this?"), ModelInput.user("Say hi.")]
    out_gen = adapter.generate(inputs, GenerationSettings(max_new_tokens=4), batch_size=2)
    assert [g.error for g in out_gen] == [None, None]
    assert adapter.spec.family == "llava_demo" and adapter.spec.adapter == "hf-llava_demo"
    assert video_mode(fifth_family, "llava_next") == "frames"
    assert chat_messages(inputs[0], family=fifth_family, mode="frames", max_frames=8) == \
        adapter.chat(inputs[0])

    code, out = cli("run", "--model", fifth_family, "--tasks", "textvqa", "--output", "o",
                    "--no-report")
    assert code == 0, out
    assert Path("o/tiny-llava_demo/results.json").is_file()


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(buf, format="PNG")
    return buf.getvalue()
