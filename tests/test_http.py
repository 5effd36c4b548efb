"""/health and /metrics over real HTTP, against a real engine watching a real feed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from feedwatch.config.model import ServerConfig
from feedwatch.demo.behaviours import Ticker
from feedwatch.demo.simulator import Simulator
from feedwatch.outputs.http.server import HealthServer
from tests.live import Running, feed
from tests.waiting import wait_until


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=5) as simulator:
        simulator.add("/a", Ticker(rate=40, require_subscribe=False))
        simulator.add("/mux", Ticker(rate=60, channels=["x", "y"], require_subscribe=False))
        yield simulator


async def get(port: int, path: str) -> tuple[int, str, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        return response.status, response.headers["Content-Type"], await response.text()


async def test_health_is_200_when_live_and_503_when_a_feed_goes_stale(sim: Simulator) -> None:
    feeds = (
        feed("a", sim.url("/a"), reconnect_on_stale=False),
        feed("mux", sim.url("/mux"), channel_key="stream", channels=("x", "y")),
    )
    async with Running(*feeds) as run:
        server = HealthServer(run.engine, ServerConfig(host="127.0.0.1", port=0))
        await server.start()
        assert server.port
        try:
            await wait_until(
                lambda: (
                    run.state("a") == "live"
                    and all(
                        str(c.state) == "live" for c in run.engine.feed_snapshot("mux").channels
                    )
                )
            )
            status, ctype, body = await get(server.port, "/health")
            assert status == 200
            assert ctype.startswith("application/json")
            import json

            doc = json.loads(body)
            assert doc["status"] == "ok"
            a, mux = doc["feeds"]
            assert set(a) >= {
                "name", "state", "connected", "last_signal_age_seconds",
                "last_heartbeat_age_seconds", "stale_after_seconds", "messages",
                "reconnects", "channels",
            }  # fmt: skip
            assert (a["name"], a["state"], a["connected"]) == ("a", "live", True)
            assert a["last_signal_age_seconds"] < 0.3
            assert a["stale_after_seconds"] == 0.3
            assert a["last_heartbeat_age_seconds"] is None
            assert [c["key"] for c in mux["channels"]] == ["x", "y"]
            assert {c["state"] for c in mux["channels"]} == {"live"}

            sim.stall("/a")
            await wait_until(lambda: run.state("a") == "stale")
            status, _, body = await get(server.port, "/health")
            doc = json.loads(body)
            assert status == 503
            assert doc["status"] == "degraded"
            assert doc["feeds"][0]["state"] == "stale"
            assert doc["feeds"][0]["last_signal_age_seconds"] >= 0.3

            run.engine.pause("a")  # paused feeds do not count against health
            status, _, _ = await get(server.port, "/health")
            assert status == 200
        finally:
            await server.stop()


async def test_metrics_follow_prometheus_conventions(sim: Simulator) -> None:
    feeds = (feed("mux", sim.url("/mux"), channel_key="stream", channels=("x", "y")),)
    async with Running(*feeds) as run:
        server = HealthServer(run.engine, ServerConfig(host="127.0.0.1", port=0))
        await server.start()
        assert server.port
        try:
            await wait_until(lambda: run.state("mux") == "live")
            await asyncio.sleep(0.1)
            status, ctype, text = await get(server.port, "/metrics")
        finally:
            await server.stop()
    assert status == 200
    assert ctype.startswith("text/plain")
    lines = text.splitlines()

    def value(prefix: str) -> float:
        matches = [ln for ln in lines if ln.startswith(prefix + " ")]
        assert matches, f"no {prefix} in metrics"
        return float(matches[0].rsplit(" ", 1)[1])

    import time

    assert abs(time.time() - value('feedwatch_last_message_timestamp_seconds{feed="mux"}')) < 5
    assert value('feedwatch_last_message_timestamp_seconds{channel="x",feed="mux"}') > 0
    assert value('feedwatch_messages_total{feed="mux"}') > 0
    assert value('feedwatch_messages_total{channel="y",feed="mux"}') > 0
    assert value('feedwatch_reconnects_total{feed="mux"}') == 0
    assert value('feedwatch_stale{feed="mux"}') == 0
    assert value('feedwatch_stale{channel="x",feed="mux"}') == 0
    assert value('feedwatch_state{feed="mux",state="live"}') == 1
    assert value('feedwatch_stale_after_seconds{feed="mux"}') == 0.3
    assert "# TYPE feedwatch_messages_total counter" in text
    assert "# TYPE feedwatch_stale gauge" in text
    assert not any(ln.startswith("python_") or ln.startswith("process_") for ln in lines)


async def test_unknown_paths_are_404(sim: Simulator) -> None:
    async with Running(feed("a", sim.url("/a"))) as run:
        server = HealthServer(run.engine, ServerConfig(host="127.0.0.1", port=0))
        await server.start()
        assert server.port
        try:
            status, _, _ = await get(server.port, "/../etc/passwd")
            assert status == 404
        finally:
            await server.stop()


@pytest.mark.parametrize(("channel_health", "expected"), [("page", 503), ("warn", 200)])
async def test_a_feed_with_a_stale_channel_is_partial_on_every_http_surface(
    sim: Simulator, channel_health: str, expected: int
) -> None:
    """The demo's multiplex case: /health, /health/<feed> and /metrics read one verdict."""
    import json

    mux = feed(
        "mux",
        sim.url("/mux"),
        channel_key="stream",
        channels=("x", "y"),
        channel_stale_after=0.4,
        channel_health=channel_health,
    )
    async with Running(mux) as run:
        server = HealthServer(run.engine, ServerConfig(host="127.0.0.1", port=0))
        await server.start()
        assert server.port
        try:
            await wait_until(lambda: run.state("mux") == "live")
            sim.stall_channel("/mux", "y")
            await wait_until(lambda: run.state("mux") == "partial", message="mux to turn partial")
            status, _, body = await get(server.port, "/health")
            doc = json.loads(body)
            assert status == expected
            assert doc["status"] == ("ok" if expected == 200 else "degraded")
            [entry] = doc["feeds"]
            assert (entry["state"], entry["healthy"], entry["stale"]) == (
                "partial",
                expected == 200,
                False,  # the feed's own data flows: partial, not stale
            )
            assert entry["channels_stale"] == 1
            status, _, body = await get(server.port, "/health/mux")
            assert status == expected
            assert json.loads(body)["state"] == "partial"
            _, _, metrics = await get(server.port, "/metrics")
            assert 'feedwatch_state{feed="mux",state="partial"} 1.0' in metrics
            assert f'feedwatch_healthy{{feed="mux"}} {1.0 if expected == 200 else 0.0}' in metrics
            sim.resume_channel("/mux", "y")
            await wait_until(lambda: run.state("mux") == "live", message="mux to be live again")
            status, _, _ = await get(server.port, "/health")
            assert status == 200
        finally:
            await server.stop()
