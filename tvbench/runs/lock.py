"""One writer per run folder: an ``fcntl`` lock whose file says who holds it.

Two runs appending to the same ``records/<task>.jsonl`` would both do all the work and
interleave their lines, so a run takes ``<run>/.tvbench.lock`` before it touches the folder
and a second run refuses at once, naming the holder (pid, host, command, start time).

The kernel drops an ``flock`` when its process dies, however it dies, so a lock file left by
a killed run is free to take; the new holder says so (the caller logs it). The file is
removed on release, while still locked; a process that opened it just before then finds,
once it holds the lock, that the path now names another file (or none) and tries again, so
two holders can never both believe they own the folder.
"""

from __future__ import annotations

import errno
import json
import os
import shlex
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOCK_NAME = ".tvbench.lock"


class RunLockedError(RuntimeError):
    """Another live process holds the run folder's lock."""


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) a lock, as written in the lock file."""

    pid: int
    host: str
    command: str
    started: str

    @staticmethod
    def me() -> Holder:
        return Holder(os.getpid(), socket.gethostname(), command_line(),
                      time.strftime("%Y-%m-%d %H:%M:%S"))

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}, started {self.started}: {self.command}"


def command_line() -> str:
    """This process's command as a user would type it (``tvbench run ...``)."""
    argv = list(sys.argv)
    if argv and Path(argv[0]).name in ("tvbench", "__main__.py"):
        argv[0] = "tvbench"
    return shlex.join(argv)


def _read_holder(fd: int) -> Holder | None:
    try:
        raw = os.pread(fd, 64 << 10, 0).decode("utf-8", "replace")
        data: dict[str, Any] = json.loads(raw)
        return Holder(int(data["pid"]), str(data.get("host", "?")),
                      str(data.get("command", "?")), str(data.get("started", "?")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunLock:
    """``with RunLock(folder) as lock:`` — ``lock.took_over`` describes a stale lock taken."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.took_over: str | None = None
        self._fd: int | None = None
        self._created_folder = False

    def acquire(self) -> RunLock:
        import fcntl

        self._created_folder = not self.folder.exists()
        self.folder.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = _read_holder(fd)
                os.close(fd)
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise OSError(exc.errno, f"cannot lock {self.path}: {exc.strerror}"
                                  ) from exc
                who = holder.describe() if holder else "a process that has not written " \
                                                        "its name yet"
                raise RunLockedError(
                    f"run folder {self.folder} is in use by another tvbench run ({who}); "
                    "wait for it to finish, or pass another --output") from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # the holder released and removed this file meanwhile: retry
        self._fd = fd
        previous = _read_holder(fd)
        if previous is not None and previous.pid != os.getpid():
            state = "has exited" if not _alive(previous.pid) else "no longer holds it"
            self.took_over = (f"took over the stale lock {self.path}: its holder "
                              f"({previous.describe()}) {state}")
        payload = json.dumps(Holder.me().__dict__, ensure_ascii=False).encode() + b"\n"
        os.ftruncate(fd, 0)
        os.pwrite(fd, payload, 0)
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)  # still locked: nobody can take it meanwhile
        finally:
            os.close(self._fd)
            self._fd = None
        if self._created_folder:
            try:
                self.folder.rmdir()  # only if the run wrote nothing at all
            except OSError:
                pass

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
