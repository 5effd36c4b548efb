"""Learned thresholds on multiplexed feeds and at session start (issue 12, points 1 and 2).

Played on the fake clock with Coinbase Exchange's real message shapes: a ``matches``
channel over twenty products, a few busy and most quiet, their gaps drawn from each
product's own rate, beside the ``heartbeats`` channel that keeps flowing whatever the data
does. An hour of it runs in a few seconds.
"""

from __future__ import annotations

import heapq
import json
import random
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from feedwatch.config.model import Config, FeedConfig, HistoryConfig
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import EventKind
from feedwatch.engine.first_data import FLOOR
from feedwatch.engine.gap_histogram import bin_of
from feedwatch.engine.verdict import State
from feedwatch.history.store import HistoryStore
from tests.config_text import feed, load, problem
from tests.test_liveness import Harness
from tests.test_liveness_schedule import clock_at, monday

# Trades a second per product: three busy books, the rest quiet (a trade every 1-5 s on
# average, so a product's own p99 gap is 5-23 s, as in the recorded Coinbase session).
QUIET = [
    "ADA",
    "AVAX",
    "DOGE",
    "DOT",
    "LINK",
    "LTC",
    "MATIC",
    "XLM",
    "UNI",
    "ATOM",
    "BCH",
    "ETC",
    "FIL",
    "AAVE",
    "ALGO",
    "XTZ",
    "ZEC",
]
QUIET_RATES = (1.0, 0.8, 0.7, 0.5, 0.5, 0.4, 0.35, 0.3, 0.3, 0.3, 0.25, 0.25, 0.25, 0.2, 0.2)
RATES = {
    "BTC-USD": 6.0,
    "ETH-USD": 4.0,
    "SOL-USD": 2.0,
    **{f"{asset}-USD": rate for asset, rate in zip(QUIET, (*QUIET_RATES, 0.2, 0.2), strict=True)},
}
assert len(RATES) == 20

COINBASE = FeedConfig(
    name="coinbase",
    url="ws://127.0.0.1:1/",
    stale_after=60.0,  # auto_initial
    stale_after_auto=True,
    channel_stale_after_auto=True,
    auto_min=1.0,
    auto_max=3600.0,
    channel_key="product_id",
    channels=tuple(RATES),
)


def match(product: str, trade_id: int, sequence: int) -> bytes:
    """A Coinbase Exchange ``match`` message, as its WebSocket docs show it."""
    return json.dumps(
        {
            "type": "match",
            "trade_id": trade_id,
            "sequence": sequence,
            "maker_order_id": "ac928c66-ca53-498f-9c13-a110027a60e8",
            "taker_order_id": "132fb6ae-456b-4654-b4e0-d681ac05cea1",
            "time": "2026-03-02T10:00:00.000000Z",
            "product_id": product,
            "size": "5.23512",
            "price": "400.23",
            "side": "sell",
        },
        separators=(",", ":"),
    ).encode()


def trades(rng: random.Random, start: float, until: float) -> Iterator[tuple[float, str]]:
    """(time, product) of every trade, each product's gaps exponential at its own rate."""
    heap = [(start + rng.expovariate(rate), product) for product, rate in RATES.items()]
    heapq.heapify(heap)
    while heap[0][0] < until:
        when, product = heapq.heappop(heap)
        yield when, product
        heapq.heappush(heap, (when + rng.expovariate(RATES[product]), product))


def play(h: Harness, rng: random.Random, seconds: float, stalled: str | None = None) -> None:
    """``seconds`` of the feed: its trades (none from ``stalled``) and a heartbeat a second."""
    clock = h.clock
    start = clock.monotonic()
    next_heartbeat = start + 1.0
    ids = 0
    for when, product in trades(rng, start, start + seconds):
        while next_heartbeat <= when:
            clock.advance_to(next_heartbeat)
            h.monitor.on_heartbeat(120, b'{"type":"heartbeat","product_id":"BTC-USD"}')
            next_heartbeat += 1.0
        clock.advance_to(when)
        if product != stalled:
            ids += 1
            h.monitor.on_data(260, product, match(product, ids, ids * 7))
    clock.advance_to(start + seconds)


def channel_stales(h: Harness) -> list[str]:
    return [e.channel or "" for e in h.events if e.kind is EventKind.STALE and e.channel]


