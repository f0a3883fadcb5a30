"""The vLLM backend (``pip install "tvbench[vllm]"``): offline ``LLM.generate`` with media.

Prompts come from the checkpoint's own chat template (``apply_chat_template(tokenize=False)``)
laid out exactly as the transformers adapters lay them out, so both backends show a model the
same text; vLLM expands the media placeholders itself. Images go in as PIL images, video as
decoded frame arrays (native families) or as a capped run of frames (the others).
Log-likelihoods use ``prompt_logprobs``: the continuation is appended to the prompt and the
log-probabilities of its tokens, the prompt's tail, are summed (with ``scoring.span="turn"``
the continuation is the whole reply turn the chat template writes, end-of-turn included).

The request building is pure functions, tested without vLLM; vLLM is imported only when an
adapter is constructed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tvbench.data.inputs import GenerationSettings, ModelInput, ScoringSettings, with_reply
from tvbench.models import chat_layout
from tvbench.models.base import Capability, Generation, LogLikelihood, ModelSpec, OnBatch
from tvbench.models.batching import cut_at_stop, isolate_failures, run_batched
from tvbench.models.families import get_family

INSTALL_HINT = 'the vLLM backend needs vLLM, which is not installed: pip install "tvbench[vllm]"'


class VLLMUnavailable(RuntimeError):
    """vLLM is not installed (a RuntimeError so the CLI prints the hint, not a traceback)."""


# --------------------------------------------------------------------------- pure building
def video_mode(family: str, model_type: str | None) -> str:
    """"native" when the family's spec says the checkpoint takes video itself, else "frames"."""
    return get_family(family).video_mode_for(model_type)


def chat_messages(inp: ModelInput, *, family: str, mode: str, max_frames: int,
                  image_token: str = "<image>", video_token: str = "<video>"
                  ) -> list[dict[str, Any]]:
    """The same layout as the transformers adapters (:mod:`tvbench.models.chat_layout`)."""
    return chat_layout.messages(inp, get_family(family).chat_layout, mode, max_frames,
                                image_token, video_token)


def prompt_text(processor: Any, messages: list[dict[str, Any]]) -> str:
    """The chat template's text with unexpanded media placeholders (vLLM expands them).

    A leading BOS is dropped when the tokenizer adds one itself, as vLLM tokenises text
    prompts with special tokens: the model then sees one BOS, not two.
    """
    text = str(processor.apply_chat_template(messages, add_generation_prompt=True,
                                             tokenize=False))
    tok = getattr(processor, "tokenizer", processor)
    bos = getattr(tok, "bos_token", None)
    if bos and text.startswith(bos):
        ids = tok("a", add_special_tokens=True)["input_ids"]
        if ids and ids[0] == tok.bos_token_id:
            text = text[len(bos):]
    return text


def multi_modal_data(inp: ModelInput, *, mode: str, max_frames: int) -> dict[str, Any]:
    """``multi_modal_data`` for one prompt: PIL images and (T, H, W, 3) frame arrays, in
    prompt order; empty when the input has no media."""
    images, videos = chat_layout.media(inp, mode, max_frames)
    data: dict[str, Any] = {}
    if images:
        data["image"] = images
    if videos:
        data["video"] = videos
    return data


def vllm_request(prompt: str, mm_data: Mapping[str, Any]) -> dict[str, Any]:
    req: dict[str, Any] = {"prompt": prompt}
    if mm_data:
        req["multi_modal_data"] = dict(mm_data)
    return req


def sampling_kwargs(settings: GenerationSettings) -> dict[str, Any]:
    """``SamplingParams`` arguments: greedy at temperature 0; seeded when sampling."""
    kw: dict[str, Any] = {"n": 1, "max_tokens": settings.max_new_tokens,
                          "temperature": 0.0 if settings.greedy else settings.temperature}
    stops = [s for s in settings.stop if s]
    if stops:
        kw["stop"] = stops
    if not settings.greedy:
        kw["seed"] = 0
    return kw


