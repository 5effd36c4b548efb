"""Exchange shapes through a real local WebSocket server: Binance depth ranges on a combined
stream, OKX book links, Deribit's two timestamp paths, and a path that reads nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from feedwatch.config.model import SequenceLink, SequenceRange
from feedwatch.demo.simulator import Simulator
from feedwatch.engine.events import Event, EventKind
from tests.live import JumpingClock, Running, feed
from tests.rigs.scripted import Scripted
from tests.waiting import wait_until

RATE = 50.0


def binance_depth(n: int, ms: int) -> str:
    """Spot depthUpdates for two symbols in turn, each with its own update ids; ETHBTC's
    11th update starts 5 ids late."""
    symbol, k = ("BNBBTC", "ETHBTC")[n % 2], n // 2
    if symbol == "BNBBTC":
        first, last = 100 + 10 * k, 109 + 10 * k
    else:
        first, last = 7000 + 3 * k + (5 if k >= 10 else 0), 7002 + 3 * k + (5 if k >= 10 else 0)
    data = {"e": "depthUpdate", "E": ms, "s": symbol, "U": first, "u": last, "b": [], "a": []}
    return json.dumps({"stream": f"{symbol.lower()}@depth", "data": data})


def okx_seq(n: int) -> int:
    """Every 4th update changes nothing (same seqId); from the 21st the ids jump by 9."""
    return 123456 + n - (n + 1) // 4 + (9 if n >= 20 else 0)


def okx_books(n: int, ms: int) -> str:
    seq = okx_seq(n)
    prev = -1 if n == 0 else seq if n % 4 == 3 else seq - 1
    update = {
        "asks": [],
        "bids": [],
        "ts": str(ms),
        "checksum": -855196043,
        "prevSeqId": prev,
        "seqId": seq,
    }
    return json.dumps(
        {"arg": {"channel": "books", "instId": "BTC-USDT"}, "action": "update", "data": [update]}
    )


def deribit(n: int, ms: int) -> str:
    """Ticker notifications (params.data an object, 0.3 s old) and trades (a list, 1 s old)."""
    if n % 2 == 0:
        data: object = {"instrument_name": "BTC-PERPETUAL", "timestamp": ms - 300}
        channel = "ticker.BTC-PERPETUAL.raw"
    else:
        data = [{"trade_seq": n, "timestamp": ms - 1000, "price": 64000.5}]
        channel = "trades.BTC-PERPETUAL.raw"
    params = {"channel": channel, "data": data}
    return json.dumps({"jsonrpc": "2.0", "method": "subscription", "params": params})


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(seed=5)
    simulator.add("/depth", Scripted(RATE, binance_depth))
    simulator.add("/books", Scripted(RATE, okx_books))
    simulator.add("/deribit", Scripted(RATE, deribit))
    await simulator.start()
    yield simulator
    await simulator.stop()


def mismatches(run: Running) -> list[Event]:
    return [e for e in run.rec.of(EventKind.ERROR) if e.fields.get("kind") == "config_mismatch"]


async def test_a_combined_depth_stream_counts_gaps_per_symbol(sim: Simulator) -> None:
    depth = feed(
        "depth",
        sim.url("/depth"),
        stale_after=2.0,
        channel_key="stream",
        sequence=SequenceRange(first="data.U", last="data.u"),
    )
    async with Running(depth) as run:
        gap = await run.rec.wait_kind(EventKind.GAP)
        assert gap.channel == "ethbtc@depth"
        assert gap.fields == {"missed": 5, "expected": 7030, "got": 7035}
        await wait_until(lambda: run.engine.feed_snapshot("depth").data_messages >= 40)
        assert len(run.rec.of(EventKind.GAP)) == 1  # BNBBTC's own ids never looked like gaps
        snap = run.engine.feed_snapshot("depth")
        assert (snap.missed_messages, snap.out_of_order) == (5, 0)
        assert run.state("depth") == "live"


async def test_okx_books_link_updates_and_an_unchanged_book_is_no_gap(sim: Simulator) -> None:
    books = feed(
        "books",
        sim.url("/books"),
        stale_after=2.0,
        channel_key="arg.instId",
        sequence=SequenceLink(prev="data.0.prevSeqId", id="data.0.seqId"),
    )
    async with Running(books) as run:
        gap = await run.rec.wait_kind(EventKind.GAP)
        assert gap.channel == "BTC-USDT"
        assert gap.fields == {"missed": 9, "expected": okx_seq(19), "got": okx_seq(19) + 9}
        await wait_until(lambda: run.engine.feed_snapshot("books").data_messages >= 40)
        assert len(run.rec.of(EventKind.GAP)) == 1
        assert run.engine.feed_snapshot("books").out_of_order == 0


async def test_deribit_ticker_and_trades_each_read_their_own_timestamp(sim: Simulator) -> None:
    both = feed(
        "deribit",
        sim.url("/deribit"),
        stale_after=2.0,
        event_time=("params.data.timestamp", "params.data.0.timestamp"),
    )
    async with Running(both) as run:
        await wait_until(lambda: run.engine.feed_snapshot("deribit").data_messages >= 20)
        snap = run.engine.feed_snapshot("deribit")
        assert snap.lag_max == pytest.approx(1.0, abs=0.25)  # the trades' path read
        assert snap.lag_p50 is not None and snap.lag_p50 < 0.9  # and the tickers'
        assert mismatches(run) == []


async def test_a_path_that_reads_nothing_is_a_config_mismatch_after_a_minute(
    sim: Simulator,
) -> None:
    clock = JumpingClock()
    wrong = feed("deribit", sim.url("/deribit"), stale_after=600.0, event_time="params.data.ts")

    def data() -> int:
        return run.engine.feed_snapshot("deribit").data_messages

    async with Running(wrong, clock=clock) as run:
        await wait_until(lambda: data() >= 5)
        clock.jump(50.0)
        seen = data()
        await wait_until(lambda: data() >= seen + 5)
        assert mismatches(run) == []  # 50 s of data is not a minute
        assert run.engine.feed_snapshot("deribit").notes == ()
        clock.jump(11.0)
        event = await run.rec.wait(lambda e: e.fields.get("kind") == "config_mismatch")
        assert event.kind is EventKind.ERROR
        assert event.fields["key"] == "event_time"
        assert event.fields["paths"] == ["params.data.ts"]
        assert 61.0 <= event.fields["seconds"] < 70.0
        assert event.reason is not None
        assert event.reason.startswith('event_time path "params.data.ts" read nothing in ')
        seen = data()
        await wait_until(lambda: data() >= seen + 10)
        assert len(mismatches(run)) == 1  # once, not once a message
        assert run.engine.feed_snapshot("deribit").notes == (event.reason,)
        assert run.state("deribit") == "live"  # a config note, not a verdict