def test_each_channel_learns_its_own_threshold_and_an_hour_raises_no_false_alarm() -> None:
    h = Harness(COINBASE, clock_at(monday(10)))
    h.connect()
    rng = random.Random(12)
    play(h, rng, 3600.0)
    monitor = h.monitor
    # The combined stream is fast: the feed learned auto_min, as in the report...
    assert monitor.stale_after == 1.0
    assert monitor.learned is not None and monitor.learned.current.gaps > 60_000
    # ...but each channel learned from its own gaps, so the quiet ones stay quiet.
    busy, quiet = monitor.channels["BTC-USD"], monitor.channels["ETH-USD"]
    assert busy.stale_after == 3.0  # 4 x p99 of its own ~0.77 s gaps
    assert 3.0 <= quiet.stale_after <= 7.0  # four trades a second: p99 about 1.15 s
    slow = monitor.channels["ADA-USD"]  # a trade a second: p99 about 4.6 s
    assert 15.0 <= slow.stale_after <= 25.0
    rare = monitor.channels["ZEC-USD"]  # a trade every 5 s: p99 about 23 s, learned late
    assert 60.0 < rare.stale_after <= 100.0
    snapshot = {
        ch.key: ch for ch in monitor.snapshot(0, 0, url="", paused=False, ping_rtt=None).channels
    }
    assert snapshot["ADA-USD"].learned is not None
    assert snapshot["ADA-USD"].learned.startswith("4 × p99 of")  # noqa: RUF001
    assert snapshot["ADA-USD"].learned.endswith("gaps on this channel")
    # Not one false alarm in the hour, channel or feed.
    assert channel_stales(h) == []
    assert EventKind.STALE not in [e.kind for e in h.events]
    assert monitor.state is State.LIVE
    # Channel moves are told in one event per minute, never one per channel.
    moves = [
        e
        for e in h.events
        if e.kind is EventKind.THRESHOLD_CHANGED and "channels_moved" in e.fields
    ]
    assert moves and all(
        e.reason and e.reason.startswith("learned channel thresholds: ") for e in moves
    )
    assert len(moves) <= 60


def test_a_stall_of_any_one_channel_is_still_caught_at_its_own_threshold() -> None:
    h = Harness(COINBASE, clock_at(monday(10)))
    h.connect()
    rng = random.Random(3)
    play(h, rng, 3600.0)
    for stalled in ("BTC-USD", "ADA-USD"):
        watch = h.monitor.channels[stalled]
        threshold = watch.stale_after
        before = len(h.events)
        play(h, rng, threshold * 3, stalled=stalled)
        stale = [e for e in h.events[before:] if e.kind is EventKind.STALE]
        assert [e.channel for e in stale] == [stalled]  # that channel, nothing else
        assert stale[0].age_seconds == threshold  # at its deadline, to the microsecond
        assert h.monitor.state is State.PARTIAL
        play(h, rng, 30.0)  # trading again
        assert h.monitor.state is State.LIVE


def test_channel_stale_after_auto_works_beside_a_fixed_feed_threshold() -> None:
    config = load(
        feed(
            stale_after='"30s"',
            channel_key='"product_id"',
            channel_stale_after='"auto"',
            auto_min='"2s"',
            auto_initial='"5m"',
        )
    ).feeds[0]
    assert config.channel_stale_after_auto and not config.stale_after_auto
    assert config.auto_initial == 300.0
    assert load(feed(channel_key='"s"', channel_stale_after='"auto"')).feeds[0].auto_initial == 30.0
    h = Harness(replace(config, channels=("BTC-USD", "ZEC-USD")), clock_at(monday(10)))
    h.connect()
    play(h, random.Random(5), 1800.0)
    assert h.monitor.stale_after == 30.0  # the feed's stays fixed
    assert h.monitor.channels["BTC-USD"].stale_after == 3.0  # 4 x p99 of its own 0.77 s
    snapshot = h.monitor.snapshot(0, 0, url="", paused=False, ping_rtt=None)
    assert snapshot.learned is None  # nothing learned for the feed itself
    assert channel_stales(h) == []


