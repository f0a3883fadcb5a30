"""One run per run folder: a second run refuses at once, a dead holder's lock is taken over.

The end-to-end test runs real ``tvbench`` processes against a real local HTTP server whose
answer to one item hangs, so the first run is certainly still running (and holding its
lock) when the second one starts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tvbench.runs.lock import LOCK_NAME, RunLock, RunLockedError

from ..models import fake_openai_server
from ..models.fake_openai_server import FakeOpenAIServer
from . import processes


def test_a_second_lock_on_a_folder_is_refused_naming_the_holder(tmp_path: Path) -> None:
    folder = tmp_path / "runs" / "m"
    with RunLock(folder) as lock:
        holder = json.loads((folder / LOCK_NAME).read_text())
        assert holder["pid"] == os.getpid() and holder["command"]
        assert lock.took_over is None
        with pytest.raises(RunLockedError, match=f"pid {os.getpid()} on .*wait for it"):
            RunLock(folder).acquire()
    assert not folder.exists(), "a run that wrote nothing leaves no folder behind"


def test_release_keeps_a_folder_the_run_wrote_to(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    with RunLock(folder):
        (folder / "results.json").write_text("{}")
    assert sorted(p.name for p in folder.iterdir()) == ["results.json"]


def test_a_stale_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    (folder / LOCK_NAME).write_text(json.dumps({"pid": pid, "host": "h", "command":
                                                "tvbench run --model x", "started": "then"}))
    with RunLock(folder) as lock:
        assert lock.took_over is not None
        assert f"pid {pid}" in lock.took_over and "has exited" in lock.took_over
        assert "tvbench run --model x" in lock.took_over
        assert json.loads((folder / LOCK_NAME).read_text())["pid"] == os.getpid()


@pytest.fixture
def hanging_server(monkeypatch: pytest.MonkeyPatch):
    """A server whose answer to one TextVQA question never comes while the test runs."""
    monkeypatch.setattr(fake_openai_server, "MAX_HANG_S", 600.0)
    with FakeOpenAIServer() as server:
        server.script.slow = {"What is the speed limit?": 600.0}
        yield server


@pytest.mark.slow
def test_two_real_runs_into_one_folder_the_second_refuses_then_takes_over_a_dead_one(
        hanging_server: FakeOpenAIServer, tmp_path: Path) -> None:
    args = ["run", "--model", f"openai:served@{hanging_server.url}", "--tasks", "textvqa",
            "--output", "out", "--no-report"]
    folder = tmp_path / "out" / "served"
    records = folder / "records" / "textvqa.jsonl"
    first = processes.start(args, tmp_path)
    try:
        processes.wait_for(lambda: len(processes.lines(records)) == 11,
                           "the first run to save 11 of 12 items", first)
        requests_before = len(hanging_server.requests)

        second = processes.run(args, tmp_path)

        assert second.returncode == 2, second.stdout + second.stderr
        assert f"is in use by another tvbench run (pid {first.pid} on " in second.stderr
        assert "--model openai:served@" in second.stderr, "the holder's command is named"
        assert len(hanging_server.requests) == requests_before, "the second run sent nothing"
        assert len(processes.lines(records)) == 11, "and wrote nothing"
    finally:
        first.send_signal(signal.SIGKILL)  # dies holding the lock, as a killed run does
        first.communicate()

    assert json.loads((folder / LOCK_NAME).read_text())["pid"] == first.pid
    hanging_server.script.slow = {}
    third = processes.run(args, tmp_path)

    assert third.returncode == 0, third.stdout + third.stderr
    assert "took over the stale lock" in third.stdout and f"pid {first.pid}" in third.stdout
    log = (folder / "run.log").read_text()
    assert f"took over the stale lock out/served/{LOCK_NAME}: its holder (pid {first.pid}" in log
    assert len(processes.lines(records)) == 12 and not (folder / LOCK_NAME).exists()
