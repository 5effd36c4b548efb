"""The history store: what the dashboard, headless mode and the CLI open.

One process records (it holds the writer lock); any other opens the file read-only and
records nothing (``read_only``, ``owner`` and ``notice`` say so). Reads work in both. Writes
never happen on the caller's thread: the engine's events go to the writer thread's queue.

``status`` says whether the file takes writes. When it stops (or starts again), the store
puts a ``history`` event on the engine's bus, once each way, so every output shows it. A
file that cannot be opened at all gives an ``unavailable`` store: monitoring goes on, it
reads as empty, records nothing, and says why.
"""

from __future__ import annotations

import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from feedwatch.config.model import HistoryConfig
from feedwatch.config.paths import state_dir
from feedwatch.engine.clock import Timer
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import Event, EventKind
from feedwatch.history.incidents import INCIDENT_COLUMNS, Incident, row_incident
from feedwatch.history.lock import WriterLock, command_line
from feedwatch.history.rows import EVENT_COLUMNS, row_event
from feedwatch.history.schema import HistoryError, connect_reader, connect_writer, migrate
from feedwatch.history.status import HistoryStatus, StatusChange
from feedwatch.history.writer import GapProfiles, LastData, SessionEnd, SessionStart, Writer

log = logging.getLogger(__name__)

HISTORY_FILE = "history.db"
# How often the last data time of every feed and channel is sampled (its resolution).
LAST_DATA_EVERY = 1.0
# How often learned gap profiles (stale_after = "auto") are saved; also at close.
GAP_PROFILES_EVERY = 300.0
# A sampled time that moved less than this is the same data message (float noise).
_SAME_DATA = 1e-3


class NoHistory(HistoryError):
    """Nothing has been recorded at this path yet."""


def history_path(config: HistoryConfig) -> Path:
    """The file a config's history lives in (``[history] path``, or the state dir)."""
    return config.path if config.path is not None else state_dir() / HISTORY_FILE