def test_auto_keys_name_their_mistakes() -> None:
    assert "has no effect without channel_key" in problem(feed(channel_stale_after='"auto"'))
    fixed = load(feed(stale_after='"auto"', channel_key='"s"', channel_stale_after='"5s"'))
    assert not fixed.feeds[0].channel_stale_after_auto  # a fixed channel value stands
    assert fixed.feeds[0].channel_stale_after == 5.0
    assert "first_data_within:" in problem(feed(first_data_within='"soon"'))


def test_a_live_change_and_a_fixed_channel_value_still_win() -> None:
    h = Harness(COINBASE, clock_at(monday(10)))
    h.connect()
    play(h, random.Random(8), 1200.0)
    h.monitor.set_stale_after(45.0)
    assert {ch.stale_after for ch in h.monitor.channels.values()} == {45.0}


def test_what_each_channel_learned_survives_a_restart_through_a_real_history_file(
    tmp_path: Path,
) -> None:
    history = HistoryConfig(path=tmp_path / "history.db")
    clock = clock_at(monday(10))
    engine = Engine(Config(feeds=(COINBASE,)), clock=clock)
    store = HistoryStore.open(history, now=clock.time)
    store.attach(engine)
    monitor = engine.worker("coinbase").monitor
    h = Harness.__new__(Harness)
    h.clock, h.monitor, h.events, h.reconnects = clock, monitor, [], []
    monitor.start()
    monitor.on_connected(1, "ws://127.0.0.1:1/")
    play(h, random.Random(9), 1800.0)
    learned = monitor.channels["ADA-USD"].stale_after
    assert learned < 60.0
    monitor.stop()
    store.close()

    second = clock_at(monday(11))
    restarted = Engine(Config(feeds=(COINBASE,)), clock=second)
    store = HistoryStore.open(history, now=second.time)
    try:
        rows = store.channel_gap_profiles()["coinbase"]
        assert {key for key, _, _ in rows} == set(RATES)
        store.attach(restarted)
        monitor = restarted.worker("coinbase").monitor
        monitor.start()
        # The channel is not seen yet in this run; when it is, it has what it learned.
        monitor.on_connected(1, "ws://127.0.0.1:1/")
        monitor.on_data(260, "ADA-USD", match("ADA-USD", 1, 1))
        assert monitor.channels["ADA-USD"].stale_after == learned
    finally:
        store.close()


# -- session start ---------------------------------------------------------------------------------


def learned_feed(**changes: object) -> Harness:
    """A feed whose learned threshold is 1 s (auto_min), seeded as a restart would."""
    config = replace(
        FeedConfig(name="bitstamp", url="ws://127.0.0.1:1/", stale_after=60.0),
        stale_after_auto=True,
        **changes,  # type: ignore[arg-type]
    )
    h = Harness(config, clock_at(monday(10)))
    assert h.monitor.learned is not None
    h.monitor.learned.seed([(168, bin_of(0.1), 5000)])
    assert h.monitor.stale_after == 1.0
    return h


def bitstamp_trade(n: int) -> bytes:
    return json.dumps(
        {
            "data": {
                "id": 3000000 + n,
                "timestamp": "1772445600",
                "amount": 0.012,
                "amount_str": "0.01200000",
                "price": 64000,
                "price_str": "64000",
                "type": 0,
                "microtimestamp": "1772445600123456",
                "buy_order_id": 1,
                "sell_order_id": 2,
            },
            "channel": "live_trades_btcusd",
            "event": "trade",
        }
    ).encode()


def session(h: Harness, first_data_after: float, then: float = 5.0) -> None:
    """Connect; the first trade ``first_data_after`` seconds later, then ten a second."""
    h.monitor.on_connected(1, "wss://ws.bitstamp.net")
    h.monitor.on_other(
        90, b'{"event":"bts:subscription_succeeded","channel":"live_trades_btcusd","data":{}}'
    )
    h.clock.advance(first_data_after)
    for n in range(int(then * 10)):
        h.monitor.on_data(300, None, bitstamp_trade(n))
        h.clock.advance(0.1)


def drop(h: Harness) -> None:
    h.monitor.on_disconnected(1006, None, "connection lost")
    h.clock.advance(0.5)  # backoff
    h.monitor.on_reconnect_attempt()
    h.clock.advance(0.3)  # TLS and the handshake


