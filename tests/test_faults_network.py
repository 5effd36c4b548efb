"""Fault injection on the network path: each fault gives the right state and a clear event,
the worker survives it, and a second feed in the same engine never notices.

Real sockets on 127.0.0.1 only: the simulator serves the feeds, and a misbehaving TCP
proxy (``tests/proxy.py``) sits in front of the faulty feed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from feedwatch.config.model import BackoffSpec, MatcherSpec
from feedwatch.demo.behaviours import Ticker
from feedwatch.demo.simulator import Simulator
from feedwatch.engine.events import Event, EventKind
from tests.live import Running, feed
from tests.proxy import FaultProxy
from tests.waiting import wait_until

HEARTBEAT = MatcherSpec(contains=('"event":"heartbeat"',))


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(seed=7)
    simulator.add("/faulty", Ticker(rate=50, require_subscribe=False))
    simulator.add("/control", Ticker(rate=50, require_subscribe=False))
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def proxy(sim: Simulator) -> AsyncIterator[FaultProxy]:
    async with FaultProxy(sim.port) as p:
        yield p


def control(sim: Simulator) -> object:
    return feed("control", sim.url("/control"), stale_after=0.5)


def assert_untouched(run: Running) -> None:
    """The bystander feed: connected once, never stale, never dropped, live now."""
    kinds = {e.kind for e in run.rec.events if e.feed == "control"}
    assert kinds <= {EventKind.CONNECTED}, [e.describe() for e in run.rec.events]
    assert run.rec.states("control") == ["connecting", "live"]
    assert run.state("control") == "live"
    assert run.engine.worker("control").monitor.reconnects == 0


def is_faulty(kind: EventKind) -> Callable[[Event], bool]:
    return lambda e: e.kind is kind and e.feed == "faulty"


async def live(run: Running, name: str = "faulty") -> None:
    await wait_until(lambda: run.state(name) == "live")


async def test_half_open_is_caught_by_data_staleness_when_that_comes_first(
    sim: Simulator, proxy: FaultProxy
) -> None:
    faulty = feed("faulty", proxy.url("/faulty"), stale_after=0.3, protocol_ping_interval=30.0)
    async with Running(faulty, control(sim)) as run:  # type: ignore[arg-type]
        await live(run)
        await live(run, "control")
        assert proxy.blackhole() == 1
        stale = await run.rec.wait(is_faulty(EventKind.STALE))
        assert stale.fields["connected"] is True  # the socket never said a word
        assert stale.age_seconds is not None and 0.3 <= stale.age_seconds < 0.5
        dropped = await run.rec.wait(is_faulty(EventKind.DISCONNECTED))
        assert dropped.reason == "stale: no data"
        await run.rec.wait(is_faulty(EventKind.RECOVERED))  # a new connection gets through
        await live(run)
        assert_untouched(run)


async def test_half_open_is_caught_by_the_protocol_ping_when_that_comes_first(
    sim: Simulator, proxy: FaultProxy
) -> None:
    faulty = feed(
        "faulty",
        proxy.url("/faulty"),
        stale_after=10.0,
        protocol_ping_interval=0.1,
        protocol_ping_timeout=0.2,
    )
    async with Running(faulty, control(sim)) as run:  # type: ignore[arg-type]
        await live(run)
        proxy.blackhole()
        dropped = await run.rec.wait(is_faulty(EventKind.DISCONNECTED))
        assert dropped.reason == "protocol ping timeout"
        assert run.rec.of(EventKind.STALE, "faulty") == []  # the ping saw it first
        await run.rec.wait(is_faulty(EventKind.CONNECTED), after=run.rec.events.index(dropped))
        await live(run)
        assert_untouched(run)


async def test_a_handshake_that_never_answers_is_bounded_by_open_timeout(
    sim: Simulator, proxy: FaultProxy
) -> None:
    proxy.hang_new = True
    faulty = feed("faulty", proxy.url("/faulty"), open_timeout=0.3)
    async with Running(faulty, control(sim)) as run:  # type: ignore[arg-type]
        error = await run.rec.wait(is_faulty(EventKind.ERROR))
        assert error.fields["kind"] == "timeout"
        assert error.reason == "timed out during the opening handshake"
        assert run.state("faulty") in ("stale", "backoff", "connecting")  # never live
        await run.rec.wait(is_faulty(EventKind.RECONNECTING))
        proxy.hang_new = False
        await live(run)
        assert_untouched(run)


async def test_bytes_dribbled_in_keep_a_feed_live_only_while_whole_messages_arrive(
    sim: Simulator, proxy: FaultProxy
) -> None:
    faulty = feed("faulty", proxy.url("/faulty"), stale_after=0.6, open_timeout=1.0)
    async with Running(faulty, control(sim)) as run:  # type: ignore[arg-type]
        await live(run)
        proxy.dribble = 0.0005  # a ~100-byte message every ~60 ms: slow, but whole messages
        before = run.engine.feed_snapshot("faulty").data_messages
        await wait_until(lambda: run.engine.feed_snapshot("faulty").data_messages >= before + 5)
        assert run.rec.of(EventKind.STALE, "faulty") == []
        proxy.dribble = 0.05  # one byte in 50 ms: bytes flow, no message completes in time
        stale = await run.rec.wait(is_faulty(EventKind.STALE), timeout=5)
        assert stale.fields["connected"] is True
        proxy.dribble = 0.0
        await run.rec.wait(is_faulty(EventKind.RECOVERED), timeout=8)
        assert_untouched(run)


STATUSES = [
    (400, "HTTP 400 Bad Request"),
    (401, "HTTP 401 Unauthorized"),
    (403, "HTTP 403 Forbidden"),
    (404, "HTTP 404 Not Found"),
    (429, "HTTP 429 Too Many Requests"),
    (451, "HTTP 451 Unavailable For Legal Reasons"),
    (500, "HTTP 500 Internal Server Error"),
    (503, "HTTP 503 Service Unavailable"),
]


@pytest.mark.parametrize(("status", "reason"), STATUSES)
async def test_a_rejected_handshake_names_the_status_and_backs_off_accordingly(
    sim: Simulator, status: int, reason: str
) -> None:
    sim.reject("/faulty", status=status, retry_after=2 if status == 429 else None)
    spec = BackoffSpec(initial=0.05, max=1.0, stable_after=1.0)
    faulty = feed("faulty", sim.url("/faulty"), backoff=spec)
    async with Running(faulty, control(sim)) as run:  # type: ignore[arg-type]
        error = await run.rec.wait(is_faulty(EventKind.ERROR))
        assert error.reason == reason
        assert error.fields["status"] == status
        assert error.fields["kind"] == "http_status"
        delay = (await run.rec.wait(is_faulty(EventKind.RECONNECTING))).fields["delay_seconds"]
        if status in (401, 403, 404):  # waiting will not fix it: straight to the longest
            assert 0.5 <= delay <= 1.0
        elif status == 429:  # the server's Retry-After, though above the backoff's max
            assert delay >= 2.0
        else:
            assert 0.025 <= delay <= 0.05
        assert run.state("faulty") == "backoff"
        sim.accept("/faulty")
        await live(run)
        assert_untouched(run)


async def test_connection_refused_then_the_server_comes_back(
    sim: Simulator, proxy: FaultProxy
) -> None:
    faulty = feed("faulty", proxy.url("/faulty"))
    async with Running(faulty, control(sim)) as run:  # type: ignore[arg-type]
        await live(run)
        await proxy.refuse()
        proxy.reset()
        error = await run.rec.wait(is_faulty(EventKind.ERROR))
        assert error.fields["kind"] == "refused"
        assert error.reason == "connection refused"
        await proxy.listen()
        await live(run)
        assert_untouched(run)


CLOSES = [
    (1000, "closed by server: 1000 normal closure (bye)"),
    (1001, "closed by server: 1001 going away (bye)"),
    (1008, "closed by server: 1008 policy violation (bye)"),
    (1011, "closed by server: 1011 server error (bye)"),
    (1012, "closed by server: 1012 service restart (bye)"),
    (1013, "closed by server: 1013 try again later (bye)"),
    (4001, "closed by server: 4001 (bye)"),
]


@pytest.mark.parametrize(("code", "sentence"), CLOSES)
async def test_each_close_code_is_reported_and_the_feed_reconnects(
    sim: Simulator, code: int, sentence: str
) -> None:
    faulty = feed("faulty", sim.url("/faulty"))
    async with Running(faulty, control(sim)) as run:  # type: ignore[arg-type]
        await live(run)
        sim.drop("/faulty", code=code, reason="bye")
        dropped = await run.rec.wait(is_faulty(EventKind.DISCONNECTED))
        assert dropped.fields["code"] == code
        assert dropped.fields["close_reason"] == "bye"
        assert dropped.reason == sentence
        await run.rec.wait(is_faulty(EventKind.CONNECTED), after=run.rec.events.index(dropped))
        await live(run)
        assert sim.stats("/faulty").connections == 2
        assert_untouched(run)


async def test_an_abrupt_tcp_reset_is_a_lost_connection(sim: Simulator, proxy: FaultProxy) -> None:
    faulty = feed("faulty", proxy.url("/faulty"))
    async with Running(faulty, control(sim)) as run:  # type: ignore[arg-type]
        await live(run)
        assert proxy.reset() == 1
        dropped: Event = await run.rec.wait(is_faulty(EventKind.DISCONNECTED))
        assert dropped.fields["code"] == 1006
        assert dropped.reason == "connection lost without a close frame"
        await run.rec.wait(is_faulty(EventKind.CONNECTED), after=run.rec.events.index(dropped))
        await live(run)
        assert_untouched(run)
