"""Tiny random-weight checkpoints of the four real architectures, built offline.

The hub cannot be reached from CI, so tests and the offline default run use these: the
real transformers model and processor classes, a byte-level BPE tokenizer trained on a
small multilingual corpus, minimal chat templates, and seeded weights so that building
twice gives byte-identical safetensors.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tvbench.cache import cache_root

#: Bumped whenever a builder changes, so cached checkpoints are rebuilt.
TINY_VERSION = 2

_CORPUS = [
    "What is in this image? Describe the picture. Translate to Portuguese: the cat is on the "
    "table.",
    "Qual é a cor do carro? O gato está em cima da mesa. Traduza para inglês.",
    "Was ist auf dem Bild? Die Katze sitzt auf dem Tisch. Übersetze ins Deutsche.",
    "¿Qué hay en la imagen? El gato está sobre la mesa. 这是什么? 猫在桌子上。 これは何ですか。",
    "Qu'y a-t-il sur l'image ? Что на картинке? Co je na obrázku? 이것은 무엇입니까? Cosa c'è?",
    "Answer with a single word. Read the text in the image. OCR. yes no 0 1 2 3 4 5 6 7 8 9",
    "Final Answer: Options A B C D. True False. Translate the following source text.",
] * 20

# Qwen2.5-VL and Cohere2 get a wide initialisation: at the default 0.02 they emit one token
# forever, which would make parity tests vacuous. The Gemma-based models (soft-capped
# logits, scaled embeddings) already vary at 0.02 and collapse when widened.
_INIT = 0.5
_SIG = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
            image_size=32, patch_size=8, num_channels=3)
_TXT = dict(vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
            num_attention_heads=2, num_key_value_heads=1, head_dim=32, max_position_embeddings=4096)

_GEMMA_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{% set role = 'model' if m['role'] == 'assistant' else m['role'] %}"
    "<start_of_turn>{{ role }}\n{% if m['content'] is string %}{{ m['content'] }}{% else %}"
    "{% for c in m['content'] %}{% if c['type'] == 'image' %}IMG"
    "{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}"
    "{% endif %}<end_of_turn>\n{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}")
_QWEN_TEMPLATE = (
    "{% for m in messages %}{% if loop.first and m['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ m['role'] }}\n{% if m['content'] is string %}{{ m['content'] }}{% else %}"
    "{% for c in m['content'] %}{% if c['type'] == 'image' %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif c['type'] == 'video' %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}"
    "{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
_AYA_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|START_OF_TURN_TOKEN|>"
    "{{ '<|USER_TOKEN|>' if m['role'] == 'user' else "
    "('<|SYSTEM_TOKEN|>' if m['role'] == 'system' else '<|CHATBOT_TOKEN|>') }}"
    "{% if m['content'] is string %}{{ m['content'] }}{% else %}{% for c in m['content'] %}"
    "{% if c['type'] == 'image' %}<image>{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|END_OF_TURN_TOKEN|>{% endfor %}"
    "{% if add_generation_prompt %}<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>{% endif %}")


def _tokenizer(special: list[str], **roles: Any) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tk = Tokenizer(models.BPE(unk_token=None, byte_fallback=False))
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    tk.train_from_iterator(_CORPUS, trainers.BpeTrainer(
        vocab_size=512, special_tokens=special, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tk.post_processor = processors.ByteLevel(trim_offsets=False)  # BOS comes from the template
    return PreTrainedTokenizerFast(tokenizer_object=tk, padding_side="left", **roles)


def _ids(tok: Any, *names: str) -> list[int]:
    return [tok.convert_tokens_to_ids(n) for n in names]


def _towervision() -> tuple[Any, Any]:
    import transformers as T

    tok = _tokenizer(["<pad>", "<eos>", "<bos>", "<unk>", "<image>", "<start_of_turn>",
                      "<end_of_turn>"], bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
                     unk_token="<unk>", extra_special_tokens={"image_token": "<image>"})
    pad, eos, bos, img, eot = _ids(tok, "<pad>", "<eos>", "<bos>", "<image>", "<end_of_turn>")
    pins = [[32, 32], [32, 64], [64, 32], [64, 64]]
    cfg = T.LlavaNextConfig(
        vision_config=T.SiglipVisionConfig(**_SIG),
        text_config=T.Gemma2Config(**_TXT, query_pre_attn_scalar=32, sliding_window=64,
                                   pad_token_id=pad, eos_token_id=[eos, eot], bos_token_id=bos),
        image_token_index=img, image_grid_pinpoints=pins, vision_feature_select_strategy="full",
        vision_feature_layer=-1, image_seq_length=16, multimodal_projector_bias=True,
        tie_word_embeddings=True)
    ip = T.LlavaNextImageProcessor(size={"shortest_edge": 32},
                                   crop_size={"height": 32, "width": 32},
                                   image_grid_pinpoints=pins, image_mean=[0.5] * 3,
                                   image_std=[0.5] * 3)
    proc = T.LlavaNextProcessor(image_processor=ip, tokenizer=tok, patch_size=8,
                                vision_feature_select_strategy="full",
                                chat_template=_GEMMA_TEMPLATE.replace("IMG", "<image>"))
    return T.LlavaNextForConditionalGeneration(cfg), proc


def _towervideo() -> tuple[Any, Any]:
    """TowerVideo's layout (LLaVA-OneVision: SigLIP + Gemma2) with native video input."""
    import transformers as T

    tok = _tokenizer(["<pad>", "<eos>", "<bos>", "<unk>", "<image>", "<video>", "<start_of_turn>",
                      "<end_of_turn>"], bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
                     unk_token="<unk>", extra_special_tokens={"image_token": "<image>",
                                                              "video_token": "<video>"})
    pad, eos, bos, img, vid, eot = _ids(tok, "<pad>", "<eos>", "<bos>", "<image>", "<video>",
                                        "<end_of_turn>")
    pins = [[32, 32], [32, 64], [64, 32], [64, 64]]
    cfg = T.LlavaOnevisionConfig(
        vision_config=T.SiglipVisionConfig(**_SIG),
        text_config=T.Gemma2Config(**_TXT, query_pre_attn_scalar=32, sliding_window=64,
                                   pad_token_id=pad, eos_token_id=[eos, eot], bos_token_id=bos),
        image_token_index=img, video_token_index=vid, image_grid_pinpoints=pins,
        vision_feature_select_strategy="full", vision_feature_layer=-1,
        vision_aspect_ratio="anyres_max_9", tie_word_embeddings=True)
    ip = T.LlavaOnevisionImageProcessor(size={"height": 32, "width": 32},
                                        image_grid_pinpoints=pins, image_mean=[0.5] * 3,
                                        image_std=[0.5] * 3)
    vp = T.LlavaOnevisionVideoProcessor(size={"height": 32, "width": 32}, image_mean=[0.5] * 3,
                                        image_std=[0.5] * 3)
    template = _GEMMA_TEMPLATE.replace(
        "{% if c['type'] == 'image' %}IMG",
        "{% if c['type'] == 'image' %}<image>{% elif c['type'] == 'video' %}<video>")
    proc = T.LlavaOnevisionProcessor(image_processor=ip, tokenizer=tok, video_processor=vp,
                                     num_image_tokens=16, vision_feature_select_strategy="full",
                                     chat_template=template)
    return T.LlavaOnevisionForConditionalGeneration(cfg), proc


