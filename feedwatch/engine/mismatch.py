"""Config mismatches: a content signal's path that reads nothing in a whole minute of data.

A typo in ``event_time`` (or a feed that changed its shape) silently turns lag off: no
timestamp, no lag, no alarm. Each configured key keeps a probe: a counter and the time of
the first message it could not read since it last read one. When a message arrives and that
run of unread messages spans ``MISMATCH_AFTER`` seconds, the probe raises one ``error`` event
(``kind = "config_mismatch"``) and keeps a note for the snapshot. The note stays until the
path reads something again; a later minute of nothing raises the event once more.
"""

from __future__ import annotations

from collections.abc import Sequence

from feedwatch.engine.conditions import RaiseEvent
from feedwatch.engine.events import EventKind

# Seconds of data, none of it readable, before a path is called a mismatch.
MISMATCH_AFTER = 60.0


class PathProbe:
    """Whether one key's path(s) read anything lately, said once when they stopped."""

    __slots__ = ("_emit", "key", "note", "paths", "since", "unread")

    def __init__(self, key: str, paths: Sequence[str], emit: RaiseEvent) -> None:
        self.key = key
        self.paths = tuple(paths)
        self._emit = emit
        self.since: float | None = None  # the first unread message since the last read one
        self.unread = 0
        self.note: str | None = None  # why the path is a mismatch, while it is one

    def read(self) -> None:
        """The path read a usable value: the run of unread messages ends."""
        if self.since is not None:
            self.since = None
            self.unread = 0
            self.note = None

    def missed(self, now: float) -> None:
        """A data message the path read nothing in (MISSING, or not a usable value)."""
        self.unread += 1
        since = self.since
        if since is None:
            self.since = now
        elif self.note is None and now - since >= MISMATCH_AFTER:
            self._raise(now - since)

    def _raise(self, span: float) -> None:
        written = ", ".join(f'"{path}"' for path in self.paths)
        noun = "path" if len(self.paths) == 1 else "paths"
        self.note = (
            f"{self.key} {noun} {written} read nothing in {self.unread:,} data messages "
            f"over {span:.0f}s"
        )
        self._emit(
            EventKind.ERROR,
            reason=self.note,
            kind="config_mismatch",
            key=self.key,
            paths=list(self.paths),
            messages=self.unread,
            seconds=round(span, 3),
        )
