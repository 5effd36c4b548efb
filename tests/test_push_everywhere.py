"""A push feed treated like any other, end to end: the real console script headless, real
HTTP check-ins, a real webhook receiver, a real history file, and ``feedwatch check`` and
``feedwatch incidents`` / ``uptime`` run as a user runs them.

The consumer is a trading bot writing order-book rows: one check-in per write, per symbol.
Then one symbol stops (partial), then all (stale at the deadline, alerted, then the slower
max_silence rule), then it comes back (recovered). A second push feed is in its quiet
window: no check-ins, no alarm.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.alert_receiver import Receiver
from tests.live import free_port
from tests.waiting import wait_until

FEEDWATCH = str(Path(sys.executable).parent / "feedwatch")
TOKEN = "bot-7f3a9c"
STALE_AFTER = 0.6


def config_text(port: int, history: Path, hook: str) -> str:
    return f"""
[server]
listen = "127.0.0.1:{port}"

[history]
path = "{history}"

[[alerts]]
type = "webhook"
name = "ops"
url = "{hook}"
timeout = "2s"

[[feeds]]
name = "orders"
transport = "push"
push_token = "${{BOT_PUSH_TOKEN}}"
push_rate = 100
stale_after = "{STALE_AFTER}s"
max_silence = "2s"
channel_key = "symbol"
channels = ["BTC-USDT", "ETH-USDT"]

[[feeds]]
name = "nightly-export"
transport = "push"
push_token = "${{BOT_PUSH_TOKEN}}"
stale_after = "1s"

[[feeds.schedule]]
days = "mon-sun"
start = "00:00"
end = "24:00"
timezone = "UTC"
quiet = true
"""


class Headless:
    """``feedwatch --headless`` in its own process, its JSON lines collected as they come."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[dict[str, object]] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            with contextlib.suppress(ValueError):
                self.lines.append(json.loads(raw))

    def events(self, kind: str, feed: str = "orders") -> list[dict[str, object]]:
        return [e for e in self.lines if e.get("event") == kind and e.get("feed") == feed]

    async def stop(self) -> int:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.proc.wait(), 10)
        await self._reader
        return code


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[tuple[Headless, Receiver, str, Path]]:
    port = free_port()
    async with Receiver() as receiver:
        path = tmp_path / "config.toml"
        path.write_text(config_text(port, tmp_path / "history.db", receiver.url("/ops")))
        env = {**os.environ, "BOT_PUSH_TOKEN": TOKEN}
        proc = await asyncio.create_subprocess_exec(
            FEEDWATCH,
            "--config",
            str(path),
            "--headless",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=env,
        )
        headless = Headless(proc)
        try:
            yield headless, receiver, f"http://127.0.0.1:{port}", path
        finally:
            await headless.stop()


async def check(path: Path, feed: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        FEEDWATCH,
        "check",
        "--config",
        str(path),
        "--feed",
        feed,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "BOT_PUSH_TOKEN": TOKEN},
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def report(path: Path, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        FEEDWATCH,
        *args,
        "--config",
        str(path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "BOT_PUSH_TOKEN": TOKEN},
    )
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, err.decode()
    return out.decode()


