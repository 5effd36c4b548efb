"""`feedwatch check` and a worker read a connection the same way and reach the same verdict,
over every transport: the real console script beside the engine, against real local servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp import web

from feedwatch.config.loader import load_config
from feedwatch.demo.behaviours import Ticker
from feedwatch.demo.simulator import Simulator
from tests.live import Running
from tests.test_check import check

# The verdict a worker reaches, and the status `check` must give for it.
STATUS_FOR = {"live": 0, "stale": 2, "partial": 2}


async def _comments_only(request: web.Request) -> web.StreamResponse:
    """An SSE stream that keeps itself alive with comments and never sends an event."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    while True:
        await response.write(b": keep-alive\n\n")
        await asyncio.sleep(0.05)


async def _old_data(_: web.Request) -> web.Response:
    """A polled service that answers, reporting data an hour old."""
    return web.json_response({"service": {"last_signal_age_seconds": 3600.0}})


@pytest.fixture
async def servers() -> AsyncIterator[tuple[Simulator, str]]:
    """A WebSocket simulator and an aiohttp server (SSE and http-poll) on 127.0.0.1."""
    app = web.Application()
    app.router.add_get("/events", _comments_only)
    app.router.add_get("/health", _old_data)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    http = f"http://127.0.0.1:{runner.addresses[0][1]}"
    async with Simulator(seed=5) as sim:
        sim.add("/live", Ticker(rate=40, heartbeat_every=0.1, require_subscribe=False))
        sim.add("/quiet", Ticker(rate=40, heartbeat_every=0.1, require_subscribe=False))
        sim.add("/mux", Ticker(rate=60, channels=["btc", "eth", "sol"], require_subscribe=False))
        sim.stall("/quiet")  # heartbeats go on; the data stops
        sim.stall_channel("/mux", "sol")
        yield sim, http
    await runner.cleanup()


HEARTBEAT = '[feeds.heartbeat]\ncontains = \'"event":"heartbeat"\'\n'
CASES: dict[str, Callable[[Simulator, str], str]] = {
    "websocket-live": lambda sim, _: f'url = "{sim.url("/live")}"\n{HEARTBEAT}',
    "websocket-heartbeats-only": lambda sim, _: f'url = "{sim.url("/quiet")}"\n{HEARTBEAT}',
    "sse-comments-only": lambda _, http: f'transport = "sse"\nurl = "{http}/events"\n',
    "http-poll-old-data": lambda _, http: (
        f'transport = "http-poll"\nurl = "{http}/health"\nevery = "100ms"\n'
        'age_field = "service.last_signal_age_seconds"\n'
    ),
    "websocket-stale-channel": lambda sim, _: (
        f'url = "{sim.url("/mux")}"\nchannel_key = "stream"\n'
        'channels = ["btc", "eth", "sol"]\nchannel_stale_after = "800ms"\n'
    ),
}


async def worker_verdict(path: Path, seconds: float) -> str:
    """The engine's verdict after watching the feed for ``seconds``."""
    [feed] = load_config(path).feeds
    async with Running(feed) as run:
        await asyncio.sleep(seconds)
        return run.state(feed.name)


@pytest.mark.parametrize("case", list(CASES))
async def test_check_and_the_worker_reach_the_same_verdict(
    servers: tuple[Simulator, str], tmp_path: Path, case: str
) -> None:
    sim, http = servers
    path = tmp_path / "feedwatch.toml"
    path.write_text(f'[[feeds]]\nname = "{case}"\nstale_after = "800ms"\n{CASES[case](sim, http)}')
    state = await worker_verdict(path, 1.6)  # two windows: the verdict has settled
    status, lines, _ = await check("--config", str(path))
    expected = "live" if case == "websocket-live" else "partial" if "channel" in case else "stale"
    assert state == expected, lines
    assert status == STATUS_FOR[state], (state, lines)
    if state == "partial":
        assert lines[1].startswith(f"{case}: CRITICAL - partial: no data on channel sol within")


async def test_a_partial_feed_with_channel_health_warn_is_a_warning(
    servers: tuple[Simulator, str], tmp_path: Path
) -> None:
    sim, http = servers
    path = tmp_path / "feedwatch.toml"
    path.write_text(
        '[[feeds]]\nname = "mux"\nstale_after = "800ms"\nchannel_health = "warn"\n'
        + CASES["websocket-stale-channel"](sim, http)
    )
    status, lines, _ = await check("--config", str(path))
    assert status == 1, lines
    assert lines[0].startswith("FEEDWATCH WARNING")
    assert lines[1].startswith("mux: WARNING - partial: no data on channel sol within 800ms")
