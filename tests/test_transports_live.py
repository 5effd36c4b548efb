"""SSE, http-poll and file feeds on the same liveness engine, against real local sources."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web

from feedwatch.engine.events import EventKind
from tests.live import Running, feed
from tests.waiting import wait_until

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def serve(handler: Handler, path: str) -> tuple[web.AppRunner, str]:
    """A local aiohttp server answering GET ``path``: its runner and its URL."""
    app = web.Application()
    app.router.add_get(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}{path}"


class Sse:
    """An aiohttp SSE server whose stream the test drives."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.last_ids: list[str | None] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handler(self, request: web.Request) -> web.StreamResponse:
        self.last_ids.append(request.headers.get("Last-Event-ID"))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        while (chunk := await self.queue.get()) is not None:
            await response.write(chunk)
        return response

    async def start(self) -> None:
        self.runner, self.url = await serve(self.handler, "/events")


@pytest.fixture
async def sse() -> AsyncIterator[Sse]:
    server = Sse()
    await server.start()
    yield server
    for _ in range(4):
        server.queue.put_nowait(None)  # end any stream still open
    assert server.runner is not None
    await server.runner.cleanup()


async def test_sse_events_are_data_comments_are_heartbeats_and_a_stall_goes_stale(
    sse: Sse,
) -> None:
    async with Running(feed("sse", sse.url, transport="sse", reconnect_on_stale=False)) as run:
        await run.rec.wait_kind(EventKind.CONNECTED)
        await sse.queue.put(b'id: 1\ndata: {"p": 1}\ndata: more\n\n')
        await wait_until(lambda: run.state("sse") == "live")
        for _ in range(8):
            await sse.queue.put(b": keep-alive\n\n")
            await asyncio.sleep(0.05)
        await run.rec.wait_kind(EventKind.STALE)
        snap = run.engine.feed_snapshot("sse")
        assert snap.heartbeats >= 5
        assert snap.messages - snap.heartbeats == 1  # the one event; comments are heartbeats


async def test_sse_reconnects_with_last_event_id_after_the_servers_retry(sse: Sse) -> None:
    async with Running(feed("sse", sse.url, transport="sse", stale_after=5.0)) as run:
        await run.rec.wait_kind(EventKind.CONNECTED)
        await sse.queue.put(b"retry: 400\nid: 41\ndata: a\n\nid: 42\ndata: b\n\n")
        await wait_until(lambda: run.engine.feed_snapshot("sse").messages == 2)
        await sse.queue.put(None)  # the server ends the stream
        backoff = await run.rec.wait_kind(EventKind.RECONNECTING)
        assert backoff.fields["delay_seconds"] >= 0.4
        await wait_until(lambda: len(sse.last_ids) == 2)
        assert sse.last_ids == [None, "42"]


class Health:
    """A health endpoint whose reported age and status the test sets."""

    def __init__(self) -> None:
        self.age = 0.0
        self.status = 200
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handler(self, request: web.Request) -> web.Response:
        if self.status != 200:
            return web.Response(status=self.status, text="broken")
        return web.json_response({"service": {"last_signal_age_seconds": self.age}})

    async def start(self) -> None:
        self.runner, self.url = await serve(self.handler, "/health")


@pytest.fixture
async def health() -> AsyncIterator[Health]:
    server = Health()
    await server.start()
    yield server
    assert server.runner is not None
    await server.runner.cleanup()


def poll_feed(health: Health) -> object:
    return feed(
        "svc",
        health.url,
        stale_after=1.0,
        transport="http-poll",
        poll_every=0.1,
        age_field="service.last_signal_age_seconds",
    )


async def test_a_polled_service_with_young_data_is_live_and_old_data_goes_stale(
    health: Health,
) -> None:
    async with Running(poll_feed(health)) as run:  # type: ignore[arg-type]
        await wait_until(lambda: run.state("svc") == "live")
        health.age = 1.5  # the service answers, but its own data is past stale_after
        stale = await run.rec.wait_kind(EventKind.STALE, timeout=3.0)
        assert stale.age_seconds is not None and stale.age_seconds >= 1.0
        health.age = 0.0
        await run.rec.wait_kind(EventKind.RECOVERED, timeout=5.0)


async def test_a_failing_health_endpoint_is_a_failure_then_stale(health: Health) -> None:
    async with Running(poll_feed(health)) as run:  # type: ignore[arg-type]
        await wait_until(lambda: run.state("svc") == "live")
        health.status = 500
        error = await run.rec.wait(
            lambda e: e.kind is EventKind.ERROR and e.fields.get("status") == 500
        )
        assert "HTTP 500" in (error.reason or "")
        await run.rec.wait_kind(EventKind.STALE, timeout=3.0)


async def test_an_unreachable_health_endpoint_fails_and_goes_stale() -> None:
    from tests.live import free_port

    url = f"http://127.0.0.1:{free_port()}/health"
    config = feed("svc", url, transport="http-poll", poll_every=0.1, age_field="age")
    async with Running(config) as run:
        error = await run.rec.wait_kind(EventKind.ERROR)
        assert error.fields["kind"] == "refused"
        await run.rec.wait_kind(EventKind.STALE)


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as file:
        file.write(text)


