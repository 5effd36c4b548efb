"""The writer thread: the only code that writes the history file.

The engine's bus listener only puts the event on a queue (O(1), never blocks). This
thread takes what is queued in batches (up to ``BATCH_SIZE`` items, or whatever arrived
within ``BATCH_SECONDS`` of the first), writes each batch in one transaction with the
incidents it implies, and stamps the session as still alive with every batch and at least
every ``HEARTBEAT_SECONDS``. Old rows are pruned at start and every ``PRUNE_EVERY``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from feedwatch.engine.events import Event
from feedwatch.history.incidents import IncidentLog
from feedwatch.history.rows import EventRow, event_row

log = logging.getLogger(__name__)

BATCH_SIZE = 500
BATCH_SECONDS = 0.1
HEARTBEAT_SECONDS = 10.0
PRUNE_EVERY = 3600.0
# Events waiting beyond this are dropped (and counted) rather than grow memory unbounded.
MAX_BACKLOG = 250_000


@dataclass(frozen=True, slots=True)
class LastData:
    """Each (feed, channel)'s last data time (unix seconds) that changed since the last."""

    values: tuple[tuple[str, str | None, float], ...]


@dataclass(frozen=True, slots=True)
class GapProfiles:
    """Each learning feed's whole gap profile: (feed, ((hour bucket, bin, count), ...))."""

    values: tuple[tuple[str, tuple[tuple[int, int, int], ...]], ...]


@dataclass(frozen=True, slots=True)
class SessionStart:
    ts: float
    feeds: tuple[str, ...]  # the feeds this session watches


@dataclass(frozen=True, slots=True)
class SessionEnd:
    ts: float


@dataclass(frozen=True, slots=True)
class Flush:
    done: threading.Event = field(default_factory=threading.Event)


class _Stop:
    pass


Item = Event | LastData | GapProfiles | SessionStart | SessionEnd | Flush | _Stop
_CONTROL = (Flush, _Stop)


