"""Whether the history file takes writes: the one fact every output shows when it does not.

The writer thread builds a new ``HistoryStatus`` whenever something changes; readers on
any thread get a frozen copy. ``warning`` and ``recovered`` are the words headless mode,
the dashboard and the history file itself use for the two transitions.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from feedwatch.engine.events import rough_duration


@dataclass(frozen=True, slots=True)
class HistoryStatus:
    path: Path
    ok: bool = True
    problem: str | None = None  # why writing fails, as SQLite or the OS says it
    since: float | None = None  # unix time writing began to fail (None while ok)
    held: int = 0  # events kept in memory until the file takes writes again
    lost: int = 0  # events this run will never record
    write_errors: int = 0  # failed write attempts this run
    recording: bool = True  # False: the file could not be opened (``problem`` names it)
    written_late: int = 0  # on recovery: the held events it then wrote

    def warning(self) -> str:
        """The line that says writing stopped, and what that costs."""
        if not self.recording:  # the problem names the file
            return f"{self.problem} — monitoring continues; nothing is recorded this run"
        waiting = self.held + self.lost
        text = (
            f"cannot write {self.path}: {self.problem} — monitoring continues; "
            f"{waiting} event{'s' if waiting != 1 else ''} not recorded"
        )
        if self.held:
            text += f" ({self.held} kept in memory until it can write)"
        return text

    def recovered(self, failed_for: float) -> str:
        """The line that says writing works again, and whether anything was lost."""
        text = f"writing {self.path} again after {rough_duration(failed_for)}"
        if self.written_late:
            text += f"; {self.written_late} events kept in memory are now recorded"
        if self.lost:
            text += f"; {self.lost} events were lost"
        return text

    def short(self) -> str:
        """A few words for a one-line header."""
        return f"history not recorded: {self.problem}"

    def to_json(self) -> dict[str, Any]:
        """The ``history`` object of /health."""
        return {
            "ok": self.ok,
            "path": str(self.path),
            "error": self.problem,
            "since": self.since,
            "held": self.held,
            "lost": self.lost,
            "write_errors": self.write_errors,
        }


def problem_text(exc: BaseException) -> str:
    """What went wrong, without Python's class names when SQLite or the OS said it."""
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    if isinstance(exc, sqlite3.Error):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def worth_retrying(exc: BaseException) -> bool:
    """A fault of the file or the disk (full, read-only, I/O, locked, corrupt), which may
    pass; not a statement SQLite refuses, which would fail the same way every time."""
    refused = (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.DataError,
               sqlite3.NotSupportedError, sqlite3.InterfaceError)  # fmt: skip
    if isinstance(exc, refused):
        return False
    return isinstance(exc, sqlite3.DatabaseError | OSError | MemoryError)


@dataclass(frozen=True, slots=True)
class StatusChange:
    """Writing stopped (``status.ok`` False) or works again, with the line that says so."""

    status: HistoryStatus
    text: str
