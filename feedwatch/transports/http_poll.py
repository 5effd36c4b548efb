"""Polling a health endpoint: the user's own service reports how old its data is.

Every ``every`` seconds one GET; the JSON field ``age_field`` is the service's own data age,
so the feed's data clock follows the service, not the poll. No answer, an HTTP error or
JSON without the field ends the session like a dropped connection.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import aiohttp

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


async def open_poll(feed: FeedConfig) -> PollConnection:
    """Poll once, so an endpoint that cannot answer fails the connect like a refused socket."""
    session = http.new_session(feed)
    conn = PollConnection(feed, session)
    try:
        conn.pending = await conn.poll()
    except BaseException:
        await session.close()
        raise
    return conn


class PollConnection(Plain):
    """One feed's health endpoint, asked again every ``every`` seconds."""

    def __init__(self, feed: FeedConfig, session: aiohttp.ClientSession) -> None:
        self.feed = feed
        self.session = session
        self.pending: bytes | None = None
        self.age = 0.0

    async def poll(self) -> bytes:
        """One GET: the body, with ``age`` set; raises ``OpenFailed`` on any bad answer."""
        response = await http.get(self.session, self.feed)
        try:
            async with asyncio.timeout(self.feed.open_timeout):
                body = await self.read_bounded(response)
        except (aiohttp.ClientError, OSError) as exc:
            raise OpenFailed(http.describe_http_failure(exc)) from exc
        finally:
            response.release()
        self.age = self.reported_age(body)
        return body

    async def read_bounded(self, response: aiohttp.ClientResponse) -> bytes:
        """The body, or a failure once it passes max_size: a 3 GB answer never reaches memory."""
        limit = self.feed.max_size
        declared = response.content_length
        if declared is not None and declared > limit:
            raise OpenFailed(too_big(limit, f"it declares {declared:,} bytes"))
        parts: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise OpenFailed(too_big(limit, f"more than {limit:,} bytes came"))
            parts.append(chunk)
        return b"".join(parts)

    def reported_age(self, body: bytes) -> float:
        field = self.feed.age_field
        try:
            document = json.loads(body)
        except ValueError as exc:
            raise OpenFailed(invalid(f"the answer is not JSON ({exc})")) from exc
        if field is None:
            return 0.0
        value: Any = document
        for part in field.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            raise OpenFailed(invalid(f"{field} is not a number of seconds (found {value!r})"))
        return max(0.0, float(value))

    async def recv(self) -> bytes:
        body, self.pending = self.pending, None
        if body is not None:
            return body
        await asyncio.sleep(self.feed.poll_every)
        try:
            return await self.poll()
        except OpenFailed as exc:
            failure = exc.failure
            raise Closed(failure.status, None, f"poll failed: {failure.reason}") from exc

    async def close(self) -> None:
        await self.session.close()

    def adapt(self, classify: Classify, sink: Sink) -> tuple[Classify, OnData]:
        on_data_at = sink.on_data_at

        def at_reported_age(size: int, channel: str | None, raw: bytes) -> None:
            on_data_at(self.age, size, channel, raw)

        return classify, at_reported_age


def invalid(reason: str) -> Failure:
    return Failure("protocol", f"invalid health answer: {reason}")


def too_big(limit: int, found: str) -> Failure:
    return Failure("protocol", f"health answer over max_size ({limit:,} bytes): {found}")
