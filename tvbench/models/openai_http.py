"""OpenAI-compatible chat completions over HTTP (vLLM serve, TGI, SGLang, hosted APIs).

Each item is one ``POST {base_url}/chat/completions``. Requests run on a small pool of
daemon threads (``concurrency``); results come back in input order and reach ``on_batch`` in
the order they finish. When the caller stops (Ctrl-C, or ``on_batch`` raising), the pool is
abandoned at once: no new request starts, and a request hung on a dead server neither
delays the caller nor holds the interpreter open at exit. Transient failures (429, 5xx,
connection errors, timeouts) are retried with exponential back-off, jitter and
``Retry-After``; anything else, and anything still failing after ``max_retries``, becomes
that item's error so one bad request never ends a run.

The API key is read from the environment variable named by ``api_key_env`` and lives only in
the HTTP client's headers: it is kept out of the spec, reprs, and (redacted) error texts.
"""

from __future__ import annotations

import os
import queue
import random
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import TYPE_CHECKING, Any, TypeVar

from tvbench.data.inputs import GenerationSettings, ModelInput, ScoringSettings
from tvbench.models.base import (
    Capability,
    CapabilityError,
    Generation,
    LogLikelihood,
    ModelSpec,
    OnBatch,
)
from tvbench.models.batching import cut_at_stop
from tvbench.models.openai_wire import (
    MAX_VIDEO_FRAMES,
    backoff_delay,
    parse_retry_after,
    public_url,
    reply_text,
    request_body,
    retryable_status,
    served_by,
)

if TYPE_CHECKING:
    import httpx

    from tvbench.models.registry import ModelEntry

DEFAULT_KEY_ENV = "OPENAI_API_KEY"


