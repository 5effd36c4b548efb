"""The health server answers its three routes and nothing else: no path, however it is
spelled, reaches a file or another document. Requests go over a raw socket, so the path
arrives exactly as an attacker would send it (an HTTP client library would normalise it).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from feedwatch.config.model import ServerConfig
from feedwatch.demo.behaviours import Ticker
from feedwatch.demo.simulator import Simulator
from feedwatch.outputs.http.server import HealthServer
from tests.live import Running, feed


@pytest.fixture
async def server() -> AsyncIterator[HealthServer]:
    async with Simulator(seed=5) as sim:
        sim.add("/a", Ticker(rate=20, require_subscribe=False))
        async with Running(feed("a", sim.url("/a"), stale_after=2.0)) as run:
            health = HealthServer(run.engine, ServerConfig(host="127.0.0.1", port=0))
            await health.start()
            yield health
            await health.stop()


async def raw(port: int, request_line: str) -> tuple[int, str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"{request_line}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    response = (await asyncio.wait_for(reader.read(), 5)).decode("latin-1")
    writer.close()
    status = int(response.split(" ", 2)[1])
    return status, response


OUTSIDE = [
    "GET /../../../../etc/passwd HTTP/1.1",
    "GET /%2e%2e/%2e%2e/%2e%2e/etc/passwd HTTP/1.1",
    "GET /..%2f..%2f..%2fetc%2fpasswd HTTP/1.1",
    "GET //etc/passwd HTTP/1.1",
    "GET /etc/passwd HTTP/1.1",
    "GET /static/../../etc/passwd HTTP/1.1",
    "GET / HTTP/1.1",
    "GET /healthz HTTP/1.1",
    "GET /metrics/extra HTTP/1.1",
    "GET /feedwatch/__init__.py HTTP/1.1",
    "GET http://127.0.0.1/etc/passwd HTTP/1.1",
    # Text after /health/ is only ever looked up as a feed name.
    "GET /health/../../../etc/passwd HTTP/1.1",
    "GET /health/%2e%2e%2f%2e%2e%2fetc HTTP/1.1",
]


@pytest.mark.parametrize("request_line", OUTSIDE)
async def test_no_path_outside_the_routes_is_served(
    server: HealthServer, request_line: str
) -> None:
    assert server.port
    status, response = await raw(server.port, request_line)
    assert status in (400, 404), response
    assert "root:" not in response
    assert "feedwatch_" not in response  # not the metrics document under another name
    assert '"feeds"' not in response  # nor the health document


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
async def test_only_get_is_answered(server: HealthServer, method: str) -> None:
    assert server.port
    status, _ = await raw(server.port, f"{method} /health HTTP/1.1")
    assert status == 405


async def test_the_routes_themselves_answer(server: HealthServer) -> None:
    assert server.port
    for path, expected in (("/health", '"feeds"'), ("/health/a", '"name"'), ("/metrics", "# HELP")):
        status, response = await raw(server.port, f"GET {path} HTTP/1.1")
        assert status in (200, 503)
        assert expected in response
