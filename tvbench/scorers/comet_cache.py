"""COMET segment scores cached on disk, so rescoring never runs COMET twice on one input.

Every run rescores its stored outputs, and Multi30K's headline metric is COMET: without a
cache each rerun started the COMET interpreter and scored every segment again (seconds on
a CPU for a tiny set, minutes for XCOMET-XL on a real one). Like the judge cache, this is an
append-only JSONL file; an entry is keyed by sha256(COMET model, source, hypothesis,
reference) and keeps the score and the description that goes into signatures. The model
part of the key is the configured hub id, or for a local checkpoint its path and a digest
of its contents, so a retrained checkpoint at the same path is not mistaken for the old one.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tvbench.cache import cache_root
from tvbench.scorers.comet import CometClient


def default_cache_file() -> Path:
    return cache_root() / "comet" / "segments.jsonl"


@dataclass(frozen=True)
class CachedScores:
    """Segment scores in request order and the model description they were made with."""

    scores: list[float]
    description: str

    def describe(self) -> str:
        return self.description


class CometScoreCache:
    """``{"key", "score", "describe"}`` lines; a torn last line (a crash) is ignored."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, tuple[float, str]] | None = None

    def _load(self) -> dict[str, tuple[float, str]]:
        if self._entries is None:
            self._entries = {}
            try:
                text = self.path.read_text("utf-8")
            except OSError:
                text = ""
            for line in text.splitlines():
                try:
                    row = json.loads(line)
                    self._entries[str(row["key"])] = (float(row["score"]), str(row["describe"]))
                except (ValueError, KeyError, TypeError):
                    continue
        return self._entries

    def get(self, key: str) -> tuple[float, str] | None:
        return self._load().get(key)

    def put(self, rows: Sequence[tuple[str, float, str]]) -> None:
        """Remember ``(key, score, describe)`` rows; a cache that cannot be written only
        costs a rerun its speed, never its scores."""
        entries = self._load()
        for key, score, describe in rows:
            entries[key] = (score, describe)
        data = "".join(json.dumps({"key": k, "score": s, "describe": d}, ensure_ascii=False)
                       + "\n" for k, s, d in rows)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    data = "\n" + data  # a line torn by a crash stays a line of its own
                os.write(fd, data.encode("utf-8"))
            finally:
                os.close(fd)
        except OSError:
            pass


class CachedComet:
    """A :class:`CometClient` that asks the worker only about segments it has not scored."""

    def __init__(self, client: CometClient, cache: CometScoreCache) -> None:
        self.client = client
        self.cache = cache
        self._model_key: str | None = None

    def model_key(self) -> str:
        """The configured model; a local checkpoint also by a digest of its contents."""
        if self._model_key is None:
            from tvbench.scorers.comet_worker import checkpoint_path, digest

            key = self.client.model
            if os.path.exists(key):
                try:
                    key += "#" + digest(checkpoint_path(key)[0])
                except OSError:
                    pass  # the worker will say what is wrong with it
            self._model_key = key
        return self._model_key

    def key(self, item: Mapping[str, str]) -> str:
        blob = "\x00".join((self.model_key(), str(item["src"]), str(item["mt"]),
                            str(item["ref"])))
        return hashlib.sha256(blob.encode()).hexdigest()

    def score(self, items: Sequence[Mapping[str, str]]) -> CachedScores:
        """Scores for ``items``: cached ones from disk, the rest from one worker call.

        Cached scores made by another COMET version or revision than the fresh ones are
        not mixed with them: then every segment is scored again.
        """
        if not items:
            raise ValueError("COMET needs at least one segment to score")
        keys = [self.key(x) for x in items]
        hits = [self.cache.get(k) for k in keys]
        made_by = {h[1] for h in hits if h is not None}
        everything = list(range(len(items)))
        todo = [i for i, h in enumerate(hits) if h is None]
        if not todo and len(made_by) == 1:
            return CachedScores([h[0] for h in hits if h is not None], made_by.pop())
        if len(made_by) > 1:
            todo = everything  # cached entries disagree among themselves
        fresh = self.client.score([items[i] for i in todo])
        if todo != everything and made_by != {fresh.describe()}:
            todo = everything  # the cached ones came from another model or COMET version
            fresh = self.client.score(items)
        describe = fresh.describe()
        out = [h[0] if h is not None else 0.0 for h in hits]
        for i, value in zip(todo, fresh.scores, strict=True):
            out[i] = float(value)
        self.cache.put([(keys[i], out[i], describe) for i in todo])
        return CachedScores(out, describe)
