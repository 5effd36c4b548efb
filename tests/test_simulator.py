"""The simulator plays each feed behaviour faithfully to a bare websockets client."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from itertools import pairwise
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedError, InvalidStatus

from feedwatch.demo.feeds import demo_config, demo_simulator
from feedwatch.demo.simulator import (
    Flapper,
    Flood,
    Garbage,
    NeedsPing,
    Sensor,
    Simulator,
    TestRequest,
    Ticker,
)
from tests.waiting import wait_until

Message = str | bytes
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(seed=7)
    await simulator.start()
    yield simulator
    await simulator.stop()


async def collect(ws: ClientConnection, seconds: float) -> list[tuple[float, Message]]:
    """Everything received for `seconds`, stamped with its arrival offset."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    received: list[tuple[float, Message]] = []
    while (left := start + seconds - loop.time()) > 0:
        try:
            message = await asyncio.wait_for(ws.recv(), left)
        except TimeoutError:
            break
        received.append((loop.time() - start, message))
    return received


async def recv_text(ws: ClientConnection, timeout: float = 1.0) -> str:
    message = await asyncio.wait_for(ws.recv(), timeout)
    assert isinstance(message, str)
    return message


async def recv_until_closed(ws: ClientConnection, timeout: float = 1.5) -> list[Message]:
    received: list[Message] = []
    async with asyncio.timeout(timeout):
        try:
            while True:
                received.append(await ws.recv())
        except ConnectionClosed:
            return received


def is_data(message: Message) -> bool:
    return isinstance(message, str) and message.startswith('{"stream"')


def stream_of(message: Message) -> str:
    assert isinstance(message, str)
    value = json.loads(message)["stream"]
    assert isinstance(value, str)
    return value


# Routing and handshakes.


async def test_unknown_path_is_refused_with_404(sim: Simulator) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(sim.base_url + "/nowhere"):
            pass
    assert refused.value.response.status_code == 404


async def test_reject_refuses_handshakes_until_accepted(sim: Simulator) -> None:
    sim.add("/t", Ticker(rate=20.0, require_subscribe=False))
    sim.reject("/t", status=401)
    with pytest.raises(InvalidStatus) as refused:
        async with connect(sim.url("/t")):
            pass
    assert refused.value.response.status_code == 401
    sim.accept("/t")
    async with connect(sim.url("/t")) as ws:
        assert is_data(await recv_text(ws))
    assert sim.stats("/t").rejections == 1
    assert sim.stats("/t").connections == 1


async def test_rate_limit_rejection_carries_retry_after(sim: Simulator) -> None:
    sim.add("/t", Ticker(rate=20.0))
    sim.reject("/t", status=429, retry_after=5)
    with pytest.raises(InvalidStatus) as refused:
        async with connect(sim.url("/t")):
            pass
    assert refused.value.response.status_code == 429
    assert refused.value.response.headers["Retry-After"] == "5"


# Ticker.


async def test_ticker_is_silent_until_subscribed_then_acks_and_streams(sim: Simulator) -> None:
    sim.add("/t", Ticker(rate=50.0, require_subscribe=True))
    async with connect(sim.url("/t")) as ws:
        assert await collect(ws, 0.2) == []
        await ws.send("subscribe me")
        assert await recv_text(ws) == '{"result":null,"id":1}'
        trade = json.loads(await recv_text(ws))
    assert trade["stream"] == "btcusdt@trade"
    assert trade["data"]["s"] == "BTCUSDT"
    assert float(trade["data"]["p"]) > 1000
    assert sim.stats("/t").subscribes == ["subscribe me"]


async def test_ack_echoes_the_subscribe_request_id(sim: Simulator) -> None:
    sim.add("/t", Ticker(rate=20.0))
    async with connect(sim.url("/t")) as ws:
        await ws.send('{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":42}')
        assert await recv_text(ws) == '{"result":null,"id":42}'


async def test_ticker_streams_at_the_configured_rate(sim: Simulator) -> None:
    sim.add("/t", Ticker(rate=40.0, require_subscribe=False))
    async with connect(sim.url("/t")) as ws:
        await recv_text(ws)
        received = await collect(ws, 0.5)
    assert 15 <= len(received) <= 25
    assert sim.stats("/t").data_sent >= len(received)


