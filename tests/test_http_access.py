"""/health/<feed> and the bearer token, over real HTTP; no response ever shows a URL or secret."""

from __future__ import annotations

import json
import textwrap
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from websockets.exceptions import InvalidURI

from feedwatch.config.loader import parse_config
from feedwatch.config.model import Config, FeedConfig, ServerConfig
from feedwatch.demo.behaviours import Ticker
from feedwatch.demo.simulator import Simulator
from feedwatch.engine.engine import Engine
from feedwatch.outputs.http.server import HealthServer, bearer_matches
from feedwatch.transports.websocket import open_connection
from tests.live import Running, feed
from tests.waiting import wait_until

TOKEN = "fw-token-6c1e0b7d"
URL_SECRET = "url-secret-94a1f2"
HEADER_SECRET = "header-secret-3b8e55"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=11) as simulator:
        simulator.add("/a", Ticker(rate=40, require_subscribe=False))
        simulator.add("/b", Ticker(rate=40, require_subscribe=False))
        simulator.add("/locked", Ticker(rate=40, require_subscribe=False))
        simulator.reject("/locked", 401)
        yield simulator


async def fetch(port: int, path: str, token: str | None = None) -> tuple[int, dict[str, str], str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}", headers=headers) as response,
    ):
        return response.status, dict(response.headers), await response.text()


async def test_one_feed_is_200_when_live_503_when_stale_and_404_when_unknown(
    sim: Simulator,
) -> None:
    feeds = (
        feed("a", sim.url("/a")),
        feed("venue/b", sim.url("/b"), reconnect_on_stale=False),
    )
    async with Running(*feeds) as run:
        server = HealthServer(run.engine, ServerConfig(host="127.0.0.1", port=0))
        await server.start()
        assert server.port
        try:
            await wait_until(lambda: run.state("a") == "live" and run.state("venue/b") == "live")
            status, headers, body = await fetch(server.port, "/health/a")
            assert status == 200
            assert headers["Content-Type"].startswith("application/json")
            assert headers["Cache-Control"] == "no-store"
            one = json.loads(body)
            _, _, whole = await fetch(server.port, "/health")
            listed = json.loads(whole)["feeds"][0]
            assert one.keys() == listed.keys()  # the same object as in /health's list
            assert (one["name"], one["state"], one["connected"]) == ("a", "live", True)

            sim.stall("/b")
            await wait_until(lambda: run.state("venue/b") == "stale")
            status, _, body = await fetch(server.port, "/health/venue%2Fb")
            assert status == 503
            assert (json.loads(body)["name"], json.loads(body)["state"]) == ("venue/b", "stale")
            assert (await fetch(server.port, "/health/a"))[0] == 200  # one feed's trouble only

            run.engine.pause("venue/b")
            status, _, body = await fetch(server.port, "/health/venue%2Fb")
            assert (status, json.loads(body)["state"]) == (200, "paused")

            status, headers, body = await fetch(server.port, "/health/nope")
            assert status == 404
            assert headers["Content-Type"].startswith("application/json")
            assert json.loads(body) == {"error": "no feed named 'nope'"}
            assert (await fetch(server.port, "/health/"))[0] == 404
        finally:
            await server.stop()


def secret_config(sim: Simulator) -> Config:
    text = f"""
    [server]
    listen = "127.0.0.1:9"
    token = "${{FW_TOKEN}}"

    [[feeds]]
    name = "a"
    url = "{sim.base_url}/a?apikey=${{URL_SECRET}}"
    stale_after = "5s"
    headers = {{ X-Api-Key = "${{HEADER_SECRET}}" }}

    [[feeds]]
    name = "locked"
    url = "{sim.base_url}/locked?apikey=${{URL_SECRET}}"
    stale_after = "5s"

    [[feeds]]
    name = "broken"
    url = "{sim.base_url}/a?apikey=${{URL_SECRET}}"
    stale_after = "5s"
    headers = {{ Authorization = "Bearer ${{HEADER_SECRET}}" }}
    """
    environ = {"FW_TOKEN": TOKEN, "URL_SECRET": URL_SECRET, "HEADER_SECRET": HEADER_SECRET}
    return parse_config(textwrap.dedent(text), None, environ)


