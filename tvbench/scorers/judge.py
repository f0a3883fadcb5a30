"""An LLM judge over any tvbench Adapter: cached on disk, retried with backoff, loaded lazily.

The judge is just another model behind the :class:`~tvbench.models.base.Adapter` protocol
(a local checkpoint, vLLM, or the OpenAI-compatible HTTP adapter), so tasks stay free of
API code. Replies are cached in a JSONL file keyed by ``sha256(identity, settings, prompt)``:
a rerun, or a resumed run, asks the judge nothing it has already answered. A reply that is
not a score is a per-item error, never a zero (the official ALM-Bench scorer silently
returned 0 on API errors; tvbench does not).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tvbench.cache import cache_root
from tvbench.data.inputs import GenerationSettings, ModelInput
from tvbench.models.base import Adapter

#: Greedy, short: every supported judge prompt asks for a bare number. The official ALM-Bench
#: scorer used the API's default temperature; greedy decoding is what makes a cache sound.
JUDGE_SETTINGS = GenerationSettings(max_new_tokens=32)
#: Prompts per judge batch (a local judge model; served judges send one request per prompt).
JUDGE_BATCH_SIZE = 8
DEFAULT_MAX_RETRIES = 3
NO_JUDGE = "no judge configured ([judge] model in tvbench.toml)"


@dataclass(frozen=True)
class Verdict:
    """One judged item: the parsed value, the judge's raw reply, or why there is none."""

    value: float | None
    reply: str | None
    error: str | None = None
    cached: bool = False


class JudgeCache:
    """Append-only JSONL of ``{"key", "identity", "reply"}``; a torn last line is ignored."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, str] | None = None

    def _load(self) -> dict[str, str]:
        if self._entries is None:
            self._entries = {}
            if self.path.is_file():
                for line in self.path.read_text("utf-8").splitlines():
                    try:
                        row = json.loads(line)
                        self._entries[str(row["key"])] = str(row["reply"])
                    except (ValueError, KeyError, TypeError):
                        continue  # a line cut short by a crash: that item is judged again
        return self._entries

    def get(self, key: str) -> str | None:
        return self._load().get(key)

    def put(self, key: str, identity: str, reply: str) -> None:
        self._load()[key] = reply
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"key": key, "identity": identity, "reply": reply},
                          ensure_ascii=False)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()


class Judge:
    """Scores rendered judge prompts with a model that is loaded on first use."""

    def __init__(self, identity: str, load: Callable[[], Adapter], *,
                 cache: JudgeCache | None = None, max_retries: int = DEFAULT_MAX_RETRIES,
                 backoff_s: float = 2.0, settings: GenerationSettings = JUDGE_SETTINGS,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if max_retries < 0:
            raise ValueError(f"judge max_retries must be >= 0, got {max_retries}")
        self.identity = identity
        self._load = load
        self._adapter: Adapter | None = None
        self.cache = cache
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.settings = settings
        self._sleep = sleep

    def describe(self, template_hash: str) -> str:
        """The judge's part of a metric description (and so of every signature)."""
        return f"judge[{self.identity},tpl:{template_hash},{self.settings.describe()}]"

    def key(self, prompt: str) -> str:
        blob = "\x00".join((self.identity, self.settings.describe(), prompt))
        return hashlib.sha256(blob.encode()).hexdigest()

    @property
    def adapter(self) -> Adapter:
        if self._adapter is None:
            self._adapter = self._load()
        return self._adapter

    def replies(self, prompts: Sequence[str]) -> list[tuple[str | None, str | None, bool]]:
        """``(reply, error, cached)`` per prompt; only uncached prompts reach the model."""
        out: list[tuple[str | None, str | None, bool]] = [(None, None, False)] * len(prompts)
        pending: list[int] = []
        for i, prompt in enumerate(prompts):
            hit = self.cache.get(self.key(prompt)) if self.cache else None
            if hit is not None:
                out[i] = (hit, None, True)
            else:
                pending.append(i)
        errors: dict[int, str] = {}
        for attempt in range(self.max_retries + 1):
            if not pending:
                break
            if attempt:
                self._sleep(self.backoff_s * 2 ** (attempt - 1))
            pending, errors = self._attempt(prompts, pending, out)
        for i in pending:
            out[i] = (None, f"judge failed after {self.max_retries + 1} attempts: "
                            f"{errors.get(i, 'no reply')}", False)
        return out

    def _attempt(self, prompts: Sequence[str], pending: list[int],
                 out: list[tuple[str | None, str | None, bool]]
                 ) -> tuple[list[int], dict[int, str]]:
        inputs = [ModelInput.user(prompts[i]) for i in pending]
        try:
            generations = self.adapter.generate(inputs, self.settings,
                                                batch_size=JUDGE_BATCH_SIZE)
        except Exception as exc:  # backends raise many types; each means "this try failed"
            return pending, {i: f"{type(exc).__name__}: {exc}" for i in pending}
        still: list[int] = []
        errors: dict[int, str] = {}
        for i, gen in zip(pending, generations, strict=True):
            if gen.error or not gen.text.strip():
                still.append(i)
                errors[i] = gen.error or "empty reply"
                continue
            out[i] = (gen.text, None, False)
            if self.cache:
                self.cache.put(self.key(prompts[i]), self.identity, gen.text)
        return still, errors

    def score(self, prompts: Sequence[str], parse: Callable[[str], float | None]
              ) -> list[Verdict]:
        """Judge ``prompts`` and parse each reply; an unparsable reply is an error."""
        verdicts = []
        for reply, error, cached in self.replies(prompts):
            if reply is None:
                verdicts.append(Verdict(None, None, error, cached))
                continue
            value = parse(reply)
            verdicts.append(Verdict(value, reply, None if value is not None else
                                    f"judge reply is not a score: {reply[:80]!r}", cached))
        return verdicts

    def close(self) -> None:
        if self._adapter is not None:
            self._adapter.close()
            self._adapter = None


