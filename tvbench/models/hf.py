"""The transformers backend shared by every family: loading, batched generation, scoring.

What differs between families (how a chat turn is laid out, how video reaches the
processor) is read from the family's :class:`~tvbench.models.families.spec.FamilySpec`;
each family module subclasses :class:`HFAdapter` only to name its spec. Every call goes
through :func:`tvbench.models.batching.run_batched` as two stages: ``prepare`` (decode media,
chat template, processor, pinned host tensors) runs on a background worker for the next
batch while ``run`` (the model, then decoding) handles the current one. Generation uses
left padding, scoring right padding; both are checked against batch size 1 in the tests.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from tvbench.data.inputs import GenerationSettings, ModelInput, ScoringSettings, with_reply
from tvbench.models import chat_layout, token_count
from tvbench.models import hf_runtime as runtime
from tvbench.models.base import Capability, Generation, LogLikelihood, ModelSpec, OnBatch
from tvbench.models.batching import (
    Stages,
    cut_at_stop,
    isolate_failures,
    run_batched,
    truncate_at_eos,
)
from tvbench.models.loading import (
    RANDOM_SEED,
    CheckpointError,
    build_random,
    default_attention,
    load_pretrained,
    parse_random,
    resolve_device,
    resolve_dtype,
)
from tvbench.models.pipeline import NO_TIMER, PhaseTimer

if TYPE_CHECKING:
    from tvbench.models.families.spec import FamilySpec

__all__ = ["CheckpointError", "HFAdapter", "LoadOptions", "Request", "default_attention",
           "resolve_device", "resolve_dtype"]


@dataclass(frozen=True)
class LoadOptions:
    """How to load a checkpoint. ``None`` fields take the documented defaults."""

    revision: str | None = None
    device: str = "auto"  # auto | cpu | cuda | cuda:N (auto keeps tiny/small models on CPU)
    dtype: str = "auto"  # auto (bf16 on GPU, fp32 on CPU) | float32 | bfloat16 | float16
    device_map: str | None = None  # e.g. "auto" to shard one model across GPUs (accelerate)
    attn_implementation: str | None = None  # default sdpa; flash_attention_2 when installed
    trust_remote_code: bool = False
    max_frames: int = 32  # video frames sampled per clip
    max_image_frames: int = 8  # cap when a family takes video as multiple images
    processor_kwargs: tuple[tuple[str, Any], ...] = ()  # e.g. (("max_pixels", 1003520),)
    prefetch: int = 1  # batches prepared ahead on a background worker (0: none)
    compile: str | None = None  # torch.compile backend for a static-cache decode, or None
    batch_invariant: bool = False  # fp32, TF32 off, deterministic kernels (see hf_runtime.py)


@dataclass(frozen=True)
class Request:
    """One input as the adapter plans it: its prompt text and its estimated token count.

    ``prompt`` is None when the chat template failed on it; the batch stage then renders it
    again, and the error becomes that item's recorded error.
    """

    inp: ModelInput
    prompt: str | None
    tokens: int
    continuation: str = ""
    turn: bool = False  # score the whole reply turn (``scoring.span="turn"``)


@dataclass(frozen=True)
class Encoded:
    """A prepared batch: its requests, the processor's tensors, and per-row extras."""

    requests: list[Request]
    tensors: dict[str, Any]
    extra: list[Any]