async def connect_quoting_the_url(config: FeedConfig) -> Any:
    """The real transport, except that "broken" fails with an error that quotes its URL."""
    if config.name == "broken":
        raise InvalidURI(config.url, "made up by the test")
    return await open_connection(config)


async def test_the_token_guards_every_route_and_no_response_shows_a_url_or_secret(
    sim: Simulator,
) -> None:
    config = secret_config(sim)
    engine = Engine(config, connect=connect_quoting_the_url)
    guarded = HealthServer(engine, ServerConfig("127.0.0.1", 0, token=config.server.token))
    unguarded = HealthServer(engine, ServerConfig("127.0.0.1", 0))
    forbidden = {
        TOKEN, URL_SECRET, HEADER_SECRET, sim.base_url, "127.0.0.1:" + str(sim.port),
        *(f.url for f in config.feeds),
    }  # fmt: skip
    paths = ["/health", "/health/a", "/health/locked", "/health/broken", "/health/nope",
             "/metrics", "/nope", "/"]  # fmt: skip
    # (server, path, token sent) -> (status, body)
    seen: dict[tuple[str, str, str | None], tuple[int, str]] = {}
    await engine.start()
    try:
        await guarded.start()
        await unguarded.start()
        await wait_until(
            lambda: (
                engine.feed_snapshot("a").data_messages
                and engine.feed_snapshot("locked").last_error
                and engine.feed_snapshot("broken").last_error
            ),
            message="data on a and an error on each of locked and broken",
        )
        # The exception quoted the URL; the monitor masked it before keeping it.
        assert "apikey=***" in (engine.feed_snapshot("broken").last_error or "")
        for server, name in ((guarded, "guarded"), (unguarded, "unguarded")):
            assert server.port
            for token in (None, "wrong", TOKEN.upper(), TOKEN):
                for path in paths:
                    status, headers, body = await fetch(server.port, path, token)
                    seen[name, path, token] = status, body
                    everything = body + json.dumps(headers)
                    for secret in forbidden:
                        assert secret not in everything, (name, path, token, secret)
                    if name == "guarded" and token != TOKEN:
                        assert status == 401, (path, token)
                        assert headers["WWW-Authenticate"] == "Bearer"
                        assert '"feeds"' not in body and "feedwatch_" not in body
    finally:
        await guarded.stop()
        await unguarded.stop()
        await engine.stop()
    for name, token in (("guarded", TOKEN), ("unguarded", None), ("unguarded", "wrong")):
        status = {path: seen[name, path, token][0] for path in paths}
        assert status == {
            "/health": 503, "/health/a": 200, "/health/locked": 503, "/health/broken": 503,
            "/health/nope": 404, "/metrics": 200, "/nope": 404, "/": 404,
        }, (name, token)  # fmt: skip
        locked = json.loads(seen[name, "/health/locked", token][1])
        assert locked["last_error"] == "HTTP 401 Unauthorized"
        assert "***" in json.loads(seen[name, "/health/broken", token][1])["last_error"]
        assert 'feedwatch_connected{feed="a"} 1.0' in seen[name, "/metrics", token][1]


def test_only_the_exact_bearer_token_passes() -> None:
    assert bearer_matches("Bearer t0ken", "t0ken")
    assert bearer_matches("bearer   t0ken ", "t0ken")  # the scheme is case-insensitive
    assert not bearer_matches(None, "t0ken")
    assert not bearer_matches("t0ken", "t0ken")
    assert not bearer_matches("Basic t0ken", "t0ken")
    assert not bearer_matches("Bearer t0ken2", "t0ken")
    assert not bearer_matches("Bearer T0KEN", "t0ken")
    assert not bearer_matches("Bearer ", "t0ken")
    assert not bearer_matches("Bearer t\udcff0ken", "t0ken")  # undecodable bytes: no crash