async def test_a_log_file_is_live_while_it_grows_and_stale_when_it_stops(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("old history\n" * 100, encoding="utf-8")
    config = feed("log", str(log), transport="file", path=str(log), reconnect_on_stale=False)
    async with Running(config) as run:
        await run.rec.wait_kind(EventKind.CONNECTED)
        append(log, "one\ntwo\n")
        await wait_until(lambda: run.engine.feed_snapshot("log").messages == 2)
        assert run.state("log") == "live"
        await run.rec.wait_kind(EventKind.STALE)
        assert run.engine.feed_snapshot("log").messages == 2  # history was not replayed


@pytest.mark.parametrize("rotation", ["rename", "truncate"])
async def test_a_log_file_is_followed_across_rotation(tmp_path: Path, rotation: str) -> None:
    log = tmp_path / "app.log"
    log.write_text("", encoding="utf-8")
    config = feed("log", str(log), stale_after=2.0, transport="file", path=str(log))
    async with Running(config) as run:
        await run.rec.wait_kind(EventKind.CONNECTED)
        append(log, "before rotation\n")
        await wait_until(lambda: run.engine.feed_snapshot("log").messages == 1)
        if rotation == "rename":
            os.rename(log, tmp_path / "app.log.1")
            log.write_text("", encoding="utf-8")
        else:
            log.write_text("", encoding="utf-8")  # truncate in place
        await asyncio.sleep(0.3)
        append(log, "after rotation\n")
        await wait_until(lambda: run.engine.feed_snapshot("log").messages == 2)
        raw = run.engine.worker("log").monitor.recent_raw[-1][1]
        assert raw == b"after rotation"


class Endless:
    """An SSE server whose one event never ends: data lines, or one line, without end."""

    def __init__(self, chunk: bytes) -> None:
        self.chunk = chunk
        self.requests = 0
        self.sent = 0
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handler(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b"data: first\n\n")
        try:
            while self.sent < 64 * 1024 * 1024:  # bounded, should the client never stop it
                await response.write(self.chunk)
                self.sent += len(self.chunk)
        except (ConnectionError, RuntimeError):
            pass  # the client closed the stream: what feedwatch must do
        return response

    async def start(self) -> None:
        self.runner, self.url = await serve(self.handler, "/events")


@pytest.mark.parametrize(
    ("chunk", "words"),
    [(b"data: " + b"x" * 1024 + b"\n", "event over max_size"), (b"x" * 4096, "line over max_size")],
    ids=["endless-event", "endless-line"],
)
async def test_an_sse_event_or_line_that_never_ends_is_cut_at_max_size(
    chunk: bytes, words: str
) -> None:
    server = Endless(chunk)
    await server.start()
    limit = 64 * 1024
    try:
        config = feed("sse", server.url, transport="sse", stale_after=5.0, max_size=limit)
        async with Running(config) as run:
            gone = await run.rec.wait_kind(EventKind.DISCONNECTED)
            assert words in (gone.reason or ""), gone.reason
            assert run.engine.feed_snapshot("sse").messages >= 1  # the first, whole event
            # Cut near the limit, not after the server's whole 64 MiB (kernel buffers aside).
            assert server.sent < 16 * 1024 * 1024
            await wait_until(lambda: server.requests >= 2)  # and it connects again
    finally:
        assert server.runner is not None
        await server.runner.cleanup()


class HugeAnswer:
    """A health endpoint whose answer is endless (chunked) or declares gigabytes."""

    def __init__(self, declare: bool) -> None:
        self.declare = declare
        self.sent = 0
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handler(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        if self.declare:
            response.content_length = 3 * 1024**3
        await response.prepare(request)
        chunk = b" " * 65536
        try:
            while self.sent < 64 * 1024 * 1024:  # bounded, should the client never stop it
                await response.write(chunk)
                self.sent += len(chunk)
        except (ConnectionError, RuntimeError):
            pass  # the client closed: what feedwatch must do
        return response

    async def start(self) -> None:
        self.runner, self.url = await serve(self.handler, "/health")


@pytest.mark.parametrize("declare", [False, True], ids=["chunked", "declared-3GB"])
async def test_a_health_answer_over_max_size_is_a_failure_read_no_further(declare: bool) -> None:
    server = HugeAnswer(declare)
    await server.start()
    try:
        config = feed("svc", server.url, stale_after=5.0, transport="http-poll", max_size=64 * 1024)
        async with Running(config) as run:
            error = await run.rec.wait_kind(EventKind.ERROR)
            assert "over max_size (65,536 bytes)" in (error.reason or ""), error.reason
            assert server.sent < 16 * 1024 * 1024  # stopped near the limit, not at 64 MiB
    finally:
        assert server.runner is not None
        await server.runner.cleanup()
