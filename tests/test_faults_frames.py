"""Hostile frames: each one is survived and accounted for, and the feed stays measured.

A small websockets server on 127.0.0.1 alternates valid data with one kind of bad frame
per path; the feed classifies by JSON (``channel_key``), so every frame is parsed. A
frame over ``max_size`` closes the connection with 1009 and the feed reconnects; the rest
are counted as invalid, reported once per 10 s, and the data between them keeps the feed
live.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from feedwatch.engine.events import EventKind
from tests.live import Running, feed

DATA = '{"stream":"btcusdt@trade","data":{"p":"97000.1"}}'

# path -> (the bad frame, sent as text?)
BAD: dict[str, tuple[bytes, bool]] = {
    "/binary": (bytes(range(256)), False),
    "/binary-invalid-utf8": (b'{"stream":"\xff\xfe"}', False),
    "/not-json": (b"<html><body>502 Bad Gateway</body></html>", True),
    "/truncated": (DATA[:20].encode(), True),
    "/deep": (b"[" * 200_000 + b"]" * 200_000, True),
    "/empty": (b"", True),
    "/scalar": (b"42", True),
    "/text-invalid-utf8": (b'{"stream":"\xff\xfe"}', True),
    "/oversized": (b'{"stream":"x","blob":"' + b"x" * 300_000 + b'"}', True),
}


async def _alternate(ws: ServerConnection) -> None:
    assert ws.request is not None
    path = ws.request.path
    try:
        if path == "/clean":
            while True:
                await ws.send(DATA)
                await asyncio.sleep(0.02)
        bad, text = BAD[path]
        while True:
            await ws.send(DATA)
            await asyncio.sleep(0.02)
            await ws.send(bad, text=text)
            await asyncio.sleep(0.02)
    except ConnectionClosed:
        pass


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async with serve(_alternate, "127.0.0.1", 0, max_size=None) as srv:
        yield srv


def url(server: Server, path: str) -> str:
    return f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}{path}"


# Invalid UTF-8 in a text frame is one of these: feedwatch reads frames as bytes, so it is
# a bad frame to count, not a reason to drop a feed that is otherwise delivering.
IGNORED = [
    "/binary",
    "/binary-invalid-utf8",
    "/text-invalid-utf8",
    "/not-json",
    "/truncated",
    "/deep",
    "/empty",
]


@pytest.mark.parametrize("path", IGNORED)
async def test_a_bad_frame_is_counted_and_reported_and_the_feed_stays_live(
    server: Server, path: str
) -> None:
    hostile = feed("hostile", url(server, path), channel_key="stream", stale_after=0.5)
    clean = feed("clean", url(server, "/clean"), channel_key="stream", stale_after=0.5)
    async with Running(hostile, clean) as run:
        error = await run.rec.wait(
            lambda e: e.feed == "hostile" and e.fields.get("kind") == "bad_frame"
        )
        assert (error.reason or "").startswith("bad frame ignored: ")
        await asyncio.sleep(0.6)  # past the threshold: the good frames between keep it live
        snap = run.engine.feed_snapshot("hostile")
        assert snap.invalid >= 5
        assert snap.data_messages >= 5
        assert str(snap.state) == "live"
        assert run.rec.of(EventKind.DISCONNECTED) == []
        assert run.rec.of(EventKind.STALE) == []
        # One report per 10 s; the other bad frames are only counted.
        bad = [e for e in run.rec.events if e.fields.get("kind") == "bad_frame"]
        assert len(bad) == 1
        assert [e.kind for e in run.rec.events if e.feed == "clean"] == [EventKind.CONNECTED]


async def test_a_bare_json_scalar_is_data_without_a_channel(server: Server) -> None:
    hostile = feed("hostile", url(server, "/scalar"), channel_key="stream", stale_after=0.5)
    async with Running(hostile) as run:
        await asyncio.sleep(0.6)
        snap = run.engine.feed_snapshot("hostile")
        assert str(snap.state) == "live"
        assert snap.invalid == 0
        assert run.rec.of(EventKind.DISCONNECTED) == []


async def test_a_frame_over_max_size_closes_with_1009_and_the_feed_reconnects(
    server: Server,
) -> None:
    hostile = feed(
        "hostile",
        url(server, "/oversized"),
        channel_key="stream",
        stale_after=0.5,
        max_size=100_000,
    )
    clean = feed("clean", url(server, "/clean"), channel_key="stream", stale_after=0.5)
    async with Running(hostile, clean) as run:
        closed = await run.rec.wait_kind(EventKind.DISCONNECTED, feed="hostile")
        assert closed.fields["code"] == 1009
        assert (closed.reason or "").startswith("message over max_size")
        await run.rec.wait_kind(
            EventKind.CONNECTED, feed="hostile", after=run.rec.events.index(closed)
        )
        assert run.engine.feed_snapshot("hostile").data_messages >= 1
        assert [e.kind for e in run.rec.events if e.feed == "clean"] == [EventKind.CONNECTED]
