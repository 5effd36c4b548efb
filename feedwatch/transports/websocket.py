"""The WebSocket transport: opening a connection and explaining why one failed.

Everything ``websockets``-specific lives here, so the worker deals in plain
facts: a connection to read bytes from, or a ``Failure`` with a reason a
person can act on (HTTP status, DNS, TLS, timeout, refused).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)

from feedwatch import __version__
from feedwatch.config.model import FeedConfig

# Statuses that retrying soon will not fix: go straight to the longest delay.
PERMANENT_STATUSES = frozenset({401, 403, 404})


@dataclass(frozen=True)
class Failure:
    kind: str  # http_status | dns | tls | timeout | refused | network | protocol | uri
    reason: str
    status: int | None = None
    retry_after: float | None = None

    @property
    def permanent(self) -> bool:
        return self.status in PERMANENT_STATUSES or self.kind == "uri"


async def open_connection(feed: FeedConfig) -> ClientConnection:
    """Connect with the feed's limits; raises on any handshake failure."""
    return await connect(
        feed.url,
        additional_headers=list(feed.headers) or None,
        open_timeout=feed.open_timeout,
        ping_interval=feed.protocol_ping_interval,
        ping_timeout=feed.protocol_ping_timeout,
        max_size=feed.max_size,
        close_timeout=2.0,
        user_agent_header=f"feedwatch/{__version__}",
    )


async def close_quietly(conn: Any) -> None:
    """A polite close, but never wait on a half-open peer for long."""
    try:
        await asyncio.wait_for(conn.close(), timeout=2.0)
    except BaseException:
        transport = getattr(conn, "transport", None)
        if transport is not None:
            transport.abort()


def _retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def describe_failure(exc: BaseException, now: float) -> Failure:
    """Turn a connect-time exception into a reason a person can act on."""
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        phrase = exc.response.reason_phrase
        retry = _retry_after(exc.response.headers.get("Retry-After"), now)
        return Failure("http_status", f"HTTP {status} {phrase}".strip(), status, retry)
    if isinstance(exc, InvalidURI):
        return Failure("uri", f"invalid URL: {exc}")
    if isinstance(exc, socket.gaierror):
        return Failure("dns", f"DNS lookup failed: {exc.strerror or exc}")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return Failure("tls", f"TLS certificate rejected: {exc.verify_message or exc}")
    if isinstance(exc, ssl.SSLError):
        return Failure("tls", f"TLS error: {exc.reason or exc}")
    if isinstance(exc, TimeoutError):
        return Failure("timeout", "timed out during the opening handshake")
    if isinstance(exc, ConnectionRefusedError):
        return Failure("refused", "connection refused")
    if isinstance(exc, InvalidHandshake):
        return Failure("protocol", f"handshake failed: {exc}")
    if isinstance(exc, ConnectionClosed):
        return Failure("network", f"closed during handshake: {exc}")
    if isinstance(exc, OSError):
        return Failure("network", f"network error: {exc.strerror or exc}")
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


def latency(conn: Any) -> float | None:
    """Protocol ping round-trip time, once one has been measured."""
    value = getattr(conn, "latency", 0.0)
    return value if value else None
