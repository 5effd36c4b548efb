"""Push check-ins: a feed with no connection, whose data arrives as HTTP requests.

The consumer being watched (a cron job, a shell loop, a Python process) calls
``POST /v1/push/<feed>`` on feedwatch's own HTTP server. The server hands each accepted
check-in to the feed's ``PushInbox``; the feed's worker reads them from there like
frames off a socket, so classification, channels, content rules, deadlines, schedules,
alerts and history treat a push feed like any other. The inbox is bounded and rate
limited: a misbehaving client costs a 429, never memory or a flooded history.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from feedwatch.config.model import FeedConfig
from feedwatch.transports.connection import Classify, OnData, Plain, Sink
from feedwatch.transports.kind import Kind

# Check-ins held for the worker at most; it drains them on the same loop, so this only
# fills while the feed is paused.
INBOX_KEEP = 256


@dataclass
class PushCounts:
    """What the push endpoint did for one feed (read by /metrics)."""

    accepted: int = 0
    unauthorized: int = 0
    limited: int = 0
    rejected: int = 0  # a body the feed's rules cannot read, or too large


class TokenBucket:
    """``rate`` check-ins a second on average, ``burst`` at once; time comes from the caller."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.at: float | None = None

    def take(self, now: float) -> float:
        """0.0 when a token was taken, else the seconds until one is free."""
        if self.at is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class PushInbox:
    """One push feed's check-ins on their way to its worker; also the feed's opener."""

    def __init__(self, feed: FeedConfig) -> None:
        self.feed = feed
        self.counts = PushCounts()
        self.bucket = TokenBucket(feed.push_rate, max(1.0, feed.push_burst))
        self._items: deque[tuple[bytes, bool]] = deque(maxlen=INBOX_KEEP)
        self._ready: asyncio.Event | None = None

    def offer(self, body: bytes, heartbeat: bool) -> None:
        """Queue one accepted check-in (the server has checked the token and the rate)."""
        self.counts.accepted += 1
        self._items.append((body, heartbeat))
        if self._ready is not None:
            self._ready.set()

    async def __call__(self, feed: FeedConfig) -> PushConnection:
        """Opening a push feed cannot fail: it waits for check-ins, it does not dial out."""
        self._items.clear()  # check-ins held while paused are old news, not data now
        self._ready = asyncio.Event()
        return PushConnection(self)

    async def next(self) -> tuple[bytes, bool]:
        ready = self._ready
        assert ready is not None
        while not self._items:
            ready.clear()
            await ready.wait()
        return self._items.popleft()


class PushConnection(Plain):
    """The worker's side of an inbox: each check-in is one frame."""

    def __init__(self, inbox: PushInbox) -> None:
        self.inbox = inbox
        self.heartbeat = False

    async def recv(self) -> bytes:
        body, self.heartbeat = await self.inbox.next()
        return body

    async def close(self) -> None:
        return None

    def adapt(self, classify: Classify, sink: Sink) -> tuple[Classify, OnData]:
        heartbeat, data = (Kind.HEARTBEAT, None, None), (Kind.DATA, None, None)

        def check_in(raw: bytes) -> tuple[Kind, str | None, str | None]:
            if self.heartbeat:
                return heartbeat  # kind=heartbeat: alive, but wrote nothing
            if not raw.strip():
                classify(b"{}")  # so content rules read this check-in, not the one before
                return data  # a bare check-in: data, on no channel
            return classify(raw)

        return check_in, sink.on_data