class Writer(threading.Thread):
    """Owns the read-write connection once started; everything reaches it by ``offer``."""

    def __init__(
        self,
        db: sqlite3.Connection,
        retention_seconds: float,
        now: Callable[[], float],
        command: str,
    ) -> None:
        super().__init__(name="feedwatch-history", daemon=True)
        self._db = db
        self._retention = retention_seconds
        self._now = now
        self._command = command
        self._queue: queue.SimpleQueue[Item] = queue.SimpleQueue()
        self._incidents = IncidentLog(db, session=None)
        self.session: int | None = None
        self.written = 0  # events committed
        self.dropped = 0  # events refused because the backlog was full
        self.lost = 0  # events in batches that failed to commit
        self._dropped_told = 0
        self._last_stamp = time.monotonic()
        self._next_prune = 0.0

    # -- any thread ------------------------------------------------------------

    def offer(self, item: Item) -> None:
        """Queue an item without ever blocking; drop events when the backlog is full."""
        if type(item) is Event and self._queue.qsize() >= MAX_BACKLOG:
            self.dropped += 1
            return
        self._queue.put(item)

    def flush(self, timeout: float) -> int:
        """Wait until everything offered before this call is committed."""
        marker = Flush()
        if self.is_alive():
            self._queue.put(marker)
            marker.done.wait(timeout)
        return self.written

    def stop(self, timeout: float = 10.0) -> None:
        """Write what is queued, then end the thread and close the connection."""
        if self.is_alive():
            self._queue.put(_Stop())
            self.join(timeout)

    # -- the thread ------------------------------------------------------------

    def run(self) -> None:
        try:
            self._write([])  # prune on open
            while True:
                batch = self._collect()
                self._write(batch)
                for item in batch:
                    if type(item) is Flush:
                        item.done.set()
                if batch and type(batch[-1]) is _Stop:
                    return
        finally:
            self._db.close()

    def _collect(self) -> list[Item]:
        """The next batch: at most BATCH_SIZE items, within BATCH_SECONDS of the first."""
        wait = max(0.0, self._last_stamp + HEARTBEAT_SECONDS - time.monotonic())
        try:
            first = self._queue.get(timeout=wait)
        except queue.Empty:
            return []
        batch = [first]
        if isinstance(first, _CONTROL):
            return batch
        deadline = time.monotonic() + BATCH_SECONDS
        while len(batch) < BATCH_SIZE:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    item = self._queue.get(timeout=remaining)
                except queue.Empty:
                    break
            batch.append(item)
            if isinstance(item, _CONTROL):
                break
        return batch

    def _write(self, batch: Sequence[Item]) -> None:
        rows: list[EventRow] = []
        db = self._db
        if not batch and self.session is None and time.monotonic() < self._next_prune:
            self._last_stamp = time.monotonic()
            return
        session = self.session
        try:
            db.execute("BEGIN IMMEDIATE")
            for item in batch:
                if type(item) is Event:
                    rows.append(event_row(item))
                    self._incidents.on_event(item)
                elif isinstance(item, LastData):
                    self._last_data(item)
                elif isinstance(item, GapProfiles):
                    self._gap_profiles(item)
                elif isinstance(item, SessionStart):
                    self._start_session(item)
                elif isinstance(item, SessionEnd) and self.session is not None:
                    db.execute("UPDATE sessions SET end = ? WHERE id = ?", (item.ts, self.session))
                    self.session = None
            if rows:
                db.executemany(
                    "INSERT INTO events (ts, feed, channel, kind, reason, age, fields) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
            if self.session is not None:
                db.execute(
                    "UPDATE sessions SET last_seen = ? WHERE id = ?", (self._now(), self.session)
                )
            if time.monotonic() >= self._next_prune:
                self._prune()
            db.execute("COMMIT")
            self.written += len(rows)
        except Exception as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            self.lost += len(rows)
            if isinstance(exc, sqlite3.Error):
                log.error("history: could not write %d events: %s", len(rows), exc)
            else:
                log.exception("history: could not write %d events", len(rows))
            self.session = session
            # Back in step with the file (if it cannot be read, the next batch says so).
            with contextlib.suppress(sqlite3.Error):
                self._incidents = IncidentLog(db, session)
        self._last_stamp = time.monotonic()
        if self.dropped > self._dropped_told:
            log.warning("history: %d events dropped: the writer fell behind", self.dropped)
            self._dropped_told = self.dropped

    def _start_session(self, item: SessionStart) -> None:
        db = self._db
        (previous,) = db.execute("SELECT max(coalesce(end, last_seen)) FROM sessions").fetchone()
        if previous is not None:
            self._incidents.end_unwatched(item.feeds, previous)
        cursor = db.execute(
            "INSERT INTO sessions (start, last_seen, pid, command) VALUES (?, ?, ?, ?)",
            (item.ts, item.ts, os.getpid(), self._command),
        )
        self.session = cursor.lastrowid
        self._incidents.session = self.session

    def _last_data(self, item: LastData) -> None:
        self._db.executemany(
            "INSERT INTO last_data (feed, channel, ts) VALUES (?, ?, ?) "
            "ON CONFLICT (feed, channel) DO UPDATE SET ts = excluded.ts",
            [(feed, channel or "", ts) for feed, channel, ts in item.values],
        )
        for feed, channel, ts in item.values:
            self._incidents.on_last_data(feed, channel, ts)

    def _gap_profiles(self, item: GapProfiles) -> None:
        for feed, rows in item.values:
            self._db.execute("DELETE FROM gap_profiles WHERE feed = ?", (feed,))
            self._db.executemany(
                "INSERT INTO gap_profiles (feed, bucket, bin, count) VALUES (?, ?, ?, ?)",
                [(feed, *row) for row in rows],
            )

    def _prune(self) -> None:
        """Forget what is older than the retention; open incidents are never pruned."""
        cutoff = self._now() - self._retention
        db = self._db
        db.execute("DELETE FROM events WHERE ts < ?", (cutoff,))
        db.execute("DELETE FROM incidents WHERE end IS NOT NULL AND end < ?", (cutoff,))
        db.execute(
            "DELETE FROM sessions WHERE coalesce(end, last_seen) < ? AND id IS NOT ?",
            (cutoff, self.session),
        )
        self._next_prune = time.monotonic() + PRUNE_EVERY
