"""A week of history on the fake clock, for the dashboard's snapshots and tests.

``ScriptedHistory`` answers like the history store (events oldest first, the newest
``limit`` of them; sessions clipped, the running one ending now; incidents derived from
the events) without SQLite or threads, so what the snapshots show is the same every run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from feedwatch.engine.clock import FakeClock
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import Event, EventKind

HOUR = 3600.0
DAY = 24 * HOUR


@dataclass(frozen=True)
class Incident:
    feed: str
    channel: str | None
    kind: str
    start: float
    end: float | None
    duration_seconds: float | None
    cause: str | None
    reconnects: int


class ScriptedHistory:
    """An in-memory history store: past sessions and events, plus the running session."""

    def __init__(
        self,
        now: Callable[[], float],
        running_since: float | None = None,
        *,
        read_only: bool = False,
        owner: str | None = None,
    ) -> None:
        self.read_only = read_only
        self.owner = owner
        self.reads = 0
        self._now = now
        self._events: list[Event] = []
        self._sessions: list[tuple[float, float]] = []
        self._running_since = running_since

    # -- scripting ----------------------------------------------------------

    def session(self, start: float, end: float) -> None:
        self._sessions.append((start, end))

    def add(self, events: Iterable[Event]) -> None:
        self._events.extend(events)
        self._events.sort(key=lambda e: e.ts)

    def event(self, ts: float, feed: str, kind: EventKind, reason: str | None = None,
              channel: str | None = None, age: float | None = None,
              **fields: Any) -> None:  # fmt: skip
        self.add([Event(ts, feed, kind, channel, reason, age, fields)])

    # -- the store's reading API ----------------------------------------------

    def events(self, **query: Any) -> list[Event]:
        """As the store: feed, since (inclusive), until (exclusive), the newest ``limit``."""
        self.reads += 1
        feed, since, until = (query.get(k) for k in ("feed", "since", "until"))
        found = [
            e
            for e in self._events
            if feed in (None, e.feed)
            and (since is None or e.ts >= since)
            and (until is None or e.ts < until)
        ]
        limit = query.get("limit")
        return found if limit is None else found[-limit:]

    def sessions(
        self, since: float | None = None, until: float | None = None
    ) -> list[tuple[float, float]]:
        spans = list(self._sessions)
        if self._running_since is not None:
            spans.append((self._running_since, self._now()))
        low = -float("inf") if since is None else since
        high = float("inf") if until is None else until
        return [(max(s, low), min(e, high)) for s, e in sorted(spans) if e > low and s < high]

    def incidents(self, feed: str | None = None, since: float | None = None) -> list[Incident]:
        found = [
            i
            for i in self._derive()
            if (feed is None or i.feed == feed)
            and (since is None or i.end is None or i.end >= since)
        ]
        return sorted(found, key=lambda i: i.start)

    def _derive(self) -> list[Incident]:
        done: list[Incident] = []
        open_: dict[tuple[str, str | None, str], tuple[float, str | None, int]] = {}

        def close(key: tuple[str, str | None, str], end: float) -> None:
            if key in open_:
                start, cause, count = open_.pop(key)
                done.append(Incident(*key, start, end, end - start, cause, count))

        for e in self._events:
            if e.kind is EventKind.STALE:
                open_.setdefault((e.feed, e.channel, "stale"), (e.ts, e.reason, 0))
            elif e.kind is EventKind.RECOVERED:
                close((e.feed, e.channel, "stale"), e.ts)
            elif e.kind is EventKind.DOWN and e.fields.get("active"):
                open_.setdefault((e.feed, None, "down"), (e.ts, e.reason, 0))
            elif e.kind is EventKind.DOWN:
                close((e.feed, None, "down"), e.ts)
            elif e.kind is EventKind.STATE and e.channel is None:
                if e.fields.get("state") == "partial":
                    open_.setdefault((e.feed, None, "partial"), (e.ts, e.reason, 0))
                elif e.fields.get("state") not in ("backoff", "connecting"):
                    close((e.feed, None, "partial"), e.ts)
            elif e.kind is EventKind.RECONNECTING:
                for key, (start, cause, count) in open_.items():
                    if key[0] == e.feed:
                        open_[key] = (start, cause, count + 1)
        done += [Incident(*key, s, None, None, c, n) for key, (s, c, n) in open_.items()]
        return done


def week_of_history(
    engine: Engine, clock: FakeClock, *, read_only: bool = False, owner: str | None = None
) -> ScriptedHistory:
    """The scripted engine's feeds over the week before it started, with three restarts.

    The engine's own events (from its scripted minute) are in it too, as a store attached
    to it would have them.
    """
    recent = list(engine.bus.recent)
    start = recent[0].ts  # this run began with its first event
    history = ScriptedHistory(clock.time, running_since=start, read_only=read_only, owner=owner)
    ev = history.event
    for begin, end in (
        (start - 7 * DAY - HOUR, start - 3 * DAY),
        (start - 3 * DAY + 2 * HOUR, start - 10 * HOUR),  # died 10 hours ago
        (start - 9 * HOUR, start - 300),  # stopped 5 minutes before this run
    ):
        history.session(begin, end)
        for name, worker in engine.workers.items():
            ev(begin + 0.5, name, EventKind.CONNECTED, url=worker.display_url, subscribed=1)

    def stale(
        ts: float, feed: str, gap: float, reconnects: int = 1, channel: str | None = None
    ) -> None:
        reason = f"no data{' on channel' if channel else ''} for 30s"
        ev(ts, feed, EventKind.STALE, reason, channel, 30.0, stale_after_seconds=30.0)
        for n in range(reconnects):
            ev(
                ts + n,
                feed,
                EventKind.RECONNECTING,
                "stale: no data",
                delay_seconds=1.0,
                attempt=n + 1,
            )
        ev(ts + gap, feed, EventKind.RECOVERED, "data flowing again", channel, gap + 30,
           outage_seconds=gap)  # fmt: skip

    # binance: two short stalls, one of them yesterday.
    stale(start - 2 * DAY, "binance-btcusdt", 300, reconnects=2)
    stale(start - 20 * HOUR, "binance-btcusdt", 90)
    # coinbase: a 40-minute outage this morning, and a stall still open when feedwatch stopped.
    stale(start - 8 * HOUR - 40 * 60, "coinbase-eth", 40 * 60, reconnects=6)
    ev(start - 400, "coinbase-eth", EventKind.STALE, "no data for 30s", age=30.0,
       stale_after_seconds=30.0)  # fmt: skip
    # kraken: down for an hour (with a stale that began just before), six hours ago.
    ev(start - 6 * HOUR - 30, "kraken-book", EventKind.STALE, "no data for 10s", age=10.0,
       stale_after_seconds=10.0)  # fmt: skip
    ev(start - 6 * HOUR, "kraken-book", EventKind.DOWN, "HTTP 502 Bad Gateway", active=True)
    for n in range(12):
        ev(start - 6 * HOUR + n * 300, "kraken-book", EventKind.RECONNECTING, "HTTP 502",
           delay_seconds=30.0, attempt=n + 1)  # fmt: skip
    ev(start - 5 * HOUR, "kraken-book", EventKind.DOWN, "ended: connected again", active=False)
    ev(start - 5 * HOUR + 10, "kraken-book", EventKind.RECOVERED, "data flowing again",
       age=HOUR + 50, outage_seconds=HOUR + 40)  # fmt: skip
    # okx: a channel that stalls (the feed stays live), and a feed-wide stall 4 days ago.
    stale(start - 3 * HOUR, "okx-multiplex", 600, reconnects=0, channel="sol")
    stale(start - 4 * DAY, "okx-multiplex", 1800, reconnects=3)
    # bybit: down for half an hour twelve hours ago.
    ev(
        start - 12 * HOUR,
        "bybit-linear",
        EventKind.DOWN,
        "HTTP 503 Service Unavailable",
        active=True,
    )
    ev(start - 11.5 * HOUR, "bybit-linear", EventKind.DOWN, "ended: connected again", active=False)
    # greenhouse: paused for three hours yesterday evening (and paused again now).
    ev(start - 16 * HOUR, "greenhouse-iot", EventKind.DISCONNECTED, "paused by user", paused=True)
    ev(start - 13 * HOUR, "greenhouse-iot", EventKind.RECONNECTING, "resumed by user",
       delay_seconds=0.0)  # fmt: skip
    history.add(recent)
    return history
