"""Every preset, exactly as `feedwatch presets show` prints it, against a recorded session.

The recordings (tests/recordings/, see make.py there) speak each exchange's documented
shapes with a real session's rhythm: acks first, a snapshot after a pause, a busy channel
beside a quiet one, then data stops while heartbeats go on. Only the url and the timings
(stale_after, the ping interval) of the printed table are changed, for test speed.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
import tomlkit

from feedwatch.cli import main
from feedwatch.config.loader import parse_config
from feedwatch.config.model import FeedConfig
from feedwatch.config.presets import PRESETS
from feedwatch.demo.simulator import Simulator
from feedwatch.engine.events import Event, EventKind
from tests.live import FAST_BACKOFF, Running
from tests.rigs.replay import Recording, Replay
from tests.waiting import wait_until

STALE_AFTER = 0.5
LATE = 0.05  # a stall is reported within this of stale_after


@dataclass(frozen=True)
class Case:
    """What a user of the preset should see on this exchange's recorded session."""

    channels: frozenset[str]
    heartbeats: bool = True  # Binance sends none of its own (protocol pings only)
    acks: int = 0  # greetings and acknowledgements, all to be ignored
    recording: str = ""  # defaults to the preset's name
    # Over the longest wait for first data: Bitfinex sends each snapshot 1 s after its ack.
    stale_after: float = STALE_AFTER


def case(*channels: str, heartbeats: bool = True, acks: int = 0, stale_after: float = 0.5) -> Case:
    return Case(frozenset(channels), heartbeats, acks, stale_after=stale_after)


CASES: dict[str, Case] = {
    "binance-spot": case("btcusdt@trade", "ethusdt@trade", heartbeats=False),
    "binance-futures": case("btcusdt@aggTrade", "ethusdt@aggTrade", heartbeats=False),
    "binance-spot-depth": case("btcusdt@depth@100ms", "ethusdt@depth@100ms", heartbeats=False),
    "binance-futures-depth": case("btcusdt@depth@100ms", "ethusdt@depth@100ms", heartbeats=False),
    "bybit": case("publicTrade.BTCUSDT", "publicTrade.ETHUSDT", acks=1),
    "okx": case("BTC-USDT", "ETH-USDT", acks=2),
    "coinbase": case("BTC-USD", "ETH-USD", acks=1),
    "kraken-v2": case("BTC/USD", "ETH/USD", acks=3),
    "deribit": case("trades.BTC-PERPETUAL.raw", "trades.ETH-PERPETUAL.raw", acks=2),
    "bitfinex": case("17", "18", acks=3, stale_after=1.5),
    "kraken": case("XBT/USD", "ETH/USD", acks=3),
    "coinbase-advanced": case("BTC-USD", "ETH-USD", acks=2),
}


def test_every_preset_has_a_recorded_case() -> None:
    assert set(CASES) == set(PRESETS)


def shown(name: str) -> str:
    """What `feedwatch presets show NAME` prints."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["presets", "show", name]) == 0
    return out.getvalue()


def fast_feed(text: str, url: str, stale_after: float = STALE_AFTER, **keys: Any) -> FeedConfig:
    """The printed table with the url and timings changed (and any key replaced)."""
    document = tomlkit.parse(text)
    table: Any = document["feeds"][0]  # type: ignore[index]
    query = str(table["url"]).partition("?")[2]
    table["url"] = url + (f"?{query}" if query else "")
    table["stale_after"] = f"{stale_after}s"
    if "ping" in table:
        table["ping"]["every"] = "0.1s"
    for key, value in keys.items():
        table[key] = value
    feed = parse_config(tomlkit.dumps(document), None, {}).feeds[0]
    return replace(feed, backoff=FAST_BACKOFF)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(seed=12)
    await simulator.start()
    yield simulator
    await simulator.stop()


def serve(sim: Simulator, recording: Recording) -> str:
    path = f"/{recording.name}"
    sim.add(path, Replay(recording))
    return sim.url(path)


@dataclass(frozen=True)
class Stall:
    stale: Event
    heartbeats: int  # heartbeats that came between the last data and the STALE


async def stall_reported(
    run: Running, sim: Simulator, name: str, path: str, data: int, stale_after: float = STALE_AFTER
) -> Stall:
    """The feed's STALE once all `data` recorded messages are in, timed against the last one."""
    await wait_until(lambda: sim.stats(path).data_sent == data, timeout=8.0)
    await wait_until(lambda: run.engine.feed_snapshot(name).data_messages == data)
    beats = run.engine.feed_snapshot(name).heartbeats
    after = len(run.rec.events)
    stale = await run.rec.wait(
        lambda e: e.kind is EventKind.STALE and e.feed == name and e.channel is None, after=after
    )
    # The STALE's own snapshot: taken before the reconnect that on_stale asks for.
    snap = run.engine.feed_snapshot(name)
    assert snap.last_data_wall is not None
    late = stale.ts - snap.last_data_wall
    assert stale_after - 0.005 <= late <= stale_after + LATE, late
    return Stall(stale, snap.heartbeats - beats)


