"""The transformers backend shared by every family: loading, batched generation, scoring.

What differs between families (how a chat turn is laid out, how video reaches the
processor) is read from the family's :class:`~tvbench.models.families.spec.FamilySpec`;
each family module subclasses :class:`HFAdapter` only to name its spec. Batching goes through
:func:`tvbench.models.batching.run_batched`; generation uses left padding, scoring uses right
padding, and both are checked against batch size 1 in the tests.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from tvbench.data.inputs import GenerationSettings, ModelInput, ScoringSettings, with_reply
from tvbench.models import chat_layout
from tvbench.models.base import Capability, Generation, LogLikelihood, ModelSpec, OnBatch
from tvbench.models.batching import (
    cut_at_stop,
    isolate_failures,
    run_batched,
    truncate_at_eos,
)

if TYPE_CHECKING:
    from tvbench.models.families.spec import FamilySpec


class CheckpointError(FileNotFoundError):
    """A checkpoint path or hub id that cannot be loaded; the message names it."""


@dataclass(frozen=True)
class LoadOptions:
    """How to load a checkpoint. ``None`` fields take the documented defaults."""

    revision: str | None = None
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    dtype: str = "auto"  # auto (bf16 on GPU, fp32 on CPU) | float32 | bfloat16 | float16
    device_map: str | None = None  # e.g. "auto" to shard one model across GPUs (accelerate)
    attn_implementation: str | None = None  # default sdpa; flash_attention_2 when installed
    trust_remote_code: bool = False
    max_frames: int = 32  # video frames sampled per clip
    max_image_frames: int = 8  # cap when a family takes video as multiple images
    processor_kwargs: tuple[tuple[str, Any], ...] = ()  # e.g. (("max_pixels", 1003520),)


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_dtype(dtype: str, device: str) -> Any:
    import torch

    if dtype == "auto":
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    try:
        return {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16,
                "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}[dtype]
    except KeyError:
        raise ValueError(f"--dtype {dtype!r}: expected auto, float32, bfloat16 or float16"
                         ) from None


def default_attention(device: str) -> str | None:
    """flash-attention 2 on CUDA when installed; otherwise transformers' own default (sdpa
    where the architecture supports it, eager for e.g. Gemma2's soft-capped attention)."""
    if device.startswith("cuda"):
        from transformers.utils import is_flash_attn_2_available

        if is_flash_attn_2_available():
            return "flash_attention_2"
    return None


