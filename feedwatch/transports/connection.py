"""What every transport gives the worker: a connection to read messages from, or a reason.

A session works on a ``Connection`` whatever carries the feed (WebSocket, SSE, a polled
health endpoint, a log file), so one liveness engine serves them all.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from feedwatch.config.model import FeedConfig
from feedwatch.transports.kind import Kind

# Statuses that retrying soon will not fix: go straight to the longest delay.
PERMANENT_STATUSES = frozenset({401, 403, 404})

# What the worker calls per message: classify raw bytes, and record data.
Classify = Callable[[bytes], tuple[Kind, str | None, str | None]]
OnData = Callable[[int, str | None, bytes], None]


class Sink(Protocol):
    """Where a session's data goes (the feed's monitor)."""

    def on_data(self, size: int, channel: str | None, raw: bytes) -> None: ...

    def on_data_at(self, age: float, size: int, channel: str | None, raw: bytes) -> None: ...

    def on_error(self, reason: str, **fields: Any) -> None: ...


@dataclass(frozen=True)
class Failure:
    kind: str  # http_status | dns | tls | timeout | refused | network | protocol | uri
    reason: str
    status: int | None = None
    retry_after: float | None = None

    @property
    def permanent(self) -> bool:
        return self.status in PERMANENT_STATUSES or self.kind == "uri"


class OpenFailed(Exception):
    """A connect attempt failed for a reason the transport has already put into words."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


class Closed(Exception):
    """An open connection ended: the close code and reason if any, and a sentence for people."""

    def __init__(
        self,
        code: int | None,
        reason: str | None,
        sentence: str,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(sentence)
        self.code = code
        self.reason = reason
        self.sentence = sentence
        self.retry_after = retry_after


class Connection(Protocol):
    """One open session of a feed, whatever carries it."""

    async def recv(self) -> bytes: ...

    async def send(self, text: str) -> None: ...

    async def close(self) -> None: ...

    @property
    def latency(self) -> float | None: ...

    def adapt(self, classify: Classify, sink: Sink) -> tuple[Classify, OnData]:
        """The classify and on_data a session calls per message; a transport may refine them."""
        ...


Opener = Callable[[FeedConfig], Awaitable[Any]]


class Plain:
    """The parts most connections share: no latency, no sending, no refinements."""

    @property
    def latency(self) -> float | None:
        return None

    async def send(self, text: str) -> None:
        raise Closed(None, None, "this transport cannot send")

    def adapt(self, classify: Classify, sink: Sink) -> tuple[Classify, OnData]:
        return classify, sink.on_data


async def close_quietly(conn: Any) -> None:
    """A polite close, but never wait on a half-open peer for long."""
    try:
        await asyncio.wait_for(conn.close(), timeout=2.0)
    except BaseException:
        abort = getattr(conn, "abort", None)
        if abort is not None:
            abort()


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds from an HTTP Retry-After header (a number or a date)."""
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


# OpenSSL's verify codes for a chain that ends in a CA the feed does not trust.
_UNTRUSTED_CHAIN = frozenset({18, 19, 20, 21})  # self-signed, self-signed in chain, no issuer
# OpenSSL's reasons for an answer that is not TLS at all: a plain server behind a TLS URL.
_NOT_TLS = frozenset(
    {"WRONG_VERSION_NUMBER", "PACKET_LENGTH_TOO_LONG", "RECORD_LAYER_FAILURE", "UNKNOWN_PROTOCOL"}
)
_PLAIN_HINT = "is it a server without TLS? then its URL starts with ws:// or http://"


def describe_network_failure(exc: BaseException) -> Failure | None:
    """The reason for a failure any network transport can meet; None if it is not one."""
    if isinstance(exc, OpenFailed):
        return exc.failure
    if isinstance(exc, socket.gaierror):
        return Failure("dns", f"DNS lookup failed: {exc.strerror or exc}")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return Failure("tls", describe_certificate_error(exc))
    if isinstance(exc, ssl.SSLError):
        if exc.reason in _NOT_TLS:
            return Failure("tls", f"TLS handshake failed: the answer is not TLS ({_PLAIN_HINT})")
        return Failure("tls", f"TLS error: {exc.reason or exc}")
    if isinstance(exc, TimeoutError):
        return Failure("timeout", "timed out during the opening handshake")
    if isinstance(exc, ConnectionRefusedError):
        return Failure("refused", "connection refused")
    if isinstance(exc, ConnectionResetError):
        return Failure("network", "connection reset by the server")
    return None


def describe_certificate_error(exc: ssl.SSLCertVerificationError) -> str:
    """Why the server's certificate was not accepted, with the fix when it is a private CA."""
    # Both are set by the ssl module; absent on an error built by hand.
    message = getattr(exc, "verify_message", None)
    reason = (message or exc.reason or str(exc)).rstrip(".")
    if getattr(exc, "verify_code", None) in _UNTRUSTED_CHAIN:
        reason += " (not signed by a CA this feed trusts; for a private CA set tls.ca_file)"
    return f"TLS certificate rejected: {reason}"


def describe_tls_cut(exc: BaseException) -> Failure | None:
    """A connect to a TLS URL that the server ended mid-handshake; None if it was not that.

    Only for errors raised while connecting (TCP and TLS, before any HTTP): there, a reset or
    an EOF almost always means a plain server that cannot parse a TLS hello.
    """
    if isinstance(exc, ConnectionResetError | ssl.SSLEOFError | ssl.SSLZeroReturnError):
        return Failure(
            "tls", f"TLS handshake failed: the server closed the connection ({_PLAIN_HINT})"
        )
    return None
