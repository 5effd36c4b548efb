"""Secrets never leave feedwatch: a config full of them, a server that quotes them back,
and then every byte feedwatch wrote is searched for them.

The secrets sit where real feeds put them: a query-string token, a password in the URL,
an Authorization header written in the file, an API key from the environment (${VAR}),
a webhook URL token and header, and the health endpoint's own bearer token. The feed's
server is hostile: it closes with a reason quoting the token and the header, and sends
data that echoes them. Searched: headless stdout and stderr, /health and /metrics, the
history file and what the history commands print, every webhook payload and every
command alert's stdin and environment, and the dashboard's screens.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from feedwatch.config.loader import load_config
from feedwatch.tui.factory import build_app
from feedwatch.tui.screens.detail import DetailScreen
from tests.alert_receiver import Receiver
from tests.live import free_port
from tests.waiting import wait_until

# Random-looking and unlike each other, so a fragment of one is still recognisable.
QUERY_TOKEN = "q7f3a9c21e5b04d8"
PASSWORD = "p51d2e8aa93c7f0b"
HEADER_TOKEN = "h0b9e44d1a6f2c83"
ENV_KEY = "ec3d9a1ff7b2e605"
REFUSED_KEY = "r9e0c4b7d21a8f36"
HOOK_TOKEN = "w2a7b6c4e9d0f153"
HOOK_HEADER = "x88d0f1b3c5a7e29"
HEALTH_TOKEN = "t5c3e9d77a1b0f42"
SECRETS = (
    QUERY_TOKEN,
    PASSWORD,
    HEADER_TOKEN,
    ENV_KEY,
    REFUSED_KEY,
    HOOK_TOKEN,
    HOOK_HEADER,
    HEALTH_TOKEN,
)


_connections = 0


async def _hostile(ws: ServerConnection) -> None:
    """Quote every credential the client sent straight back at it: in data, then either in
    a close reason or by going silent (so the feed goes stale and alerts)."""
    global _connections
    _connections += 1
    assert ws.request is not None
    headers = ws.request.headers
    # Both Authorizations: the header as configured and Basic from the URL's userinfo.
    quoted = " ".join((ws.request.path, *headers.get_all("Authorization"), headers["X-Api-Key"]))
    try:
        await ws.send(json.dumps({"stream": "t", "echo": quoted}))
        if _connections % 2:
            # Close reasons are limited to 123 bytes: this one is cut inside the API key.
            reason = f"bad credentials: {ws.request.path} {headers['X-Api-Key']}"
            await ws.close(4003, reason[:-6])
        else:
            await ws.wait_closed()
    except ConnectionClosed:
        pass


@pytest.fixture
async def hostile() -> AsyncIterator[Server]:
    async with serve(_hostile, "127.0.0.1", 0) as server:
        yield server


@pytest.fixture
def secret_env() -> Iterator[None]:
    os.environ["FEED_KEY"] = ENV_KEY
    yield
    del os.environ["FEED_KEY"]


def write_config(tmp_path: Path, hostile: Server, hook: str, health_port: int) -> Path:
    port = hostile.sockets[0].getsockname()[1]
    recorder = tmp_path / "command-alerts.txt"
    script = (
        "import json, os, sys; "
        f"open({str(recorder)!r}, 'a').write(sys.stdin.read() + json.dumps(dict(os.environ)))"
    )
    config = tmp_path / "feedwatch.toml"
    config.write_text(
        f"""
[server]
listen = "127.0.0.1:{health_port}"
token = "{HEALTH_TOKEN}"

[history]
path = "history.db"

[[feeds]]
name = "leaky"
url = "ws://trader:{PASSWORD}@127.0.0.1:{port}/feed?token={QUERY_TOKEN}&symbol=btc"
stale_after = "250ms"
headers = {{ Authorization = "Bearer {HEADER_TOKEN}", X-Api-Key = "${{FEED_KEY}}" }}
down_after = "1s"
[feeds.backoff]
initial = "50ms"
max = "200ms"

[[feeds]]
name = "refused"
url = "ws://127.0.0.1:{free_port()}/x?apikey={REFUSED_KEY}"
stale_after = "1s"
down_after = "500ms"
[feeds.backoff]
initial = "50ms"
max = "200ms"

[[alerts]]
type = "webhook"
name = "hook"
url = "{hook}?token={HOOK_TOKEN}"
headers = {{ X-Hook-Secret = "{HOOK_HEADER}" }}