async def test_same_seed_replays_the_same_market() -> None:
    async def first_trades(seed: int) -> list[tuple[str, str, int]]:
        async with Simulator(seed=seed) as simulator:
            simulator.add("/t", Ticker(rate=200.0, require_subscribe=False))
            async with connect(simulator.url("/t")) as ws:
                trades = [json.loads(await recv_text(ws))["data"] for _ in range(5)]
        return [(t["p"], t["q"], t["t"]) for t in trades]

    assert await first_trades(3) == await first_trades(3)
    assert await first_trades(3) != await first_trades(4)


async def test_stall_stops_data_while_heartbeats_continue(sim: Simulator) -> None:
    sim.add("/t", Ticker(rate=50.0, require_subscribe=False, heartbeat_every=0.05))
    async with connect(sim.url("/t")) as ws:
        await recv_text(ws)
        sim.stall("/t")
        await collect(ws, 0.05)  # frames already in flight
        stalled = [m for _, m in await collect(ws, 0.3)]
        assert stalled and all(m == '{"event":"heartbeat"}' for m in stalled)
        sim.resume("/t")
        resumed = [m for _, m in await collect(ws, 0.2)]
        assert ws.close_code is None
    assert any(is_data(m) for m in resumed)
    assert sim.stats("/t").connections == 1


async def test_auto_stall_pauses_data_and_resumes_on_the_same_connection(
    sim: Simulator,
) -> None:
    sim.add("/t", Ticker(rate=50.0, require_subscribe=False, stall_every=0.3, stall_for=0.4))
    async with connect(sim.url("/t")) as ws:
        received = await collect(ws, 1.0)
    stamps = [at for at, m in received if is_data(m)]
    gaps = [later - earlier for earlier, later in pairwise(stamps)]
    assert max(gaps) >= 0.3
    assert stamps[-1] > 0.7  # data came back after the stall
    assert sim.stats("/t").connections == 1


async def test_multiplexed_ticker_cycles_through_channels(sim: Simulator) -> None:
    sim.add("/m", Ticker(rate=100.0, require_subscribe=False, channels=["btc", "eth", "sol"]))
    async with connect(sim.url("/m")) as ws:
        streams = [stream_of(await recv_text(ws)) for _ in range(6)]
    assert streams == ["btc", "eth", "sol", "btc", "eth", "sol"]


async def test_dying_channel_goes_quiet_while_others_continue_then_returns(
    sim: Simulator,
) -> None:
    ticker = Ticker(
        rate=60.0,
        require_subscribe=False,
        channels=["btc", "eth", "sol"],
        die_channel="sol",
        die_after=0.2,
        die_for=0.4,
    )
    sim.add("/m", ticker)
    async with connect(sim.url("/m")) as ws:
        received = await collect(ws, 0.9)

    def streams_between(start: float, end: float) -> set[str]:
        return {stream_of(m) for at, m in received if start <= at < end}

    assert streams_between(0.0, 0.15) == {"btc", "eth", "sol"}
    assert streams_between(0.25, 0.55) == {"btc", "eth"}
    assert "sol" in streams_between(0.65, 0.9)


async def test_stall_channel_silences_only_that_channel_until_resumed(sim: Simulator) -> None:
    sim.add("/m", Ticker(rate=90.0, require_subscribe=False, channels=["btc", "eth", "sol"]))
    async with connect(sim.url("/m")) as ws:
        await recv_text(ws)
        sim.stall_channel("/m", "eth")
        await collect(ws, 0.05)
        during = {stream_of(m) for _, m in await collect(ws, 0.2)}
        sim.resume_channel("/m", "eth")
        after = {stream_of(m) for _, m in await collect(ws, 0.2)}
    assert during == {"btc", "sol"}
    assert after == {"btc", "eth", "sol"}


# Closing connections.


async def test_drop_closes_every_live_connection_with_the_given_code(sim: Simulator) -> None:
    sim.add("/t", Ticker(rate=20.0, require_subscribe=False))
    async with connect(sim.url("/t")) as first, connect(sim.url("/t")) as second:
        await recv_text(first)
        await recv_text(second)
        sim.drop("/t", code=1011, reason="maintenance")
        for ws in (first, second):
            await recv_until_closed(ws)
            assert ws.close_code == 1011
            assert ws.close_reason == "maintenance"
    await wait_until(lambda: sim.stats("/t").open_connections == 0)


async def test_abrupt_drop_cuts_the_socket_without_a_close_frame(sim: Simulator) -> None:
    sim.add("/t", Ticker(rate=20.0, require_subscribe=False))
    async with connect(sim.url("/t")) as ws:
        await recv_text(ws)
        sim.drop("/t", abrupt=True)
        with pytest.raises(ConnectionClosedError) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 1.0)
        assert closed.value.rcvd is None  # no close frame: the client sees 1006