class Bot:
    """The consumer: a check-in per order-book write, for the symbols still writing."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.url = f"{base}/v1/push/orders"
        self.writing = {"BTC-USDT", "ETH-USDT"}
        # Wall times around the last accepted check-in: sent, and answered 202.
        self.last_sent = self.last_answered = 0.0

    async def run(self) -> None:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        while True:
            for symbol in sorted(self.writing):
                sent = time.time()
                body = json.dumps({"symbol": symbol, "rows": 20, "ts": sent})
                async with self.session.post(self.url, data=body, headers=headers) as response:
                    if response.status == 202:
                        self.last_sent, self.last_answered = sent, time.time()
            await asyncio.sleep(0.05)


async def health(session: aiohttp.ClientSession, base: str, feed: str) -> dict[str, object]:
    async with session.get(f"{base}/health/{feed}") as response:
        body: dict[str, object] = await response.json()
        return body


async def test_a_push_feed_is_watched_alerted_recorded_and_checked_like_any_other(
    running: tuple[Headless, Receiver, str, Path],
) -> None:
    headless, receiver, base, path = running
    async with aiohttp.ClientSession() as session:

        async def up() -> bool:
            with contextlib.suppress(aiohttp.ClientError):
                await health(session, base, "orders")
                return True
            return False

        deadline = time.monotonic() + 10
        while not await up():
            assert time.monotonic() < deadline, "the headless process never served /health"
            await asyncio.sleep(0.05)

        bot = Bot(session, base)
        writer = asyncio.create_task(bot.run())
        try:
            await wait_until(lambda: headless.events("recovered") or headless.lines, timeout=5)
            await asyncio.sleep(1.0)
            assert (await health(session, base, "orders"))["state"] == "live"
            status, out = await check(path, "orders")
            assert status == 0, out
            assert "live at http://127.0.0.1" in out

            # One symbol stops writing: the feed is partial, its channel stale.
            bot.writing = {"BTC-USDT"}
            await asyncio.sleep(STALE_AFTER + 0.3)
            body = await health(session, base, "orders")
            assert body["state"] == "partial"
            stale_channels = [c for c in body["channels"] if c["state"] == "stale"]  # type: ignore[attr-defined]
            assert [c["key"] for c in stale_channels] == ["ETH-USDT"]
            bot.writing = {"BTC-USDT", "ETH-USDT"}
            await asyncio.sleep(0.5)

            # The whole consumer stops: stale at its deadline, alerted, checked CRITICAL.
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            sent, answered = bot.last_sent, bot.last_answered
            await wait_until(lambda: headless.events("stale") and headless.events("silence"), 6)
            stale = headless.events("stale")[-1]
            at = float(stale["ts"])  # type: ignore[arg-type]
            # At the deadline: the last check-in arrived between its send and its 202.
            assert at >= sent + STALE_AFTER
            assert at - (answered + STALE_AFTER) <= 0.05, at - (answered + STALE_AFTER)
            assert stale.get("channel") is None
            status, out = await check(path, "orders")
            assert status == 2, out
            assert "stale at http://127.0.0.1" in out
            silence = headless.events("silence")[0]
            assert silence["max_silence_seconds"] == 2.0

            # The quiet feed never checked in and never alarmed.
            assert (await health(session, base, "nightly-export"))["state"] == "quiet"
            assert headless.events("stale", "nightly-export") == []
            assert (await check(path, "nightly-export"))[0] == 0

            writer = asyncio.create_task(bot.run())
            await wait_until(lambda: headless.events("recovered"), timeout=5)
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
    await receiver.wait(3, timeout=10)
    conditions = [r.json()["condition"] for r in receiver.requests if r.json()["feed"] == "orders"]
    assert "stale" in conditions and "silence" in conditions and "recovered" in conditions
    assert all(r.json()["feed"] == "orders" for r in receiver.requests)  # never the quiet one
    assert await headless.stop() == 0

    incidents = await report(path, "incidents", "--feed", "orders", "--json")
    kinds = [json.loads(line)["kind"] for line in incidents.splitlines() if line.strip()]
    assert "stale" in kinds and "partial" in kinds
    uptime = await report(path, "uptime", "--feed", "orders")
    assert "orders" in uptime and "100.0%" not in uptime


async def test_check_says_when_no_feedwatch_serves_a_push_feeds_check_ins(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(config_text(free_port(), tmp_path / "h.db", "http://127.0.0.1:9/"))
    started = time.monotonic()
    status, out = await check(path, "orders")
    assert status == 2
    assert (
        "orders: CRITICAL - no feedwatch serving its check-ins answers at http://127.0.0.1:" in out
    )
    assert time.monotonic() - started < 10