def test_a_slow_session_start_is_not_reconnected_under_a_learned_one_second_threshold() -> None:
    h = learned_feed()
    session(h, 6.3)  # Bitstamp's recorded subscribe-to-first-data: 6.3 s
    drop(h)
    session(h, 6.3)
    assert h.reconnects == []  # never "no data within 1s of connecting"
    assert h.monitor.state is State.LIVE
    # Back within 1 s of the last trade, the new session had its allowance: no alarm.
    assert h.kinds() == ["threshold_changed", "connected", "disconnected", "connected"]
    # What it learned of this feed's starts: twice the slowest, above the floor.
    assert h.monitor.first_data.allowance() == pytest.approx(2 * 6.3)
    snapshot = h.monitor.snapshot(0, 0, url="", paused=False, ping_rtt=None)
    assert snapshot.first_data is not None and snapshot.first_data.startswith(
        "first data within 12.6s"
    )


def test_a_channel_waiting_through_a_snapshot_then_ack_pause_is_not_stale() -> None:
    # Bitfinex: the snapshot of one channel, a pause of about a second, then the next.
    h = learned_feed(channel_key="0", channel_stale_after_auto=True)
    h.monitor.learned.seed_channels([("17", bin_of(0.05), 5000), ("18", bin_of(0.05), 5000)])  # type: ignore[union-attr]
    assert h.monitor.threshold.channel_for("18") == 1.0
    for _ in range(2):
        h.monitor.on_connected(2, "wss://api-pub.bitfinex.com/ws/2")
        h.clock.advance(0.4)
        h.monitor.on_data(900, "17", b"[17,[[1,1772445600000,0.01,64000]]]")
        h.clock.advance(1.1)
        h.monitor.on_data(900, "18", b"[18,[[2,1772445600000,0.01,3200]]]")
        for _ in range(30):
            h.clock.advance(0.05)
            h.monitor.on_data(60, "17", b'[17,"te",[3,1772445600000,0.01,64000]]')
            h.monitor.on_data(60, "18", b'[18,"te",[4,1772445600000,0.01,3200]]')
        drop(h)
    assert channel_stales(h) == []
    assert h.reconnects == []


def test_a_session_slower_than_the_floor_still_recovers_each_miss_doubling_the_next() -> None:
    h = learned_feed()
    h.monitor.on_connected(1, "wss://ws.bitstamp.net")
    h.clock.advance(25.0)  # a start slower than any seen: 10 s, then 20 s are too short
    assert h.reconnects == ["stale: no data"]
    assert h.monitor.first_data.allowance() == 2 * FLOOR
    drop(h)
    h.monitor.on_connected(1, "wss://ws.bitstamp.net")
    h.clock.advance(25.0)
    assert h.reconnects[-1] == "no data within 20s of connecting"
    drop(h)
    assert h.monitor.first_data.allowance() == 4 * FLOOR
    session(h, 25.0)
    assert h.monitor.state is State.LIVE
    assert len(h.reconnects) == 2
    assert h.monitor.first_data.allowance() == 50.0  # twice the slowest start seen, no boost


def test_first_data_within_sets_the_floor_and_a_fixed_threshold_keeps_its_old_rule() -> None:
    h = learned_feed(first_data_within=3.0)
    assert h.monitor.first_data.allowance() == 3.0
    fixed = Harness(FeedConfig(name="f", url="ws://127.0.0.1:1/", stale_after=1.0))
    assert fixed.monitor.first_data.allowance() is None
    fixed.connect()
    fixed.clock.advance(1.0)
    assert fixed.reconnects == ["stale: no data"]  # no allowance unless asked for
    given = Harness(
        FeedConfig(name="g", url="ws://127.0.0.1:1/", stale_after=1.0, first_data_within=4.0)
    )
    given.connect()
    given.clock.advance(3.9)
    assert given.reconnects == []
    given.clock.advance(0.1)
    assert given.reconnects == ["stale: no data"]


def test_the_detail_view_says_what_channels_learned_and_the_session_allowance() -> None:
    from feedwatch.tui.screens.detail_text import stats_facts

    h = Harness(COINBASE, clock_at(monday(10)))
    h.connect()
    play(h, random.Random(12), 1800.0)
    snapshot = h.monitor.snapshot(
        h.clock.monotonic(), h.clock.time(), url="", paused=False, ping_rtt=None
    )
    text = str(stats_facts(snapshot))
    assert "Channels     each learns its own: 3s to 2m 00s" in text
    assert "New session" in text and "first data within 10s (floor 10s" in text