def entry_identity(entry: Any) -> str:
    """``model@revision`` of a ``[models]`` entry, known without loading it."""
    if entry.backend == "openai":
        model = entry.model or entry.name
    elif entry.path:
        model = entry.path
    else:
        model = f"tiny-{entry.family}" if entry.tiny else entry.name
    return f"{model}@{entry.revision or 'unpinned'}"


def default_cache_dir() -> Path:
    return cache_root() / "judge"


def cache_file(setting: str | None, config_path: str) -> Path:
    """``[judge] cache``: a ``.jsonl`` file or a folder (relative to tvbench.toml's folder)."""
    if not setting:
        return default_cache_dir() / "judge.jsonl"
    path = Path(setting).expanduser()
    if not path.is_absolute() and not config_path.startswith("<"):
        path = Path(config_path).parent / path
    return path if path.suffix == ".jsonl" else path / "judge.jsonl"


def judge_from_config(config: Any) -> tuple[Judge | None, str | None]:
    """The ``[judge]`` table as a lazily loaded :class:`Judge`, or ``(None, reason)``.

    ``model`` names an entry of ``[models]``; nothing is loaded until the first prompt. Like
    ``[comet]``, a judge that cannot be set up is a reason ("not scored: …"), not a crash.
    """
    table: Mapping[str, Any] = getattr(config, "judge", None) or {}
    name = table.get("model")
    if not name:
        return None, NO_JUDGE
    entry = config.models.get(name)
    if entry is None:
        import difflib

        close = difflib.get_close_matches(name, sorted(config.models), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        return None, f"[judge] model {name!r} is not an entry of [models]{hint}"
    retries = int(table.get("max_retries", DEFAULT_MAX_RETRIES))
    if retries < 0:
        return None, f"[judge] max_retries = {retries}: must be 0 or more"

    def load() -> Adapter:
        from tvbench.models.registry import load_adapter

        return load_adapter(entry)  # type: ignore[no-any-return]

    judge = Judge(entry_identity(entry), load,
                  cache=JudgeCache(cache_file(table.get("cache"), str(config.path))),
                  max_retries=retries)
    return judge, None
