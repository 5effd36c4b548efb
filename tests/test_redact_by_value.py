"""Secrets are recognised by where they are written, not by a fixed list of names.

A hostile server echoes back query values named ``apiToken``, ``client_secret`` and
``X-Amz-Signature`` (names on no list), raw and %-encoded; the run's stdout, stderr, history
file and ``feedwatch history`` are then searched for them. A parameter marked public stays.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from feedwatch.config.model import FeedConfig
from feedwatch.engine.redact import FeedRedactor
from tests.waiting import wait_until

API_TOKEN = "a7Kq/9zX+4mP=w2L"  # changes under %-encoding: written encoded in the URL
CLIENT_SECRET = "cs-61f0d9b2e8a4"
SIGNATURE = "5e1c0b9a7d3f2e64"
SECRETS = (API_TOKEN, quote(API_TOKEN, safe=""), CLIENT_SECRET, SIGNATURE)


async def _echo_back(ws: ServerConnection) -> None:
    assert ws.request is not None
    try:
        await ws.send(json.dumps({"stream": "t", "path": ws.request.path}))
        reason = f"bad apiToken {API_TOKEN} {quote(API_TOKEN, safe='')} sig {SIGNATURE}"
        await ws.close(4003, reason)
    except ConnectionClosed:
        pass


@pytest.fixture
async def echo_server() -> AsyncIterator[Server]:
    async with serve(_echo_back, "127.0.0.1", 0) as server:
        yield server


def url(port: int) -> str:
    return (
        f"ws://127.0.0.1:{port}/ws?apiToken={quote(API_TOKEN, safe='')}"
        f"&client_secret={CLIENT_SECRET}&X-Amz-Signature={SIGNATURE}&symbol=btcusdt"
    )


def assert_clean(where: str, text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret} leaked into {where}"
        assert secret[:8] not in text, f"part of {secret} leaked into {where}"


async def feedwatch(*args: str, timeout: float = 30) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "feedwatch", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_query_values_under_any_name_are_masked_everywhere(
    tmp_path: Path, echo_server: Server
) -> None:
    port = echo_server.sockets[0].getsockname()[1]
    config = tmp_path / "feedwatch.toml"
    config.write_text(
        f"""
[history]
path = "history.db"

[[feeds]]
name = "leaky"
url = "{url(port)}"
public_params = ["symbol"]
stale_after = "300ms"
[feeds.backoff]
initial = "100ms"
max = "300ms"
"""
    )
    config.chmod(0o644)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "feedwatch", "--config", str(config), "--headless",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    lines: list[dict[str, object]] = []

    async def read_until_closed_twice() -> bool:
        while sum(e.get("code") == 4003 for e in lines) < 2:
            line = await proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                return False
            lines.append(json.loads(line))
        return True

    try:
        assert await asyncio.wait_for(read_until_closed_twice(), 20)
    finally:
        proc.send_signal(signal.SIGTERM)
        rest, err = await asyncio.wait_for(proc.communicate(), 15)
    out = "\n".join(json.dumps(e) for e in lines) + rest.decode()
    stderr = err.decode()

    closes = [e for e in lines if e.get("code") == 4003]
    assert closes[0]["close_reason"] == "bad apiToken *** *** sig ***"
    connected = next(e for e in lines if e["event"] == "connected")
    assert connected["url"] == (
        f"ws://127.0.0.1:{port}/ws?apiToken=***&client_secret=***"
        "&X-Amz-Signature=***&symbol=btcusdt"
    )
    assert_clean("headless stdout", out)
    assert_clean("headless stderr", stderr)
    # The permission warning finds the secrets by their names' shape, not a fixed list.
    assert 'url parameter apiToken, feed "leaky" url parameter client_secret and 1 more' in stderr
    await wait_until(lambda: (tmp_path / "history.db").exists(), timeout=5)
    for name in ("history.db", "history.db-wal"):
        if (tmp_path / name).exists():
            assert_clean(name, (tmp_path / name).read_bytes().decode("latin-1"))
    code, shown, errors = await feedwatch("history", "--json", "--config", str(config))
    assert code == 0, errors
    assert "bad apiToken ***" in shown
    assert_clean("feedwatch history", shown + errors)


def test_a_public_parameter_is_shown_and_its_short_value_never_masked_in_text() -> None:
    feed = FeedConfig(
        name="f",
        url="wss://h/ws?symbol=btcusdt&limit=5&key=k3y-0f9e8d",
        stale_after=1.0,
        public_params=("symbol",),
    )
    redact = FeedRedactor(feed)
    assert redact.display_url == "wss://h/ws?symbol=btcusdt&limit=***&key=***"
    # limit=5 is too short to find by value in text; key's value is found anywhere.
    assert redact("limit 5 reached for k3y-0f9e8d") == "limit 5 reached for ***"


def test_user_and_password_in_userinfo_are_both_masked() -> None:
    feed = FeedConfig(name="f", url="wss://apikey123:pw-77aa@h/ws", stale_after=1.0)
    redact = FeedRedactor(feed)
    assert redact.display_url == "wss://***:***@h/ws"
    assert redact("denied for apikey123") == "denied for ***"
