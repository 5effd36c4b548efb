"""The in-process API: a consumer's own websockets connection, watched by feedwatch's engine."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from websockets.asyncio.client import connect

from feedwatch import ConfigError, State, Watcher
from feedwatch.demo.behaviours import Ticker
from feedwatch.demo.simulator import Simulator
from tests.live import free_port
from tests.waiting import wait_until

STALE_AFTER = 0.3


def in_process(name: str = "ticker", **keys: object) -> dict[str, object]:
    return {"name": name, "transport": "in-process", "stale_after": "300ms", **keys}


def quiet_watcher(*feeds: dict[str, object], port: int | None = None) -> Watcher:
    """No history file, and /health on ``port`` when given."""
    server = {"listen": f"127.0.0.1:{port}"} if port is not None else None
    return Watcher(feeds=list(feeds), server=server, history={"enabled": False})


async def health(port: int) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/health") as response,
    ):
        return response.status, json.loads(await response.text())


def feed_of(doc: dict[str, object], name: str) -> dict[str, object]:
    feeds = doc["feeds"]
    assert isinstance(feeds, list)
    found: dict[str, object] = next(f for f in feeds if f["name"] == name)
    return found


async def test_a_stall_on_an_open_connection_is_caught_on_time_and_recovers() -> None:
    port = free_port()
    watcher = quiet_watcher(in_process(), port=port)
    stale_calls: list[tuple[str, str | None, float]] = []
    watcher.on_stale(lambda feed, channel: stale_calls.append((feed, channel, time.monotonic())))
    last_message = 0.0
    async with Simulator(seed=3) as sim, watcher:
        sim.add("/t", Ticker(rate=100, require_subscribe=False))
        assert watcher.state("ticker") is State.CONNECTING  # no stream yet
        async with connect(sim.url("/t")) as ws:

            async def consume() -> None:
                nonlocal last_message
                async for message in watcher.watch("ticker", ws):
                    assert isinstance(message, str)  # handed back unchanged
                    last_message = time.monotonic()

            reader = asyncio.create_task(consume())
            await wait_until(lambda: watcher.state("ticker") is State.LIVE)
            status, doc = await health(port)
            assert (status, feed_of(doc, "ticker")["state"]) == (200, "live")

            sim.stall("/t")  # the connection stays open; only the data stops
            await wait_until(lambda: stale_calls, timeout=3)
            feed, channel, called_at = stale_calls[0]
            assert (feed, channel) == ("ticker", None)
            late = called_at - last_message - STALE_AFTER
            assert -0.01 <= late <= 0.05, f"on_stale came {late * 1000:.1f} ms after the threshold"
            assert watcher.stale("ticker")
            status, doc = await health(port)
            assert (status, feed_of(doc, "ticker")["state"]) == (503, "stale")
            assert feed_of(doc, "ticker")["connected"] is True  # stale, not disconnected

            sim.resume("/t")
            await wait_until(lambda: watcher.state("ticker") is State.LIVE)
            assert not watcher.stale("ticker")
            assert len(stale_calls) == 1  # once per stale transition
            status, _ = await health(port)
            assert status == 200
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        # The consumer's stream is gone: the feed is disconnected, not live.
        await wait_until(lambda: watcher.state("ticker") is State.CONNECTING)


async def test_heartbeats_by_a_rule_are_heartbeats_not_data() -> None:
    feed = in_process(heartbeat={"contains": '"event":"heartbeat"'})
    async with quiet_watcher(feed) as watcher:
        for _ in range(5):
            watcher.record("ticker", '{"event":"heartbeat"}')
            await asyncio.sleep(0.1)  # heartbeats alone, past stale_after: no data
        await wait_until(lambda: watcher.stale("ticker"))
        watcher.record("ticker", b'{"price": 1}')
        await wait_until(lambda: watcher.state("ticker") is State.LIVE)
        monitor = watcher._runtime.engine.worker("ticker").monitor
        assert monitor.heartbeats == 5
        assert monitor.watch.messages == 1


async def test_record_connects_and_disconnected_ends_the_session() -> None:
    async with quiet_watcher(in_process(channel_key="s")) as watcher:
        watcher.record("ticker", '{"s": "btc"}')
        await wait_until(lambda: watcher.state("ticker") is State.LIVE)
        snapshot = watcher._runtime.engine.feed_snapshot("ticker")
        assert [c.key for c in snapshot.channels] == ["btc"]  # the feed's own rules read it
        watcher.disconnected("ticker", "my socket closed")
        await wait_until(lambda: watcher.state("ticker") is State.CONNECTING)
        watcher.record("ticker", '{"s": "btc"}')  # reconnected
        await wait_until(lambda: watcher.state("ticker") is State.LIVE)


async def test_record_from_another_thread_is_refused_with_the_fix() -> None:
    watcher = quiet_watcher(in_process())
    with pytest.raises(RuntimeError, match="needs the watcher running"):
        watcher.record("ticker", "{}")
    async with watcher:
        loop = asyncio.get_running_loop()
        with pytest.raises(RuntimeError, match="call_soon_threadsafe"):
            await loop.run_in_executor(None, watcher.record, "ticker", "{}")
        # The fix it names works.
        await loop.run_in_executor(
            None, lambda: loop.call_soon_threadsafe(watcher.record, "ticker", "{}")
        )
        await wait_until(lambda: watcher.state("ticker") is State.LIVE)
    with pytest.raises(RuntimeError, match="runs once"):
        async with watcher:
            pass


async def test_a_consumer_exception_reaches_the_consumer_and_disconnects_the_feed() -> None:
    async with Simulator(seed=4) as sim, quiet_watcher(in_process()) as watcher:
        sim.add("/t", Ticker(rate=100, require_subscribe=False))
        async with connect(sim.url("/t")) as ws:
            with pytest.raises(ZeroDivisionError):
                count = 0
                async for _ in watcher.watch("ticker", ws):
                    count += 1
                    if count == 20:
                        assert watcher.state("ticker") is State.LIVE
                        1 / 0  # noqa: B018 - the consumer's own bug
            await wait_until(lambda: watcher.state("ticker") is State.CONNECTING)
            events = watcher._runtime.engine.worker("ticker").monitor.events
            assert [e.reason for e in events if e.kind == "disconnected"] == [
                "the consumer stopped reading (its loop ended or raised)"
            ]
            # The consumer reconnects by watching again.
            async for _ in watcher.watch("ticker", ws):
                if watcher.state("ticker") is State.LIVE:
                    break


async def test_a_stream_that_fails_disconnects_with_its_reason() -> None:
    async def failing() -> object:
        yield b"{}"
        await asyncio.sleep(0.05)
        raise ConnectionResetError("peer went away")

    async with quiet_watcher(in_process()) as watcher:
        with pytest.raises(ConnectionResetError):
            async for _ in watcher.watch("ticker", failing()):  # type: ignore[arg-type]
                pass
        await wait_until(lambda: watcher.state("ticker") is State.CONNECTING)
        events = watcher._runtime.engine.worker("ticker").monitor.events
        reasons = [e.reason for e in events if e.kind == "disconnected"]
        assert reasons == ["the consumer's stream failed: ConnectionResetError: peer went away"]


async def test_a_failing_on_stale_callback_is_logged_and_the_engine_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(feed: str, channel: str | None) -> None:
        raise RuntimeError("consumer bug")

    watcher = Watcher(feeds=[in_process()], history={"enabled": False}, on_stale=broken)
    async with watcher:
        watcher.record("ticker", "{}")
        await wait_until(lambda: watcher.stale("ticker"))
        await wait_until(lambda: "on_stale callback failed" in caplog.text)
        watcher.record("ticker", "{}")
        await wait_until(lambda: watcher.state("ticker") is State.LIVE)


def test_from_config_reads_a_real_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[history]\nenabled = false\n\n[[feeds]]\nname = "binance"\ntransport = "in-process"\n'
        'stale_after = "5s"\n'
    )
    watcher = Watcher.from_config(path)
    assert [feed.name for feed in watcher.config.feeds] == ["binance"]
    assert watcher.config.feeds[0].stale_after == 5.0


def test_a_config_error_is_one_located_message(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[[feeds]]\nname = "binance"\ntransport = "in-process"\nurl = "wss://x"\nstale_after = 5\n'
    )
    with pytest.raises(ConfigError) as caught:
        Watcher.from_config(path)
    assert str(caught.value) == (
        f"invalid config {path}:\n"
        '  feed "binance": url: does not apply to transport = "in-process": the consumer '
        "hands its messages to feedwatch.Watcher"
    )
    assert caught.value.__traceback__ is not None
    assert len(list(_frames(caught.value.__traceback__))) == 2  # this test, then from_config
    with pytest.raises(ConfigError, match='feed "x": stale_after: required key is missing'):
        Watcher(feeds=[{"name": "x", "transport": "in-process"}])


def _frames(tb: object) -> object:
    while tb is not None:
        yield tb
        tb = tb.tb_next  # type: ignore[attr-defined]


async def test_watching_a_feed_that_is_not_in_process_is_refused(tmp_path: Path) -> None:
    feeds = [in_process(), {"name": "ws", "url": "ws://127.0.0.1:9/", "stale_after": "1s"}]
    async with quiet_watcher(*feeds) as watcher:
        with pytest.raises(ValueError, match='feed "ws" is not a transport = "in-process" feed'):
            watcher.record("ws", "{}")
        with pytest.raises(KeyError, match="no feed named 'nope'"):
            watcher.record("nope", "{}")


TYPED_USAGE = """
import asyncio
from collections.abc import AsyncIterator
from websockets.asyncio.client import ClientConnection
from feedwatch import State, Watcher

def handle(data: str | bytes) -> None: ...

async def messages() -> AsyncIterator[str]:
    yield "{}"

async def main(ws: ClientConnection) -> None:
    watcher = Watcher.from_config("config.toml")
    @watcher.on_stale
    def reconnect(feed: str, channel: str | None) -> None: ...
    async with watcher:
        async for message in watcher.watch("binance", messages()):
            print(message.upper())  # a str stays a str
        async for data in watcher.watch("binance", ws):
            handle(data)  # websockets' str | bytes stays str | bytes
        watcher.record("binance", b"{}")
        stale: bool = watcher.stale("binance")
        state: State = watcher.state("binance")
"""


def test_the_public_api_type_checks_strictly(tmp_path: Path) -> None:
    usage = tmp_path / "usage.py"
    usage.write_text(TYPED_USAGE)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(usage)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 0, result.stdout


def test_importing_feedwatch_loads_no_engine() -> None:
    probe = "import feedwatch, sys; print(sorted(m for m in sys.modules if 'feedwatch.' in m))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=30
    )
    assert result.stdout.strip() == "[]"