class _Secret:
    """Holds the API key; never shows it."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<redacted>" if self.value else "<none>"

    def redact(self, text: str) -> str:
        return text.replace(self.value, "<redacted>") if self.value else text


T = TypeVar("T")


class _DaemonPool:
    """A minimal thread pool whose workers are daemon threads.

    ``concurrent.futures.ThreadPoolExecutor`` joins its workers when the interpreter exits,
    so one request hung on a dead server kept a stopped run alive for its whole timeout,
    and a second Ctrl-C there printed a threading traceback. These workers are never waited
    for: :meth:`abandon` cancels what has not started and lets the rest die with the process.
    """

    def __init__(self, workers: int, name: str) -> None:
        self._jobs: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = (
            queue.SimpleQueue())
        self._workers = workers
        for i in range(workers):
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True).start()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            fut, fn = job
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(fn())
            except BaseException as exc:  # handed to the caller through the future
                fut.set_exception(exc)

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        fut: Future[T] = Future()
        self._jobs.put((fut, fn))
        return fut

    def abandon(self, futures: Sequence[Future[Any]]) -> None:
        """Cancel futures not started yet, and let every worker exit after its job."""
        for fut in futures:
            fut.cancel()
        for _ in range(self._workers):
            self._jobs.put(None)


# --------------------------------------------------------------------------- adapter
class OpenAIAdapter:
    """Generation through an OpenAI-compatible ``/chat/completions`` endpoint."""

    family = "openai"
    version = 1
    capabilities: frozenset[Capability] = frozenset(
        {Capability.GENERATE, Capability.IMAGE, Capability.MULTI_IMAGE, Capability.VIDEO})

    def __init__(self, base_url: str, model: str, *, name: str | None = None,
                 api_key_env: str | None = DEFAULT_KEY_ENV, concurrency: int = 8,
                 timeout: float = 120.0, max_retries: int = 5, max_frames: int = 32,
                 seen_languages: Sequence[str] | None = None, backoff_base: float = 1.0,
                 backoff_cap: float = 60.0) -> None:
        import httpx

        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url {public_url(base_url)!r}: expected http(s)://HOST/v1")
        if concurrency < 1 or max_retries < 0 or timeout <= 0:
            raise ValueError("concurrency must be >= 1, max_retries >= 0 and timeout > 0")
        self.model = model
        self.concurrency = concurrency
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self.max_frames = min(MAX_VIDEO_FRAMES, max_frames)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.api_key_env = api_key_env or DEFAULT_KEY_ENV
        self._secret = _Secret(os.environ.get(self.api_key_env, ""))
        self._url = base_url.rstrip("/") + "/chat/completions"
        headers = {"Content-Type": "application/json"}
        if self._secret.value:
            headers["Authorization"] = f"Bearer {self._secret.value}"
        self._client: httpx.Client = httpx.Client(
            headers=headers, timeout=httpx.Timeout(self.timeout),
            limits=httpx.Limits(max_connections=concurrency,
                                max_keepalive_connections=concurrency))
        self._rng = random.Random()
        self._lock = threading.Lock()
        self._served: dict[tuple[str | None, str | None], int] = {}
        self.spec = ModelSpec(
            name=name or model, family=self.family, adapter="openai-chat",
            adapter_version=self.version, source=public_url(base_url), revision=model,
            dtype="n/a", seen_languages=tuple(seen_languages) if seen_languages is not None
            else None, settings=self.settings())

    @classmethod
    def from_entry(cls, entry: ModelEntry) -> OpenAIAdapter:
        if not entry.base_url:
            raise ValueError(f"model {entry.name!r}: backend 'openai' needs base_url")
        return cls(entry.base_url, entry.model or entry.name, name=entry.name,
                   api_key_env=entry.api_key_env, concurrency=entry.concurrency,
                   timeout=entry.timeout, max_retries=entry.max_retries,
                   max_frames=entry.max_frames, seen_languages=entry.languages())

    def settings(self) -> dict[str, Any]:
        """Recorded in the spec: transport knobs and the video frame cap, never the key."""
        return {"concurrency": self.concurrency, "timeout": self.timeout,
                "max_retries": self.max_retries, "video_frames": self.max_frames}

    def served(self) -> list[dict[str, Any]]:
        """What the server said answered this run's requests, with reply counts."""
        with self._lock:
            seen = dict(self._served)
        return [{"model": m, "system_fingerprint": f, "replies": n}
                for (m, f), n in sorted(seen.items(), key=lambda kv: str(kv[0]))]

    def __repr__(self) -> str:
        return (f"OpenAIAdapter(source={self.spec.source!r}, model={self.model!r}, "
                f"api_key_env={self.api_key_env!r}, key={self._secret!r})")

    # ---------------------------------------------------------------- generation
    def generate(self, inputs: Sequence[ModelInput], settings: GenerationSettings, *,
                 batch_size: int = 1, on_batch: OnBatch[Generation] | None = None,
                 batch_tokens: int | None = None) -> list[Generation]:
        """Every item is its own request (``batch_size`` and ``batch_tokens`` do not apply
        over HTTP); up to
        ``concurrency`` are in flight, and ``on_batch`` fires as they complete."""
        items = list(inputs)
        out: list[Generation | None] = [None] * len(items)
        if not items:
            return []
        abort = threading.Event()
        pool = _DaemonPool(min(self.concurrency, len(items)), "tvbench-openai")
        index: dict[Future[Generation], int] = {}
        queued = iter(enumerate(items))
        pending: set[Future[Generation]] = set()

        def top_up() -> None:
            # At most ``concurrency`` requests exist at once, and a new one is made only
            # after the caller has seen a result: when on_batch stops the run (fail-fast),
            # no request it did not want has been sent.
            while len(pending) < self.concurrency:
                nxt = next(queued, None)
                if nxt is None:
                    return
                i, inp = nxt
                fut = pool.submit(lambda inp=inp: self._complete(inp, settings, abort))
                index[fut] = i
                pending.add(fut)

        try:
            top_up()
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                chunk = sorted(index[f] for f in done)
                by_index = {index[f]: f for f in done}
                results = [self._result(by_index[i]) for i in chunk]
                for i, r in zip(chunk, results, strict=True):
                    out[i] = r
                if on_batch is not None:
                    on_batch(chunk, results)
                top_up()
        finally:
            abort.set()  # stopped or finished: no worker starts another attempt
            pool.abandon(list(index))
        return out  # type: ignore[return-value]

    def _result(self, fut: Future[Generation]) -> Generation:
        try:
            return fut.result()
        except Exception as exc:  # _complete catches everything; this is a last guard
            return Generation("", 0, self._describe(exc))

    def _complete(self, inp: ModelInput, settings: GenerationSettings,
                  abort: threading.Event) -> Generation:
        """One item, with retries; every failure comes back as ``Generation.error``."""
        try:
            body = request_body(self.model, inp, settings, self.max_frames)
            data = self._post(body, abort)
            text, n_tokens = reply_text(data)
            with self._lock:
                key = served_by(data)
                self._served[key] = self._served.get(key, 0) + 1
        except _RequestError as exc:
            return Generation("", 0, self._secret.redact(str(exc))[:500])
        except Exception as exc:
            return Generation("", 0, self._describe(exc))
        return Generation(cut_at_stop(text, settings.stop), n_tokens)

    def _post(self, body: dict[str, Any], abort: threading.Event) -> Any:
        import httpx

        last = ""
        attempts = self.max_retries + 1
        for attempt in range(attempts):
            if abort.is_set():
                raise _RequestError("cancelled")
            retry_after: float | None = None
            try:
                resp = self._client.post(self._url, json=body)
            except httpx.TimeoutException as exc:
                last = f"timed out after {self.timeout:g}s ({type(exc).__name__})"
            except httpx.TransportError as exc:
                last = f"connection error: {type(exc).__name__}: {exc}"
            else:
                if resp.status_code == 200:
                    try:
                        return resp.json()
                    except ValueError:
                        raise _RequestError(
                            f"HTTP 200 with a body that is not JSON: {_excerpt(resp)}") from None
                last = f"HTTP {resp.status_code}: {_excerpt(resp)}"
                if not retryable_status(resp.status_code):
                    if resp.status_code in (401, 403) and not self._secret.value:
                        last += f" (no API key: ${self.api_key_env} is not set)"
                    raise _RequestError(last)
                retry_after = parse_retry_after(resp.headers)
            if attempt + 1 < attempts:
                abort.wait(backoff_delay(attempt, base=self.backoff_base, cap=self.backoff_cap,
                                         retry_after=retry_after, rng=self._rng))
        raise _RequestError(f"failed after {attempts} attempts: {last}")

    def _describe(self, exc: BaseException) -> str:
        return self._secret.redact(f"{type(exc).__name__}: {exc}")[:500]

    # ---------------------------------------------------------------- scoring
    def loglikelihood(self, inputs: Sequence[ModelInput], continuations: Sequence[str], *,
                      batch_size: int = 1, on_batch: OnBatch[LogLikelihood] | None = None,
                      batch_tokens: int | None = None,
                      scoring: ScoringSettings | None = None) -> list[LogLikelihood]:
        raise CapabilityError("the OpenAI chat completions API returns no prompt "
                              "log-probabilities; run log-likelihood tasks with the hf or "
                              "vllm backend")

    def close(self) -> None:
        self._client.close()


class _RequestError(Exception):
    """A request that failed for good; its message is the item's error."""


def _excerpt(resp: httpx.Response, limit: int = 200) -> str:
    text = resp.text.strip().replace("\n", " ")
    return text[:limit] + ("..." if len(text) > limit else "")
