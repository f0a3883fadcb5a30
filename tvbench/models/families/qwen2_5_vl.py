"""Qwen2.5-VL: dynamic-resolution images and native video (frames decoded by tvbench).

``min_pixels``/``max_pixels`` move OCRBench by more than 100 points, so they are adapter
settings (``processor_kwargs``) recorded with every score rather than silent defaults.
"""

from __future__ import annotations

from typing import Any

from tvbench.models.families.spec import Architecture, FamilySpec, ModelSize
from tvbench.models.families.tiny_parts import TINY_VOCAB, WIDE_INIT, bpe_tokenizer, token_ids
from tvbench.models.hf import HFAdapter

_SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
            "<|image_pad|>", "<|video_pad|>"]
_ID = token_ids(_SPECIAL)
_TEMPLATE = (
    "{% for m in messages %}{% if loop.first and m['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ m['role'] }}\n{% if m['content'] is string %}{{ m['content'] }}{% else %}"
    "{% for c in m['content'] %}{% if c['type'] == 'image' %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif c['type'] == 'video' %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}"
    "{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def _pixels(shortest: int, longest: int, **extra: Any) -> dict[str, Any]:
    return dict(size={"shortest_edge": shortest, "longest_edge": longest}, patch_size=14,
                merge_size=2, temporal_patch_size=2, **extra)


# The published preprocessor_config.json (both sizes): min_pixels 3136, max_pixels
# 12845056, patch 14, merge 2, temporal patch 2, CLIP mean/std; video uses the same bounds.
_CLIP = dict(image_mean=[0.48145466, 0.4578275, 0.40821073],
             image_std=[0.26862954, 0.26130258, 0.27577711])
_REAL_PIXELS = _pixels(3136, 12845056, **_CLIP)
_OFFLINE_IDS = dict(image_token_id=_ID["<|image_pad|>"], video_token_id=_ID["<|video_pad|>"],
                    vision_start_token_id=_ID["<|vision_start|>"],
                    vision_end_token_id=_ID["<|vision_end|>"])


def _offline_text(layers: int) -> dict[str, Any]:
    return dict(vocab_size=TINY_VOCAB, hidden_size=64, intermediate_size=128,
                num_hidden_layers=layers, num_attention_heads=2, num_key_value_heads=1,
                max_position_embeddings=4096, initializer_range=WIDE_INIT,
                rope_parameters={"rope_type": "default", "rope_theta": 1e6,
                                 "mrope_section": [4, 6, 6]},
                pad_token_id=_ID["<|endoftext|>"], eos_token_id=_ID["<|im_end|>"],
                bos_token_id=_ID["<|endoftext|>"])


def _offline_vision(depth: int, window: int, full: list[int]) -> dict[str, Any]:
    return dict(depth=depth, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=64,
                patch_size=14, spatial_merge_size=2, temporal_patch_size=2, window_size=window,
                fullatt_block_indexes=full, in_channels=3, initializer_range=WIDE_INIT)


#: The ids config.json gives these tokens (bos, eos, vision start/end, image, video).
_REAL_IDS = {"<|endoftext|>": 151643, "<|im_end|>": 151645, "<|vision_start|>": 151652,
             "<|vision_end|>": 151653, "<|image_pad|>": 151655, "<|video_pad|>": 151656}


def _published(hidden: int, intermediate: int, layers: int, heads: int, kv_heads: int,
               vocab: int, tied: bool, parameters: str) -> ModelSize:
    # Fields as the checkpoint's config.json writes them (flat text fields, vision_config).
    config = dict(
        model_type="qwen2_5_vl", hidden_size=hidden, intermediate_size=intermediate,
        num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=kv_heads,
        vocab_size=vocab, tie_word_embeddings=tied, hidden_act="silu",
        max_position_embeddings=128000, rms_norm_eps=1e-6, rope_theta=1000000.0,
        rope_scaling={"type": "mrope", "mrope_section": [16, 24, 24]},
        bos_token_id=151643, eos_token_id=151645, vision_start_token_id=151652,
        vision_end_token_id=151653, image_token_id=151655, video_token_id=151656,
        vision_config=dict(depth=32, hidden_size=1280, intermediate_size=3420, num_heads=16,
                           out_hidden_size=hidden, patch_size=14, spatial_merge_size=2,
                           temporal_patch_size=2, window_size=112, hidden_act="silu",
                           fullatt_block_indexes=[7, 15, 23, 31], tokens_per_second=2,
                           in_chans=3))
    return ModelSize(config=config,
                     image_processor={"image_processor_type": "Qwen2VLImageProcessor",
                                      **_REAL_PIXELS},
                     video_processor={"video_processor_type": "Qwen2VLVideoProcessor",
                                      **_REAL_PIXELS},
                     parameters=parameters, token_ids=_REAL_IDS)


SIZES = {
    "tiny": ModelSize(
        config=dict(model_type="qwen2_5_vl", vision_config=_offline_vision(2, 56, [1]),
                    text_config=_offline_text(2), tie_word_embeddings=True, **_OFFLINE_IDS),
        image_processor={"image_processor_type": "Qwen2VLImageProcessor",
                         **_pixels(56 * 56, 112 * 112)},
        video_processor={"video_processor_type": "Qwen2VLVideoProcessor",
                         **_pixels(56 * 56, 112 * 112)}),
    # Real structure at a small width: windowed and full-attention vision blocks, the real
    # window and pixel bounds, the offline tokenizer's vocabulary.
    "small": ModelSize(
        config=dict(model_type="qwen2_5_vl", vision_config=_offline_vision(4, 112, [1, 3]),
                    text_config=_offline_text(2), tie_word_embeddings=True, **_OFFLINE_IDS),
        image_processor={"image_processor_type": "Qwen2VLImageProcessor", **_REAL_PIXELS},
        video_processor={"video_processor_type": "Qwen2VLVideoProcessor", **_REAL_PIXELS}),
    # huggingface.co/Qwen/Qwen2.5-VL-3B-Instruct/blob/main/config.json; 3.75B on its page.
    "3b": _published(2048, 11008, 36, 16, 2, 151936, True, "3.75B"),
    # huggingface.co/Qwen/Qwen2.5-VL-7B-Instruct/blob/main/config.json; 8.29B on its page
    # (and in shared/reference/gpu-findings.md §2).
    "7b": _published(3584, 18944, 28, 28, 4, 152064, False, "8.29B"),
}


def _processor(size: ModelSize) -> Any:
    import transformers as T

    tok = bpe_tokenizer(_SPECIAL, **size.tokenizer_layout(), eos_token="<|im_end|>",
                        pad_token="<|endoftext|>", extra_special_tokens={
                            "image_token": "<|image_pad|>", "video_token": "<|video_pad|>",
                            "vision_start_token": "<|vision_start|>",
                            "vision_end_token": "<|vision_end|>"})
    return T.Qwen2_5_VLProcessor(image_processor=size.image_processor_object(), tokenizer=tok,
                                 video_processor=size.video_processor_object(),
                                 chat_template=_TEMPLATE, **size.processor)


FAMILY = FamilySpec(
    name="qwen2_5_vl",
    adapter="tvbench.models.families.qwen2_5_vl:Qwen25VLAdapter",
    summary="Qwen2.5-VL: dynamic-resolution images, native video",
    architectures=(Architecture("qwen2_5_vl", _processor, SIZES),),
    video_mode="native",
    # Frames are already sampled uniformly by tvbench; the processor must not resample.
    video_kwargs={"do_sample_frames": False},
    # Qwen2.5-VL publishes no list of training languages, so its unseen flags read
    # "unknown" rather than a guess.
    languages=None,
)


class Qwen25VLAdapter(HFAdapter):
    family_spec = FAMILY
