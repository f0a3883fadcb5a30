"""Signatures: every score says how it was made, in the style of sacrebleu.

A signature is an ordered list of ``key:value`` fields joined by ``|``, for example::

    task:textvqa@1|opts:normaliser=evalai|split:validation|langs:en|n:5000|prompt:5e1c9a0b|
    data:hf:lmms-lab/textvqa@<rev>:validation#3fa1b2c3|gen:greedy,max128|
    metric:vqa_acc[norm:evalai-lmms0.7.3]|agg:mean|ci:bs1000,rs12345|
    model:Qwen/Qwen2.5-VL-3B-Instruct@<rev>|adapter:hf-qwen2_5_vl@1|tvbench:0.1.0

Two scores are comparable when their signatures agree on every field except the model's
own (``model``, ``adapter``) and the harness version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

#: Fields that identify the model side; they may differ between comparable scores.
MODEL_FIELDS = frozenset({"model", "adapter"})
#: Fields that describe the harness build; informative, not part of comparability.
META_FIELDS = frozenset({"tvbench"})


def languages_field(langs: Sequence[str]) -> str:
    """Short language sets verbatim, long ones as count + hash (ALM-Bench has 100)."""
    ordered = sorted(langs)
    if len(ordered) <= 8:
        return ",".join(ordered)
    digest = hashlib.sha256(",".join(ordered).encode()).hexdigest()[:6]
    return f"{len(ordered)}langs#{digest}"


def _split_top_level(text: str) -> list[str]:
    """Split on ``|`` outside square brackets, so a nested signature (sacrebleu's, which uses
    ``|`` itself) can sit verbatim inside ``metric:bleu[...]``."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(0, depth - 1)
        elif ch == "|" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def build(fields: Sequence[tuple[str, str]]) -> str:
    for key, value in fields:
        if "|" in key or len(_split_top_level(value)) > 1 or value.count("[") != value.count(
                "]"):
            raise ValueError(f"signature field {key!r}: '|' is allowed only inside balanced "
                             f"[...]: {value!r}")
    return "|".join(f"{k}:{v}" for k, v in fields)


def parse(signature: str) -> dict[str, str]:
    out = {}
    for part in _split_top_level(signature):
        key, sep, value = part.partition(":")
        if sep:
            out[key] = value
    return out


def differences(a: str, b: str) -> dict[str, tuple[str | None, str | None]]:
    """Fields (other than model and meta fields) on which two signatures disagree."""
    pa, pb = parse(a), parse(b)
    keys = (set(pa) | set(pb)) - MODEL_FIELDS - META_FIELDS
    return {k: (pa.get(k), pb.get(k)) for k in sorted(keys) if pa.get(k) != pb.get(k)}


def comparable(a: str, b: str) -> bool:
    return not differences(a, b)