def _qwen2_5_vl() -> tuple[Any, Any]:
    import transformers as T

    sp = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
          "<|image_pad|>", "<|video_pad|>"]
    tok = _tokenizer(sp, eos_token="<|im_end|>", pad_token="<|endoftext|>", extra_special_tokens={
        "image_token": "<|image_pad|>", "video_token": "<|video_pad|>",
        "vision_start_token": "<|vision_start|>", "vision_end_token": "<|vision_end|>"})
    eot, _, im_end, vs, ve, img, vid = _ids(tok, *sp)
    cfg = T.Qwen2_5_VLConfig(
        vision_config=dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2,
                           out_hidden_size=64, patch_size=14, spatial_merge_size=2,
                           temporal_patch_size=2, window_size=56, fullatt_block_indexes=[1],
                           in_channels=3, initializer_range=_INIT),
        text_config=dict(vocab_size=512, hidden_size=64, intermediate_size=128,
                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                         max_position_embeddings=4096, initializer_range=_INIT,
                         rope_parameters={"rope_type": "default", "rope_theta": 1e6,
                                          "mrope_section": [4, 6, 6]},
                         pad_token_id=eot, eos_token_id=im_end, bos_token_id=eot),
        image_token_id=img, video_token_id=vid, vision_start_token_id=vs, vision_end_token_id=ve,
        tie_word_embeddings=True)
    px = dict(size={"shortest_edge": 56 * 56, "longest_edge": 112 * 112}, patch_size=14,
              merge_size=2, temporal_patch_size=2)
    proc = T.Qwen2_5_VLProcessor(image_processor=T.Qwen2VLImageProcessor(**px), tokenizer=tok,
                                 video_processor=T.Qwen2VLVideoProcessor(**px),
                                 chat_template=_QWEN_TEMPLATE)
    return T.Qwen2_5_VLForConditionalGeneration(cfg), proc


