"""Uptime from stored events: how much of the time a feed was watched it was live.

Pure arithmetic over events and monitoring sessions (no SQLite, no Textual), so every
reader of the history computes the same figure from the same events.

The rule: uptime is live time over watched time, and the engine's verdict says which is
which. Every session begins in ``connecting`` (the engine's first verdict, which no event
announces) and each ``state`` event moves the feed on. Only ``live`` is live; stale,
partial, frozen, lagging, backoff and connecting time is watched but not live; paused and
quiet time leave both sides, since nobody expected data then. Time outside every
monitoring session is not counted. A session that holds other feeds' ``state`` events but
none of this feed's did not watch it (the feed was not in that run's config).

Sessions recorded before feedwatch announced its verdict (no ``state`` event in them) are
read the old way, from conditions: not live while stale (feed-level ``stale`` until
``recovered``) or down (``down`` active until inactive, shown as backoff); quiet hours
(``schedule`` with ``quiet`` true until false) and pauses (``disconnected`` with ``paused``
until ``reconnecting`` "resumed by user") left out. That reading cannot see backoff,
connecting or a stale channel, so it is kinder than the verdict; it is kept only so older
files still give a figure.

What was true at a session's end ends with it (a new process starts in ``connecting``, as
the engine does), so the state at ``since`` is known only from the events before it: pass
the events from the start of the session that holds ``since``. Sessions may be passed
whole or clipped to the window.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from feedwatch.engine.events import Event, EventKind
from feedwatch.engine.verdict import RESTING, State

LIVE = str(State.LIVE)
PARTIAL = str(State.PARTIAL)
STALE = str(State.STALE)
FROZEN = str(State.FROZEN)
LAGGING = str(State.LAGGING)
BACKOFF = str(State.BACKOFF)
CONNECTING = str(State.CONNECTING)
QUIET = str(State.QUIET)
PAUSED = str(State.PAUSED)
UNMONITORED = "unmonitored"
# Every state a span can have, in the order a timeline lists them: the verdict's (live,
# then the problems, then the resting states), and the time nobody watched.
STATES = (LIVE, PARTIAL, STALE, FROZEN, LAGGING, BACKOFF, CONNECTING, QUIET, PAUSED, UNMONITORED)
# Watched time: every state but these counts in the denominator.
NOT_WATCHED = frozenset({*map(str, RESTING), UNMONITORED})
# What a report or a cell shows instead of a figure when nothing was watched.
NO_FIGURE = "—"
RESUMED = "resumed by user"  # the reason of the ``reconnecting`` event that ends a pause

Span = tuple[float, float, str]  # (start, end, state), unix seconds
Events = Sequence[Event]
Sessions = Sequence[tuple[float, float]]  # (start, end) of each monitoring session


@dataclass(frozen=True)
class Uptime:
    """Where a window's time went; ``percent`` is live time over watched time."""

    live_seconds: float
    monitored_seconds: float  # watched: live or not, with quiet and paused time left out
    quiet_seconds: float
    paused_seconds: float
    window_seconds: float  # until - since

    @property
    def percent(self) -> float | None:
        """None when nothing was watched: no figure is better than a made-up 100 %."""
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


def changes_state(event: Event) -> bool:
    """Whether the event can change the state a timeline shows (by verdict or by the
    older conditions)."""
    kind = event.kind
    if kind in (EventKind.STATE, EventKind.STALE, EventKind.RECOVERED):
        return event.channel is None  # a channel's own events: its feed's verdict says it
    if kind == EventKind.DISCONNECTED:
        return bool(event.fields.get("paused"))
    if kind == EventKind.RECONNECTING:
        return event.reason == RESUMED
    return kind in (EventKind.DOWN, EventKind.SCHEDULE)


def verdict_times(events: Iterable[Event]) -> list[float]:
    """When any feed's verdict changed, oldest first: a session holding one of them was
    recorded by a feedwatch that announces its verdict."""
    return sorted(e.ts for e in events if e.kind is EventKind.STATE)


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
    keep = ("active", "quiet", "paused", "state")
    fields = {k: v for k, v in event.fields.items() if k in keep}
    reason = event.reason if event.kind == EventKind.RECONNECTING else None
    return Event(event.ts, event.feed, event.kind, event.channel, reason, None, fields)


