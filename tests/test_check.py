"""`feedwatch check` as Nagios runs it: a real process against real local feeds."""

from __future__ import annotations

import asyncio
import re
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from feedwatch.demo.behaviours import Ticker
from feedwatch.demo.simulator import Simulator
from tests.live import free_port
from tests.waiting import wait_until

SUBSCRIBE = """subscribe = ['{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}']
[feeds.ignore]
contains = '"result":null'
[feeds.heartbeat]
contains = '"event":"heartbeat"'
"""


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=21) as simulator:
        simulator.add("/btc", Ticker(rate=40, heartbeat_every=0.1))
        simulator.add("/eth", Ticker(rate=40, heartbeat_every=0.1, symbol="eth"))
        yield simulator


def config(tmp_path: Path, *feeds: tuple[str, str, str]) -> Path:
    """A config file with (name, url, stale_after) feeds that subscribe like Binance."""
    path = tmp_path / "feedwatch.toml"
    path.write_text(
        "".join(
            f'[[feeds]]\nname = "{name}"\nurl = "{url}"\nstale_after = "{stale}"\n{SUBSCRIBE}\n'
            for name, url, stale in feeds
        )
    )
    return path


async def check(*args: str) -> tuple[int, list[str], str]:
    """Run `feedwatch check ARGS`: (exit status, stdout lines, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "feedwatch", "check", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    assert "Traceback" not in err.decode()
    return proc.returncode, out.decode().splitlines(), err.decode()


def assert_report(lines: list[str], *patterns: str) -> None:
    """The output is exactly these lines, each matching its regex in full."""
    assert len(lines) == len(patterns), lines
    for line, pattern in zip(lines, patterns, strict=True):
        assert re.fullmatch(pattern, line), f"{line!r} does not match {pattern!r}"


async def test_every_feed_delivering_is_ok_with_perfdata(sim: Simulator, tmp_path: Path) -> None:
    path = config(tmp_path, ("btc", sim.url("/btc"), "2s"), ("eth", sim.url("/eth"), "4s"))
    status, lines, _ = await check("--config", str(path))
    assert status == 0, lines
    assert_report(
        lines,
        r"FEEDWATCH OK - 2 of 2 feeds delivered data \| "
        r"'btc_first_data'=0\.\d{3}s;1;2;0 'eth_first_data'=0\.\d{3}s;2;4;0",
        r"btc: OK - first data after 0\.\d{3}s",
        r"eth: OK - first data after 0\.\d{3}s",
    )


async def test_a_feed_with_only_heartbeats_is_critical(sim: Simulator, tmp_path: Path) -> None:
    sim.stall("/eth")  # the socket stays open and heartbeats go on: only the data stops
    path = config(tmp_path, ("btc", sim.url("/btc"), "2s"), ("eth", sim.url("/eth"), "1m"))
    status, lines, _ = await check("--config", str(path), "--timeout", "1s")
    assert status == 2, lines
    assert_report(
        lines,
        r"FEEDWATCH CRITICAL - 1 of 2 feeds silent: eth \| 'btc_first_data'=0\.\d{3}s;0\.5;1;0",
        r"btc: OK - first data after 0\.\d{3}s",
        # The window is the --timeout (1s), shorter than eth's stale_after (1m).
        r"eth: CRITICAL - no data within 1s \(connected; \d+ heartbeats, 1 ignored message\)",
    )


async def test_a_refused_port_is_critical_and_says_so(tmp_path: Path) -> None:
    path = config(tmp_path, ("gone", f"ws://127.0.0.1:{free_port()}/ws", "5s"))
    status, lines, _ = await check("--config", str(path))
    assert status == 2
    assert lines == [
        "FEEDWATCH CRITICAL - 1 of 1 feed silent: gone",
        "gone: CRITICAL - connection refused",
    ]


async def test_an_http_refusal_is_critical_with_its_status(sim: Simulator, tmp_path: Path) -> None:
    sim.reject("/btc", 403)
    path = config(tmp_path, ("btc", sim.url("/btc"), "2s"), ("eth", sim.url("/eth"), "2s"))
    status, lines, _ = await check("--config", str(path), "--feed", "btc")
    assert status == 2
    assert lines == [
        "FEEDWATCH CRITICAL - 1 of 1 feed silent: btc",
        "btc: CRITICAL - HTTP 403 Forbidden",
    ]


async def test_data_in_the_second_half_of_the_window_is_a_warning(
    sim: Simulator, tmp_path: Path
) -> None:
    sim.stall("/btc")
    path = config(tmp_path, ("btc", sim.url("/btc"), "4s"))
    running = asyncio.ensure_future(check("--config", str(path)))
    await wait_until(lambda: sim.stats("/btc").connections > 0, timeout=10)
    await asyncio.sleep(2.5)  # past half of the 4s window, well before its end
    sim.resume("/btc")
    status, lines, _ = await running
    assert status == 1, lines
    assert_report(
        lines,
        r"FEEDWATCH WARNING - 1 of 1 feed delivered data; 1 slow: btc \| "
        r"'btc_first_data'=[23]\.\d{3}s;2;4;0",
        r"btc: WARNING - first data after [23]\.\d{3}s, over half of its 4s window",
    )


async def test_a_bad_config_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[feeds]]\nname = "x"\nurl = "ws://127.0.0.1:1/"\nstale_after = "soon"\n')
    status, lines, _ = await check("--config", str(path))
    assert status == 3
    assert lines[0] == f"FEEDWATCH UNKNOWN - invalid config {path}"
    assert 'feed "x": stale_after' in lines[1]


async def test_an_unknown_feed_or_argument_is_unknown(tmp_path: Path) -> None:
    path = config(tmp_path, ("btc", "ws://127.0.0.1:1/", "2s"))
    status, lines, _ = await check("--config", str(path), "--feed", "doge")
    assert (status, lines) == (
        3,
        [f'FEEDWATCH UNKNOWN - no feed named "doge" in {path} (feeds: btc)'],
    )
    status, lines, _ = await check("--config", str(path), "--timeout", "soon")
    assert status == 3
    assert lines[0].startswith('FEEDWATCH UNKNOWN - --timeout: expected a duration like "500ms"')
    status, lines, err = await check("--config", str(path), "--bogus")
    assert (status, lines) == (3, ["FEEDWATCH UNKNOWN - unrecognized arguments: --bogus"])
    assert "usage:" in err


async def test_a_handshake_that_never_finishes_is_critical(tmp_path: Path) -> None:
    with socket.socket() as silent:  # accepts TCP (the backlog), never answers the handshake
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"ws://127.0.0.1:{silent.getsockname()[1]}/ws"
        path = config(tmp_path, ("mute", url, "30s"))
        status, lines, _ = await check("--config", str(path), "--timeout", "500ms")
    assert status == 2
    assert lines == [
        "FEEDWATCH CRITICAL - 1 of 1 feed silent: mute",
        "mute: CRITICAL - no connection within 500ms",
    ]


async def test_the_schedule_in_force_sets_the_window_and_quiet_feeds_are_not_probed(
    sim: Simulator, tmp_path: Path
) -> None:
    sim.stall("/eth")
    always = 'days = "daily"\nstart = "00:00"\nend = "24:00"\ntimezone = "UTC"\n'
    path = tmp_path / "feedwatch.toml"
    path.write_text(
        f'[[feeds]]\nname = "eth"\nurl = "{sim.url("/eth")}"\nstale_after = "1m"\n{SUBSCRIBE}'
        f'[[feeds.schedule]]\n{always}stale_after = "700ms"\n\n'
        f'[[feeds]]\nname = "closed"\nurl = "ws://127.0.0.1:{free_port()}/"\n'
        f'stale_after = "1s"\n[[feeds.schedule]]\n{always}quiet = true\n'
    )
    status, lines, _ = await check("--config", str(path))
    assert status == 2, lines
    assert_report(
        lines,
        r"FEEDWATCH CRITICAL - 1 of 2 feeds silent: eth; 1 quiet: closed",
        r"eth: CRITICAL - no data within 700ms \(connected; \d+ heartbeats, 1 ignored message\)",
        r"closed: OK - quiet now \(daily 00:00-24:00 UTC\): not checked",
    )