def _gemma3() -> tuple[Any, Any]:
    import transformers as T

    tok = _tokenizer(["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_image>", "<end_of_image>",
                      "<image_soft_token>", "<start_of_turn>", "<end_of_turn>"],
                     bos_token="<bos>", eos_token="<eos>", pad_token="<pad>", unk_token="<unk>",
                     extra_special_tokens={"image_token": "<image_soft_token>",
                                           "boi_token": "<start_of_image>",
                                           "eoi_token": "<end_of_image>"})
    pad, eos, bos, boi, eoi, img, eot = _ids(tok, "<pad>", "<eos>", "<bos>", "<start_of_image>",
                                             "<end_of_image>", "<image_soft_token>",
                                             "<end_of_turn>")
    cfg = T.Gemma3Config(
        text_config=T.Gemma3TextConfig(**_TXT, query_pre_attn_scalar=32, sliding_window=64,
                                       pad_token_id=pad, eos_token_id=[eos, eot],
                                       bos_token_id=bos),
        vision_config=T.SiglipVisionConfig(**_SIG), mm_tokens_per_image=4,
        boi_token_index=boi, eoi_token_index=eoi, image_token_index=img)
    ip = T.Gemma3ImageProcessor(size={"height": 32, "width": 32}, do_pan_and_scan=False,
                                image_mean=[0.5] * 3, image_std=[0.5] * 3)
    proc = T.Gemma3Processor(image_processor=ip, tokenizer=tok, image_seq_length=4,
                             chat_template=_GEMMA_TEMPLATE.replace("IMG", "<start_of_image>"))
    return T.Gemma3ForConditionalGeneration(cfg), proc


