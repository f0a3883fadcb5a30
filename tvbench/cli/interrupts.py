"""Ctrl-C: the first one stops the run cleanly, a second one stops the process at once.

The first SIGINT raises KeyboardInterrupt as Python always does: the runner has appended and
fsynced every finished item already, the command prints how to resume, and the HTTP
backend's workers are daemon threads, so nothing waits for a hung request. A second SIGINT
while that is happening exits right away with status 130 and one line instead of the
traceback an interrupted interpreter shutdown prints. That is safe at any moment: records are
appended whole-line (a torn tail is dropped on resume), other files are written to a temp
file and renamed, and the next run sweeps leftover temp files and takes over the lock.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

EXIT_INTERRUPTED = 130


def install(second: Callable[[], str]) -> Any:
    """Route SIGINT through tvbench's handler; ``second()`` gives the line to print when a
    second Ctrl-C ends the process. Returns the previous handler (for :func:`restore`)."""
    if threading.current_thread() is not threading.main_thread():
        return None  # signals reach the main thread only; embedded callers keep theirs
    pressed = 0

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal pressed
        pressed += 1
        if pressed == 1:
            raise KeyboardInterrupt
        try:
            os.write(2, ("\n" + second() + "\n").encode())
        finally:
            os._exit(EXIT_INTERRUPTED)

    return signal.signal(signal.SIGINT, handler)


def restore(previous: Any) -> None:
    if previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, previous)


def exit_now(status: int = EXIT_INTERRUPTED) -> None:
    """End an interrupted program without tearing down the interpreter.

    Everything is on disk and the run folders are unlocked by now; what is left is the
    interpreter freeing every module (datasets, pandas, pyarrow, torch), which took two
    seconds on a busy machine. atexit handlers still run and output is flushed.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    try:
        atexit._run_exitfuncs()
    finally:
        os._exit(status)