class HFAdapter:
    """Batch-first transformers adapter; each family's subclass sets ``family_spec``."""

    family_spec: ClassVar[FamilySpec]
    version: ClassVar[int] = 1
    capabilities: frozenset[Capability] = frozenset(
        {Capability.GENERATE, Capability.LOGLIKELIHOOD, Capability.IMAGE,
         Capability.MULTI_IMAGE, Capability.VIDEO})
    #: The timing hook (``tvbench bench`` sets a :class:`PhaseTimer`); measures nothing here.
    timer: PhaseTimer = NO_TIMER

    def __init__(self, source: str, *, name: str | None = None,
                 options: LoadOptions | None = None,
                 seen_languages: Sequence[str] | None = None) -> None:
        self.options = options or LoadOptions()
        self.device = resolve_device(self.options.device, source)
        runtime.configure(self.options, self.device)
        self.model, self.processor = self._load(source)
        self.tokenizer = getattr(self.processor, "tokenizer", self.processor)
        # The worker encodes with the processor's tokenizer while the main thread decodes;
        # a Rust tokenizer refuses concurrent use ("Already borrowed"), so decoding gets its
        # own copy and encoding its own lock.
        self._decoder = copy.deepcopy(self.tokenizer)
        self._encode_lock = threading.Lock()
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
        opts = self.options
        dtype = resolve_dtype(runtime.dtype_for(opts), self.device)
        attn = opts.attn_implementation or default_attention(self.device)
        random = parse_random(source)
        if random is not None:
            return build_random(random, device=self.device, dtype=dtype, attn=attn,
                                processor_kwargs=dict(opts.processor_kwargs))
        return load_pretrained(source, device=self.device, dtype=dtype, revision=opts.revision,
                               device_map=opts.device_map, attn=attn,
                               trust_remote_code=opts.trust_remote_code,
                               processor_kwargs=dict(opts.processor_kwargs))

    def _revision(self, source: str) -> str:
        from tvbench.models.checkpoint import checkpoint_revision

        if parse_random(source) is not None:
            return f"seed{RANDOM_SEED}"
        if Path(source).expanduser().exists():
            return checkpoint_revision(Path(source).expanduser())
        commit = getattr(self.model.config, "_commit_hash", None)
        return str(commit or self.options.revision or "unpinned")

    def _configure(self) -> None:
        """Hook: family fix-ups after loading (e.g. forcing left padding)."""

    def settings(self) -> dict[str, Any]:
        """Adapter settings that change outputs; recorded in the model spec."""
        attn = getattr(self.model.config, "_attn_implementation", None)
        return {"video_mode": self.video_mode, "max_frames": self.options.max_frames,
                "attn": attn, **dict(self.options.processor_kwargs),
                **runtime.recorded_settings(self.options.compile,
                                             self.options.batch_invariant)}

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

    def _special_tokens(self, texts: Sequence[str]) -> bool:
        """Whether the tokenizer should add its special tokens to ``texts``."""
        bos = getattr(self.tokenizer, "bos_token", None)
        # The chat template already wrote BOS (Gemma, Cohere); a tokenizer that adds its own
        # would double it, which real checkpoints score noticeably worse on.
        return not (bos and all(t.startswith(bos) for t in texts))

    def _process(self, texts: list[str], media: list[tuple[list[Any], list[Any]]],
                 padding_side: str) -> dict[str, Any]:
        images = [im for im, _ in media]
        videos = [v for _, vid in media for v in vid]
        kw: dict[str, Any] = {"text": texts, "padding": True, "return_tensors": "pt"}
        if not self._special_tokens(texts):
            kw["add_special_tokens"] = False
        if any(images):
            kw["images"] = images
        if videos:
            kw["videos"] = videos
            kw.update(self.video_kwargs())
        with self._encode_lock:
            self.tokenizer.padding_side = padding_side
            return dict(self.processor(**kw))

    def encode(self, texts: list[str], inputs: Sequence[ModelInput], padding_side: str) -> Any:
        """The processor's tensors for ``texts`` with the media of ``inputs``, on the device."""
        media = [self.media(inp) for inp in inputs]
        return runtime.to_device(self._process(texts, media, padding_side), self.model.device)

    def video_kwargs(self) -> dict[str, Any]:
        return dict(self.family_spec.video_kwargs)

    @staticmethod
    def _shape(inp: ModelInput) -> tuple[int, int]:
        return (len(inp.images), len(inp.videos))

    def _requests(self, inputs: Sequence[ModelInput],
                  continuations: Sequence[str] | None = None) -> list[Request]:
        """Prompt texts and token estimates for the batcher, computed once per call."""
        conts = list(continuations) if continuations is not None else [""] * len(inputs)
        with self.timer.phase("preprocess"):
            prompts: list[str | None] = []
            for inp in inputs:
                try:
                    prompts.append(self.prompt_text(inp))
                except Exception:  # recorded as this item's error by the batch stage
                    prompts.append(None)
            texts = [(p or inp.render()) + c for p, inp, c in zip(prompts, inputs, conts,
                                                                 strict=True)]
            with self._encode_lock:
                lengths = [len(ids) for ids in self.tokenizer(
                    texts, add_special_tokens=False)["input_ids"]] if texts else []
            return [Request(inp, p, token_count.estimate(
                        self.processor, inp, n, self.video_mode, self.options.max_frames,
                        self.options.max_image_frames), c)
                    for inp, p, n, c in zip(inputs, prompts, lengths, conts, strict=True)]

    def _prepare(self, requests: list[Request], padding_side: str,
                 continuation: bool = False) -> Encoded:
        """Stage one, on the worker: decode media, render, run the processor, pin."""
        with self.timer.phase("data"):
            media = [self.media(r.inp) for r in requests]
        with self.timer.phase("preprocess"):
            prompts = [r.prompt if r.prompt is not None else self.prompt_text(r.inp)
                       for r in requests]
            extra: list[Any] = [None] * len(requests)
            if continuation:
                prompts, extra = self._continuation_spans(prompts, requests)
            tensors = self._process(prompts, media, padding_side)
            return Encoded(requests, runtime.pin(tensors, self.device, self.options), extra)

    # -------------------------------------------------------------- generation
    def generate(self, inputs: Sequence[ModelInput], settings: GenerationSettings, *,
                 batch_size: int = 1, on_batch: OnBatch[Generation] | None = None,
                 batch_tokens: int | None = None) -> list[Generation]:
        stages = Stages(lambda batch: self._prepare(batch, "left"),
                        lambda enc: self._generate_prepared(enc, settings))
        fn = isolate_failures(stages, lambda _r, exc: Generation("", 0, _describe(exc)))
        return run_batched(self._requests(inputs), fn, batch_size=batch_size,
                           length=lambda r: r.tokens, group=lambda r: self._shape(r.inp),
                           on_batch=on_batch, batch_tokens=batch_tokens,
                           prefetch=self.options.prefetch)

    def _eos_ids(self) -> set[int]:
        ids: set[int] = set()
        for src in (self.model.generation_config.eos_token_id, self.tokenizer.eos_token_id):
            if isinstance(src, int):
                ids.add(src)
            elif src:
                ids.update(int(x) for x in src)
        return ids

    def _generate_prepared(self, enc: Encoded, settings: GenerationSettings
                           ) -> list[Generation]:
        """Stage two: the model, then decoding (the same rule at every batch size)."""
        import torch

        eos = self._eos_ids()
        with self.timer.phase("model"):
            tensors = runtime.to_device(enc.tensors, self.model.device)
            cfg = runtime.generation_config(self.options, self.device, settings, eos,
                                             self.tokenizer.pad_token_id)
            with torch.inference_mode():
                out = self.model.generate(**tensors, generation_config=cfg)
            new = out[:, tensors["input_ids"].shape[1]:].tolist()
        with self.timer.phase("postprocess"):
            results = []
            for row in new:
                ids = truncate_at_eos(row, eos)
                text = self._decoder.decode(ids, skip_special_tokens=True)
                results.append(Generation(cut_at_stop(text, settings.stop), len(ids)))
            return results

    # -------------------------------------------------------------- scoring
    def loglikelihood(self, inputs: Sequence[ModelInput], continuations: Sequence[str], *,
                      batch_size: int = 1, on_batch: OnBatch[LogLikelihood] | None = None,
                      batch_tokens: int | None = None,
                      scoring: ScoringSettings | None = None) -> list[LogLikelihood]:
        if len(inputs) != len(continuations):
            raise ValueError("loglikelihood needs one continuation per input")
        turn = scoring is not None and scoring.span == "turn"
        stages = Stages(lambda batch: self._prepare(batch, "right", continuation=True),
                        self._loglikelihood_prepared)
        fn = isolate_failures(stages, lambda _r, exc: LogLikelihood(
            float("nan"), float("nan"), 0, _describe(exc)))
        requests = [replace(r, turn=turn) for r in self._requests(inputs, continuations)]
        return run_batched(requests, fn, batch_size=batch_size,
                           length=lambda r: r.tokens, group=lambda r: self._shape(r.inp),
                           on_batch=on_batch, batch_tokens=batch_tokens,
                           prefetch=self.options.prefetch)

    def scored_text(self, request: Request) -> str:
        """The text whose log-probability is summed, written after the prompt: the
        continuation as the reply, or (``scoring.span="turn"``) the whole reply turn the
        chat template writes, end-of-turn tokens included. Runs in the isolated batch stage,
        so a template that cannot render a reply fails only its item."""
        if request.turn:
            return self.reply_text(request.inp, request.continuation)
        return request.continuation

    def _continuation_spans(self, prompts: list[str], requests: list[Request]
                            ) -> tuple[list[str], list[Any]]:
        """Full texts, and per row the continuation's token ids (or why there are none).

        One processor call encodes the full texts; the continuation's tokens are found by
        tokenising the texts alone (no media, so no second image pass): the prompt's tokens
        must be a prefix of the full text's, and the rest is the continuation, which the
        processor's encoding must end with (checked in the scoring stage).
        """
        scored = [self.scored_text(r) for r in requests]
        full = [p + s for p, s in zip(prompts, scored, strict=True)]
        special = self._special_tokens(full)
        with self._encode_lock:
            head_ids = self.tokenizer(prompts, add_special_tokens=special)["input_ids"]
            full_ids = self.tokenizer(full, add_special_tokens=special)["input_ids"]
        spans: list[Any] = []
        for head, whole, text in zip(head_ids, full_ids, scored, strict=True):
            if not text:
                spans.append("empty continuation")
            elif list(whole[:len(head)]) != list(head):
                spans.append("continuation changed the prompt's tokenisation")
            elif len(whole) == len(head):
                spans.append("empty continuation")
            else:
                spans.append(list(whole[len(head):]))
        return full, spans

    def _loglikelihood_prepared(self, enc: Encoded) -> list[LogLikelihood]:
        """Sum of log p(continuation tokens | prompt) over the continuation's positions only.

        Right padding keeps every real token at its unpadded position, so no position ids
        need rebuilding; the model returns logits only from the earliest continuation
        position on (``logits_to_keep``), and only those rows are cast to float32.
        """
        import torch

        with self.timer.phase("model"):
            tensors = runtime.to_device(enc.tensors, self.model.device)
            ids, mask = tensors["input_ids"], tensors["attention_mask"]
            ends = mask.sum(dim=1).tolist()
            spans = [(e - len(s), e) if isinstance(s, list) else None
                     for s, e in zip(enc.extra, ends, strict=True)]
            firsts = [a for a, _ in (s for s in spans if s is not None)]
            length = ids.shape[1]
            keep = length - (min(firsts) - 1) if firsts else 1
            with torch.inference_mode():
                logits = self.model(**tensors, logits_to_keep=keep).logits
        with self.timer.phase("postprocess"):
            return runtime.span_logprobs(logits, ids, spans, enc.extra, length - keep)

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
        runtime.free_cuda()


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
