"""Which transport carries a feed: its opener, and how its endings and failures read."""

from __future__ import annotations

from websockets.exceptions import ConnectionClosed

from feedwatch.config.model import FeedConfig
from feedwatch.transports import websocket
from feedwatch.transports.connection import Closed, Failure, Opener
from feedwatch.transports.file_tail import open_tail
from feedwatch.transports.http_poll import open_poll
from feedwatch.transports.in_process import InProcessLine
from feedwatch.transports.push import PushInbox
from feedwatch.transports.sql import SqlOpener
from feedwatch.transports.sse import SseOpener

# What a session's recv or send may raise when the connection ends. WebSocket reads go
# straight to the library (no wrapper per message), so its own exception is here too.
CLOSED: tuple[type[Exception], ...] = (Closed, ConnectionClosed)


def opener_for(feed: FeedConfig) -> Opener:
    """A new opener for one feed (SSE's remembers the last event id across connects)."""
    if feed.transport == "sse":
        return SseOpener()
    if feed.transport == "http-poll":
        return open_poll
    if feed.transport == "file":
        return open_tail
    if feed.transport == "push":
        return PushInbox(feed)
    if feed.transport == "in-process":
        return InProcessLine(feed)
    if feed.transport == "sql":
        return SqlOpener()
    return websocket.open_connection


def as_closed(exc: Exception) -> Closed:
    """The neutral ``Closed`` for whatever ended a connection."""
    if isinstance(exc, ConnectionClosed):
        return websocket.closed(exc)
    assert isinstance(exc, Closed)
    return exc


def describe_failure(exc: BaseException, now: float) -> Failure:
    """Why a connect attempt failed, whichever transport made it."""
    return websocket.describe_failure(exc, now)
