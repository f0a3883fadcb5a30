"""Aya Vision: SigLIP tiles on a Cohere2 text model; video as a capped run of frames.

The authors' fork forced fp16 and swallowed exceptions as empty answers; here dtype follows
the run's setting and a failure is a recorded per-item error.
"""

from __future__ import annotations

from typing import Any

from tvbench.models.families.spec import Architecture, FamilySpec, ModelSize
from tvbench.models.families.tiny_parts import (
    HALF,
    TINY_SIGLIP,
    TINY_VOCAB,
    WIDE_INIT,
    bpe_tokenizer,
    token_ids,
)
from tvbench.models.hf import HFAdapter

_SPECIAL = ["<PAD>", "<UNK>", "<BOS_TOKEN>", "<|END_OF_TURN_TOKEN|>", "<|START_OF_TURN_TOKEN|>",
            "<|USER_TOKEN|>", "<|CHATBOT_TOKEN|>", "<|SYSTEM_TOKEN|>", "<image>",
            "<|START_OF_IMG|>", "<|END_OF_IMG|>", "<|IMG_PATCH|>", "<|IMG_LINE_BREAK|>", "TILE",
            "TILE_GLOBAL"]
_ID = token_ids(_SPECIAL)
_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|START_OF_TURN_TOKEN|>"
    "{{ '<|USER_TOKEN|>' if m['role'] == 'user' else "
    "('<|SYSTEM_TOKEN|>' if m['role'] == 'system' else '<|CHATBOT_TOKEN|>') }}"
    "{% if m['content'] is string %}{{ m['content'] }}{% else %}{% for c in m['content'] %}"
    "{% if c['type'] == 'image' %}<image>{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|END_OF_TURN_TOKEN|>{% endfor %}"
    "{% if add_generation_prompt %}<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>{% endif %}")

# CohereForAI/aya-vision-8b: 364 px tiles (1 to 12, plus a thumbnail), mean/std 0.5; the
# processor counts 364 // 28 = 13 tokens a side, as the model's 26 patches a side shuffled
# down by 2 (transformers' AyaVisionProcessor defaults document this checkpoint).
_REAL_TILES = dict(
    image_processor={"image_processor_type": "GotOcr2ImageProcessor",
                     "size": {"height": 364, "width": 364}, "crop_to_patches": True,
                     "min_patches": 1, "max_patches": 12, "image_mean": HALF, "image_std": HALF},
    processor={"patch_size": 28, "img_size": 364, "downsample_factor": 1})


def _offline_text(layers: int, **extra: Any) -> dict[str, Any]:
    return dict(model_type="cohere2", vocab_size=TINY_VOCAB, hidden_size=64,
                intermediate_size=128, num_hidden_layers=layers, num_attention_heads=2,
                num_key_value_heads=1, max_position_embeddings=4096, initializer_range=WIDE_INIT,
                pad_token_id=_ID["<PAD>"], eos_token_id=_ID["<|END_OF_TURN_TOKEN|>"],
                bos_token_id=_ID["<BOS_TOKEN>"], **extra)


SIZES = {
    "tiny": ModelSize(
        config=dict(model_type="aya_vision", vision_config=TINY_SIGLIP,
                    text_config=_offline_text(2, sliding_window=64), downsample_factor=2,
                    image_token_index=_ID["<|IMG_PATCH|>"], vision_feature_layer=-1),
        image_processor={"image_processor_type": "GotOcr2ImageProcessor",
                         "size": {"height": 32, "width": 32}, "crop_to_patches": True,
                         "min_patches": 1, "max_patches": 4, "image_mean": HALF,
                         "image_std": HALF},
        processor={"patch_size": 8, "img_size": 32, "downsample_factor": 2}),
    # Real structure at a small width: three sliding-window layers to one global layer,
    # SigLIP at 364 px in patches of 14, pixel shuffle by 2, a SwiGLU projector 7x wide.
    "small": ModelSize(
        config=dict(model_type="aya_vision",
                    vision_config=dict(TINY_SIGLIP, image_size=364, patch_size=14,
                                       vision_use_head=False),
                    text_config=_offline_text(4, sliding_window=4096, sliding_window_pattern=4,
                                              rope_theta=50000.0, logit_scale=0.25),
                    downsample_factor=2, alignment_intermediate_size=448,
                    image_token_index=_ID["<|IMG_PATCH|>"], vision_feature_layer=-1,
                    vision_feature_select_strategy="full"),
        **_REAL_TILES),
    # huggingface.co/CohereForAI/aya-vision-8b/blob/main/config.json (Command R7B-based
    # Cohere2 text model, SigLIP2-so400m vision tower at 364 px); 8.63B on its page.
    "8b": ModelSize(
        config=dict(
            model_type="aya_vision", downsample_factor=2, adapter_layer_norm_eps=1e-6,
            alignment_intermediate_size=28672, image_token_index=255036,
            vision_feature_layer=-1, vision_feature_select_strategy="full",
            text_config=dict(model_type="cohere2", vocab_size=256000, hidden_size=4096,
                             intermediate_size=14336, num_hidden_layers=32,
                             num_attention_heads=32, num_key_value_heads=8, layer_norm_eps=1e-5,
                             logit_scale=0.25, max_position_embeddings=16384,
                             rope_theta=50000.0, sliding_window=4096, sliding_window_pattern=4),
            vision_config=dict(model_type="siglip_vision_model", hidden_size=1152,
                               intermediate_size=4304, num_hidden_layers=27,
                               num_attention_heads=16, image_size=364, patch_size=14,
                               vision_use_head=False, layer_norm_eps=1e-6,
                               hidden_act="gelu_pytorch_tanh")),
        parameters="8.63B", **_REAL_TILES,
        # image 255036 from config.json; pad 0, bos 5, eos 255001 are Cohere2Config's
        # defaults, which config.json relies on.
        token_ids={"<PAD>": 0, "<BOS_TOKEN>": 5, "<|END_OF_TURN_TOKEN|>": 255001,
                   "<|IMG_PATCH|>": 255036}),
}


def _processor(size: ModelSize) -> Any:
    import transformers as T

    tok = bpe_tokenizer(_SPECIAL, **size.tokenizer_layout(), bos_token="<BOS_TOKEN>",
                        eos_token="<|END_OF_TURN_TOKEN|>", pad_token="<PAD>", unk_token="<UNK>")
    return T.AyaVisionProcessor(image_processor=size.image_processor_object(), tokenizer=tok,
                                chat_template=_TEMPLATE, **size.processor)


FAMILY = FamilySpec(
    name="aya_vision",
    adapter="tvbench.models.families.aya_vision:AyaVisionAdapter",
    summary="Aya Vision: SigLIP tiles on a Cohere2 text model",
    architectures=(Architecture("aya_vision", _processor, SIZES),),
    # The model card's 23 languages.
    languages=("en", "fr", "de", "es", "it", "pt", "ja", "ko", "zh", "ar", "el", "fa", "pl", "id",
               "cs", "he", "hi", "nl", "ro", "ru", "tr", "uk", "vi"),
)


class AyaVisionAdapter(HFAdapter):
    family_spec = FAMILY
