"""The writer thread: the only code that writes the history file.

The engine's bus listener only puts the event on a queue (O(1), never blocks). This
thread takes what is queued in batches (up to ``BATCH_SIZE`` items, or whatever arrived
within ``BATCH_SECONDS`` of the first), writes each batch in one transaction with the
incidents it implies, and stamps the session as still alive with every batch and at least
every ``HEARTBEAT_SECONDS``. Old rows are pruned at start and every ``PRUNE_EVERY``.

When the file stops taking writes (disk full, read-only, I/O errors), nothing is thrown
away and the thread keeps going: what it took from the queue stays in memory, in order,
and is written (with everything after it) once a retry, every ``RETRY_SECONDS``,
succeeds. Memory stays bounded: queued and held events together never exceed
``MAX_BACKLOG``; beyond it new events are refused and counted as lost. ``status`` says
which, and ``changes`` gets each start and end of a failure exactly once.
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
from pathlib import Path

from feedwatch.engine.events import Event
from feedwatch.history.incidents import IncidentLog
from feedwatch.history.rows import EventRow, event_row, repaired
from feedwatch.history.status import HistoryStatus, StatusChange, problem_text, worth_retrying

log = logging.getLogger(__name__)

BATCH_SIZE = 500
BATCH_SECONDS = 0.1
HEARTBEAT_SECONDS = 10.0
PRUNE_EVERY = 3600.0
# Events waiting (queued, or held while the file fails) beyond this are dropped (and
# counted) rather than grow memory unbounded.
MAX_BACKLOG = 250_000
# While the file fails, how often writing is tried again.
RETRY_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class LastData:
    """Each (feed, channel)'s last data time (unix seconds) that changed since the last."""

    values: tuple[tuple[str, str | None, float], ...]


