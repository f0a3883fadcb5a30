"""``<run>/run.log``: what happened to a run folder, in plain lines, appended.

The terminal scrolls away and CI logs get truncated; the folder keeps its own account of
each run: who ran it, lock take-overs, the distinct item errors of each task, why a run
stopped, an interruption. A line that cannot be written (a full disk) is dropped: the log
must never hide the error that is being reported.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

LOG_NAME = "run.log"


class RunLog:
    """Appends timestamped lines to ``<folder>/run.log``; silent when it cannot."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.path = Path(folder) / LOG_NAME

    def write(self, message: str) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        text = "".join(f"{stamp} [{os.getpid()}] {line}\n"
                       for line in message.splitlines() or [""])
        try:
            with self.path.open("a", encoding="utf-8") as f:
                f.write(text)
        except OSError:
            pass


class NoLog:
    """For runs that keep no log (a unit test, a rank that is not rank 0)."""

    def write(self, message: str) -> None:
        pass


def log_task(log: RunLog | NoLog, name: str, block: Mapping[str, Any]) -> None:
    """A task's outcome: score, counts, status, and every distinct error with its count."""
    from tvbench.runs.failures import summary_lines

    log.write(f"task {name}: score {block.get('score')}, n={block.get('n')}, "
              f"errors={block.get('n_errors')}, status: {block.get('status')}")
    for line in summary_lines(block, limit=None):
        log.write(f"  {line}")
