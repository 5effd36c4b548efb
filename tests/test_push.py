"""Push check-ins over real HTTP: POST /v1/push/<feed> is a push feed's data clock."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from feedwatch.config.loader import ConfigError, parse_config
from feedwatch.config.model import Config, ServerConfig
from feedwatch.engine.engine import Engine
from feedwatch.outputs.http.server import HealthServer
from tests.waiting import wait_until

CONFIG = """
[server]
listen = "127.0.0.1:9"

[[feeds]]
name = "job"
transport = "push"
push_token = "${PUSH_TOKEN}"
stale_after = "400ms"
channel_key = "symbol"
push_rate = 50
"""


@pytest.fixture
async def served() -> AsyncIterator[tuple[Engine, str]]:
    config = parse_config(CONFIG, environ={"PUSH_TOKEN": "s3cret-token"})
    engine = Engine(Config(feeds=config.feeds))
    server = HealthServer(engine, ServerConfig(host="127.0.0.1", port=0))
    await engine.start()
    await server.start()
    try:
        yield engine, f"http://127.0.0.1:{server.port}/v1/push/job"
    finally:
        await server.stop()
        await engine.stop()


async def post(url: str, token: str | None, body: bytes = b"", query: str = "") -> int:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url + query, data=body, headers=headers) as response,
    ):
        return response.status


async def test_tokens_bodies_channels_and_a_consumer_that_stops(
    served: tuple[Engine, str],
) -> None:
    engine, url = served
    inbox = engine.worker("job").inbox
    assert inbox is not None
    assert await post(url, None) == 401
    assert await post(url, "wrong") == 401
    assert inbox.counts.unauthorized == 2
    assert engine.feed_snapshot("job").data_messages == 0  # a 401 is never data
    assert await post(url, "s3cret-token", b"not json") == 400
    assert await post(url, "s3cret-token", b"", "?kind=nonsense") == 400

    assert await post(url, "s3cret-token", b'{"symbol": "BTC"}') == 202
    assert await post(url, "s3cret-token", b'{"symbol": "ETH"}') == 202
    await wait_until(
        lambda: {c.key for c in engine.feed_snapshot("job").channels} >= {"BTC", "ETH"}
    )
    assert str(engine.feed_snapshot("job").state) == "live"

    # A heartbeat check-in proves the consumer alive, not that it wrote anything.
    data = engine.feed_snapshot("job").data_messages
    assert await post(url, "s3cret-token", b"", "?kind=heartbeat") == 202
    await wait_until(lambda: engine.worker("job").monitor.heartbeats == 1)
    assert engine.feed_snapshot("job").data_messages == data

    # The consumer stops: stale at its deadline, and never reconnected (nothing to redo).
    last = time.monotonic()
    await wait_until(lambda: engine.feed_snapshot("job").stale, timeout=3)
    assert time.monotonic() - last >= 0.3
    assert engine.feed_snapshot("job").reconnects == 0
    assert await post(url, "s3cret-token") == 202  # a bare check-in is data again
    await wait_until(lambda: not engine.feed_snapshot("job").stale)


async def test_a_flood_is_limited_not_recorded(served: tuple[Engine, str]) -> None:
    engine, url = served
    inbox = engine.worker("job").inbox
    assert inbox is not None
    async with aiohttp.ClientSession() as session:
        statuses = []
        for _ in range(300):
            async with session.post(
                url, data=b"", headers={"Authorization": "Bearer s3cret-token"}
            ) as response:
                statuses.append(response.status)
                if response.status == 429:
                    assert int(response.headers["Retry-After"]) >= 1
    assert statuses.count(429) > 0
    assert inbox.counts.accepted < 300
    assert inbox.counts.limited == statuses.count(429)


def test_a_push_feed_without_a_server_is_a_located_error() -> None:
    text = CONFIG.replace('[server]\nlisten = "127.0.0.1:9"\n', "")
    with pytest.raises(ConfigError) as caught:
        parse_config(text, environ={"PUSH_TOKEN": "x"})
    assert "feeds[0].transport" in str(caught.value) or "transport" in str(caught.value)
    assert "[server]" in str(caught.value)


def test_a_push_feed_needs_a_token() -> None:
    text = CONFIG.replace('push_token = "${PUSH_TOKEN}"\n', "")
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    assert "push_token" in str(caught.value)