class _Put(Protocol):
    def __call__(self, start: float, end: float, state: str, /) -> None: ...


def state_spans(
    events: Events,
    sessions: Sessions,
    feed: str,
    since: float,
    until: float,
    verdicts: Sequence[float] | None = None,
) -> list[Span]:
    """The feed's states over [since, until] as contiguous spans, for a timeline.

    ``verdicts`` are the times of every feed's ``state`` events (``verdict_times``); by
    default those among ``events``, which is enough when they hold every feed's.
    """
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
    marks = verdict_times(events) if verdicts is None else verdicts
    cursor = since
    begun = -float("inf")  # events after the previous session belong to the next one
    i = 0
    for start, end in merge_sessions(sessions):
        if start >= until:
            break
        j = bisect.bisect_right(changes, end, lo=i, key=lambda e: e.ts)
        held, i = changes[i:j], j
        put(cursor, start, UNMONITORED)
        own = [e for e in held if e.kind is EventKind.STATE]
        if own:
            _by_verdict(own, start, end, put)
        elif bisect.bisect_right(marks, end) > bisect.bisect_right(marks, begun):
            put(start, end, UNMONITORED)  # that run announced verdicts, none of this feed's
        else:
            _by_conditions(held, first=begun == -float("inf"), start=start, end=end, put=put)
        cursor = max(cursor, end)
        begun = end
    put(cursor, until, UNMONITORED)
    return spans


def _by_verdict(verdicts: Events, start: float, end: float, put: _Put) -> None:
    """One session's states from its ``state`` events; it begins in ``connecting``."""
    state, at = CONNECTING, start
    for event in verdicts:
        if event.ts > at:
            put(at, event.ts, state)
            at = event.ts
        state = _verdict(event)
    put(at, end, state)


def _verdict(event: Event) -> str:
    state = event.fields.get("state")
    if isinstance(state, str) and state in STATES and state != UNMONITORED:
        return state
    return STALE  # a verdict this feedwatch does not know (a newer one's): not live


# -- sessions recorded before the verdict: the older derivation, from conditions -------


class _Conditions:
    """What is true of the feed at one instant, as its condition events say."""

    __slots__ = ("down", "paused", "quiet", "stale")

    def __init__(self) -> None:
        self.stale = self.down = self.quiet = self.paused = False

    def state(self) -> str:
        # The engine's own order: paused, then quiet, then the problems, worst first.
        if self.paused:
            return PAUSED
        if self.quiet:
            return QUIET
        if self.stale:
            return STALE
        # Down is "could not connect for down_after": the verdict was backoff then.
        return BACKOFF if self.down else LIVE

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


def _by_conditions(held: Events, *, first: bool, start: float, end: float, put: _Put) -> None:
    """One session's states from its condition events (a session without verdicts).

    Events before the first session set the state it begins in (so sessions clipped to
    ``since`` work too); before a later one only the schedule counts: quiet hours are a
    fact of the clock, the rest ended with the session before.
    """
    now = _Conditions()
    at = start
    for event in held:
        if event.ts < start:
            if first or event.kind == EventKind.SCHEDULE:
                now.apply(event)
            continue
        put(at, event.ts, now.state())
        at = event.ts
        now.apply(event)
    put(at, end, now.state())


def uptime(
    events: Events,
    sessions: Sessions,
    feed: str,
    since: float,
    until: float,
    verdicts: Sequence[float] | None = None,
) -> Uptime:
    """The feed's uptime over [since, until]: live time over watched time."""
    totals = dict.fromkeys(STATES, 0.0)
    for start, end, state in state_spans(events, sessions, feed, since, until, verdicts):
        totals[state] += end - start
    return Uptime(
        live_seconds=totals[LIVE],
        monitored_seconds=sum(s for state, s in totals.items() if state not in NOT_WATCHED),
        quiet_seconds=totals[QUIET],
        paused_seconds=totals[PAUSED],
        window_seconds=max(0.0, until - since),
    )
