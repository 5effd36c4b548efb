"""One writer per history file: an exclusive lock on ``<file>.lock`` naming its holder.

The lock is ``flock``'d (``msvcrt.locking`` on Windows), so the kernel drops it when the
holder dies however it dies: there is never a stale lock to clean up. The file holds the
holder's pid and command line, so another process can say who records.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

if sys.platform == "win32":
    import msvcrt

    def _try_lock(handle: IO[str]) -> bool:
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(handle: IO[str]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def command_line() -> str:
    """This process as a person would have typed it: ``feedwatch --headless``."""
    argv = list(sys.argv) or [""]
    first = Path(argv[0]).name
    if first == "__main__.py":  # python -m feedwatch
        first = Path(argv[0]).parent.name
    elif first in ("-c", "-", ""):
        first = "python"
    return " ".join([first, *argv[1:]])


class WriterLock:
    """Held by the process that records; released on ``release`` or at exit."""

    def __init__(self, database: Path) -> None:
        self.path = lock_path(database)
        self._handle: IO[str] | None = None

    def acquire(self) -> bool:
        """Take the lock and sign it; False if another process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Opened without truncating: the holder's signature must survive our attempt.
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 (held while recording)
        if not _try_lock(handle):
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n{command_line()}\n")
        handle.flush()
        self._handle = handle
        return True

    def owner(self) -> str:
        """Who holds the lock, as "pid 1234 (feedwatch --headless)"."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError:
            return "another process"
        pid, _, command = text.partition("\n")
        command = command.strip()
        if not pid.strip().isdigit():
            return "another process"
        return f"pid {pid.strip()}" + (f" ({command})" if command else "")

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the file drops the lock
            self._handle = None