#: ``SamplingParams`` for scoring: one throwaway token, and the log-probability of every
#: prompt token (``prompt_logprobs=0``: only the actual token, no alternatives).
LOGLIKELIHOOD_KWARGS: dict[str, Any] = {"n": 1, "max_tokens": 1, "temperature": 0.0,
                                        "prompt_logprobs": 0}


def limit_mm_per_prompt(mode: str) -> dict[str, int]:
    return {"image": chat_layout.MAX_IMAGE_FRAMES, "video": 1} if mode == "native" else {
        "image": chat_layout.MAX_IMAGE_FRAMES}


def engine_kwargs(source: str, *, revision: str | None, dtype: str, tensor_parallel_size: int,
                  gpu_memory_utilization: float, limits: Mapping[str, int],
                  trust_remote_code: bool, processor_kwargs: Mapping[str, Any]
                  ) -> dict[str, Any]:
    """``vllm.LLM`` arguments."""
    kw: dict[str, Any] = {"model": source, "dtype": dtype,
                          "tensor_parallel_size": tensor_parallel_size,
                          "gpu_memory_utilization": gpu_memory_utilization,
                          "limit_mm_per_prompt": dict(limits),
                          "trust_remote_code": trust_remote_code, "seed": 0}
    if revision:
        kw["revision"] = kw["tokenizer_revision"] = revision
    if processor_kwargs:
        kw["mm_processor_kwargs"] = dict(processor_kwargs)
    return kw


def continuation_ids(tokenizer: Any, prompt: str, continuation: str) -> list[int]:
    """Token ids of ``continuation`` as it tokenises after ``prompt``.

    ValueError when appending it changes how the prompt itself tokenises (no clean boundary)
    or when it is empty.
    """
    head = list(tokenizer(prompt)["input_ids"])
    full = list(tokenizer(prompt + continuation)["input_ids"])
    if full[:len(head)] != head:
        raise ValueError("continuation changed the prompt's tokenisation")
    if len(full) == len(head):
        raise ValueError("empty continuation")
    return full[len(head):]


def continuation_logprob(prompt_token_ids: Sequence[int],
                         prompt_logprobs: Sequence[Mapping[int, Any] | None],
                         cont_ids: Sequence[int]) -> float:
    """Sum of the logprobs vLLM reported for the last ``len(cont_ids)`` prompt tokens.

    The engine's token ids must end with ``cont_ids``; otherwise vLLM tokenised the text
    differently and the boundary is unknown (ValueError).
    """
    n = len(cont_ids)
    ids = list(prompt_token_ids)
    if n == 0 or n >= len(ids) or ids[-n:] != list(cont_ids):
        raise ValueError("vLLM's prompt tokens do not end with the continuation's tokens")
    if len(prompt_logprobs) != len(ids):
        raise ValueError("vLLM returned prompt logprobs for a different number of tokens")
    total = 0.0
    for pos in range(len(ids) - n, len(ids)):
        entry = prompt_logprobs[pos]
        if entry is None or ids[pos] not in entry:
            raise ValueError(f"no logprob for prompt token {pos}")
        lp = entry[ids[pos]]
        total += float(getattr(lp, "logprob", lp))
    return total


# --------------------------------------------------------------------------- adapter
def import_vllm() -> Any:
    try:
        import vllm
    except ImportError as exc:
        raise VLLMUnavailable(INSTALL_HINT) from exc
    return vllm