async def test_drop_refuses_a_close_code_no_frame_can_carry(sim: Simulator) -> None:
    sim.add("/t", Ticker(rate=20.0))
    with pytest.raises(ValueError, match="1006"):
        sim.drop("/t", code=1006)


async def test_stop_closes_live_connections_as_going_away() -> None:
    simulator = Simulator(seed=1)
    simulator.add("/t", Ticker(rate=20.0, require_subscribe=False))
    await simulator.start()
    async with connect(simulator.url("/t")) as ws:
        await recv_text(ws)
        await simulator.stop()
        await recv_until_closed(ws)
        assert ws.close_code == 1001
    assert simulator.stats("/t").open_connections == 0


async def test_closing_a_connection_cancels_its_tasks(sim: Simulator) -> None:
    sim.add("/t", Ticker(rate=50.0, heartbeat_every=0.02))
    idle = len(asyncio.all_tasks())
    async with connect(sim.url("/t")) as ws:
        await ws.send("sub")
        await collect(ws, 0.1)
    await wait_until(lambda: sim.stats("/t").open_connections == 0)
    await wait_until(lambda: len(asyncio.all_tasks()) == idle)


# Feeds that demand something from the client.


async def test_needs_ping_closes_4000_without_an_app_ping(sim: Simulator) -> None:
    sim.add("/p", NeedsPing(timeout=0.3, rate=20.0))
    async with connect(sim.url("/p")) as ws:
        received = await recv_until_closed(ws)
    assert ws.close_code == 4000
    assert ws.close_reason == "no ping"
    assert any(is_data(m) for m in received)


async def test_needs_ping_answers_pings_and_stays_open(sim: Simulator) -> None:
    sim.add("/p", NeedsPing(timeout=0.3, rate=20.0))
    async with connect(sim.url("/p")) as ws:
        pongs = 0
        for _ in range(5):
            await ws.send('{ "op": "ping" }')
            pongs += sum(m == '{"op":"pong"}' for _, m in await collect(ws, 0.15))
        assert pongs == 5
        assert ws.close_code is None
    assert sim.stats("/p").app_pings == 5


async def test_test_request_closes_4001_when_unanswered(sim: Simulator) -> None:
    sim.add("/d", TestRequest(every=0.1, reply_within=0.2))
    async with connect(sim.url("/d")) as ws:
        received = await recv_until_closed(ws)
    assert '{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}' in received
    assert ws.close_code == 4001
    assert ws.close_reason == "no test reply"


async def test_test_request_stays_open_when_answered(sim: Simulator) -> None:
    sim.add("/d", TestRequest(every=0.1, reply_within=0.15, rate=20.0))
    reply = '{"jsonrpc":"2.0","id":8212,"method":"public/test","params":{}}'
    async with connect(sim.url("/d")) as ws:
        loop = asyncio.get_running_loop()
        until = loop.time() + 0.7
        while loop.time() < until:
            message = await recv_text(ws)
            if "test_request" in message:
                await ws.send(reply)
        assert ws.close_code is None
    assert sim.stats("/d").replies >= 4


# Hostile feeds.


async def test_flapper_hangs_up_after_up_for_on_every_connection(sim: Simulator) -> None:
    sim.add("/f", Flapper(up_for=0.15, data_rate=50.0))
    loop = asyncio.get_running_loop()
    for _ in range(3):
        opened = loop.time()
        async with connect(sim.url("/f")) as ws:
            received = await recv_until_closed(ws)
        assert 0.1 <= loop.time() - opened < 0.5
        assert ws.close_code == 1011
        assert any(is_data(m) for m in received)
    assert sim.stats("/f").connections == 3


async def test_garbage_interleaves_junk_with_valid_trades(sim: Simulator) -> None:
    sim.add("/g", Garbage(rate=200.0, depth=3000))
    async with connect(sim.url("/g")) as ws:
        frames = [await ws.recv() for _ in range(12)]
    valid, junk = frames[0::2], frames[1::2]
    assert all(is_data(m) for m in valid)
    binary, not_json, truncated, deep, empty, scalar = junk
    assert isinstance(binary, bytes)
    for text in (not_json, truncated):
        assert isinstance(text, str)
        with pytest.raises(ValueError):
            json.loads(text)
    assert isinstance(deep, str)
    with pytest.raises(RecursionError):
        json.loads(deep)
    assert empty == ""
    assert scalar == "42"