class HFAdapter:
    """Batch-first transformers adapter; each family's subclass sets ``family_spec``."""

    family_spec: ClassVar[FamilySpec]
    version: ClassVar[int] = 1
    capabilities: frozenset[Capability] = frozenset(
        {Capability.GENERATE, Capability.LOGLIKELIHOOD, Capability.IMAGE,
         Capability.MULTI_IMAGE, Capability.VIDEO})

    def __init__(self, source: str, *, name: str | None = None,
                 options: LoadOptions | None = None,
                 seen_languages: Sequence[str] | None = None) -> None:
        self.options = options or LoadOptions()
        self.device = resolve_device(self.options.device)
        self.model, self.processor = self._load(source)
        self.tokenizer = getattr(self.processor, "tokenizer", self.processor)
        spec = self.family_spec
        self.family = spec.name
        self.capabilities = spec.capabilities
        #: "native": frames reach the processor as video; "frames": as multiple images.
        self.video_mode = spec.video_mode_for(getattr(self.model.config, "model_type", None))
        self._configure()
        self.spec = ModelSpec(
            name=name or Path(source).name, family=self.family,
            adapter=f"hf-{self.family}", adapter_version=self.version, source=source,
            revision=self._revision(source), dtype=str(self.model.dtype).replace("torch.", ""),
            seen_languages=tuple(seen_languages) if seen_languages is not None else None,
            settings=self.settings())

    # ----------------------------------------------------------------- loading
    def _load(self, source: str) -> tuple[Any, Any]:
        from transformers import AutoModelForImageTextToText, AutoProcessor

        local = Path(source).expanduser()
        is_local = local.exists()
        if not is_local and (source.startswith((".", "/", "~")) or os.sep in source
                             and source.count("/") != 1):
            raise CheckpointError(f"checkpoint folder {source!r} does not exist")
        opts = self.options
        kw: dict[str, Any] = {"trust_remote_code": opts.trust_remote_code}
        if opts.revision and not is_local:
            kw["revision"] = opts.revision
        target = str(local) if is_local else source
        dtype = resolve_dtype(opts.dtype, self.device)
        try:
            processor = AutoProcessor.from_pretrained(target, **kw,
                                                      **dict(opts.processor_kwargs))
            model = AutoModelForImageTextToText.from_pretrained(
                target, dtype=dtype, device_map=opts.device_map,
                attn_implementation=opts.attn_implementation or default_attention(self.device),
                **kw)
        except OSError as exc:
            where = "folder" if is_local else "hub id"
            raise CheckpointError(f"cannot load checkpoint {where} {source!r}: {exc}") from exc
        if opts.device_map is None:
            model = model.to(self.device)
        return model.eval(), processor

    def _revision(self, source: str) -> str:
        from tvbench.models.tiny import checkpoint_digest

        if Path(source).expanduser().exists():
            return "local-" + checkpoint_digest(Path(source).expanduser())
        commit = getattr(self.model.config, "_commit_hash", None)
        return str(commit or self.options.revision or "unpinned")

    def _configure(self) -> None:
        """Hook: family fix-ups after loading (e.g. forcing left padding)."""

    def settings(self) -> dict[str, Any]:
        """Adapter settings that change outputs; recorded in the model spec."""
        attn = getattr(self.model.config, "_attn_implementation", None)
        return {"video_mode": self.video_mode, "max_frames": self.options.max_frames,
                "attn": attn, **dict(self.options.processor_kwargs)}

    # ----------------------------------------------------------------- prompts
    def chat(self, inp: ModelInput) -> list[dict[str, Any]]:
        """Chat-template messages for ``inp`` in the family's layout."""
        return chat_layout.messages(
            inp, self.family_spec.chat_layout, self.video_mode, self.options.max_frames,
            str(getattr(self.processor, "image_token", "<image>")),
            str(getattr(self.processor, "video_token", "<video>")), self.options.max_image_frames)

    def prompt_text(self, inp: ModelInput) -> str:
        return str(self.processor.apply_chat_template(self.chat(inp), add_generation_prompt=True,
                                                      tokenize=False))

    def media(self, inp: ModelInput) -> tuple[list[Any], list[Any]]:
        """(images, videos) for one input, in prompt order, as the processor wants them."""
        return chat_layout.media(inp, self.video_mode, self.options.max_frames,
                                 self.options.max_image_frames)

    def encode(self, texts: list[str], inputs: Sequence[ModelInput], padding_side: str) -> Any:
        images, videos = [], []
        for inp in inputs:
            im, vid = self.media(inp)
            images.append(im)
            videos.extend(vid)
        kw: dict[str, Any] = {"text": texts, "padding": True, "return_tensors": "pt"}
        bos = getattr(self.tokenizer, "bos_token", None)
        if bos and all(t.startswith(bos) for t in texts):
            # The chat template already wrote BOS (Gemma, Cohere); a tokenizer that adds its
            # own would double it, which real checkpoints score noticeably worse on.
            kw["add_special_tokens"] = False
        if any(images):
            kw["images"] = images
        if videos:
            kw["videos"] = videos
            kw.update(self.video_kwargs())
        self.tokenizer.padding_side = padding_side
        return self.processor(**kw).to(self.model.device)

    def video_kwargs(self) -> dict[str, Any]:
        return dict(self.family_spec.video_kwargs)

    @staticmethod
    def _length(inp: ModelInput) -> int:
        return len(inp.render()) + 256 * (len(inp.images) + 8 * len(inp.videos))

    @staticmethod
    def _shape(inp: ModelInput) -> tuple[int, int]:
        return (len(inp.images), len(inp.videos))

    # -------------------------------------------------------------- generation
    def generate(self, inputs: Sequence[ModelInput], settings: GenerationSettings, *,
                 batch_size: int = 1, on_batch: OnBatch[Generation] | None = None
                 ) -> list[Generation]:
        def batch(items: list[ModelInput]) -> list[Generation]:
            return self._generate_batch(items, settings)

        fn = isolate_failures(batch, lambda _i, exc: Generation("", 0, _describe(exc)))
        return run_batched(inputs, fn, batch_size=batch_size, length=self._length,
                           group=self._shape, on_batch=on_batch)

    def _eos_ids(self) -> set[int]:
        ids: set[int] = set()
        for src in (self.model.generation_config.eos_token_id, self.tokenizer.eos_token_id):
            if isinstance(src, int):
                ids.add(src)
            elif src:
                ids.update(int(x) for x in src)
        return ids

    def _generate_batch(self, items: list[ModelInput],
                        settings: GenerationSettings) -> list[Generation]:
        import torch
        from transformers import GenerationConfig

        enc = self.encode([self.prompt_text(i) for i in items], items, padding_side="left")
        eos = self._eos_ids()
        cfg = GenerationConfig(
            max_new_tokens=settings.max_new_tokens, do_sample=not settings.greedy,
            temperature=settings.temperature if not settings.greedy else None,
            top_p=None, top_k=None, eos_token_id=sorted(eos),
            pad_token_id=self.tokenizer.pad_token_id)
        with torch.inference_mode():
            out = self.model.generate(**enc, generation_config=cfg)
        new = out[:, enc["input_ids"].shape[1]:].tolist()
        results = []
        for row in new:
            ids = truncate_at_eos(row, eos)
            text = self.tokenizer.decode(ids, skip_special_tokens=True)
            results.append(Generation(cut_at_stop(text, settings.stop), len(ids)))
        return results

    # -------------------------------------------------------------- scoring
    def loglikelihood(self, inputs: Sequence[ModelInput], continuations: Sequence[str], *,
                      batch_size: int = 1, on_batch: OnBatch[LogLikelihood] | None = None,
                      scoring: ScoringSettings | None = None) -> list[LogLikelihood]:
        if len(inputs) != len(continuations):
            raise ValueError("loglikelihood needs one continuation per input")
        pairs = list(zip(inputs, continuations, strict=True))
        turn = scoring is not None and scoring.span == "turn"

        def batch(items: list[tuple[ModelInput, str]]) -> list[LogLikelihood]:
            if turn:
                items = [(i, self.reply_text(i, c)) for i, c in items]
            return self._loglikelihood_batch(items)

        fn = isolate_failures(batch, lambda _i, exc: LogLikelihood(float("nan"), float("nan"),
                                                                   0, _describe(exc)))
        return run_batched(pairs, fn, batch_size=batch_size,
                           length=lambda p: self._length(p[0]) + len(p[1]),
                           group=lambda p: self._shape(p[0]), on_batch=on_batch)

    def _loglikelihood_batch(self, items: list[tuple[ModelInput, str]]) -> list[LogLikelihood]:
        """Sum of log p(continuation tokens | prompt), with the continuation as the reply.

        Right padding keeps every real token at its unpadded position, so no position ids
        need rebuilding; the prompt/continuation boundary is where the prompt-only encoding
        ends, checked token by token.
        """
        import torch

        inputs = [i for i, _ in items]
        prompts = [self.prompt_text(i) for i in inputs]
        full = self.encode([p + c for p, (_, c) in zip(prompts, items, strict=True)], inputs,
                           padding_side="right")
        head = self.encode(prompts, inputs, padding_side="right")
        with torch.inference_mode():
            logits = self.model(**full).logits.float()
        logprobs = torch.log_softmax(logits[:, :-1], dim=-1)
        targets = full["input_ids"][:, 1:]
        token_lp = logprobs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        results = []
        for row in range(len(items)):
            start = int(head["attention_mask"][row].sum())
            end = int(full["attention_mask"][row].sum())
            if not torch.equal(full["input_ids"][row, :start], head["input_ids"][row, :start]):
                results.append(LogLikelihood(float("nan"), float("nan"), 0,
                                             "continuation changed the prompt's tokenisation"))
                continue
            span = token_lp[row, start - 1:end - 1]
            n = int(span.numel())
            if n == 0:
                results.append(LogLikelihood(float("nan"), float("nan"), 0,
                                             "empty continuation"))
                continue
            total = float(span.sum())
            results.append(LogLikelihood(total, total / n, n))
        return results

    def reply_text(self, inp: ModelInput, continuation: str) -> str:
        """``continuation`` as the assistant's whole turn: the text the chat template writes
        after the generation prompt, end-of-turn tokens included (``scoring.span="turn"``)."""
        def render(messages: list[dict[str, Any]], generation_prompt: bool) -> str:
            return str(self.processor.apply_chat_template(
                messages, add_generation_prompt=generation_prompt, tokenize=False))

        return chat_layout.reply_tail(render, self.chat(inp),
                                      self.chat(with_reply(inp, continuation)))

    def close(self) -> None:
        del self.model
        _free_cuda()


def _free_cuda() -> None:
    import gc

    gc.collect()
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
