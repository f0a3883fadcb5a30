"""Real ``tvbench`` processes for tests: started, waited for, signalled (never in-process).

Lock, fail-fast and Ctrl-C behaviour belongs to a process (its pid, its exit status, its
signal handlers), so those tests run the command line the way a user does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

#: Generous: a busy 2-core CI machine may take many seconds to start a Python process.
PATIENCE_S = 120.0


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200", **extra}


def start(args: list[str], cwd: Path, extra_env: Mapping[str, str] | None = None
          ) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tvbench", "--quiet", *args], cwd=cwd,
                            env=env(**(extra_env or {})), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def run(args: list[str], cwd: Path, extra_env: Mapping[str, str] | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tvbench", "--quiet", *args], cwd=cwd,
                          env=env(**(extra_env or {})), capture_output=True, text=True,
                          timeout=timeout)


def wait_for(condition: Callable[[], bool], what: str, proc: subprocess.Popen[str] | None = None,
             timeout: float = PATIENCE_S) -> None:
    """Poll ``condition`` until true; fail with the process's output if it ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"process ended (status {proc.returncode}) before {what}:\n"
                                 f"{out[-3000:]}\n{err[-3000:]}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.is_file() else []
