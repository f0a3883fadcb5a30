"""Ctrl-C during a hung HTTP request: finished items are saved, the command says how to
resume, and a second Ctrl-C ends the process without a traceback.

Real ``tvbench`` processes and SIGINT, against a real local server whose answer to one item
never comes while the test runs. The assertions are on output, exit status and the records
on disk; how long the stop takes is measured for the README, not asserted here.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ..models import fake_openai_server
from ..models.fake_openai_server import FakeOpenAIServer
from ..runs import processes

HUNG = "What is the speed limit?"  # one TextVQA question (tasks/bundled/textvqa)


@pytest.fixture
def hanging_server(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(fake_openai_server, "MAX_HANG_S", 600.0)
    with FakeOpenAIServer() as server:
        server.script.slow = {HUNG: 600.0}
        yield server


def _start(server: FakeOpenAIServer, tmp_path: Path) -> tuple[subprocess.Popen[str], Path]:
    args = ["run", "--model", f"openai:served@{server.url}", "--tasks", "textvqa", "--output",
            "out", "--no-report"]
    records = tmp_path / "out" / "served" / "records" / "textvqa.jsonl"
    proc = processes.start(args, tmp_path)
    processes.wait_for(lambda: len(processes.lines(records)) == 11 and any(
        HUNG in str(r["body"]) for r in server.requests), "11 items saved, 1 request hung", proc)
    return proc, records


@pytest.mark.slow
def test_ctrl_c_during_a_hung_request_saves_the_finished_items_and_says_how_to_resume(
        hanging_server: FakeOpenAIServer, tmp_path: Path) -> None:
    proc, records = _start(hanging_server, tmp_path)

    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=processes.PATIENCE_S)

    assert proc.returncode == 130, out + err
    assert "tvbench: interrupted; every finished item is saved. Resume with: tvbench --quiet " \
           f"run --model openai:served@{hanging_server.url} --tasks textvqa" in err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert len(processes.lines(records)) == 11
    folder = tmp_path / "out" / "served"
    assert "interrupted (Ctrl-C)" in (folder / "run.log").read_text()
    assert not (folder / ".tvbench.lock").exists(), "the lock is released"

    hanging_server.script.slow = {}
    asked = len(hanging_server.requests)
    resumed = processes.run(["run", "--model", f"openai:served@{hanging_server.url}",
                             "--tasks", "textvqa", "--output", "out", "--no-report"], tmp_path)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert len(hanging_server.requests) == asked + 1, "only the unfinished item is asked again"
    assert len(processes.lines(records)) == 12


@pytest.mark.slow
def test_a_second_ctrl_c_prints_no_traceback(hanging_server: FakeOpenAIServer,
                                             tmp_path: Path) -> None:
    proc, records = _start(hanging_server, tmp_path)

    proc.send_signal(signal.SIGINT)
    assert proc.stderr is not None
    first = proc.stderr.readline()  # the first Ctrl-C was handled: the process is stopping
    proc.send_signal(signal.SIGINT)  # where tvbench used to wait for the hung request
    out, err = proc.communicate(timeout=processes.PATIENCE_S)

    assert proc.returncode == 130, out + first + err
    assert first.startswith("tvbench: interrupted; every finished item is saved. Resume with:")
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert len(processes.lines(records)) == 11


def test_the_second_interrupt_exits_at_once_with_one_line(tmp_path: Path) -> None:
    """The handler itself: a second SIGINT while the first is being handled (here: while
    the program cleans up, slowly) ends the process with status 130 and one line."""
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent("""
        import os, signal, threading, time
        from tvbench.cli import interrupts
        interrupts.install(lambda: "tvbench: stopped at once")
        threading.Thread(target=time.sleep, args=(60,)).start()  # would block a normal exit
        try:
            print("ready", flush=True)  # inside: a Ctrl-C may land before print returns
            time.sleep(60)
        except KeyboardInterrupt:
            print("first", flush=True)
            os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C again
            time.sleep(60)
    """))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=processes.env())
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=processes.PATIENCE_S)
    assert proc.returncode == 130
    assert out == "first\n" and err.strip() == "tvbench: stopped at once"
