"""`feedwatch --headless` as a user runs it: a real process, JSON lines, clean exit."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from feedwatch.demo.behaviours import Ticker
from feedwatch.demo.simulator import Simulator
from tests.live import free_port


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=9) as simulator:
        simulator.add("/ticker", Ticker(rate=40))
        yield simulator


async def read_event(proc: asyncio.subprocess.Process, event: str, timeout: float = 10) -> dict:
    assert proc.stdout is not None
    async with asyncio.timeout(timeout):
        while True:
            line = await proc.stdout.readline()
            assert line, "feedwatch closed stdout"
            doc = json.loads(line)
            if doc["event"] == event:
                return doc


async def test_headless_prints_json_lines_serves_health_and_exits_cleanly_on_sigterm(
    sim: Simulator, tmp_path: Path
) -> None:
    port = free_port()
    config = tmp_path / "feedwatch.toml"
    config.write_text(
        f"""
[server]
listen = "127.0.0.1:{port}"

[[feeds]]
name = "ticker"
url = "{sim.url("/ticker")}"
stale_after = "300ms"
subscribe = ['{{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}}']
[feeds.ignore]
contains = '"result":null'
"""
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "feedwatch", "--config", str(config), "--headless",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "0"},
    )  # fmt: skip
    try:
        connected = await read_event(proc, "connected")
        assert connected["feed"] == "ticker"
        assert isinstance(connected["ts"], float)
        sim.stall("/ticker")
        stale = await read_event(proc, "stale")
        assert stale["feed"] == "ticker"
        assert stale["age_seconds"] >= 0.3
        assert stale["reason"] == "no data for 0.3s"
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/health") as response,
        ):
            assert response.status == 503
            assert (await response.json())["status"] == "degraded"
        sim.resume("/ticker")
        recovered = await read_event(proc, "recovered")
        assert recovered["outage_seconds"] > 0
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), 10)
    assert proc.stderr is not None
    stderr = (await proc.stderr.read()).decode()
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert "ticker: stale" in stderr  # the human log line


async def test_a_bad_config_exits_2_with_a_located_message(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[[feeds]]\nname = "x"\nurl = "ws://127.0.0.1:1/"\nstale_after = "soon"\n')
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "feedwatch", "--config", str(config), "--headless",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    text = err.decode()
    assert str(config) in text
    assert 'feed "x"' in text and "stale_after" in text and '"soon"' in text
    assert "Traceback" not in text
    assert out == b""


async def test_a_feed_silent_across_a_restart_reports_its_true_age(
    sim: Simulator, tmp_path: Path
) -> None:
    config = tmp_path / "feedwatch.toml"
    config.write_text(
        f"""
[history]
path = "history.db"

[[feeds]]
name = "ticker"
url = "{sim.url("/ticker")}"
stale_after = "500ms"
subscribe = ['{{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}}']
[feeds.ignore]
contains = '"result":null'
"""
    )
    command = (sys.executable, "-m", "feedwatch", "--config", str(config), "--headless")
    first = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    await read_event(first, "connected")
    await asyncio.sleep(1.5)  # data flows; its time is recorded once a second
    sim.stall("/ticker")
    stopped_at = asyncio.get_running_loop().time()
    first.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(first.wait(), 10) == 0
    await asyncio.sleep(1.0)  # feedwatch is down; the feed stays silent
    second = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        stale = await read_event(second, "stale")
        down_for = asyncio.get_running_loop().time() - stopped_at
        # The age did not restart from zero: it includes the time before the restart.
        assert stale["age_seconds"] >= down_for - 0.1
        assert stale["before_restart_seconds"] >= 0.9
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 10) == 0


def test_headless_without_a_config_fails_and_says_what_to_do(tmp_path: Path) -> None:
    """A service started without its config must fail, not watch the demo and look green."""
    import subprocess

    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "feedwatch", "--headless"],
        capture_output=True, text=True, env=env, timeout=30,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stdout == ""  # no events: nothing was watched
    [line] = result.stderr.strip().splitlines()
    assert str(tmp_path / "config" / "feedwatch" / "config.toml") in line
    assert "feedwatch init" in line and "feedwatch demo --headless" in line
