"""What the dashboard shows of the history store: the log before this run, uptime per
feed, and one feed's uptime, states and incidents.

The store is read at most every few seconds, never per message or per frame: the first
read takes the last week of events (from the start of the session that holds the week's
first instant, so states open then are known), later reads only what is new. Figures are
computed once per read and kept until the next, by the rule of ``feedwatch.history.uptime``
(live time over watched time, from the engine's verdicts). A feed counts as watched from
the first session it has events in: before that it was not in the config.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from feedwatch.engine.events import Event
from feedwatch.history.status import HistoryStatus
from feedwatch.history.uptime import (
    Span,
    Uptime,
    changes_state,
    merge_sessions,
    sessions_since,
    state_change,
    state_spans,
    uptime,
    verdict_times,
)
from feedwatch.tui.widgets.event_log import LogMark

log = logging.getLogger(__name__)

HOUR = 3600.0
DAY = 24 * HOUR
WEEK = 7 * DAY
# The windows the detail screen gives uptime for, shortest first.
WINDOWS = (("1h", HOUR), ("24h", DAY), ("7d", WEEK))
# How often the store is read again, at most.
REREAD_EVERY = 5.0
# How many past events the log shows on start.
BACKLOG = 200


@runtime_checkable
class EventHistory(Protocol):
    """Anything that can list past events in [since, until), oldest first (with ``limit``,
    the newest ``limit`` of them), such as the history store."""

    def events(
        self, *, since: float | None = None, until: float | None = None, limit: int | None = None
    ) -> list[Event]: ...


class IncidentRecord(Protocol):
    """One stale, down or partial period, as the history store keeps it."""

    @property
    def feed(self) -> str: ...
    @property
    def channel(self) -> str | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float | None: ...
    @property
    def duration_seconds(self) -> float | None: ...
    @property
    def cause(self) -> str | None: ...
    @property
    def reconnects(self) -> int: ...


@runtime_checkable
class HistoryReader(EventHistory, Protocol):
    """A history store as the dashboard reads it (``feedwatch.history.store.HistoryStore``)."""

    @property
    def read_only(self) -> bool: ...
    @property
    def owner(self) -> str | None: ...
    def incidents(
        self, feed: str | None = None, since: float | None = None
    ) -> Sequence[IncidentRecord]: ...
    def sessions(
        self, since: float | None = None, until: float | None = None
    ) -> list[tuple[float, float]]: ...


@dataclass(frozen=True)
class FeedHistory:
    """One feed's past, as of one read of the store."""

    now: float
    uptimes: tuple[tuple[str, Uptime], ...]  # (window label, uptime), shortest first
    spans: tuple[Span, ...]  # states over the last day
    incidents: tuple[IncidentRecord, ...]  # the last week's, newest first

    @property
    def since(self) -> float:
        """Where the states begin."""
        return self.now - DAY


EventKey = tuple[float, str, str, str | None, str | None]


def _key(event: Event) -> EventKey:
    return (event.ts, event.feed, str(event.kind), event.channel, event.reason)


