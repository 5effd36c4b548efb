"""Incidents: each stale, down or partial period of a feed (or channel), derived from its events.

A ``stale`` incident opens on ``stale`` and closes on ``recovered``; with a channel it is
that channel's (feed/channel), and the feed's own verdict turns ``partial`` meanwhile. A
``partial`` incident is the feed's: it opens on a ``state`` event to ``partial`` and closes
when the verdict moves on to anything but reconnecting (``backoff``, ``connecting``), so a
feed that reconnects while its channel stays stale has one incident, as a stale feed does.
A ``down`` incident opens on ``down`` (active) and closes on the next ``connected`` or
``down`` (inactive). Its start is the event that opened it
(when feedwatch declared it, as alerts do), its cause that event's reason, and it counts
the feed's ``reconnecting`` events while open. Pausing a feed, or its quiet hours, end its
incidents (the engine ends the conditions without events). Storms and silences summarise
other problems: they are not incidents.

An incident still open when feedwatch stops stays open: the next session continues it
(a new ``stale`` for it is not a new incident) and closes it when the feed recovers, or,
for a stale one, at the first data that session sees (``last_data``), since a fresh
process has no stale condition to recover from. So its duration includes the time
feedwatch was not running.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from feedwatch.engine.events import Event, EventKind

STALE = "stale"
DOWN = "down"
PARTIAL = "partial"
# Verdicts a partial feed passes through while it reconnects: its incident goes on.
RECONNECTING = frozenset({"backoff", "connecting"})

Key = tuple[str, str | None, str]  # feed, channel, kind


@dataclass(frozen=True)
class Incident:
    feed: str
    channel: str | None
    kind: str  # "stale" | "down" | "partial"
    start: float  # unix seconds
    end: float | None  # None while open
    duration_seconds: float | None  # None while open
    cause: str | None  # the reason of the event that opened it
    reconnects: int

    def to_json(self) -> dict[str, Any]:
        """The shape of ``feedwatch incidents --json``."""
        return {
            "feed": self.feed,
            "channel": self.channel,
            "kind": self.kind,
            "start": round(self.start, 6),
            "end": None if self.end is None else round(self.end, 6),
            "duration_seconds": (
                None if self.duration_seconds is None else round(self.duration_seconds, 6)
            ),
            "cause": self.cause,
            "reconnects": self.reconnects,
        }


INCIDENT_COLUMNS = "feed, channel, kind, start, end, cause, reconnects"


def row_incident(
    row: tuple[str, str | None, str, float, float | None, str | None, int],
) -> Incident:
    feed, channel, kind, start, end, cause, reconnects = row
    duration = None if end is None else end - start
    return Incident(feed, channel, kind, start, end, duration, cause, reconnects)


@dataclass
class _Open:
    id: int
    start: float
    session: int | None  # the session that opened it (None: derived by a migration)


class IncidentLog:
    """Keeps the incidents table in step with events, one event at a time (writer thread)."""

    def __init__(self, db: sqlite3.Connection, session: int | None) -> None:
        self._db = db
        self.session = session
        self._open: dict[Key, _Open] = {}
        rows = db.execute(
            "SELECT id, feed, channel, kind, start, session FROM incidents WHERE end IS NULL"
        )
        for id_, feed, channel, kind, start, opened_by in rows:
            self._open[(feed, channel, kind)] = _Open(id_, start, opened_by)

    def checkpoint(self) -> tuple[dict[Key, _Open], int | None]:
        """What is open now, to go back to if the transaction it is written in fails."""
        return dict(self._open), self.session

    def restore(self, saved: tuple[dict[Key, _Open], int | None]) -> None:
        self._open, self.session = dict(saved[0]), saved[1]

    def on_event(self, event: Event) -> None:
        kind, feed = event.kind, event.feed
        if kind is EventKind.STALE:
            self._begin((feed, event.channel, STALE), event)
        elif kind is EventKind.RECOVERED:
            self._end((feed, event.channel, STALE), event.ts)
        elif kind is EventKind.DOWN:
            if event.fields.get("active") is False:
                self._end((feed, None, DOWN), event.ts)
            else:
                self._begin((feed, None, DOWN), event)
        elif kind is EventKind.CONNECTED:
            self._end((feed, None, DOWN), event.ts)
        elif kind is EventKind.STATE and event.channel is None:
            state = event.fields.get("state")
            if state == PARTIAL:
                self._begin((feed, None, PARTIAL), event)
            elif state not in RECONNECTING:
                self._end((feed, None, PARTIAL), event.ts)
        elif kind is EventKind.RECONNECTING:
            ids = [(o.id,) for key, o in self._open.items() if key[0] == feed]
            if ids:
                self._db.executemany(
                    "UPDATE incidents SET reconnects = reconnects + 1 WHERE id = ?", ids
                )
        elif (kind is EventKind.DISCONNECTED and event.fields.get("paused")) or (
            kind is EventKind.SCHEDULE and event.fields.get("quiet")
        ):
            for key in [k for k in self._open if k[0] == feed]:
                self._end(key, event.ts)

    def on_last_data(self, feed: str, channel: str | None, ts: float) -> None:
        """Data seen by this session ends a stale incident a previous session left open."""
        opened = self._open.get((feed, channel, STALE))
        if opened is not None and opened.session != self.session and ts > opened.start:
            self._end((feed, channel, STALE), ts)

    def end_unwatched(self, feeds: Iterable[str], at: float) -> None:
        """Close incidents of feeds no longer in the config: nobody will see them recover."""
        watched = set(feeds)
        for key in [k for k in self._open if k[0] not in watched]:
            self._end(key, max(at, self._open[key].start))

    def _begin(self, key: Key, event: Event) -> None:
        if key in self._open:
            return  # still the same incident (also across a restart)
        cursor = self._db.execute(
            "INSERT INTO incidents (feed, channel, kind, start, cause, session) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (*key, event.ts, event.reason, self.session),
        )
        assert cursor.lastrowid is not None
        self._open[key] = _Open(cursor.lastrowid, event.ts, self.session)

    def _end(self, key: Key, ts: float) -> None:
        opened = self._open.pop(key, None)
        if opened is not None:
            self._db.execute(
                "UPDATE incidents SET end = ? WHERE id = ?", (max(ts, opened.start), opened.id)
            )