@dataclass(frozen=True, slots=True)
class GapProfiles:
    """Each learning feed's whole gap profile: (feed, ((hour bucket, bin, count), ...))."""

    values: tuple[tuple[str, tuple[tuple[int, int, int], ...]], ...]
    # Each channel-learning feed's channels: (feed, ((channel, bin, count), ...)).
    channels: tuple[tuple[str, tuple[tuple[str, int, int], ...]], ...] = ()


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
        path: Path,
    ) -> None:
        super().__init__(name="feedwatch-history", daemon=True)
        self._db = db
        self._retention = retention_seconds
        self._now = now
        self._command = command
        self._path = path  # for messages
        self._queue: queue.SimpleQueue[Item] = queue.SimpleQueue()
        self._incidents = IncidentLog(db, session=None)
        self.session: int | None = None
        self.written = 0  # events committed
        self.dropped = 0  # events refused because the backlog was full
        self.lost = 0  # events that can never be written (refused by SQLite, or at exit)
        # Taken from the queue, not yet committed, oldest first: kept while the file fails.
        self._held: list[Item] = []
        # Events taken by ``offer`` (only ever called on the engine's loop) and events
        # written or lost (by this thread): the difference is waiting, queued or held.
        self._accepted = 0
        self._settled = 0
        self._problem: str | None = None  # why the last write failed; None while writing
        self._failed_at: float | None = None  # unix time writing began to fail
        self._write_errors = 0
        self._retry_at = 0.0
        self._status_lock = threading.Lock()
        # Each time writing stops or starts again, once: the store reports them on its loop.
        self.changes: queue.SimpleQueue[StatusChange] = queue.SimpleQueue()
        self._dropped_told = 0
        self._next_drop_note = 0.0
        self._last_stamp = time.monotonic()
        self._next_prune = 0.0

    # -- any thread ------------------------------------------------------------

    def offer(self, item: Item) -> None:
        """Queue an item without ever blocking; drop events when the backlog is full (call
        it from one thread: the engine's loop)."""
        if type(item) is Event:
            accepted = self._accepted
            if accepted - self._settled >= MAX_BACKLOG:
                self.dropped += 1
                return
            self._accepted = accepted + 1
        self._queue.put(item)

    def flush(self, timeout: float) -> int:
        """Wait until everything offered before this call is committed (or, while the file
        fails, until one more attempt to write it failed)."""
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

    @property
    def status(self) -> HistoryStatus:
        """Whether writes succeed, and what is held or lost (a copy: safe on any thread)."""
        with self._status_lock:
            return self._status()

    def _status(self, written_late: int = 0) -> HistoryStatus:
        return HistoryStatus(
            self._path,
            ok=self._problem is None,
            problem=self._problem,
            since=self._failed_at,
            held=max(0, self._accepted - self._settled),
            lost=self.dropped + self.lost,
            write_errors=self._write_errors,
            written_late=written_late,
        )

    # -- the thread ------------------------------------------------------------

    def run(self) -> None:
        try:
            self._drain(force=True)  # prune on open
            while True:
                batch = self._collect()
                control = batch.pop() if batch and isinstance(batch[-1], _CONTROL) else None
                self._hold(batch)
                try:
                    self._drain(force=control is not None)
                except Exception as exc:  # a bug: the thread, and what it holds, live on
                    self._failed(exc)
                self._note_dropped()
                if isinstance(control, Flush):
                    control.done.set()
                elif control is not None:
                    self._give_up()
                    return
        finally:
            self._db.close()

    def _collect(self) -> list[Item]:
        """The next batch: at most BATCH_SIZE items, within BATCH_SECONDS of the first."""
        wait = self._last_stamp + HEARTBEAT_SECONDS - time.monotonic()
        if self._problem is not None:
            wait = min(wait, self._retry_at - time.monotonic())
        try:
            first = self._queue.get(timeout=max(0.0, wait))
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

    def _hold(self, items: Sequence[Item]) -> None:
        self._held.extend(items)

    def _drain(self, *, force: bool) -> None:
        """Write what is held, oldest first, one transaction per BATCH_SIZE items. While the
        file fails, only every RETRY_SECONDS (or when forced: a flush, the stop)."""
        if self._problem is not None and not force and time.monotonic() < self._retry_at:
            return
        self._retry_at = time.monotonic() + RETRY_SECONDS
        held = self._held
        done = late = apart = 0  # apart: items to write one by one (a batch SQLite refused)
        wrote = False
        try:
            while True:
                chunk = held[done : done + (1 if apart else BATCH_SIZE)]
                try:
                    wrote = self._write(chunk) or wrote
                    if self._problem is not None:
                        late += _events(chunk)
                except Exception as exc:
                    if worth_retrying(exc):
                        self._failed(exc)
                        return
                    if len(chunk) > 1:
                        apart = len(chunk)  # one bad item must not sink its whole batch
                        continue
                    try:
                        self._refused(chunk, exc)
                    except Exception as fault:  # the file failed on the way
                        self._failed(fault)
                        return
                apart = max(0, apart - 1)
                done += len(chunk)
                if done >= len(held):
                    break
        finally:
            del held[:done]
        if self._problem is not None and wrote:
            self._recovered(late)

    def _refused(self, chunk: Sequence[Item], exc: Exception) -> None:
        """An item SQLite refuses would be refused on every retry: write it repaired (text
        that is not UTF-8 escaped), or drop it, and count it."""
        (item,) = chunk or (None,)
        if type(item) is Event:
            try:
                self._write([repaired(item)])
                return
            except Exception as again:
                if worth_retrying(again):
                    raise
            self.lost += 1
            self._settled += 1
        what = "the session stamp" if item is None else type(item).__name__
        log.error("history: could not write %s (dropped): %s", what, problem_text(exc))

    def _failed(self, exc: Exception) -> None:
        """Writing fails: say so once (``changes``), and try again in RETRY_SECONDS."""
        problem = problem_text(exc)
        log.debug("history: could not write %s: %s", self._path, problem, exc_info=True)
        self._retry_at = time.monotonic() + RETRY_SECONDS
        with self._status_lock:
            self._write_errors += 1
            began = self._problem is None
            self._problem = problem
            if began:
                self._failed_at = self._now()
                status = self._status()
        if began:
            self.changes.put(StatusChange(status, status.warning()))

    def _recovered(self, late: int) -> None:
        with self._status_lock:
            failed_for = self._now() - (self._failed_at or self._now())
            self._problem = self._failed_at = None
            status = self._status(written_late=late)
        self.changes.put(StatusChange(status, status.recovered(failed_for)))

    def _give_up(self) -> None:
        """At the stop: what could still not be written is lost; say so."""
        left = _events(self._held)
        if left:
            log.warning("history: %d events could not be written to %s before exit: %s",
                        left, self._path, self._problem)  # fmt: skip
            self.lost += left
            self._settled += left
        self._held.clear()

    def _note_dropped(self) -> None:
        """Events refused for a full backlog, in the log at most once a minute."""
        if self.dropped > self._dropped_told and time.monotonic() >= self._next_drop_note:
            log.warning("history: %d events dropped: the writer fell behind or cannot write",
                        self.dropped)  # fmt: skip
            self._dropped_told = self.dropped
            self._next_drop_note = time.monotonic() + 60.0

    def _write(self, batch: Sequence[Item]) -> bool:
        """One transaction: the batch, its incidents, the session's stamp (and a prune when
        due). False if there was nothing to write; raises what SQLite or the OS raised."""
        db = self._db
        self._last_stamp = time.monotonic()
        if not batch and self.session is None and time.monotonic() < self._next_prune:
            return False
        session = self.session
        incidents = self._incidents.checkpoint()
        rows: list[EventRow] = []
        pruning = time.monotonic() >= self._next_prune
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
            if pruning:
                self._prune()
            db.execute("COMMIT")
        except Exception:
            with contextlib.suppress(sqlite3.Error):
                if db.in_transaction:
                    db.execute("ROLLBACK")
            # Back in step with the file: nothing of this batch happened.
            self.session = session
            self._incidents.restore(incidents)
            raise
        if pruning:
            self._next_prune = time.monotonic() + PRUNE_EVERY
        self.written += len(rows)
        self._settled += len(rows)
        return True

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
        for feed, channel_rows in item.channels:
            self._db.execute("DELETE FROM channel_gap_profiles WHERE feed = ?", (feed,))
            self._db.executemany(
                "INSERT INTO channel_gap_profiles (feed, channel, bin, count) VALUES (?, ?, ?, ?)",
                [(feed, *row) for row in channel_rows],
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


def _events(items: Sequence[Item]) -> int:
    return sum(1 for item in items if type(item) is Event)
