"""TowerVision (LLaVA-NeXT: SigLIP2 tiles on a Gemma2 "Tower+" text model) and TowerVideo.

The model card lays the user turn out as one string, ``"<image>\\n{query}"``; the config says
right padding, which breaks batched generation, so padding is set per call (left for
generation). TowerVideo checkpoints (``llava_onevision``) take video natively; TowerVision
image checkpoints see a clip as a capped run of frames.

Real sizes: the TowerVision config.json files were not reachable offline, so the published
sizes are assembled from what is documented: the text model is Gemma2 2B/9B ("Tower+", per
the project page, GuilhermeViveiros/TowerVision.io src/components/ModelStructureSection.js),
with the dimensions of huggingface.co/google/gemma-2-2b and gemma-2-9b config.json; the vision
tower is SigLIP2-so400m-patch14-384 (same page; dimensions of
huggingface.co/google/siglip2-so400m-patch14-384 config.json) behind a 2-layer MLP; anyres
tiling uses at most six 384 px tiles plus a thumbnail (same page); ``image_token_index``
256000, a 256001-token vocabulary and ``image_seq_length`` 576 are from
shared/reference/harnesses.md §8.
"""

from __future__ import annotations

from typing import Any

from tvbench.models.families.spec import Architecture, FamilySpec, ModelSize
from tvbench.models.families.tiny_parts import (
    GEMMA_TEMPLATE,
    HALF,
    TINY_SIGLIP,
    TINY_TEXT,
    bpe_tokenizer,
    token_ids,
)
from tvbench.models.hf import HFAdapter

_NEXT_SPECIAL = ["<pad>", "<eos>", "<bos>", "<unk>", "<image>", "<start_of_turn>",
                 "<end_of_turn>"]
_VIDEO_SPECIAL = ["<pad>", "<eos>", "<bos>", "<unk>", "<image>", "<video>", "<start_of_turn>",
                  "<end_of_turn>"]
_NEXT, _VIDEO = token_ids(_NEXT_SPECIAL), token_ids(_VIDEO_SPECIAL)
_ROLES = dict(bos_token="<bos>", eos_token="<eos>", pad_token="<pad>", unk_token="<unk>")
_TINY_PINS = [[32, 32], [32, 64], [64, 32], [64, 64]]
#: Every grid of 384 px tiles with at most six tiles (rows x columns).
_PINS = [[384 * r, 384 * c] for r in range(1, 7) for c in range(1, 7) if r * c <= 6]

_SIGLIP2_384 = dict(model_type="siglip_vision_model", hidden_size=1152, intermediate_size=4304,
                    num_hidden_layers=27, num_attention_heads=16, image_size=384, patch_size=14,
                    layer_norm_eps=1e-6, hidden_act="gelu_pytorch_tanh")
_SMALL_SIGLIP = dict(TINY_SIGLIP, image_size=384, patch_size=14)


def _offline_text(ids: dict[str, int], **extra: Any) -> dict[str, Any]:
    return dict(model_type="gemma2", **TINY_TEXT, query_pre_attn_scalar=32,
                pad_token_id=ids["<pad>"], eos_token_id=[ids["<eos>"], ids["<end_of_turn>"]],
                bos_token_id=ids["<bos>"], **extra)


def _gemma2(hidden: int, intermediate: int, layers: int, heads: int, kv_heads: int
            ) -> dict[str, Any]:
    return dict(model_type="gemma2", vocab_size=256001, hidden_size=hidden,
                intermediate_size=intermediate, num_hidden_layers=layers,
                num_attention_heads=heads, num_key_value_heads=kv_heads, head_dim=256,
                query_pre_attn_scalar=256, sliding_window=4096, attn_logit_softcapping=50.0,
                final_logit_softcapping=30.0, max_position_embeddings=8192,
                hidden_activation="gelu_pytorch_tanh", rms_norm_eps=1e-6, rope_theta=10000.0,
                pad_token_id=0, eos_token_id=1, bos_token_id=2)


