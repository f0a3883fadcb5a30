"""The hub, asked once: unreachable and uncached fails at once with one message naming the id,
the revision and HF_HUB_OFFLINE; unreachable but cached runs offline.

No test here touches the real hub. ``HF_ENDPOINT`` points at a local server that accepts a
connection and closes it at once (a hub that cannot be reached, counted), and
``HF_HUB_CACHE`` at an empty folder. Assertions are on messages and on the number of
connection attempts, never on time (the README and BENCHMARKS record the measured times).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tvbench.data import hub

from . import processes

GEMMA = "google/gemma-3-4b-it"
GEMMA_REV = "093f9f388b31de276ce2de164bdc2081324b9767"


class DeadHub:
    """Accepts TCP connections and closes them unanswered; counts them."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.connections = 0
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop = True
        self.sock.close()


@pytest.fixture
def dead_hub() -> Iterator[DeadHub]:
    server = DeadHub()
    yield server
    server.close()


def _online_env(dead: DeadHub, cache: Path) -> dict[str, str]:
    """The environment of a user who has not set HF_HUB_OFFLINE (conftest sets it for tests)."""
    return {"HF_HUB_OFFLINE": "", "HF_DATASETS_OFFLINE": "", "TRANSFORMERS_OFFLINE": "",
            "HF_ENDPOINT": dead.url, "HF_HUB_CACHE": str(cache / "hub"),
            "HF_DATASETS_CACHE": str(cache / "datasets")}


def test_probe_says_why_the_hub_cannot_be_reached(dead_hub: DeadHub) -> None:
    reason = hub.probe(dead_hub.url, timeout=5) or ""
    assert "ConnectionResetError" in reason or "RemoteDisconnected" in reason, reason
    assert dead_hub.connections == 1
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    assert "ConnectionRefusedError" in (hub.probe(closed, timeout=5) or "")


def test_probe_is_bounded_when_nothing_answers() -> None:
    with socket.socket() as s:  # listens, never accepts: the request waits for an answer
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        assert hub.probe(f"http://127.0.0.1:{s.getsockname()[1]}", timeout=0.5) is not None


def test_cache_lookup_follows_refs_and_commits(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    snap = tmp_path / "models--org--m" / "snapshots" / ("b" * 40)
    snap.mkdir(parents=True)
    (snap / "config.json").write_text("{}")
    assert hub.model_cached("org/m", "b" * 40) and not hub.model_cached("org/m", "c" * 40)
    assert not hub.model_cached("org/m", "main")
    (tmp_path / "models--org--m" / "refs").mkdir()
    (tmp_path / "models--org--m" / "refs" / "main").write_text("b" * 40)
    assert hub.model_cached("org/m", "main") and hub.model_cached("org/m", None)


@pytest.mark.slow
def test_an_unreachable_hub_fails_at_once_with_one_message(dead_hub: DeadHub,
                                                           tmp_path: Path) -> None:
    """The reported steps: a hub id with the hub unreachable and HF_HUB_OFFLINE unset."""
    proc = processes.run(["run", "--model", f"gemma3:{GEMMA}@{GEMMA_REV}", "--tasks", "textvqa",
                          "--output", "out"], tmp_path, _online_env(dead_hub, tmp_path))

    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert dead_hub.connections == 1, "one probe, no retries"
    errors = [x for x in proc.stderr.splitlines() if x.strip()]
    assert len(errors) == 1 and errors[0].startswith("tvbench: error: the hub at "), errors
    assert f"model '{GEMMA}' at revision {GEMMA_REV}" in errors[0]
    assert "HF_HUB_OFFLINE" in errors[0] and "cannot be reached" in errors[0]
    assert "retry" not in (proc.stdout + proc.stderr).lower()
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_data_from_an_unreachable_hub_fails_at_once_naming_the_dataset(
        dead_hub: DeadHub, tmp_path: Path) -> None:
    proc = processes.run(["run", "--model", "gemma3", "--tasks", "textvqa", "--data", "hub",
                          "--output", "out"], tmp_path, _online_env(dead_hub, tmp_path))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert dead_hub.connections == 1
    errors = [x for x in proc.stderr.splitlines() if x.strip()]
    assert len(errors) == 1, errors
    assert ("dataset 'lmms-lab/textvqa' at revision 9c0699cd19768ac5ab97568f6b3cbac4c0062884"
            in errors[0]) and "HF_HUB_OFFLINE" in errors[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_with_hf_hub_offline_set_nothing_is_asked_and_the_message_says_so(
        dead_hub: DeadHub, tmp_path: Path) -> None:
    env = {**_online_env(dead_hub, tmp_path), "HF_HUB_OFFLINE": "1"}
    proc = processes.run(["run", "--model", f"gemma3:{GEMMA}@{GEMMA_REV}", "--tasks", "textvqa"],
                         tmp_path, env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert dead_hub.connections == 0
    assert proc.stderr.startswith("tvbench: error: HF_HUB_OFFLINE is set, and the local cache")
    assert f"model '{GEMMA}' at revision {GEMMA_REV}" in proc.stderr
    assert "unset HF_HUB_OFFLINE to download" in proc.stderr


@pytest.mark.slow
def test_an_unreachable_hub_with_the_checkpoint_cached_runs_offline(
        dead_hub: DeadHub, tmp_path: Path) -> None:
    """A hub id whose files are in the cache: one probe, then everything loads offline."""
    from tvbench.models.tiny import build_tiny

    commit = "c" * 40
    repo = tmp_path / "hub" / "models--someone--tiny-gemma"
    build_tiny("gemma3", repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    proc = processes.run(["run", "--model", "gemma3:someone/tiny-gemma", "--tasks", "textvqa",
                          "--max-new-tokens", "4", "--output", "out", "--no-report"], tmp_path,
                         _online_env(dead_hub, tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert dead_hub.connections == 1
    assert "note: working offline from the local cache: the hub at" in proc.stdout
    assert len(processes.lines(tmp_path / "out/tiny-gemma/records/textvqa.jsonl")) == 12
