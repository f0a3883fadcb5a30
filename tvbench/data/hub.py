"""Is the Hugging Face hub reachable, and is a checkpoint or data set in the local cache?

Without a connection, transformers and datasets retry every file with back-off: a run with a
hub id once spent 146 s in 30 retry messages before saying anything useful. tvbench asks
once instead (:func:`probe`, bounded in time even when DNS hangs) and, when the hub cannot
be reached, switches this process and its children (the COMET worker) to offline mode, so
what is cached loads at once and what is not fails at once. Nothing here imports the hub
libraries: they read the offline switches when they are first imported.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

DEFAULT_ENDPOINT = "https://huggingface.co"
PROBE_TIMEOUT_S = 5.0
_TRUE = {"1", "true", "yes", "on"}
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT).rstrip("/")


def offline_by_env() -> bool:
    """The user asked for offline mode (``HF_HUB_OFFLINE``, or the datasets/transformers one)."""
    return any(os.environ.get(k, "").strip().lower() in _TRUE
               for k in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"))


def probe(url: str | None = None, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """None when ``url`` (the hub) answers at all, else why not. One request, and never
    longer than ``timeout`` (it runs in a daemon thread, since name lookups ignore timeouts).
    """
    target = url or endpoint()
    outcome: list[str | None] = []

    def ask() -> None:
        try:
            request = urllib.request.Request(target, method="HEAD",
                                             headers={"User-Agent": "tvbench-probe"})
            urllib.request.urlopen(request, timeout=timeout).close()
            outcome.append(None)
        except urllib.error.HTTPError:
            outcome.append(None)  # it answered: reachable, whatever it said
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            outcome.append(f"{type(reason).__name__}: {reason}")

    thread = threading.Thread(target=ask, name="tvbench-hub-probe", daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    if not outcome:
        return f"no answer within {timeout:g} s"
    return outcome[0]


def go_offline() -> None:
    """Switch this process and its children to offline mode (libraries then fail at once
    instead of retrying). Libraries imported already get the switch set on them too."""
    for key in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ[key] = "1"
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        constants.HF_HUB_OFFLINE = True  # type: ignore[attr-defined]
    config = sys.modules.get("datasets.config")
    if config is not None:
        config.HF_HUB_OFFLINE = True  # type: ignore[attr-defined]


def _hf_folder(override: str, name: str) -> Path:
    """A Hugging Face cache folder as the libraries place it: ``$override``, else
    ``$HF_HOME/name``, else ``$XDG_CACHE_HOME`` (or ~/.cache) ``/huggingface/name``."""
    if os.environ.get(override):
        return Path(os.environ[override]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / name
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "huggingface" / name


def hub_cache() -> Path:
    """Where huggingface_hub keeps downloads (``HF_HUB_CACHE``, ``HF_HOME``, XDG, ~/.cache)."""
    return _hf_folder("HF_HUB_CACHE", "hub")


def datasets_cache() -> Path:
    return _hf_folder("HF_DATASETS_CACHE", "datasets")


def _snapshot(kind: str, repo: str, revision: str | None) -> Path | None:
    folder = hub_cache() / f"{kind}s--{repo.replace('/', '--')}"
    rev = revision or "main"
    if not _COMMIT.match(rev):
        try:
            rev = (folder / "refs" / rev).read_text().strip()
        except OSError:
            return None
    snap = folder / "snapshots" / rev
    return snap if snap.is_dir() else None


def model_cached(repo: str, revision: str | None, file: str = "config.json") -> bool:
    """The hub cache holds ``file`` of ``repo`` at ``revision`` (a commit, branch or tag)."""
    snap = _snapshot("model", repo, revision)
    return snap is not None and (snap / file).exists()


def dataset_cached(repo: str, revision: str | None) -> bool:
    """The hub cache holds a snapshot of the data set, or datasets has prepared a copy.

    The second is a folder per data set whatever its revision; datasets itself decides,
    offline, whether that copy can serve, so this errs on the side of letting it try.
    """
    if _snapshot("dataset", repo, revision) is not None:
        return True
    return (datasets_cache() / repo.replace("/", "___")).is_dir()


def looks_like_hub_id(path: str) -> bool:
    """``org/name``, not an existing local path."""
    if Path(path).expanduser().exists() or path.startswith((".", "/", "~")):
        return False
    parts = path.split("/")
    return len(parts) == 2 and all(parts)