def _next(text: dict[str, Any], vision: dict[str, Any], pins: list[list[int]], image: int,
          **extra: Any) -> dict[str, Any]:
    return dict(model_type="llava_next", text_config=text, vision_config=vision,
                image_token_index=image, image_grid_pinpoints=pins,
                vision_feature_select_strategy="full", vision_feature_layer=-1,
                multimodal_projector_bias=True, tie_word_embeddings=True, **extra)


def _video(text: dict[str, Any], vision: dict[str, Any], pins: list[list[int]], image: int,
           video: int) -> dict[str, Any]:
    return dict(model_type="llava_onevision", text_config=text, vision_config=vision,
                image_token_index=image, video_token_index=video, image_grid_pinpoints=pins,
                vision_feature_select_strategy="full", vision_feature_layer=-1,
                vision_aspect_ratio="anyres_max_9", tie_word_embeddings=True)


def _next_processor_settings(edge: int, pins: list[list[int]]) -> dict[str, Any]:
    return {"image_processor_type": "LlavaNextImageProcessor", "size": {"shortest_edge": edge},
            "crop_size": {"height": edge, "width": edge}, "image_grid_pinpoints": pins,
            "image_mean": HALF, "image_std": HALF}


def _video_settings(edge: int, pins: list[list[int]]) -> tuple[dict[str, Any], dict[str, Any]]:
    square = {"height": edge, "width": edge}
    return ({"image_processor_type": "LlavaOnevisionImageProcessor", "size": square,
             "image_grid_pinpoints": pins, "image_mean": HALF, "image_std": HALF},
            {"video_processor_type": "LlavaOnevisionVideoProcessor", "size": square,
             "image_mean": HALF, "image_std": HALF})