class VLLMAdapter:
    """Offline vLLM engine for every family; same prompts as the transformers adapters."""

    version = 1
    capabilities: frozenset[Capability] = frozenset(
        {Capability.GENERATE, Capability.LOGLIKELIHOOD, Capability.IMAGE,
         Capability.MULTI_IMAGE, Capability.VIDEO})

    def __init__(self, source: str, *, family: str, name: str | None = None,
                 revision: str | None = None, dtype: str = "auto", tensor_parallel_size: int = 1,
                 gpu_memory_utilization: float = 0.9, max_frames: int = 32,
                 trust_remote_code: bool = False,
                 processor_kwargs: Mapping[str, Any] | None = None,
                 seen_languages: Sequence[str] | None = None,
                 batch_invariant: bool = False) -> None:
        if batch_invariant:  # vLLM reads it when the engine starts (docs: batch invariance)
            os.environ["VLLM_BATCH_INVARIANT"] = "1"
        self._vllm = import_vllm()
        from transformers import AutoConfig, AutoProcessor

        local = Path(source).expanduser().exists()
        hub_kw: dict[str, Any] = {"trust_remote_code": trust_remote_code}
        if revision and not local:
            hub_kw["revision"] = revision
        self.family = family
        self.max_frames = max_frames
        self.processor_kwargs = dict(processor_kwargs or {})
        model_type = getattr(AutoConfig.from_pretrained(source, **hub_kw), "model_type", None)
        self.mode = video_mode(family, model_type)
        self.processor = AutoProcessor.from_pretrained(source, **hub_kw, **self.processor_kwargs)
        self.tokenizer = getattr(self.processor, "tokenizer", self.processor)
        self.limits = limit_mm_per_prompt(self.mode)
        self.llm = self._vllm.LLM(**engine_kwargs(
            source, revision=None if local else revision, dtype=dtype,
            tensor_parallel_size=tensor_parallel_size,
            gpu_memory_utilization=gpu_memory_utilization, limits=self.limits,
            trust_remote_code=trust_remote_code, processor_kwargs=self.processor_kwargs))
        settings = {"video_mode": self.mode, "max_frames": max_frames,
                    "tensor_parallel_size": tensor_parallel_size,
                    "gpu_memory_utilization": gpu_memory_utilization,
                    "vllm": str(getattr(self._vllm, "__version__", "unknown")),
                    **self.processor_kwargs}
        if batch_invariant:
            settings["batch_invariant"] = True
        self.spec = ModelSpec(
            name=name or Path(source).name, family=family, adapter=f"vllm-{family}",
            adapter_version=self.version, source=source,
            revision=_revision(source, revision, local), dtype=self._engine_dtype(dtype),
            seen_languages=tuple(seen_languages) if seen_languages is not None else None,
            settings=settings)

    @classmethod
    def from_entry(cls, entry: Any, *, dtype: str = "auto") -> VLLMAdapter:
        if not entry.family or not entry.path:
            raise ValueError(f"model {entry.name!r}: the vLLM backend needs family and path, "
                             "as in vllm:FAMILY:PATH_OR_HUB_ID[@REVISION]")
        return cls(entry.path, family=entry.family, name=entry.name, revision=entry.revision,
                   dtype=dtype, tensor_parallel_size=entry.tensor_parallel_size,
                   gpu_memory_utilization=entry.gpu_memory_utilization,
                   max_frames=entry.max_frames, trust_remote_code=entry.trust_remote_code,
                   processor_kwargs=entry.processor_kwargs, seen_languages=entry.languages(),
                   batch_invariant=entry.batch_invariant)

    def _engine_dtype(self, requested: str) -> str:
        config = getattr(getattr(self.llm, "llm_engine", None), "model_config", None)
        found = getattr(config, "dtype", None)
        return str(found).replace("torch.", "") if found is not None else requested

    # ---------------------------------------------------------------- requests
    def prompt(self, inp: ModelInput) -> str:
        messages = chat_messages(
            inp, family=self.family, mode=self.mode, max_frames=self.max_frames,
            image_token=str(getattr(self.processor, "image_token", "<image>")),
            video_token=str(getattr(self.processor, "video_token", "<video>")))
        return prompt_text(self.processor, messages)

    def media(self, inp: ModelInput) -> dict[str, Any]:
        return multi_modal_data(inp, mode=self.mode, max_frames=self.max_frames)

    def reply_text(self, inp: ModelInput, continuation: str) -> str:
        """``continuation`` as the assistant's whole turn, end-of-turn tokens included (the
        same text the transformers adapter scores for ``scoring.span="turn"``)."""
        def messages(x: ModelInput) -> list[dict[str, Any]]:
            return chat_messages(
                x, family=self.family, mode=self.mode, max_frames=self.max_frames,
                image_token=str(getattr(self.processor, "image_token", "<image>")),
                video_token=str(getattr(self.processor, "video_token", "<video>")))

        def render(msgs: list[dict[str, Any]], generation_prompt: bool) -> str:
            return str(self.processor.apply_chat_template(
                msgs, add_generation_prompt=generation_prompt, tokenize=False))

        return chat_layout.reply_tail(render, messages(inp),
                                      messages(with_reply(inp, continuation)))

    @staticmethod
    def _length(inp: ModelInput) -> int:
        return len(inp.render()) + 256 * (len(inp.images) + 8 * len(inp.videos))

    # ---------------------------------------------------------------- generation
    def generate(self, inputs: Sequence[ModelInput], settings: GenerationSettings, *,
                 batch_size: int = 1, on_batch: OnBatch[Generation] | None = None,
                 batch_tokens: int | None = None) -> list[Generation]:
        """``batch_size`` items go to each ``LLM.generate`` call (vLLM schedules within it;
        the size bounds the work lost on a crash). ``batch_tokens`` does not apply: vLLM's
        scheduler packs tokens itself (its ``max_num_batched_tokens``)."""
        params = self._vllm.SamplingParams(**sampling_kwargs(settings))

        def batch(items: list[ModelInput]) -> list[Generation]:
            requests = [vllm_request(self.prompt(i), self.media(i)) for i in items]
            outputs = self.llm.generate(requests, params, use_tqdm=False)
            results = []
            for out in outputs:
                completion = out.outputs[0]
                results.append(Generation(cut_at_stop(completion.text, settings.stop),
                                          len(completion.token_ids)))
            return results

        fn = isolate_failures(batch, lambda _i, exc: Generation("", 0, _describe(exc)))
        return run_batched(inputs, fn, batch_size=batch_size, length=self._length,
                           on_batch=on_batch)

    # ---------------------------------------------------------------- scoring
    def loglikelihood(self, inputs: Sequence[ModelInput], continuations: Sequence[str], *,
                      batch_size: int = 1, on_batch: OnBatch[LogLikelihood] | None = None,
                      batch_tokens: int | None = None,
                      scoring: ScoringSettings | None = None) -> list[LogLikelihood]:
        if len(inputs) != len(continuations):
            raise ValueError("loglikelihood needs one continuation per input")
        params = self._vllm.SamplingParams(**LOGLIKELIHOOD_KWARGS)
        turn = scoring is not None and scoring.span == "turn"

        def batch(items: list[tuple[ModelInput, str]]) -> list[LogLikelihood]:
            requests, conts = [], []
            for inp, cont in items:
                prompt = self.prompt(inp)
                if turn:
                    cont = self.reply_text(inp, cont)
                conts.append(continuation_ids(self.tokenizer, prompt, cont))
                requests.append(vllm_request(prompt + cont, self.media(inp)))
            outputs = self.llm.generate(requests, params, use_tqdm=False)
            results = []
            for out, ids in zip(outputs, conts, strict=True):
                total = continuation_logprob(out.prompt_token_ids, out.prompt_logprobs, ids)
                results.append(LogLikelihood(total, total / len(ids), len(ids)))
            return results

        fn = isolate_failures(batch, lambda _i, exc: LogLikelihood(float("nan"), float("nan"),
                                                                   0, _describe(exc)))
        pairs = list(zip(inputs, continuations, strict=True))
        return run_batched(pairs, fn, batch_size=batch_size,
                           length=lambda p: self._length(p[0]) + len(p[1]), on_batch=on_batch)

    def close(self) -> None:
        """Drop the engine so a following model can take the GPU."""
        self.llm = None
        import gc

        gc.collect()


def _revision(source: str, revision: str | None, local: bool) -> str:
    if local:
        from tvbench.models.checkpoint import checkpoint_revision

        return checkpoint_revision(Path(source).expanduser())
    return revision or "unpinned"


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
