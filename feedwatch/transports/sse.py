"""Server-Sent Events: a ``text/event-stream`` over HTTP, read with aiohttp.

Each dispatched event's ``data`` is one message; comment lines (``:`` ...) are the stream's
keep-alives and count as heartbeats. Reconnects send ``Last-Event-ID`` and wait at least the
server's ``retry:``.
"""

from __future__ import annotations

import aiohttp
from aiohttp.http_exceptions import LineTooLong

from feedwatch.config.model import FeedConfig
from feedwatch.transports import http
from feedwatch.transports.connection import (
    Classify,
    Closed,
    Failure,
    OnData,
    OpenFailed,
    Plain,
    Sink,
)
from feedwatch.transports.kind import Kind

HEARTBEAT = (Kind.HEARTBEAT, None, None)
# A line may carry max_size bytes of data besides its field name and line end ("data: ", CRLF).
LINE_OVERHEAD = 16


class Comment(bytes):
    """An SSE comment line: proof the stream is alive, never data."""


class SseOpener:
    """Opens one feed's SSE sessions, remembering the last event id and retry across them."""

    def __init__(self) -> None:
        self.last_id: str | None = None
        self.retry: float | None = None

    async def __call__(self, feed: FeedConfig) -> SseConnection:
        session = http.new_session(feed)
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self.last_id:
            headers["Last-Event-ID"] = self.last_id
        try:
            response = await http.get(session, feed, headers, self.retry)
            kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if kind != "text/event-stream":
                response.release()
                raise OpenFailed(
                    Failure("protocol", f"expected text/event-stream, got {kind or 'nothing'}")
                )
        except BaseException:
            await session.close()
            raise
        return SseConnection(self, session, response, feed.max_size)


class SseConnection(Plain):
    """One open event stream."""

    def __init__(
        self,
        opener: SseOpener,
        session: aiohttp.ClientSession,
        response: aiohttp.ClientResponse,
        max_size: int,
    ) -> None:
        self.opener = opener
        self.session = session
        self.response = response
        self.max_size = max_size
        self.data: list[bytes] = []
        self.size = 0  # bytes of data gathered for the event being read

    async def recv(self) -> bytes:
        readline = self.response.content.readline
        longest = self.max_size + LINE_OVERHEAD
        while True:
            try:
                line = await readline(max_line_length=longest)
            except LineTooLong as exc:
                raise self._closed(f"line over max_size ({self.max_size:,} bytes)") from exc
            except (aiohttp.ClientError, OSError, ValueError) as exc:
                raise self._closed(f"stream broken: {type(exc).__name__}: {exc}") from exc
            if not line:
                raise self._closed("stream ended by the server")
            line = line.rstrip(b"\r\n")
            if not line:
                if self.data:
                    payload, self.data, self.size = b"\n".join(self.data), [], 0
                    return payload
                continue
            if line[:1] == b":":
                return Comment(line)
            name, _, value = line.partition(b":")
            if value[:1] == b" ":
                value = value[1:]
            if name == b"data":
                # An event that never ends must not grow without bound: max_size holds for an
                # SSE event as for a WebSocket message (readline bounds one line).
                self.size += len(value) + 1
                if self.size > self.max_size:
                    self.data, self.size = [], 0
                    raise self._closed(f"event over max_size ({self.max_size:,} bytes)")
                self.data.append(value)
            elif name == b"id" and b"\0" not in value:
                self.opener.last_id = value.decode("utf-8", "replace")
            elif name == b"retry" and value.isdigit():
                self.opener.retry = int(value) / 1000

    def _closed(self, sentence: str) -> Closed:
        return Closed(None, None, sentence, retry_after=self.opener.retry)

    async def close(self) -> None:
        self.response.release()
        await self.session.close()

    def abort(self) -> None:
        self.response.close()

    def adapt(self, classify: Classify, sink: Sink) -> tuple[Classify, OnData]:
        def with_comments(raw: bytes) -> tuple[Kind, str | None, str | None]:
            return HEARTBEAT if type(raw) is Comment else classify(raw)

        return with_comments, sink.on_data
