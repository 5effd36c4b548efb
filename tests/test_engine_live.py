"""The engine against real websockets servers on 127.0.0.1 (the simulator)."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator
from datetime import time as clock_time

import pytest

from feedwatch.config.model import (
    BackoffSpec,
    MatcherSpec,
    PingSpec,
    ReplyRule,
    ScheduleWindow,
    StormSpec,
)
from feedwatch.demo.behaviours import Ticker
from feedwatch.demo.challenges import NeedsPing, TestRequest
from feedwatch.demo.hostile import Flapper, Garbage
from feedwatch.demo.simulator import Simulator
from feedwatch.engine.events import EventKind, Severity
from feedwatch.history.report import write_events
from tests.live import Running, feed
from tests.waiting import wait_until

HEARTBEAT = MatcherSpec(contains=('"event":"heartbeat"',))
ACK = MatcherSpec(contains=('"result":null',))
SUB = ('{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}',)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(seed=3)
    simulator.add("/ticker", Ticker(rate=50, heartbeat_every=0.05))
    simulator.add("/mux", Ticker(rate=60, channels=["btc", "eth", "sol"], require_subscribe=False))
    simulator.add("/ping", NeedsPing(timeout=0.4, rate=20))
    simulator.add("/test-request", TestRequest(every=0.15, reply_within=0.3, rate=20))
    simulator.add("/flapper", Flapper(up_for=0.05, data_rate=50))
    simulator.add("/garbage", Garbage(rate=100, depth=50_000))
    await simulator.start()
    yield simulator
    await simulator.stop()


def ticker(sim: Simulator, **changes: object) -> object:
    return feed(
        "ticker", sim.url("/ticker"), subscribe=SUB, heartbeat=HEARTBEAT, ignore=ACK, **changes
    )


async def test_silent_stall_is_detected_at_the_threshold_and_recovers(sim: Simulator) -> None:
    async with Running(ticker(sim)) as run:  # type: ignore[arg-type]
        await run.rec.wait_kind(EventKind.CONNECTED)
        await wait_until(lambda: run.state("ticker") == "live")
        sim.stall("/ticker")
        stale = await run.rec.wait_kind(EventKind.STALE)
        # Reported at the deadline: not before it, and not a poll interval after.
        assert stale.age_seconds is not None
        assert 0.3 <= stale.age_seconds < 0.45
        assert stale.fields["connected"] is True
        disconnected = await run.rec.wait_kind(EventKind.DISCONNECTED)
        assert disconnected.reason == "stale: no data"
        sim.resume("/ticker")
        recovered = await run.rec.wait_kind(EventKind.RECOVERED)
        assert recovered.fields["outage_seconds"] > 0
        await wait_until(lambda: run.state("ticker") == "live")


async def test_a_clean_stop_is_an_info_disconnect_not_a_warning(sim: Simulator) -> None:
    run = Running(ticker(sim))  # type: ignore[arg-type]
    async with run:
        await run.rec.wait_kind(EventKind.CONNECTED)
    stop = [e for e in run.rec.events if e.kind is EventKind.DISCONNECTED][-1]
    assert stop.reason == "feedwatch stopping"
    assert stop.severity is Severity.INFO
    out = io.StringIO()
    write_events([stop], out, as_json=False)  # what `feedwatch history` prints for it
    assert "info   ticker: disconnected (feedwatch stopping)" in out.getvalue()


async def test_heartbeats_do_not_reset_data_clock(sim: Simulator) -> None:
    async with Running(ticker(sim, reconnect_on_stale=False)) as run:  # type: ignore[arg-type]
        await wait_until(lambda: run.state("ticker") == "live")
        sim.stall("/ticker")  # data stops, heartbeats every 50 ms go on
        stale = await run.rec.wait_kind(EventKind.STALE)
        assert stale.fields["last_heartbeat_age_seconds"] < 0.2
        before = run.engine.feed_snapshot("ticker").heartbeats
        await asyncio.sleep(0.3)
        snap = run.engine.feed_snapshot("ticker")
        assert snap.heartbeats > before
        assert str(snap.state) == "stale"
        assert snap.connected
        assert snap.last_data_age is not None and snap.last_data_age > 0.5


async def test_every_connect_resubscribes(sim: Simulator) -> None:
    async with Running(ticker(sim)) as run:  # type: ignore[arg-type]
        await wait_until(lambda: run.state("ticker") == "live")
        sim.drop("/ticker", code=1012, reason="restart")
        closed = await run.rec.wait_kind(EventKind.DISCONNECTED)
        assert closed.fields["code"] == 1012
        assert "1012" in (closed.reason or "")
        await wait_until(lambda: sim.stats("/ticker").connections == 2)
        await wait_until(lambda: run.state("ticker") == "live")
        assert sim.stats("/ticker").subscribes == list(SUB) * 2
        assert run.engine.feed_snapshot("ticker").subscribe_sent == 2


async def test_app_ping_keeps_a_ping_requiring_server_happy(sim: Simulator) -> None:
    pong = MatcherSpec(contains=('"op":"pong"',))
    with_ping = feed(
        "pinged", sim.url("/ping"), heartbeat=pong, ping=PingSpec(every=0.1, send='{"op":"ping"}')
    )
    without = feed("unpinged", sim.url("/ping"), heartbeat=pong)
    async with Running(with_ping, without) as run:
        closed = await run.rec.wait_kind(EventKind.DISCONNECTED, feed="unpinged")
        assert closed.fields["code"] == 4000
        await asyncio.sleep(0.6)
        assert run.rec.of(EventKind.DISCONNECTED, "pinged") == []
        snap = run.engine.feed_snapshot("pinged")
        assert str(snap.state) == "live"
        assert snap.heartbeats > 0  # the pongs, classified as heartbeats, not data


async def test_reply_rules_answer_test_requests(sim: Simulator) -> None:
    rule = ReplyRule(
        MatcherSpec(contains=('"test_request"',)),
        '{"jsonrpc":"2.0","method":"public/test","id":0}',
    )
    answered = feed("answered", sim.url("/test-request"), replies=(rule,))
    silent = feed("silent", sim.url("/test-request"))
    async with Running(answered, silent) as run:
        closed = await run.rec.wait_kind(EventKind.DISCONNECTED, feed="silent")
        assert closed.fields["code"] == 4001
        await asyncio.sleep(0.5)
        assert run.rec.of(EventKind.DISCONNECTED, "answered") == []
        snap = run.engine.feed_snapshot("answered")
        assert snap.data_messages > 0
        assert sim.stats("/test-request").replies >= 3


async def test_a_dead_channel_is_stale_while_the_others_flow(sim: Simulator) -> None:
    mux = feed("mux", sim.url("/mux"), channel_key="stream", channels=("btc", "eth", "sol"))
    async with Running(mux) as run:
        await wait_until(lambda: run.state("mux") == "live")
        sim.stall_channel("/mux", "sol")
        stale = await run.rec.wait_kind(EventKind.STALE)
        assert stale.channel == "sol"
        await asyncio.sleep(0.4)
        snap = run.engine.feed_snapshot("mux")
        states = {c.key: str(c.state) for c in snap.channels}
        assert states == {"btc": "live", "eth": "live", "sol": "stale"}
        # One verdict: the feed's data flows but a channel is dead, so it is partial,
        # and that is unhealthy (channel_health = "page" by default).
        assert str(snap.state) == "partial"
        assert not snap.healthy
        assert sim.stats("/mux").connections == 1  # no reconnect by default
        sim.resume_channel("/mux", "sol")
        recovered = await run.rec.wait_kind(EventKind.RECOVERED)
        assert recovered.channel == "sol"


async def test_backoff_grows_with_jitter_against_a_rejecting_server(sim: Simulator) -> None:
    sim.reject("/ticker", status=503)
    spec = BackoffSpec(initial=0.05, max=0.4, stable_after=1.0)
    async with Running(ticker(sim, backoff=spec)) as run:  # type: ignore[arg-type]
        await asyncio.sleep(1.5)
        delays = [e.fields["delay_seconds"] for e in run.rec.of(EventKind.RECONNECTING)]
        errors = run.rec.of(EventKind.ERROR)
    assert errors and errors[0].reason == "HTTP 503 Service Unavailable"
    assert errors[0].fields["status"] == 503
    ceilings = [min(0.4, 0.05 * 2**i) for i in range(len(delays))]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 - 0.001 <= delay <= ceiling + 0.001
    # No hammering: every attempt waited out the delay announced before it.
    timed = list(zip(run.rec.events, run.rec.times, strict=True))
    waits = [(e.fields["delay_seconds"], t) for e, t in timed if e.kind is EventKind.RECONNECTING]
    attempts = [t for e, t in timed if e.kind is EventKind.ERROR]
    for (delay, announced), attempt in zip(waits, attempts[1:], strict=False):
        assert attempt - announced >= delay - 0.005
    assert sim.stats("/ticker").rejections == len(attempts)


async def test_unauthorized_goes_straight_to_the_longest_delay(sim: Simulator) -> None:
    sim.reject("/ticker", status=401)
    spec = BackoffSpec(initial=0.01, max=5.0, stable_after=1.0)
    async with Running(ticker(sim, backoff=spec)) as run:  # type: ignore[arg-type]
        reconnecting = await run.rec.wait_kind(EventKind.RECONNECTING)
        assert reconnecting.fields["delay_seconds"] >= 2.5
        assert run.rec.of(EventKind.ERROR)[0].reason == "HTTP 401 Unauthorized"
        assert sim.stats("/ticker").rejections == 1


async def test_retry_after_on_429_is_honoured(sim: Simulator) -> None:
    sim.reject("/ticker", status=429, retry_after=3)
    async with Running(ticker(sim)) as run:  # type: ignore[arg-type]
        reconnecting = await run.rec.wait_kind(EventKind.RECONNECTING)
        assert reconnecting.fields["delay_seconds"] >= 3.0


async def test_a_flapping_server_raises_a_storm_without_being_hammered(sim: Simulator) -> None:
    flapper = feed(
        "flapper",
        sim.url("/flapper"),
        storm=StormSpec(reconnects=3, window=5.0),
        backoff=BackoffSpec(initial=0.02, max=0.16, stable_after=1.0),
    )
    async with Running(flapper) as run:
        storm = await run.rec.wait_kind(EventKind.STORM, timeout=5)
        assert storm.fields["active"] is True
        assert storm.fields["reconnects"] == 4
        assert run.engine.feed_snapshot("flapper").storm
        # The backoff never reset: accepting and dropping is not stability.
        worker = run.engine.worker("flapper")
        assert worker.backoff.attempt >= 4


async def test_garbage_frames_are_survived_and_reported(sim: Simulator) -> None:
    garbage = feed("garbage", sim.url("/garbage"), channel_key="stream", stale_after=1.0)
    async with Running(garbage) as run:
        error = await run.rec.wait(lambda e: e.fields.get("kind") == "bad_frame")
        assert "bad frame ignored" in (error.reason or "")
        await asyncio.sleep(0.5)
        snap = run.engine.feed_snapshot("garbage")
        assert snap.invalid > 0
        assert snap.data_messages > 0
        assert str(snap.state) == "live"
        assert run.rec.of(EventKind.DISCONNECTED) == []
        # Rate-limited: one report, the rest counted.
        assert len([e for e in run.rec.events if e.fields.get("kind") == "bad_frame"]) == 1


async def test_an_oversized_frame_closes_and_reconnects() -> None:
    async with Simulator(seed=1) as sim:
        sim.add("/big", Garbage(rate=50, oversized=200_000))
        big = feed("big", sim.url("/big"), max_size=100_000, stale_after=2.0)
        async with Running(big) as run:
            closed = await run.rec.wait_kind(EventKind.DISCONNECTED)
            assert closed.fields["code"] == 1009
            assert "max_size" in (closed.reason or "")
            await run.rec.wait_kind(EventKind.CONNECTED, after=run.rec.events.index(closed))


async def test_force_reconnect_skips_the_backoff(sim: Simulator) -> None:
    async with Running(ticker(sim)) as run:  # type: ignore[arg-type]
        await wait_until(lambda: run.state("ticker") == "live")
        start = time.monotonic()
        run.engine.reconnect("ticker")
        await wait_until(lambda: sim.stats("/ticker").connections == 2)
        assert time.monotonic() - start < 0.5
        closed = run.rec.of(EventKind.DISCONNECTED)[0]
        assert closed.reason == "requested by user"
        assert run.engine.feed_snapshot("ticker").reconnects == 1


async def test_pause_disconnects_and_resume_reconnects(sim: Simulator) -> None:
    async with Running(ticker(sim)) as run:  # type: ignore[arg-type]
        await wait_until(lambda: run.state("ticker") == "live")
        run.engine.pause("ticker")
        assert run.state("ticker") == "paused"
        await wait_until(lambda: sim.stats("/ticker").open_connections == 0)
        await asyncio.sleep(0.5)  # longer than stale_after: still no alarm
        assert run.rec.of(EventKind.STALE) == []
        run.engine.resume("ticker")
        await wait_until(lambda: run.state("ticker") == "live")
        assert sim.stats("/ticker").connections == 2


async def test_live_threshold_change_rearms_the_deadline(sim: Simulator) -> None:
    async with Running(ticker(sim, stale_after=5.0)) as run:  # type: ignore[arg-type]
        await wait_until(lambda: run.state("ticker") == "live")
        sim.stall("/ticker")
        await asyncio.sleep(0.2)
        run.engine.set_stale_after("ticker", 0.25)
        stale = await run.rec.wait_kind(EventKind.STALE, timeout=1.0)
        change = run.rec.of(EventKind.THRESHOLD_CHANGED)[0]
        assert (change.fields["old_seconds"], change.fields["new_seconds"]) == (5.0, 0.25)
        assert stale.age_seconds is not None and stale.age_seconds < 0.4


async def test_connection_refused_is_reported_and_retried() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with Running(feed("nowhere", f"ws://127.0.0.1:{port}/")) as run:
        error = await run.rec.wait_kind(EventKind.ERROR)
        assert error.reason == "connection refused"
        assert error.fields["kind"] == "refused"
        await run.rec.wait_kind(EventKind.RECONNECTING)


async def test_a_handshake_that_never_completes_times_out() -> None:
    async def accept_and_hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(10)

    server = await asyncio.start_server(accept_and_hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with Running(feed("hang", f"ws://127.0.0.1:{port}/", open_timeout=0.2)) as run:
            error = await run.rec.wait_kind(EventKind.ERROR, timeout=2)
            assert error.fields["kind"] == "timeout"
    finally:
        server.close()


async def test_an_unknown_path_is_a_404_error(sim: Simulator) -> None:
    async with Running(feed("typo", sim.base_url + "/no-such-stream")) as run:
        error = await run.rec.wait_kind(EventKind.ERROR)
        assert error.reason == "HTTP 404 Not Found"


async def test_one_feed_failing_leaves_the_others_alone(sim: Simulator) -> None:
    mux = feed("mux", sim.url("/mux"))
    async with Running(ticker(sim), mux) as run:  # type: ignore[arg-type]
        await wait_until(lambda: run.state("ticker") == "live" and run.state("mux") == "live")
        sim.stall("/ticker")
        await run.rec.wait_kind(EventKind.STALE, feed="ticker")
        assert run.state("mux") == "live"
        assert run.rec.of(EventKind.STALE, "mux") == []


async def test_quiet_hours_hold_alarms_and_a_refused_feed_goes_down(sim: Simulator) -> None:
    always_quiet = ScheduleWindow(
        frozenset(range(7)), clock_time(0), clock_time(0), "UTC", quiet=True
    )
    quiet = ticker(sim, schedule=(always_quiet,))
    sim.add("/refusing", Ticker(rate=10))
    sim.reject("/refusing", 503)
    refused = feed("refused", sim.url("/refusing"), down_after=0.5)
    async with Running(quiet, refused) as run:  # type: ignore[arg-type]
        await wait_until(lambda: run.engine.feed_snapshot("ticker").data_messages > 5)
        assert run.state("ticker") == "quiet"
        sim.stall("/ticker")
        stalled_at = time.monotonic()
        down = await run.rec.wait(lambda e: e.kind is EventKind.DOWN and e.fields["active"])
        await asyncio.sleep(stalled_at + 1.0 - time.monotonic())  # over 3 x stale_after
        snap = run.engine.feed_snapshot("ticker")
        assert snap.last_data_age is not None and snap.last_data_age > 0.9
        assert (snap.state, snap.quiet, snap.connected) == ("quiet", True, True)
        assert run.rec.of(EventKind.STALE, "ticker") == []
        assert run.rec.of(EventKind.DISCONNECTED, "ticker") == []
        assert sim.stats("/ticker").connections == 1
        # The refused feed: down after down_after of failed attempts, with the last error.
        assert down.feed == "refused"
        assert down.reason == "HTTP 503 Service Unavailable"
        assert 0.49 <= down.fields["down_seconds"] < 0.8
        assert run.engine.feed_snapshot("refused").down
        sim.accept("/refusing")
        up = await run.rec.wait(lambda e: e.kind is EventKind.DOWN and not e.fields["active"])
        assert up.feed == "refused"
        assert not run.engine.feed_snapshot("refused").down