class HistoryView:
    """The store's figures for the dashboard, re-read at most every ``every`` seconds."""

    def __init__(
        self, history: HistoryReader, clock: Callable[[], float], every: float = REREAD_EVERY
    ) -> None:
        self.history = history
        self.every = every
        self.read_at: float | None = None
        self.problem: str | None = None  # why the last read failed, for a notification
        self._clock = clock
        # Only what can change a feed's state (its verdicts; stale, recovered, down, quiet
        # and pause in older sessions), cut down to the fields that say how: a week of a
        # busy feed's every event would be gigabytes, re-scanned every few seconds.
        self._changes: list[Event] = []
        self._verdicts: list[float] = []  # when any feed's verdict changed
        self._first_seen: dict[str, float] = {}  # each feed's first event read
        self._cursor: float | None = None  # the newest event time read
        self._newest: set[EventKey] = set()  # the events read at that time
        self._sessions: list[tuple[float, float]] = []
        self._day: dict[str, float | None] = {}
        self._feeds: dict[str, FeedHistory] = {}

    def refresh(self) -> bool:
        """Read what is new, if the last read is old enough; True if it read."""
        now = self._clock()
        if self.read_at is not None and now - self.read_at < self.every:
            return False
        self.read_at = now
        self._day.clear()
        self._feeds.clear()
        try:
            sessions = merge_sessions(self.history.sessions())
            horizon = now - WEEK
            for start, end in sessions:
                if start <= horizon <= end:
                    horizon = start  # the state at the week's start is known from here
            self._read_events(horizon)
            self._verdicts = verdict_times(self._changes)
        except Exception as exc:  # a broken file must not take the dashboard down
            log.exception("history could not be read")
            self.problem = f"{type(exc).__name__}: {exc}"
            return True
        self._sessions = sessions
        self.problem = None
        return True

    def _read_events(self, horizon: float) -> None:
        cursor = self._cursor
        fresh = self.history.events(since=horizon if cursor is None else cursor)
        if cursor is not None:
            fresh = [e for e in fresh if _key(e) not in self._newest]
        changes, first_seen = self._changes, self._first_seen
        for event in fresh:
            first_seen.setdefault(event.feed, event.ts)
            if changes_state(event):
                changes.append(state_change(event))
        if fresh:
            last = fresh[-1].ts
            at_last = {
                _key(e) for e in itertools.takewhile(lambda e: e.ts == last, reversed(fresh))
            }
            self._newest = self._newest | at_last if last == cursor else at_last
            self._cursor = last
        del changes[: bisect.bisect_left(changes, horizon, key=lambda e: e.ts)]

    def day_uptimes(self, feeds: Iterable[str]) -> dict[str, float | None]:
        """Each feed's uptime % over the last 24 h (None: not monitored)."""
        missing = [name for name in feeds if name not in self._day]
        if missing and self.read_at is not None:
            now = self.read_at
            by_feed = self._by_feed(missing)
            for name in missing:
                events = by_feed[name]
                sessions = sessions_since(self._first_seen.get(name), self._sessions)
                figure = uptime(events, sessions, name, now - DAY, now, self._verdicts)
                self._day[name] = figure.percent
        return dict(self._day)

    def feed(self, name: str) -> FeedHistory | None:
        """One feed's uptimes, states and incidents (None before the first read)."""
        if self.read_at is None:
            return None
        cached = self._feeds.get(name)
        if cached is not None:
            return cached
        now = self.read_at
        events = self._by_feed([name])[name]
        sessions = sessions_since(self._first_seen.get(name), self._sessions)
        try:
            incidents = tuple(reversed(self.history.incidents(feed=name, since=now - WEEK)))
        except Exception as exc:
            log.exception("history incidents could not be read")
            self.problem = f"{type(exc).__name__}: {exc}"
            incidents = ()
        shown = FeedHistory(
            now=now,
            uptimes=tuple(
                (label, uptime(events, sessions, name, now - seconds, now, self._verdicts))
                for label, seconds in WINDOWS
            ),
            spans=tuple(state_spans(events, sessions, name, now - DAY, now, self._verdicts)),
            incidents=incidents,
        )
        self._feeds[name] = shown
        return shown

    def _by_feed(self, names: Sequence[str]) -> dict[str, list[Event]]:
        wanted: dict[str, list[Event]] = {name: [] for name in names}
        for event in self._changes:
            found = wanted.get(event.feed)
            if found is not None:
                found.append(event)
        return wanted


def backlog(history: EventHistory, boundary: float, limit: int = BACKLOG) -> list[Event | LogMark]:
    """The log's lines from before ``boundary`` (this run's start): the last ``limit``
    events, with each start of feedwatch among them marked, and this one last."""
    events = history.events(until=boundary, limit=limit)
    marks = [boundary]
    if isinstance(history, HistoryReader) and events:
        # Every start among the events, and that of the run the first of them belongs to.
        first = events[0].ts
        starts = [s for s, _ in merge_sessions(history.sessions()) if s < boundary]
        held = [s for s in starts if s <= first][-1:]
        marks[:0] = held + [s for s in starts if s > first]
    lines: list[Event | LogMark] = []
    i = 0
    for event in events:
        while i < len(marks) - 1 and marks[i] <= event.ts:
            lines.append(started(marks[i], boundary))
            i += 1
        lines.append(event)
    lines += [started(mark, boundary) for mark in marks[i:]]
    # A start with nothing logged after it belongs to the same run as the next (a store
    # opens its session a moment before the engine says anything): keep the later one.
    return [
        line
        for line, after in zip(lines, [*lines[1:], None], strict=True)
        if not (isinstance(line, LogMark) and isinstance(after, LogMark))
    ]


def started(wall: float, today: float) -> LogMark:
    """The muted line that marks where feedwatch started, dated when not on ``today``'s day."""
    moment = time.localtime(wall)
    same_day = moment[:3] == time.localtime(today)[:3]
    when = time.strftime("%H:%M" if same_day else "%b %d %H:%M", moment)
    return LogMark(wall, f"── feedwatch started {when} ──")


def history_status(history: object) -> HistoryStatus | None:
    """Whether the history this dashboard records takes writes (None: it records none)."""
    status = getattr(history, "status", None)
    return status if isinstance(status, HistoryStatus) else None


def read_only_notice(history: object) -> str | None:
    """What to tell someone whose dashboard reads a history that another process writes."""
    if not getattr(history, "read_only", False) or history_status(history) is not None:
        return None
    owner = getattr(history, "owner", None) or "another feedwatch"
    return f"History is written by {owner}; this dashboard only reads it"
