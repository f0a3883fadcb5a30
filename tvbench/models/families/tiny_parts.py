"""Parts every offline checkpoint shares: a small BPE tokenizer, widths, a turn template.

The hub cannot be reached from CI, so tiny and small checkpoints get a byte-level BPE
tokenizer trained here on a small multilingual corpus. Special tokens come first in training,
so a family's list of special tokens fixes their ids (the first one is id 0, and so on), which
lets each family write its token ids into its configs as plain data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

#: Vocabulary of every offline tokenizer (the learned merges end near 496 entries).
TINY_VOCAB = 512

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

#: Qwen2.5-VL and Cohere2 get a wide initialisation: at the default 0.02 they emit one token
#: forever, which would make parity tests vacuous. The Gemma-based models (soft-capped
#: logits, scaled embeddings) already vary at 0.02 and collapse when widened.
WIDE_INIT = 0.5

#: A SigLIP vision tower at tiny width and resolution (32 px, 4x4 patches).
TINY_SIGLIP: dict[str, Any] = dict(
    model_type="siglip_vision_model", hidden_size=32, intermediate_size=64,
    num_hidden_layers=2, num_attention_heads=2, image_size=32, patch_size=8, num_channels=3)
#: A decoder at tiny width: the shared part of the Gemma2/Gemma3 tiny text configs.
TINY_TEXT: dict[str, Any] = dict(
    vocab_size=TINY_VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
    num_attention_heads=2, num_key_value_heads=1, head_dim=32, max_position_embeddings=4096)
#: Normalisation used by every SigLIP-based processor (SigLIP's own mean and std).
HALF = [0.5, 0.5, 0.5]

#: Gemma's turn format; each family replaces ``IMG`` with its image placeholder.
GEMMA_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{% set role = 'model' if m['role'] == 'assistant' else m['role'] %}"
    "<start_of_turn>{{ role }}\n{% if m['content'] is string %}{{ m['content'] }}{% else %}"
    "{% for c in m['content'] %}{% if c['type'] == 'image' %}IMG"
    "{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}"
    "{% endif %}<end_of_turn>\n{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}")


def token_ids(special: Sequence[str]) -> dict[str, int]:
    """The ids :func:`bpe_tokenizer` gives ``special`` (their order in the list)."""
    return {token: i for i, token in enumerate(special)}


def bpe_tokenizer(special: Sequence[str], *, vocab_size: int | None = None,
                  ids: Mapping[str, int] | None = None, **roles: Any) -> Any:
    """A byte-level BPE tokenizer with ``special`` tokens first; BOS comes from templates.

    With ``vocab_size``, the same tokenizer is laid out on a real checkpoint's vocabulary
    (:func:`widen`), so a random-weight model of a published size sees its real token ids.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tk = Tokenizer(models.BPE(unk_token=None, byte_fallback=False))
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    tk.train_from_iterator(_CORPUS, trainers.BpeTrainer(
        vocab_size=TINY_VOCAB, special_tokens=list(special), show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tk.post_processor = processors.ByteLevel(trim_offsets=False)
    if vocab_size is not None:
        tk = widen(tk, vocab_size, ids or {})
    return PreTrainedTokenizerFast(tokenizer_object=tk, padding_side="left", **roles)


def filler(token_id: int) -> str:
    """The vocabulary entry at an otherwise unused id of a widened tokenizer."""
    return f"~{token_id:x}~"


def widen(tokenizer: Any, vocab_size: int, ids: Mapping[str, int]) -> Any:
    """``tokenizer`` laid out on ``vocab_size`` ids, with the tokens of ``ids`` at those ids.

    The learned tokens keep their merges and take the free ids in order; every id left over
    holds a filler entry (:func:`filler`) that no merge produces, so encoding is unchanged
    while any id a random model emits decodes to distinct text.
    """
    from tokenizers import AddedToken, Tokenizer, models

    data = json.loads(tokenizer.to_str())
    old: dict[str, int] = data["model"]["vocab"]
    unknown = sorted(set(ids) - set(old))
    if unknown:
        raise ValueError(f"tokens {unknown} are not in the tokenizer")
    if ids and max(ids.values()) >= vocab_size:
        raise ValueError(f"token ids {dict(ids)} do not fit a vocabulary of {vocab_size}")
    if len(old) > vocab_size:
        raise ValueError(f"{len(old)} tokens do not fit a vocabulary of {vocab_size}")
    taken = set(ids.values())
    free = (i for i in range(vocab_size) if i not in taken)
    vocab = dict(ids)
    for token, _ in sorted(old.items(), key=lambda kv: kv[1]):
        if token not in vocab:
            vocab[token] = next(free)
    vocab.update({filler(i): i for i in free})
    wide = Tokenizer(models.BPE(vocab=vocab, merges=[tuple(m) for m in data["model"]["merges"]],
                                unk_token=None, byte_fallback=False))
    wide.pre_tokenizer = tokenizer.pre_tokenizer
    wide.decoder = tokenizer.decoder
    wide.post_processor = tokenizer.post_processor
    wide.add_special_tokens([AddedToken(t["content"], special=True, normalized=False)
                             for t in data["added_tokens"]])
    return wide