def _aya_vision() -> tuple[Any, Any]:
    import transformers as T

    sp = ["<PAD>", "<UNK>", "<BOS_TOKEN>", "<|END_OF_TURN_TOKEN|>", "<|START_OF_TURN_TOKEN|>",
          "<|USER_TOKEN|>", "<|CHATBOT_TOKEN|>", "<|SYSTEM_TOKEN|>", "<image>", "<|START_OF_IMG|>",
          "<|END_OF_IMG|>", "<|IMG_PATCH|>", "<|IMG_LINE_BREAK|>", "TILE", "TILE_GLOBAL"]
    tok = _tokenizer(sp, bos_token="<BOS_TOKEN>", eos_token="<|END_OF_TURN_TOKEN|>",
                     pad_token="<PAD>", unk_token="<UNK>")
    pad, eos, bos, patch = _ids(tok, "<PAD>", "<|END_OF_TURN_TOKEN|>", "<BOS_TOKEN>",
                                "<|IMG_PATCH|>")
    cfg = T.AyaVisionConfig(
        vision_config=T.SiglipVisionConfig(**_SIG),
        text_config=T.Cohere2Config(vocab_size=512, hidden_size=64, intermediate_size=128,
                                    num_hidden_layers=2, num_attention_heads=2,
                                    num_key_value_heads=1, max_position_embeddings=4096,
                                    initializer_range=_INIT,
                                    sliding_window=64, pad_token_id=pad, eos_token_id=eos,
                                    bos_token_id=bos),
        downsample_factor=2, image_token_index=patch, vision_feature_layer=-1)
    ip = T.GotOcr2ImageProcessor(size={"height": 32, "width": 32}, crop_to_patches=True,
                                 min_patches=1, max_patches=4, image_mean=[0.5] * 3,
                                 image_std=[0.5] * 3)
    proc = T.AyaVisionProcessor(image_processor=ip, tokenizer=tok, patch_size=8, img_size=32,
                                downsample_factor=2, chat_template=_AYA_TEMPLATE)
    return T.AyaVisionForConditionalGeneration(cfg), proc


BUILDERS: dict[str, Callable[[], tuple[Any, Any]]] = {
    "towervision": _towervision,
    "towervideo": _towervideo,  # a variant of the towervision family (same adapter)
    "qwen2_5_vl": _qwen2_5_vl,
    "gemma3": _gemma3,
    "aya_vision": _aya_vision,
}


#: The adapter family each tiny architecture belongs to.
FAMILY_OF = {"towervideo": "towervision"}


def build_tiny(family: str, folder: str | os.PathLike[str]) -> Path:
    """Write a tiny checkpoint of ``family`` to ``folder`` (model, processor, tokenizer, template).

    The folder is assembled in a temporary sibling and renamed into place, so an interrupted
    build never leaves a half-written checkpoint behind.
    """
    if family not in BUILDERS:
        from tvbench.registry import unknown_name_error

        raise unknown_name_error("model family", family, BUILDERS)
    import torch

    dest = Path(folder)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        torch.manual_seed(0)
        model, proc = BUILDERS[family]()
        model.generation_config.pad_token_id = proc.tokenizer.pad_token_id
        model.save_pretrained(tmp)
        proc.save_pretrained(tmp)
        missing = [n for n in ("config.json", "model.safetensors") if not (tmp / n).is_file()]
        if missing:  # transformers writes weights on rank 0 only once torch.distributed is up
            raise RuntimeError(f"tiny {family} checkpoint is incomplete (missing {missing}); "
                               "build it before torch.distributed is initialised")
        (tmp / "tvbench_tiny.json").write_text(json.dumps(
            {"architecture": family, "family": FAMILY_OF.get(family, family),
             "tiny_version": TINY_VERSION}, indent=2) + "\n")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def tiny_cache_dir() -> Path:
    """Where the default run keeps its tiny checkpoints (``$TVBENCH_CACHE`` or ~/.cache)."""
    return cache_root() / "tiny"


def cached_tiny(family: str) -> Path:
    """Return a cached tiny checkpoint of ``family``, building it on first use.

    A file lock serialises builders, so ranks of a data-parallel run (or parallel test
    workers) never see a folder that another process is replacing.
    """
    import fcntl

    folder = tiny_cache_dir() / f"{family}-v{TINY_VERSION}"
    marker = folder / "tvbench_tiny.json"
    if marker.is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{family}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.is_file():
            build_tiny(family, folder)
    return folder


def checkpoint_digest(folder: str | os.PathLike[str]) -> str:
    """A short content hash of a local checkpoint's weights, standing in for a hub revision."""
    h = hashlib.sha256()
    for p in sorted(Path(folder).glob("*.safetensors")):
        h.update(p.read_bytes())
    return h.hexdigest()[:12]