#: The ids the real configs give these tokens (Gemma2's pad 0, eos 1, bos 2; image 256000;
#: TowerVideo's video 256001).
_REAL_IDS = {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<image>": 256000}
_REAL_NEXT = dict(image_processor=_next_processor_settings(384, _PINS),
                  processor={"patch_size": 14, "vision_feature_select_strategy": "full"})
_REAL_VIDEO_IP, _REAL_VIDEO_VP = _video_settings(384, _PINS)
_REAL_VIDEO = dict(image_processor=_REAL_VIDEO_IP, video_processor=_REAL_VIDEO_VP,
                   processor={"num_image_tokens": 729, "vision_feature_select_strategy": "full"})
_REAL_VIDEO_IDS = {**_REAL_IDS, "<video>": 256001}
# Gemma-2-2b / gemma-2-9b text dimensions (their config.json files).
_TEXT_2B = _gemma2(2304, 9216, 26, 8, 4)
_TEXT_9B = _gemma2(3584, 14336, 42, 16, 8)

TOWERVISION_SIZES = {
    "tiny": ModelSize(
        config=_next(_offline_text(_NEXT, sliding_window=64), TINY_SIGLIP, _TINY_PINS,
                     _NEXT["<image>"], image_seq_length=16),
        image_processor=_next_processor_settings(32, _TINY_PINS),
        processor={"patch_size": 8, "vision_feature_select_strategy": "full"}),
    # Real structure at a small width: alternating sliding/global Gemma2 layers, 384 px
    # SigLIP patches of 14, anyres up to six tiles.
    "small": ModelSize(
        config=_next(_offline_text(_NEXT, sliding_window=4096), _SMALL_SIGLIP, _PINS,
                     _NEXT["<image>"], image_seq_length=729),
        **_REAL_NEXT),
    # No published parameter count was found for the 2B checkpoint.
    "2b": ModelSize(config=_next(_TEXT_2B, _SIGLIP2_384, _PINS, 256000, image_seq_length=576),
                    token_ids=_REAL_IDS, **_REAL_NEXT),
    # 9.69 B: shared/reference/gpu-findings.md §3 (a build from these dimensions).
    "9b": ModelSize(config=_next(_TEXT_9B, _SIGLIP2_384, _PINS, 256000, image_seq_length=576),
                    parameters="9.69B", token_ids=_REAL_IDS, **_REAL_NEXT),
}

_TINY_VIDEO_IP, _TINY_VIDEO_VP = _video_settings(32, _TINY_PINS)
_TOWERVIDEO_TEXT = dict(vocab_size=256002)  # <image> and <video> (ids assumed, see docstring)
TOWERVIDEO_SIZES = {
    "tiny": ModelSize(
        config=_video(_offline_text(_VIDEO, sliding_window=64), TINY_SIGLIP, _TINY_PINS,
                      _VIDEO["<image>"], _VIDEO["<video>"]),
        image_processor=_TINY_VIDEO_IP, video_processor=_TINY_VIDEO_VP,
        processor={"num_image_tokens": 16, "vision_feature_select_strategy": "full"}),
    "small": ModelSize(
        config=_video(_offline_text(_VIDEO, sliding_window=4096), _SMALL_SIGLIP, _PINS,
                      _VIDEO["<image>"], _VIDEO["<video>"]),
        **_REAL_VIDEO),
    # TowerVideo-2B/9B: the TowerVision towers as LLaVA-OneVision (project page: video at
    # the encoder's 384 px); no published parameter counts were found.
    "2b": ModelSize(config=_video(dict(_TEXT_2B, **_TOWERVIDEO_TEXT), _SIGLIP2_384, _PINS,
                                  256000, 256001), token_ids=_REAL_VIDEO_IDS, **_REAL_VIDEO),
    "9b": ModelSize(config=_video(dict(_TEXT_9B, **_TOWERVIDEO_TEXT), _SIGLIP2_384, _PINS,
                                  256000, 256001), token_ids=_REAL_VIDEO_IDS, **_REAL_VIDEO),
}


def _next_processor(size: ModelSize) -> Any:
    import transformers as T

    tok = bpe_tokenizer(_NEXT_SPECIAL, **size.tokenizer_layout(), **_ROLES,
                        extra_special_tokens={"image_token": "<image>"})
    return T.LlavaNextProcessor(image_processor=size.image_processor_object(), tokenizer=tok,
                                chat_template=GEMMA_TEMPLATE.replace("IMG", "<image>"),
                                **size.processor)


def _video_processor(size: ModelSize) -> Any:
    import transformers as T

    tok = bpe_tokenizer(_VIDEO_SPECIAL, **size.tokenizer_layout(), **_ROLES, extra_special_tokens={
        "image_token": "<image>", "video_token": "<video>"})
    template = GEMMA_TEMPLATE.replace(
        "{% if c['type'] == 'image' %}IMG",
        "{% if c['type'] == 'image' %}<image>{% elif c['type'] == 'video' %}<video>")
    return T.LlavaOnevisionProcessor(image_processor=size.image_processor_object(),
                                     tokenizer=tok, video_processor=size.video_processor_object(),
                                     chat_template=template, **size.processor)


FAMILY = FamilySpec(
    name="towervision",
    adapter="tvbench.models.families.towervision:TowerVisionAdapter",
    summary="TowerVision (LLaVA-NeXT) and TowerVideo (LLaVA-OneVision) on Gemma2 Tower+",
    architectures=(Architecture("towervision", _next_processor, TOWERVISION_SIZES),
                   Architecture("towervideo", _video_processor, TOWERVIDEO_SIZES)),
    chat_layout="inline",
    native_video_model_types=frozenset({"llava_onevision"}),  # TowerVideo
    # Paper footnote 2 / model card: 20 languages and dialects (the paper's Table 11
    # nevertheless marks ja as unseen).
    languages=("en", "de", "nl", "es", "fr", "pt-PT", "pt-BR", "uk", "hi", "zh-Hans", "zh-Hant",
               "ru", "cs", "ko", "ja", "it", "pl", "ro", "nn", "nb"),
)


class TowerVisionAdapter(HFAdapter):
    family_spec = FAMILY