class HistoryStore:
    """Events, incidents, sessions and last data times of one history file."""

    def __init__(
        self,
        path: Path,
        reader: sqlite3.Connection,
        *,
        now: Callable[[], float],
        writer: Writer | None = None,
        lock: WriterLock | None = None,
        owner: str | None = None,
        unavailable: str | None = None,
    ) -> None:
        self.path = path
        self.read_only = writer is None
        self.owner = owner
        # Why the file could not be opened for recording (an ``unavailable`` store).
        self._unavailable = unavailable
        self._unavailable_since = now()
        self._unrecorded = 0  # events an unavailable store saw and could not keep
        self._reader = reader
        self._reading = threading.Lock()
        self._now = now
        self._writer = writer
        self._lock = lock
        self._engine: Engine | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._timer: Timer | None = None
        self._sampled: dict[tuple[str, str | None], float] = {}
        self._session_start: float | None = None
        self._profiles_due = 0.0
        self._closed = False

    @classmethod
    def open(
        cls, config: HistoryConfig, *, now: Callable[[], float] = time.time, record: bool = True
    ) -> HistoryStore:
        """Open for recording; read-only when another process records, or when ``record``
        or ``[history] enabled`` is False. Raises HistoryError with a message for humans."""
        path = history_path(config)
        if not (record and config.enabled):
            if not path.exists():
                raise NoHistory(f"no history recorded at {path} yet")
            return cls(path, _connect(path, connect_reader), now=now)
        lock = WriterLock(path)
        try:
            held = lock.acquire()
        except OSError as exc:
            raise HistoryError(f"cannot open {lock.path}: {_os_problem(lock.path, exc)}") from None
        if not held:
            return cls(path, _connect(path, connect_reader), now=now, owner=lock.owner())
        try:
            db = _connect(path, connect_writer)
            reader = _connect(path, connect_reader)
        except BaseException:
            lock.release()
            raise
        writer = Writer(db, config.retention_days * 86400, now, command_line(), path)
        writer.start()
        return cls(path, reader, now=now, writer=writer, lock=lock)

    @classmethod
    def unavailable(
        cls, path: Path, problem: str, *, now: Callable[[], float] = time.time
    ) -> HistoryStore:
        """A store for a file that cannot be recorded to: it reads as empty, records
        nothing, and its ``status`` (and a ``history`` event on attach) says why."""
        reader = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        migrate(reader, path)
        return cls(path, reader, now=now, unavailable=problem)

    @property
    def status(self) -> HistoryStatus | None:
        """Whether this process's history is being written (None: it only reads)."""
        if self._writer is not None:
            return self._writer.status
        if self._unavailable is None:
            return None
        return HistoryStatus(
            self.path,
            ok=False,
            problem=self._unavailable,
            since=self._unavailable_since,
            lost=self._unrecorded,
            recording=False,
        )

    @property
    def notice(self) -> str | None:
        """Why nothing is recorded, when this process only reads."""
        if not self.read_only or self.owner is None:
            return None
        return (
            f"history: {self.path} is being recorded by {self.owner}; this feedwatch only "
            "reads it and records nothing (to record both, give one a [history] path of its own)"
        )

    # -- recording --------------------------------------------------------------

    def attach(self, engine: Engine) -> None:
        """Record the engine's events as a monitoring session (call on the engine's loop,
        before it starts). Does nothing when read-only; an unavailable store says why."""
        if self._closed or self._engine is not None:
            return
        if self._unavailable is not None:
            self._engine = engine
            status = self.status
            assert status is not None
            self._announce(StatusChange(status, status.warning()))
            self._unsubscribe = engine.bus.subscribe(self._not_recorded)
            return
        if self._writer is None:
            return
        self._engine = engine
        self._session_start = self._now()
        # What earlier runs learned is not forgotten.
        engine.seed_learned(self.gap_profiles(), self.channel_gap_profiles())
        self._profiles_due = engine.clock.monotonic() + GAP_PROFILES_EVERY
        self._writer.offer(SessionStart(self._session_start, tuple(engine.workers)))
        self._unsubscribe = engine.bus.subscribe(self._writer.offer)
        self.report_status()
        self._schedule_sample()

    def report_status(self) -> None:
        """Put each start and end of a write failure on the bus, as a ``history`` event
        (on the engine's loop: the sampling timer calls it every second)."""
        if self._writer is None or self._engine is None:
            return
        while True:
            try:
                change = self._writer.changes.get_nowait()
            except queue.Empty:
                return
            self._announce(change)

    def _announce(self, change: StatusChange) -> None:
        assert self._engine is not None
        status = change.status
        fields = {"active": not status.ok, "path": str(status.path), "held": status.held,
                  "lost": status.lost}  # fmt: skip
        when = self._engine.clock.time()
        self._engine.bus.emit(Event(when, "", EventKind.HISTORY, reason=change.text, fields=fields))

    def _not_recorded(self, event: Event) -> None:
        self._unrecorded += 1

    def close(self) -> None:
        """Flush, end the session, stop the writer and release the file (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        # The reader goes first: the writer's connection, closing last, folds the WAL back
        # into the file and removes it (a read-only connection closing last cannot).
        with self._reading:
            self._reader.close()
        if self._writer is not None:
            if self._engine is not None:
                self._sample_last_data()
                self._save_gap_profiles()
                self._writer.offer(SessionEnd(self._now()))
            self._writer.stop()
        self._session_start = None
        if self._lock is not None:
            self._lock.release()

    def flush(self, timeout: float = 5.0) -> int:
        """Wait until everything queued is committed; returns the events written so far."""
        return 0 if self._writer is None else self._writer.flush(timeout)

    @property
    def dropped(self) -> int:
        """Events this run will not record: refused while the writer was far behind or the
        file failed, refused by SQLite, or left unwritten at exit (each said in the log)."""
        status = self.status
        return 0 if status is None else status.lost

    def _schedule_sample(self) -> None:
        assert self._engine is not None
        clock = self._engine.clock
        self._timer = clock.call_at(clock.monotonic() + LAST_DATA_EVERY, self._tick)

    def _tick(self) -> None:
        self.report_status()
        self._sample_last_data()
        assert self._engine is not None
        if self._engine.clock.monotonic() >= self._profiles_due:
            self._profiles_due += GAP_PROFILES_EVERY
            self._save_gap_profiles()
        if not self._closed:
            self._schedule_sample()

    def _sample_last_data(self) -> None:
        """Queue each feed's and channel's last data time that moved (on the loop, ≤ 1 Hz)."""
        assert self._engine is not None and self._writer is not None
        changed: list[tuple[str, str | None, float]] = []
        sampled = self._sampled
        for feed in self._engine.snapshot():
            seen: list[tuple[str | None, float | None]] = [(None, feed.last_data_wall)]
            seen += [
                (c.key, None if c.last_data_age is None else feed.taken_at - c.last_data_age)
                for c in feed.channels
            ]
            for channel, ts in seen:
                key = (feed.name, channel)
                if ts is not None and abs(ts - sampled.get(key, -1.0)) > _SAME_DATA:
                    sampled[key] = ts
                    changed.append((feed.name, channel, ts))
        if changed:
            self._writer.offer(LastData(tuple(changed)))

    def _save_gap_profiles(self) -> None:
        assert self._engine is not None and self._writer is not None
        profiles = self._engine.learned_profiles()
        channels = self._engine.learned_channel_profiles()
        if profiles or channels:
            self._writer.offer(
                GapProfiles(
                    tuple((feed, tuple(rows)) for feed, rows in profiles.items()),
                    tuple((feed, tuple(rows)) for feed, rows in channels.items()),
                )
            )

    # -- reading ----------------------------------------------------------------

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._reading:
            return self._reader.execute(sql, params).fetchall()

    def events(
        self,
        feed: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int | None = None,
        kind: EventKind | None = None,
    ) -> list[Event]:
        """Events oldest first (of one ``kind``, if given); with ``limit``, the newest
        ``limit`` of them."""
        where, params = _window("ts", feed, since, until)
        if kind is not None:
            where += " AND kind = ?" if where else " WHERE kind = ?"
            params += (str(kind),)
        sql = f"SELECT {EVENT_COLUMNS} FROM events{where} ORDER BY ts DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params += (limit,)
        rows = self._query(sql, params)
        return [e for e in map(row_event, reversed(rows)) if e is not None]

    def incidents(self, feed: str | None = None, since: float | None = None) -> list[Incident]:
        """Incidents that were open at or after ``since``, oldest first (open ones included)."""
        clauses: list[str] = []
        params: list[Any] = []
        if feed is not None:
            clauses.append("feed = ?")
            params.append(feed)
        if since is not None:
            clauses.append("(end IS NULL OR end >= ?)")
            params.append(since)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        rows = self._query(
            f"SELECT {INCIDENT_COLUMNS} FROM incidents{where} ORDER BY start, id", tuple(params)
        )
        return [row_incident(row) for row in rows]

    def sessions(
        self, since: float | None = None, until: float | None = None
    ) -> list[tuple[float, float]]:
        """When feedwatch was monitoring: (start, end), clipped to [since, until], oldest
        first. A session that died ends at its last sign of life; this one's ends now."""
        rows = self._query(
            "SELECT start, coalesce(end, last_seen), pid FROM sessions ORDER BY start"
        )
        mine = self._session_start
        spans = [(s, e) for s, e, pid in rows if not (s == mine and pid == os.getpid())]
        if mine is not None:
            spans.append((mine, max(mine, self._now())))
        low = -float("inf") if since is None else since
        high = float("inf") if until is None else until
        return [(max(s, low), min(e, high)) for s, e in spans if e > low and s < high]

    def last_data(self) -> dict[tuple[str, str | None], float]:
        """(feed, channel or None) -> unix time of the last data seen, to within a second."""
        rows = self._query("SELECT feed, channel, ts FROM last_data")
        return {(feed, channel or None): ts for feed, channel, ts in rows}

    def gap_profiles(self) -> dict[str, list[tuple[int, int, int]]]:
        """feed -> (hour bucket, bin, count) rows learned by stale_after = "auto"."""
        profiles: dict[str, list[tuple[int, int, int]]] = {}
        for feed, bucket, index, count in self._query(
            "SELECT feed, bucket, bin, count FROM gap_profiles"
        ):
            profiles.setdefault(feed, []).append((bucket, index, count))
        return profiles

    def channel_gap_profiles(self) -> dict[str, list[tuple[str, int, int]]]:
        """feed -> (channel, bin, count) rows learned by channel_stale_after = "auto"."""
        profiles: dict[str, list[tuple[str, int, int]]] = {}
        for feed, channel, index, count in self._query(
            "SELECT feed, channel, bin, count FROM channel_gap_profiles"
        ):
            profiles.setdefault(feed, []).append((channel, index, count))
        return profiles

    def first_seen(self) -> dict[str, float]:
        """Each feed's first event kept: before it the feed was not in the config."""
        rows = self._query("SELECT feed, min(ts) FROM events GROUP BY feed")
        return {feed: ts for feed, ts in rows if feed}

    def feeds(self) -> list[str]:
        """Every feed the file mentions, by name."""
        rows = self._query("SELECT DISTINCT feed FROM events UNION SELECT feed FROM last_data")
        return sorted(name for (name,) in rows if name)  # "": feedwatch's own events


def _window(
    column: str, feed: str | None, since: float | None, until: float | None
) -> tuple[str, tuple[Any, ...]]:
    clauses: list[str] = []
    params: list[Any] = []
    for clause, value in (("feed = ?", feed), (f"{column} >= ?", since), (f"{column} < ?", until)):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


def _connect(path: Path, connect: Callable[[Path], sqlite3.Connection]) -> sqlite3.Connection:
    """Connect, turning SQLite's and the OS's complaints into one message for humans."""
    try:
        return connect(path)
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorname", "") in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
            raise HistoryError(
                f"{path} is not a feedwatch history file ({exc}); it is left as it is: "
                "move it aside, or set [history] path to another file"
            ) from None
        raise HistoryError(f"cannot use history file {path}: {exc}") from None
    except OSError as exc:
        raise HistoryError(f"cannot use history file {path}: {_os_problem(path, exc)}") from None


def _os_problem(path: Path, exc: OSError) -> str:
    """The OS's complaint, or the file that stands where a folder should be."""
    for folder in path.parents:
        if folder.is_dir():
            break
        if folder.exists():
            return f"{folder} is a file, not a folder"
    return exc.strerror or str(exc)