def data_lines(recording: Recording) -> int:
    replies = [line for answer in recording.answers for line in answer.reply]
    return sum(1 for line in (*replies, *recording.lines) if line.data)


@pytest.mark.parametrize("name", list(CASES))
async def test_preset_counts_heartbeats_ignores_acks_and_reports_a_stall(
    sim: Simulator, name: str
) -> None:
    expected = CASES[name]
    recording = Recording.load(expected.recording or name)
    url = serve(sim, recording)
    feed = fast_feed(shown(name), url, expected.stale_after)
    path = f"/{recording.name}"
    async with Running(feed) as run:
        stall = await stall_reported(
            run, sim, name, path, data_lines(recording), expected.stale_after
        )
        snap = run.engine.feed_snapshot(name)
        assert {channel.key for channel in snap.channels} == expected.channels
        assert snap.invalid == 0
        assert snap.ignored >= expected.acks
        assert snap.missed_messages == 0 and snap.out_of_order == 0
        if expected.heartbeats:
            # Heartbeats were heartbeats, and they kept coming through the stall.
            assert stall.heartbeats > 0
        else:
            assert snap.heartbeats == 0


KINDS = [
    (name, kind)
    for name, expected in CASES.items()
    for kind in Recording.load(expected.recording or name).data_kinds
]


@pytest.mark.parametrize(("name", "kind"), KINDS, ids=[f"{n}-{k}" for n, k in KINDS])
async def test_event_time_reads_every_kind_of_data_the_preset_gets(
    sim: Simulator, name: str, kind: str
) -> None:
    expected = CASES[name]
    recording = Recording.load(expected.recording or name).only([kind])
    feed = fast_feed(shown(name), serve(sim, recording), expected.stale_after)
    async with Running(feed) as run:
        snap = await wait_until(
            lambda: (s := run.engine.feed_snapshot(name)).lag_p50 is not None and s,
            message=f"a lag figure from {name} {kind} messages",
        )
        assert snap.lag_max is not None and snap.lag_max < 3.0


async def test_bitfinex_seq_all_heartbeats_are_heartbeats_and_the_conf_ack_is_ignored(
    sim: Simulator,
) -> None:
    recording = Recording.load("bitfinex-seq")
    text = shown("bitfinex")
    subscribe = [
        '{"event":"conf","flags":65536}',
        *tomlkit.parse(text)["feeds"][0]["subscribe"],  # type: ignore[index]
    ]
    feed = fast_feed(text, serve(sim, recording), 1.5, subscribe=subscribe)
    async with Running(feed) as run:
        lines = data_lines(recording)
        await stall_reported(run, sim, "bitfinex", "/bitfinex-seq", lines, 1.5)
        snap = run.engine.feed_snapshot("bitfinex")
        assert snap.heartbeats > 0  # [chanId,"hb",seq]
        assert snap.ignored >= 4  # info, the conf ack, two "subscribed"
        assert snap.invalid == 0
        assert {channel.key for channel in snap.channels} == {"17", "18"}
        assert snap.lag_p50 is not None


async def test_kraken_v1_book_messages_are_tracked_by_their_pair(sim: Simulator) -> None:
    recording = Recording.load("kraken-book")
    text = shown("kraken")
    pairs = ["XBT/USD", "ETH/USD"]
    subscribe = [
        str(tomlkit.parse(text)["feeds"][0]["subscribe"]),  # type: ignore[index]
        '{"event":"subscribe","pair":["XBT/USD","ETH/USD"],'
        '"subscription":{"name":"book","depth":10}}',
    ]
    feed = fast_feed(text, serve(sim, recording), subscribe=subscribe)
    async with Running(feed) as run:
        await stall_reported(run, sim, "kraken", "/kraken-book", data_lines(recording))
        snap = run.engine.feed_snapshot("kraken")
        # Four- and five-element book messages alike: the pair, never "book-10".
        assert {channel.key for channel in snap.channels} == set(pairs)
        assert snap.lag_p50 is not None  # the trades'
        assert snap.ignored >= 5  # systemStatus and four subscriptionStatus


async def test_deribit_ticker_and_book_notifications_get_event_time(sim: Simulator) -> None:
    recording = Recording.load("deribit-book")
    channels = ["ticker.BTC-PERPETUAL.100ms", "book.ETH-PERPETUAL.100ms"]
    text = shown("deribit")
    subscribe = [
        '{"jsonrpc":"2.0","id":1,"method":"public/set_heartbeat","params":{"interval":10}}',
        '{"jsonrpc":"2.0","id":2,"method":"public/subscribe","params":{"channels":'
        '["ticker.BTC-PERPETUAL.100ms","book.ETH-PERPETUAL.100ms"]}}',
    ]
    feed = fast_feed(text, serve(sim, recording), subscribe=subscribe, channels=channels)
    async with Running(feed) as run:
        await stall_reported(run, sim, "deribit", "/deribit-book", data_lines(recording))
        snap = run.engine.feed_snapshot("deribit")
        assert {channel.key for channel in snap.channels} == set(channels)
        assert snap.lag_p50 is not None and abs(snap.lag_p50) < 1.0
        assert snap.heartbeats > 0 and snap.replies > 0
