"""Database freshness: a read-only query whose first column is the newest row's timestamp.

Every ``every`` seconds the feed's one query runs; each row it returns (at most
max_channels) is one message, its optional second column the channel, and its timestamp
sets the data clock, as http-poll's reported age does. A query that fails, times out or
loses its connection ends the session like a dropped connection; a timestamp that does not
move goes stale on its own; one in the future counts as now and is reported once.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol

from feedwatch.config.model import FeedConfig
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
from feedwatch.transports.sql_sources import open_source

# A row with no timestamp (max() of an empty table): the database answered, nothing more.
_NO_TIMESTAMP = (Kind.HEARTBEAT, None, None)


class Source(Protocol):
    """One open database connection that runs the feed's query."""

    async def fetch(self) -> Sequence[Sequence[Any]]: ...

    async def close(self) -> None: ...


class SqlOpener:
    """Opens a sql feed's connections; remembers which future timestamps were reported."""

    def __init__(self) -> None:
        # Channels (None: the feed) whose timestamp is ahead of now and was said so.
        self.ahead: set[str | None] = set()

    async def __call__(self, feed: FeedConfig) -> SqlConnection:
        """Connect and query once, so a bad query or dsn fails the connect like a refused socket."""
        source = await open_source(feed)
        conn = SqlConnection(feed, source, self.ahead)
        try:
            conn.take(await source.fetch())
        except BaseException:
            await source.close()
            raise
        return conn


class Row:
    """One row of an answer: what the worker's classify and on_data read."""

    __slots__ = ("age", "ahead", "channel", "raw")

    def __init__(self, age: float | None, channel: str | None, raw: bytes, ahead: float) -> None:
        self.age = age
        self.channel = channel
        self.raw = raw
        self.ahead = ahead  # seconds the timestamp was in the future (0: it was not)


class SqlConnection(Plain):
    """One feed's database, asked again every ``every`` seconds."""

    def __init__(self, feed: FeedConfig, source: Source, ahead: set[str | None]) -> None:
        self.feed = feed
        self.source = source
        self.rows: list[Row] = []
        self.current: Row | None = None
        self.ahead = ahead

    def take(self, answer: Sequence[Sequence[Any]]) -> None:
        """Turn an answer into rows to hand out, newest first; raises ``OpenFailed`` if bad."""
        now = time.time()
        rows = [read_row(row, now) for row in answer[: self.feed.max_channels]]
        if not rows:
            rows = [Row(None, None, b'{"rows":0}', 0.0)]
        rows.reverse()  # popped from the end: in the order the query gave them
        self.rows = rows

    async def recv(self) -> bytes:
        if not self.rows:
            await asyncio.sleep(self.feed.poll_every)
            try:
                self.take(await self.source.fetch())
            except OpenFailed as exc:
                failure = exc.failure
                raise Closed(None, None, f"query failed: {failure.reason}") from exc
        row = self.current = self.rows.pop()
        return row.raw

    async def close(self) -> None:
        await self.source.close()

    def adapt(self, classify: Classify, sink: Sink) -> tuple[Classify, OnData]:
        on_data_at = sink.on_data_at
        on_error = sink.on_error

        def row_kind(raw: bytes) -> tuple[Kind, str | None, str | None]:
            row = self.current
            if row is None or row.age is None:
                return _NO_TIMESTAMP
            return Kind.DATA, row.channel, None

        def at_row_age(size: int, channel: str | None, raw: bytes) -> None:
            row = self.current
            assert row is not None and row.age is not None
            if row.ahead > 0:
                if channel not in self.ahead:
                    self.ahead.add(channel)
                    on_error(
                        f"timestamp {row.ahead:.3f}s in the future"
                        + (f" on channel {channel}" if channel is not None else "")
                        + "; counted as now (is a clock wrong, or the column not UTC?)",
                        kind="future_timestamp",
                        channel=channel,
                        ahead_seconds=round(row.ahead, 3),
                    )
            else:
                self.ahead.discard(channel)
            on_data_at(row.age, size, channel, raw)

        return row_kind, at_row_age


def read_row(row: Sequence[Any], now: float) -> Row:
    """A row's age (None: no timestamp) and channel; raises ``OpenFailed`` if unreadable."""
    if not row:
        raise OpenFailed(invalid("the query returns no columns"))
    value = row[0]
    channel = None if len(row) < 2 or row[1] is None else str(row[1])
    stamp = timestamp(value)
    shown = {"ts": stamp, "channel": channel} if channel is not None else {"ts": stamp}
    raw = json.dumps(shown, separators=(",", ":")).encode()
    if stamp is None:
        return Row(None, channel, raw, 0.0)
    age = now - stamp
    return Row(max(0.0, age), channel, raw, max(0.0, -age))


def timestamp(value: Any) -> float | None:
    """Unix seconds from a number, a date/time (naive means UTC) or ISO 8601 text."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            return finite(float(text), value)
        except ValueError:
            pass
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise OpenFailed(not_a_timestamp(value)) from None
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.timestamp()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp()
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return finite(float(value), value)
    raise OpenFailed(not_a_timestamp(value))


def finite(seconds: float, value: Any) -> float:
    if not math.isfinite(seconds):
        raise OpenFailed(not_a_timestamp(value))
    return seconds


def not_a_timestamp(value: Any) -> Failure:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return invalid(
        f"the first column must be a timestamp or unix seconds, found {shown} "
        f"({type(value).__name__})"
    )


def invalid(reason: str) -> Failure:
    return Failure("query", f"invalid query answer: {reason}")