async def test_garbage_oversized_frame_trips_the_client_size_limit(sim: Simulator) -> None:
    sim.add("/g", Garbage(rate=500.0, depth=10, oversized=200_000))
    async with connect(sim.url("/g"), max_size=65_536) as ws:
        with pytest.raises(ConnectionClosedError) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 1.0)
    assert closed.value.sent is not None and closed.value.sent.code == 1009


async def test_garbage_invalid_utf8_trips_the_client(sim: Simulator) -> None:
    sim.add("/g", Garbage(rate=500.0, depth=10, invalid_utf8=True))
    async with connect(sim.url("/g")) as ws:
        with pytest.raises(ConnectionClosedError) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 1.0)
    assert closed.value.sent is not None and closed.value.sent.code == 1007


async def test_flood_is_fast_yet_leaves_the_event_loop_responsive(sim: Simulator) -> None:
    sim.add("/x", Flood(batch=64))
    ticks = 0
    stop = asyncio.Event()

    async def tick() -> None:
        nonlocal ticks
        while not stop.is_set():
            await asyncio.sleep(0.005)
            ticks += 1

    ticker = asyncio.create_task(tick())
    # An unbounded client queue keeps reading during the close handshake; a paused reader
    # would miss the close frame behind the flood and wait out its own close_timeout.
    async with connect(sim.url("/x"), compression=None, max_queue=None) as ws:
        for _ in range(5000):
            await ws.recv()
    stop.set()
    await ticker
    assert ticks >= 5
    await wait_until(lambda: sim.stats("/x").open_connections == 0)


async def test_flood_stops_after_its_limit(sim: Simulator) -> None:
    sim.add("/x", Flood(batch=100, limit=250))
    async with connect(sim.url("/x")) as ws:
        received = await collect(ws, 0.3)
    assert len(received) == 250
    assert json.loads(received[-1][1])["data"]["t"] == 250


async def test_sensor_sends_a_reading_at_connect_then_every_interval(sim: Simulator) -> None:
    sim.add("/iot", Sensor(every=0.2, jitter=0.0))
    async with connect(sim.url("/iot")) as ws:
        received = await collect(ws, 0.5)
    stamps = [at for at, _ in received]
    assert len(stamps) == 3
    assert stamps[0] < 0.05
    assert all(0.15 < later - earlier < 0.25 for earlier, later in pairwise(stamps))
    reading = json.loads(received[0][1])
    assert {"device", "ts", "temperature_c", "humidity_pct", "battery_v"} <= reading.keys()


# The demo.


async def test_demo_config_watches_every_demo_path_and_each_sends_data() -> None:
    async with demo_simulator(seed=1) as simulator:
        config = demo_config(simulator)
        names = [feed.name for feed in config.feeds]
        assert names == [
            "ticker",
            "iot-sensor",
            "silent-staller",
            "heartbeat-only",
            "multiplex",
            "needs-app-ping",
            "flapper",
        ]
        assert {feed.url for feed in config.feeds} == {simulator.url(p) for p in simulator.paths}
        for feed in config.feeds:
            async with connect(feed.url) as ws:
                for text in feed.subscribe:
                    await ws.send(text)
                    ack = await recv_text(ws)
                    assert feed.ignore is not None and feed.ignore.contains[0] in ack
                message = await recv_text(ws)
                assert '"data"' in message or '"device"' in message, feed.name
                if feed.channels:
                    assert stream_of(message) in feed.channels


async def test_demo_matchers_recognise_the_demo_heartbeats_and_pongs() -> None:
    async with demo_simulator(seed=1) as simulator:
        feeds = {feed.name: feed for feed in demo_config(simulator).feeds}
        beats = feeds["heartbeat-only"]
        assert beats.heartbeat is not None
        async with connect(beats.url) as ws:
            received = [m for _, m in await collect(ws, 1.1)]
        assert any(isinstance(m, str) and beats.heartbeat.contains[0] in m for m in received)
        pinger = feeds["needs-app-ping"]
        assert pinger.ping is not None and pinger.heartbeat is not None
        async with connect(pinger.url) as ws:
            await ws.send(pinger.ping.send)
            received = [m for _, m in await collect(ws, 0.2)]
        assert any(isinstance(m, str) and pinger.heartbeat.contains[0] in m for m in received)


async def test_module_prints_its_base_url_and_exits_cleanly_on_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "feedwatch.demo",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 5.0)
        base_url = line.decode().strip()
        assert base_url.startswith("ws://127.0.0.1:")
        async with connect(base_url + "/iot") as ws:
            assert '"device"' in await recv_text(ws)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 5.0) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
