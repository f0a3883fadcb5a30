"""Gemma 3: SigLIP at 896 px with optional pan-and-scan; video as a capped run of frames."""

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

_SPECIAL = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_image>", "<end_of_image>",
            "<image_soft_token>", "<start_of_turn>", "<end_of_turn>"]
_ID = token_ids(_SPECIAL)

# The published preprocessor_config.json of gemma-3-4b-it and -12b-it: 896 px, mean/std 0.5,
# pan-and-scan off unless asked for (crops of at least 256 px, at most 4, from ratio 1.2).
_REAL_IMAGES = {"image_processor_type": "Gemma3ImageProcessor",
                "size": {"height": 896, "width": 896}, "image_mean": HALF, "image_std": HALF,
                "do_pan_and_scan": False, "pan_and_scan_min_crop_size": 256,
                "pan_and_scan_max_num_crops": 4, "pan_and_scan_min_ratio_to_activate": 1.2}
_SIGLIP_896 = dict(model_type="siglip_vision_model", hidden_size=1152, intermediate_size=4304,
                   num_hidden_layers=27, num_attention_heads=16, image_size=896, patch_size=14,
                   vision_use_head=False, layer_norm_eps=1e-6)
#: Five sliding-window layers to one global layer, with their two rope bases.
_PATTERN = dict(sliding_window_pattern=6, rope_theta=1000000.0, rope_local_base_freq=10000.0,
                rope_scaling={"factor": 8.0, "rope_type": "linear"})
_OFFLINE_IDS = dict(boi_token_index=_ID["<start_of_image>"], eoi_token_index=_ID["<end_of_image>"],
                    image_token_index=_ID["<image_soft_token>"])


def _offline_text(layers: int, window: int, **extra: Any) -> dict[str, Any]:
    return dict(model_type="gemma3_text", **dict(TINY_TEXT, num_hidden_layers=layers),
                query_pre_attn_scalar=32, sliding_window=window, pad_token_id=_ID["<pad>"],
                eos_token_id=[_ID["<eos>"], _ID["<end_of_turn>"]], bos_token_id=_ID["<bos>"],
                **extra)


#: The ids the published config gives these tokens: eos [1, 106], image 262144, begin and
#: end of image 255999/256000; pad 0 and bos 2 are Gemma3TextConfig's defaults it relies on.
_REAL_IDS = {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<end_of_turn>": 106,
             "<start_of_image>": 255999, "<end_of_image>": 256000, "<image_soft_token>": 262144}


def _published(hidden: int, intermediate: int, layers: int, heads: int, kv_heads: int,
               parameters: str) -> ModelSize:
    # config.json leaves several text fields to the class defaults of its transformers
    # version (4.50); they are written out here so a later default cannot move them.
    text = dict(model_type="gemma3_text", vocab_size=262208, hidden_size=hidden,
                intermediate_size=intermediate, num_hidden_layers=layers,
                num_attention_heads=heads, num_key_value_heads=kv_heads, head_dim=256,
                query_pre_attn_scalar=256, sliding_window=1024, max_position_embeddings=131072,
                rms_norm_eps=1e-6, hidden_activation="gelu_pytorch_tanh", **_PATTERN)
    config = dict(model_type="gemma3", text_config=text, vision_config=_SIGLIP_896,
                  mm_tokens_per_image=256, boi_token_index=255999, eoi_token_index=256000,
                  image_token_index=262144, eos_token_id=[1, 106])
    return ModelSize(config=config, image_processor=_REAL_IMAGES,
                     processor={"image_seq_length": 256}, parameters=parameters,
                     token_ids=_REAL_IDS)


SIZES = {
    "tiny": ModelSize(
        config=dict(model_type="gemma3", text_config=_offline_text(2, 64),
                    vision_config=TINY_SIGLIP, mm_tokens_per_image=4, **_OFFLINE_IDS),
        image_processor={"image_processor_type": "Gemma3ImageProcessor",
                         "size": {"height": 32, "width": 32}, "do_pan_and_scan": False,
                         "image_mean": HALF, "image_std": HALF},
        processor={"image_seq_length": 4}),
    # Real structure at a small width: one global layer after five sliding ones, SigLIP at
    # 896 px in patches of 14 pooled to 256 tokens, the real processor settings.
    "small": ModelSize(
        config=dict(model_type="gemma3", text_config=_offline_text(6, 1024, **_PATTERN),
                    vision_config=dict(TINY_SIGLIP, image_size=896, patch_size=14),
                    mm_tokens_per_image=256, **_OFFLINE_IDS),
        image_processor=_REAL_IMAGES, processor={"image_seq_length": 256}),
    # huggingface.co/google/gemma-3-4b-it/blob/main/config.json; 4.3B on its page.
    "4b": _published(2560, 10240, 34, 8, 4, "4.3B"),
    # huggingface.co/google/gemma-3-12b-it/blob/main/config.json; 12.2B on its page.
    "12b": _published(3840, 15360, 48, 16, 8, "12.2B"),
}


def _processor(size: ModelSize) -> Any:
    import transformers as T

    tok = bpe_tokenizer(_SPECIAL, **size.tokenizer_layout(), bos_token="<bos>",
                        eos_token="<eos>", pad_token="<pad>", unk_token="<unk>",
                        extra_special_tokens={
                            "image_token": "<image_soft_token>", "boi_token": "<start_of_image>",
                            "eoi_token": "<end_of_image>"})
    return T.Gemma3Processor(image_processor=size.image_processor_object(), tokenizer=tok,
                             chat_template=GEMMA_TEMPLATE.replace("IMG", "<start_of_image>"),
                             **size.processor)


FAMILY = FamilySpec(
    name="gemma3",
    adapter="tvbench.models.families.gemma3:Gemma3Adapter",
    summary="Gemma 3: SigLIP at 896 px, optional pan-and-scan",
    architectures=(Architecture("gemma3", _processor, SIZES),),
    # Gemma 3 publishes no list of training languages ("over 140"), so its unseen flags
    # read "unknown" rather than a guess.
    languages=None,
)


class Gemma3Adapter(HFAdapter):
    family_spec = FAMILY