[[alerts]]
type = "command"
name = "pager"
argv = ["{sys.executable}", "-c", "{script}"]
"""
    )
    config.chmod(0o600)
    return config


def assert_clean(where: str, text: str) -> None:
    """No secret, and no 8-character piece of one (a truncated close reason cuts them)."""
    for secret in SECRETS:
        for start in range(len(secret) - 7):
            piece = secret[start : start + 8]
            assert piece not in text, f"{secret} leaked into {where}: {excerpt(text, piece)}"


def excerpt(text: str, piece: str) -> str:
    at = text.index(piece)
    return text[max(0, at - 80) : at + 80]


async def fetch(port: int, path: str, token: str | None) -> str:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}", headers=headers) as response,
    ):
        return f"{response.status} {dict(response.headers)} {await response.text()}"


async def run_cli(*args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "feedwatch", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, out.decode()
    return out.decode()


async def test_no_secret_reaches_any_output_of_a_headless_run(
    tmp_path: Path, hostile: Server, secret_env: None
) -> None:
    health_port = free_port()
    async with Receiver() as receiver:
        config = write_config(tmp_path, hostile, receiver.url(), health_port)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "feedwatch", "--config", str(config), "--headless",
            "--log-level", "debug",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        responses: list[str] = []
        try:
            # Long enough for closes, stale, down, storms and alerts on both channels.
            await asyncio.sleep(4.0)
            for token in (HEALTH_TOKEN, "wrong", None):
                for path in ("/health", "/health/leaky", "/health/refused", "/metrics", "/x"):
                    responses.append(await fetch(health_port, path, token))
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            stdout, stderr = await asyncio.wait_for(proc.communicate(), 15)
        assert proc.returncode == 0, stderr.decode()
        # The body is what feedwatch wrote; the headers are the channel's own, sent on purpose.
        webhooks = [r.body.decode() for r in receiver.requests]

    out, err = stdout.decode(), stderr.decode()
    # The run really met the hostile server and alerted: the search is not of empty output.
    events = [json.loads(line) for line in out.splitlines()]
    kinds = {(e["feed"], e["event"]) for e in events}
    assert {("leaky", "disconnected"), ("leaky", "stale"), ("refused", "error")} <= kinds
    closes = [e for e in events if e["event"] == "disconnected" and e.get("code") == 4003]
    assert closes and "token=***" in closes[0]["close_reason"]
    assert webhooks, "no webhook alert was sent"
    commands = (tmp_path / "command-alerts.txt").read_text()
    assert "FEEDWATCH_FEED" in commands
    assert any(r.startswith("200 ") for r in responses)

    assert_clean("headless stdout", out)
    assert_clean("headless stderr", err)
    for response in responses:
        assert_clean("an HTTP response", response)
    for body in webhooks:
        assert_clean("a webhook payload", body)
    assert_clean("a command alert's stdin or environment", commands)
    for name in ("history.db", "history.db-wal", "history.db-shm"):
        path = tmp_path / name
        if path.exists():
            assert_clean(name, path.read_bytes().decode("latin-1"))
    for command in (["history", "--json"], ["incidents", "--json"], ["uptime"], ["history"]):
        assert_clean(f"feedwatch {command[0]}", await run_cli(*command, "--config", str(config)))


def screen_text(svg: str) -> str:
    """The characters a terminal would show, from Textual's SVG screenshot."""
    text = re.sub(r"<[^>]+>", "", svg)
    return text.replace("&#160;", " ").replace("&amp;", "&").replace("&lt;", "<")


async def test_no_secret_reaches_the_dashboard(
    tmp_path: Path, hostile: Server, secret_env: None
) -> None:
    config = load_config(write_config(tmp_path, hostile, "http://127.0.0.1:9/hook", free_port()))
    app = build_app(config, refresh_hz=20)
    screens: dict[str, str] = {}
    async with app.run_test(size=(200, 60)) as pilot:
        monitor = app.runtime.engine.worker("leaky").monitor
        await wait_until(
            lambda: any(e.fields.get("code") == 4003 for e in monitor.events),
            timeout=10,
            message="the hostile server to close with 4003",
        )
        await pilot.pause(1.0)
        screens["main"] = screen_text(app.export_screenshot())
        await pilot.press("enter")  # the detail view of the selected (first) feed
        # The detail view draws its panels after it mounts: wait for the close to show.
        screens["detail"] = await wait_until(
            lambda: (
                (text := screen_text(app.export_screenshot()))
                and "closed by server: 4003" in text
                and text
            ),
            timeout=10,
            interval=0.2,
            message="the detail view to show the close",
        )
        await pilot.press("escape")
        await wait_until(lambda: not isinstance(app.screen, DetailScreen), message="back")
        await pilot.press("down", "enter")
        await wait_until(lambda: isinstance(app.screen, DetailScreen), message="second detail")
        await pilot.pause(0.5)
        screens["detail of refused"] = screen_text(app.export_screenshot())
    assert "leaky" in screens["main"]
    assert "closed by server: 4003" in screens["detail"]  # the close, with its reason, shown
    for name, text in screens.items():
        assert_clean(f"the {name} screen", text)
