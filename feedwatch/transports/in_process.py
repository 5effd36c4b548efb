"""In-process feeds: a consumer in this process hands feedwatch the messages it reads.

A Python program that holds its own connection (``feedwatch.Watcher``) needs no second
one: it attaches to the feed's ``InProcessLine`` when its stream starts, delivers each
message, and detaches when the stream ends. The feed's worker opens the line like any
transport: opening waits for a consumer to attach, and the "connection" ends when it
detaches. While the worker is connected each delivery runs the worker's own reader
(classifier, then monitor) on the consumer's call stack: no queue, no task switch, and
the message is timed by the engine's clock the moment the consumer has it. Between
attaching and the worker's connect (one loop iteration) deliveries wait in a small
bounded buffer; while feedwatch holds the feed (paused) they are dropped.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from feedwatch.config.model import FeedConfig
from feedwatch.transports.connection import Closed, Plain

# Messages held between a consumer attaching and the worker connecting, at most.
PENDING_KEEP = 64

Deliver = Callable[[bytes], object]


def _drop(raw: bytes) -> None:
    return None


class InProcessLine:
    """One in-process feed's line from its consumer to its worker; also the feed's opener."""

    def __init__(self, feed: FeedConfig) -> None:
        self.feed = feed
        self.attached = False
        # What a delivery does now: buffer, read (the worker's reader), or drop.
        self.deliver: Deliver = _drop
        self._pending: deque[bytes] = deque(maxlen=PENDING_KEEP)
        self._arrived: asyncio.Event | None = None
        self._conn: InProcessConnection | None = None

    def attach(self) -> None:
        """A consumer's stream starts: the feed connects (on the loop's next turn)."""
        if self.attached:
            return
        self.attached = True
        self._pending.clear()
        self.deliver = self._pending.append
        if self._arrived is not None:
            self._arrived.set()

    def detach(self, cause: str) -> None:
        """The consumer's stream ended: the feed is disconnected, for ``cause``."""
        if not self.attached:
            return
        self.attached = False
        self.deliver = _drop
        self._pending.clear()
        if self._arrived is not None:
            self._arrived.clear()
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.end(cause)

    async def __call__(self, feed: FeedConfig) -> InProcessConnection:
        """Opening waits for a consumer; it cannot fail."""
        if self._arrived is None:
            self._arrived = asyncio.Event()
            if self.attached:
                self._arrived.set()
        await self._arrived.wait()
        conn = InProcessConnection(self)
        self._conn = conn
        return conn

    def _connected(self, handle: Callable[[bytes], object]) -> None:
        pending = list(self._pending)
        self._pending.clear()
        self.deliver = handle
        for raw in pending:
            handle(raw)

    def _closed(self, conn: InProcessConnection) -> None:
        if self._conn is conn:
            self._conn = None
            self.deliver = _drop  # feedwatch let go (paused, reconnecting): not data now


class InProcessConnection(Plain):
    """The worker's side of a line: ``recv`` returns nothing, it waits for the stream's end."""

    def __init__(self, line: InProcessLine) -> None:
        self.line = line
        self._ended: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def hand(self, handle: Callable[[bytes], object]) -> None:
        """The worker's reader, connected: from now on every delivery runs it."""
        self.line._connected(handle)

    def end(self, cause: str) -> None:
        if not self._ended.done():
            self._ended.set_result(cause)

    async def recv(self) -> bytes:
        cause = await self._ended
        raise Closed(None, None, cause)

    async def close(self) -> None:
        self.line._closed(self)
