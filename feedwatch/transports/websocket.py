"""The WebSocket transport: opening a connection and explaining why one failed.

Everything ``websockets``-specific lives here, so the worker deals in plain
facts: a connection to read bytes from, or a ``Failure`` with a reason a
person can act on (HTTP status, DNS, TLS, timeout, refused).
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)

from feedwatch import __version__
from feedwatch.config.model import FeedConfig
from feedwatch.transports.connection import (
    Classify,
    Closed,
    Failure,
    OnData,
    OpenFailed,
    Sink,
    describe_network_failure,
    describe_tls_cut,
    retry_after,
)

__all__ = ["Failure", "WebSocketConnection", "describe_close", "describe_failure"]


class WebSocketConnection:
    """A websockets client connection seen as a ``Connection``.

    ``recv`` is the library's own bound method (no wrapper per message), so it raises
    ``ConnectionClosed``; ``closed`` turns that into the neutral ``Closed``.
    """

    __slots__ = ("recv", "send", "ws")

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.recv = partial(ws.recv, False)
        self.send = ws.send

    async def close(self) -> None:
        await self.ws.close()

    def abort(self) -> None:
        self.ws.transport.abort()

    @property
    def latency(self) -> float | None:
        """Protocol ping round-trip time, once one has been measured."""
        return self.ws.latency or None

    def adapt(self, classify: Classify, sink: Sink) -> tuple[Classify, OnData]:
        return classify, sink.on_data


class FeedConnection(ClientConnection):
    """websockets' client connection, which also ends a closing handshake on time.

    When feedwatch fails the connection itself (an illegal frame: 1002; a message or a
    decompressed message over max_size: 1009) or answers the server's close, websockets
    sends its close frame and sets a close deadline, but only a later send or ping enforces
    it. A server that keeps TCP open and never answers would hold the read until the next
    protocol ping (20 s), and the feed would be reported "stale: no data" instead of for
    what happened. Here the deadline aborts the transport itself, so the read ends with the
    real close code within close_timeout.
    """

    _deadline_timer: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.close_deadline is not None and self._deadline_timer is None:
            self._deadline_timer = self.loop.call_at(self.close_deadline, self._close_overdue)

    def _close_overdue(self) -> None:
        if not self.connection_lost_waiter.done():
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
        super().connection_lost(exc)


def closed(exc: ConnectionClosed) -> Closed:
    """The neutral ``Closed`` for a websockets close."""
    return Closed(*describe_close(exc))


async def open_connection(feed: FeedConfig) -> WebSocketConnection:
    """Connect with the feed's limits; raises on any handshake failure."""
    secure = urlsplit(feed.url).scheme.lower() == "wss"
    # websockets refuses ssl= on a ws:// URL; leaving it out of a wss:// one means the system
    # trust store.
    tls: dict[str, Any] = {}
    if secure and feed.tls.context is not None:
        tls["ssl"] = feed.tls.context
    try:
        ws = await connect(
            feed.url,
            additional_headers=list(feed.headers) or None,
            open_timeout=feed.open_timeout,
            ping_interval=feed.protocol_ping_interval,
            ping_timeout=feed.protocol_ping_timeout,
            max_size=feed.max_size,
            close_timeout=2.0,
            create_connection=FeedConnection,
            user_agent_header=f"feedwatch/{__version__}",
            **tls,
        )
    except OSError as exc:
        # Raw socket errors come from connecting (TCP, then TLS); the HTTP upgrade wraps its own.
        cut = describe_tls_cut(exc) if secure else None
        if cut is None:
            raise
        raise OpenFailed(cut) from exc
    return WebSocketConnection(ws)


def describe_failure(exc: BaseException, now: float) -> Failure:
    """Turn a connect-time exception into a reason a person can act on."""
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        phrase = exc.response.reason_phrase
        retry = retry_after(exc.response.headers.get("Retry-After"), now)
        return Failure("http_status", f"HTTP {status} {phrase}".strip(), status, retry)
    if isinstance(exc, InvalidURI):
        return Failure("uri", f"invalid URL: {exc}")
    network = describe_network_failure(exc)
    if network is not None:
        return network
    if isinstance(exc, InvalidHandshake):
        return Failure("protocol", f"handshake failed: {exc}")
    if isinstance(exc, ConnectionClosed):
        return Failure("network", f"closed during handshake: {exc}")
    if isinstance(exc, OSError):
        return Failure(
            "network", f"network error: {exc.strerror or str(exc) or type(exc).__name__}"
        )
    return Failure("protocol", f"{type(exc).__name__}: {exc}")


CLOSE_MEANINGS = {
    1000: "normal closure",
    1001: "going away",
    1002: "protocol error",
    1003: "unsupported data",
    1006: "abnormal closure",
    1007: "invalid data",
    1008: "policy violation",
    1009: "message too big",
    1011: "server error",
    1012: "service restart",
    1013: "try again later",
}


def describe_close(exc: ConnectionClosed) -> tuple[int | None, str | None, str]:
    """(code, reason, a sentence for the event log) for a closed connection."""
    if exc.rcvd is not None:
        code, reason = exc.rcvd.code, exc.rcvd.reason
        meaning = CLOSE_MEANINGS.get(code, "")
        text = f"closed by server: {code}" + (f" {meaning}" if meaning else "")
        if reason:
            text += f" ({reason})"
        return code, reason, text
    if exc.sent is not None:
        code, reason = exc.sent.code, exc.sent.reason
        if code == 1011 and "ping" in reason:
            return code, reason, "protocol ping timeout"
        if code == 1009:
            return code, reason, f"message over max_size: {reason}"
        return code, reason, f"closed by feedwatch: {code} {reason}".strip()
    return 1006, None, "connection lost without a close frame"
