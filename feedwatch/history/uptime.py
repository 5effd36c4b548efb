"""Uptime from stored events: how much of the time a feed was watched it was live.

Pure arithmetic over events and monitoring sessions (no SQLite, no Textual), so every
reader of the history computes the same figure from the same events.

A feed is *not live* while it is stale (feed-level ``stale`` until ``recovered``) or down
(``down`` active until inactive); where the two overlap the time counts once. Quiet hours
(``schedule`` with ``quiet`` true until false) and pauses (``disconnected`` with ``paused``
until ``reconnecting`` "resumed by user") are left out of both the live and the monitored
time: nobody expected data then. Time outside every monitoring session is not counted.

Conditions end with the session they were open in (a new process starts without them,
as the engine does), so the state at ``since`` is known only from the events before it:
pass the events from the start of the session that holds ``since``. Sessions may be
passed whole or clipped to the window.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from feedwatch.engine.events import Event, EventKind

LIVE = "live"
STALE = "stale"
DOWN = "down"
QUIET = "quiet"
PAUSED = "paused"
UNMONITORED = "unmonitored"
# Every state a span can have, in the order a timeline lists them.
STATES = (LIVE, STALE, DOWN, QUIET, PAUSED, UNMONITORED)
RESUMED = "resumed by user"  # the reason of the ``reconnecting`` event that ends a pause

Span = tuple[float, float, str]  # (start, end, state), unix seconds
Events = Sequence[Event]
Sessions = Sequence[tuple[float, float]]  # (start, end) of each monitoring session


@dataclass(frozen=True)
class Uptime:
    """Where a window's time went; ``percent`` is live time over monitored time."""

    live_seconds: float
    monitored_seconds: float  # live or not, with quiet and paused time left out
    quiet_seconds: float
    paused_seconds: float
    window_seconds: float  # until - since

    @property
    def percent(self) -> float | None:
        """None when nothing was monitored: no figure is better than a made-up 100 %."""
        if self.monitored_seconds <= 0:
            return None
        return 100.0 * self.live_seconds / self.monitored_seconds

    @property
    def not_live_seconds(self) -> float:
        return self.monitored_seconds - self.live_seconds

    @property
    def unmonitored_seconds(self) -> float:
        counted = self.monitored_seconds + self.quiet_seconds + self.paused_seconds
        return max(0.0, self.window_seconds - counted)


class _Conditions:
    """What is true of the feed at one instant, as its events say."""

    __slots__ = ("down", "paused", "quiet", "stale")

    def __init__(self) -> None:
        self.stale = self.down = self.quiet = self.paused = False

    def state(self) -> str:
        # The engine's own order: paused, then quiet, then the problems, worst first.
        if self.paused:
            return PAUSED
        if self.quiet:
            return QUIET
        if self.down:
            return DOWN
        return STALE if self.stale else LIVE

    def apply(self, event: Event) -> None:
        """Take one event that ``changes_state``."""
        kind = event.kind
        if kind == EventKind.STALE:
            self.stale = True
        elif kind == EventKind.RECOVERED:
            self.stale = False
        elif kind == EventKind.DOWN:
            self.down = event.fields.get("active") is not False
        elif kind == EventKind.SCHEDULE:
            self.quiet = bool(event.fields.get("quiet"))
            if self.quiet:
                self._stand_down()
        elif kind == EventKind.DISCONNECTED:
            self.paused = True
            self._stand_down()
        elif kind == EventKind.RECONNECTING:
            self.paused = False

    def _stand_down(self) -> None:
        # Pausing and quiet hours end stale and down without events of their own.
        self.stale = self.down = False


def changes_state(event: Event) -> bool:
    """Whether the event can change the state a timeline shows."""
    kind = event.kind
    if kind in (EventKind.STALE, EventKind.RECOVERED):
        return event.channel is None  # a channel going stale leaves the feed live
    if kind == EventKind.DISCONNECTED:
        return bool(event.fields.get("paused"))
    if kind == EventKind.RECONNECTING:
        return event.reason == RESUMED
    return kind in (EventKind.DOWN, EventKind.SCHEDULE)


def merge_sessions(sessions: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """The union of monitoring sessions, oldest first, with overlaps and touches joined."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(sessions):
        if end < start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def sessions_watching(events: Events, sessions: Sessions, feed: str) -> list[tuple[float, float]]:
    """The sessions from the first one the feed has events in (each run says at least that
    it connected, or why not): before it, the feed was not in the config, so not watched."""
    first = min((e.ts for e in events if e.feed == feed), default=None)
    return sessions_since(first, sessions)


def sessions_since(first: float | None, sessions: Sessions) -> list[tuple[float, float]]:
    """The sessions that end after a feed's first event (none if it has none)."""
    if first is None:
        return []
    return [(start, end) for start, end in merge_sessions(sessions) if end >= first]


def state_change(event: Event) -> Event:
    """The part of an event ``changes_state`` needs, to keep many for long at little cost."""
    fields = {k: v for k, v in event.fields.items() if k in ("active", "quiet", "paused")}
    reason = event.reason if event.kind == EventKind.RECONNECTING else None
    return Event(event.ts, event.feed, event.kind, event.channel, reason, None, fields)


def state_spans(
    events: Events, sessions: Sessions, feed: str, since: float, until: float
) -> list[Span]:
    """The feed's states over [since, until] as contiguous spans, for a timeline."""
    spans: list[Span] = []
    if until <= since:
        return spans

    def put(start: float, end: float, state: str) -> None:
        start, end = max(start, since), min(end, until)
        if end <= start:
            return
        if spans and spans[-1][2] == state and spans[-1][1] == start:
            spans[-1] = (spans[-1][0], end, state)
        else:
            spans.append((start, end, state))

    changes = sorted((e for e in events if e.feed == feed and changes_state(e)), key=lambda e: e.ts)
    now = _Conditions()
    cursor = since
    i = 0
    for n, (start, end) in enumerate(merge_sessions(sessions)):
        if start >= until:
            break
        # Events before the first session set the state it begins in (so sessions clipped
        # to ``since`` work too); between sessions only the schedule moves on: quiet hours
        # are a fact of the clock, the rest ended with the session before.
        while i < len(changes) and changes[i].ts < start:
            if n == 0 or changes[i].kind == EventKind.SCHEDULE:
                now.apply(changes[i])
            i += 1
        put(cursor, start, UNMONITORED)
        at = start
        while i < len(changes) and changes[i].ts <= end:
            put(at, changes[i].ts, now.state())
            at = changes[i].ts
            now.apply(changes[i])
            i += 1
        put(at, end, now.state())
        now = _Conditions()  # what was open ends with the session
        cursor = max(cursor, end)
    put(cursor, until, UNMONITORED)
    return spans


def uptime(events: Events, sessions: Sessions, feed: str, since: float, until: float) -> Uptime:
    """The feed's uptime over [since, until]: live time over monitored time."""
    totals = dict.fromkeys(STATES, 0.0)
    for start, end, state in state_spans(events, sessions, feed, since, until):
        totals[state] += end - start
    live = totals[LIVE]
    return Uptime(
        live_seconds=live,
        monitored_seconds=live + totals[STALE] + totals[DOWN],
        quiet_seconds=totals[QUIET],
        paused_seconds=totals[PAUSED],
        window_seconds=max(0.0, until - since),
    )
