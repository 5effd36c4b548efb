"""Each shipped preset against a local server that speaks its exchange's documented shapes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from feedwatch.config.loader import parse_config
from feedwatch.config.model import FeedConfig
from feedwatch.demo.simulator import Simulator
from feedwatch.engine.events import EventKind
from feedwatch.engine.snapshot import FeedSnapshot
from tests.live import FAST_BACKOFF, Running
from tests.rigs.exchanges.binance import BinanceCombined
from tests.rigs.exchanges.bitfinex import BitfinexPublic
from tests.rigs.exchanges.bybit import BybitPublic
from tests.rigs.exchanges.coinbase import CoinbaseAdvanced, CoinbaseExchange
from tests.rigs.exchanges.deribit import DeribitV2
from tests.rigs.exchanges.kraken import KrakenV1, KrakenV2
from tests.rigs.exchanges.okx import OkxPublic
from tests.waiting import wait_until


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(seed=5)
    simulator.add("/stream", BinanceCombined(rate=40))
    simulator.add("/fstream", BinanceCombined(rate=40))
    simulator.add("/shutdown", BinanceCombined(rate=40, shutdown_after=0.4))
    simulator.add("/bybit", BybitPublic(rate=40, ping_timeout=0.4))
    simulator.add("/okx", OkxPublic(rate=40, ping_timeout=0.4))
    simulator.add("/okx-upgrade", OkxPublic(rate=40, ping_timeout=0.4, notice_after=0.4))
    simulator.add(
        "/coinbase", CoinbaseExchange(rate=40, heartbeat_every=0.05, subscribe_within=0.3)
    )
    simulator.add("/kraken-v2", KrakenV2(rate=40, heartbeat_every=0.05))
    simulator.add("/deribit", DeribitV2(rate=40, interval=0.1, reply_within=0.2))
    simulator.add("/bitfinex", BitfinexPublic(rate=40, heartbeat_every=0.05))
    simulator.add("/bitfinex-restart", BitfinexPublic(rate=40, restart_after=0.4))
    simulator.add(
        "/bitfinex-seq",
        BitfinexPublic(rate=40, heartbeat_every=0.05, seq_all=True, snapshot_pause=1.0),
    )
    simulator.add("/kraken", KrakenV1(rate=40, heartbeat_every=0.05))
    simulator.add("/advanced", CoinbaseAdvanced(rate=40, heartbeat_every=0.05, quiet_close=0.4))
    await simulator.start()
    yield simulator
    await simulator.stop()


def preset_feed(preset: str, symbols: list[str], url: str, **explicit: str) -> FeedConfig:
    """The feed a user gets from the preset, with url (and any key) written explicitly."""
    extra = "".join(f"{key} = {json.dumps(value)}\n" for key, value in explicit.items())
    text = (
        f'[[feeds]]\nname = "{preset}"\npreset = "{preset}"\nsymbols = {json.dumps(symbols)}\n'
        f'stale_after = "1s"\nurl = "{url}"\n{extra}'
    )
    feed = parse_config(text, None, {}).feeds[0]
    # Test-sized timings; the ping's text is still the preset's.
    ping = replace(feed.ping, every=0.1) if feed.ping is not None else None
    return replace(feed, ping=ping, backoff=FAST_BACKOFF)


def channel_keys(run: Running, name: str) -> set[str]:
    return {channel.key for channel in run.engine.feed_snapshot(name).channels}


async def streaming(run: Running, name: str, channels: int, heartbeats: int = 0) -> FeedSnapshot:
    """The feed once every channel has carried data (and enough heartbeats have come)."""
    await wait_until(lambda: len(channel_keys(run, name)) == channels)
    await wait_until(lambda: run.engine.feed_snapshot(name).data_messages > 20)
    await wait_until(lambda: run.engine.feed_snapshot(name).heartbeats >= heartbeats)
    return run.engine.feed_snapshot(name)


async def test_binance_spot_tracks_each_stream_with_event_time_and_trade_ids(
    sim: Simulator,
) -> None:
    url = sim.base_url + "/stream?streams=btcusdt@trade"
    feed = preset_feed("binance-spot", ["btcusdt"], url)
    assert feed.sequence == "data.t"  # one symbol: its trade ids are consecutive
    async with Running(feed) as run:
        await wait_until(lambda: run.engine.feed_snapshot("binance-spot").data_messages > 20)
        snap = run.engine.feed_snapshot("binance-spot")
        assert str(snap.state) == "live"
        assert channel_keys(run, "binance-spot") == {"btcusdt@trade"}
        assert snap.lag_p50 is not None and abs(snap.lag_p50) < 1.0
        assert snap.missed_messages == 0 and not run.rec.of(EventKind.GAP)


async def test_binance_spot_builds_the_combined_stream_url_from_symbols(sim: Simulator) -> None:
    default = parse_config(
        '[[feeds]]\nname = "b"\npreset = "binance-spot"\nsymbols = ["BTCUSDT", "ethusdt"]\n'
        'stale_after = "5s"\n',
        None,
        {},
    ).feeds[0]
    assert default.url == (
        "wss://stream.binance.com:9443/stream?streams=btcusdt@trade/ethusdt@trade"
    )
    assert default.sequence is None  # two symbols' trade ids interleave
    # The same streams against the local server: both channels live, data classified as data.
    url = sim.base_url + "/stream?" + default.url.partition("?")[2]
    feed = preset_feed("binance-spot", ["BTCUSDT", "ethusdt"], url)
    async with Running(feed) as run:
        await wait_until(lambda: len(channel_keys(run, "binance-spot")) == 2)
        assert channel_keys(run, "binance-spot") == {"btcusdt@trade", "ethusdt@trade"}
        assert run.engine.feed_snapshot("binance-spot").heartbeats == 0


async def test_binance_futures_reads_aggregate_trades(sim: Simulator) -> None:
    url = sim.base_url + "/fstream?streams=btcusdt@aggTrade/ethusdt@aggTrade"
    feed = preset_feed("binance-futures", ["btcusdt", "ethusdt"], url)
    async with Running(feed) as run:
        snap = await streaming(run, "binance-futures", 2)
        assert snap.lag_p50 is not None
        assert str(snap.state) == "live"


async def test_binance_server_shutdown_is_a_planned_close(sim: Simulator) -> None:
    url = sim.base_url + "/shutdown?streams=btcusdt@trade"
    async with Running(preset_feed("binance-spot", ["btcusdt"], url)) as run:
        notice = await run.rec.wait_kind(EventKind.PLANNED_CLOSE)
        await run.rec.wait(lambda e: e.kind is EventKind.CONNECTED and e.seq > notice.seq)


async def test_bybit_subscribes_pings_and_counts_pongs_as_heartbeats(sim: Simulator) -> None:
    feed = preset_feed("bybit", ["btcusdt", "ETHUSDT"], sim.url("/bybit"))
    async with Running(feed) as run:
        snap = await streaming(run, "bybit", 2, heartbeats=5)
        assert snap.ignored >= 1  # the subscribe acknowledgement
        assert snap.lag_p50 is not None
        assert channel_keys(run, "bybit") == {"publicTrade.BTCUSDT", "publicTrade.ETHUSDT"}
        stats = sim.stats("/bybit")
        assert json.loads(stats.subscribes[0]) == {
            "op": "subscribe",
            "args": ["publicTrade.BTCUSDT", "publicTrade.ETHUSDT"],
        }
        # Pings kept the server (which closes after 0.4 s without one) happy.
        # The server counts pings as they land: wait for them, then check.
        await wait_until(lambda: sim.stats("/bybit").app_pings >= 5)
        assert sim.stats("/bybit").connections == 1


async def test_bybit_closes_when_the_preset_ping_is_overridden_away(sim: Simulator) -> None:
    feed = replace(preset_feed("bybit", ["BTCUSDT"], sim.url("/bybit")), ping=None)
    async with Running(feed) as run:
        await run.rec.wait_kind(EventKind.DISCONNECTED)
        # The server hung up for want of a ping, and the engine had to come back.
        await wait_until(lambda: sim.stats("/bybit").connections >= 2)
        assert sim.stats("/bybit").app_pings == 0


async def test_okx_pings_with_text_and_tracks_instruments(sim: Simulator) -> None:
    feed = preset_feed("okx", ["BTC-USDT", "eth-usdt"], sim.url("/okx"))
    async with Running(feed) as run:
        snap = await streaming(run, "okx", 2, heartbeats=5)
        assert channel_keys(run, "okx") == {"BTC-USDT", "ETH-USDT"}
        assert snap.ignored >= 2  # one subscribe event per instrument
        assert snap.lag_p50 is not None  # data.0.ts, a string of milliseconds
        stats = sim.stats("/okx")
        assert json.loads(stats.subscribes[0])["args"][1] == {
            "channel": "trades",
            "instId": "ETH-USDT",
        }
        # The server counts pings as they land: wait for them, then check.
        await wait_until(lambda: sim.stats("/okx").app_pings >= 5)
        assert sim.stats("/okx").connections == 1


async def test_okx_service_upgrade_notice_is_a_planned_close(sim: Simulator) -> None:
    async with Running(preset_feed("okx", ["BTC-USDT"], sim.url("/okx-upgrade"))) as run:
        notice = await run.rec.wait_kind(EventKind.PLANNED_CLOSE)
        await run.rec.wait(lambda e: e.kind is EventKind.CONNECTED and e.seq > notice.seq)


async def test_coinbase_subscribes_ticker_and_heartbeat_and_tracks_products(
    sim: Simulator,
) -> None:
    feed = preset_feed("coinbase", ["btc-usd", "ETH-USD"], sim.url("/coinbase"))
    assert feed.sequence is None  # ticker sequences skip: they count every order-book event
    async with Running(feed) as run:
        snap = await streaming(run, "coinbase", 2, heartbeats=5)
        assert channel_keys(run, "coinbase") == {"BTC-USD", "ETH-USD"}
        assert snap.ignored >= 1  # the subscriptions message
        assert snap.lag_p50 is not None and abs(snap.lag_p50) < 1.0  # ISO-8601 "time"
        stats = sim.stats("/coinbase")
        assert json.loads(stats.subscribes[0]) == {
            "type": "subscribe",
            "product_ids": ["BTC-USD", "ETH-USD"],
            "channels": ["heartbeat", "ticker"],
        }
        assert stats.connections == 1


async def test_coinbase_disconnects_a_feed_whose_subscribe_is_overridden_away(
    sim: Simulator,
) -> None:
    feed = replace(preset_feed("coinbase", ["BTC-USD"], sim.url("/coinbase")), subscribe=())
    async with Running(feed) as run:
        await run.rec.wait_kind(EventKind.DISCONNECTED)
        await wait_until(lambda: sim.stats("/coinbase").connections >= 2)


async def test_kraken_v2_pings_and_counts_heartbeats_and_pongs(sim: Simulator) -> None:
    feed = preset_feed("kraken-v2", ["btc/usd", "ETH/USD"], sim.url("/kraken-v2"))
    async with Running(feed) as run:
        snap = await streaming(run, "kraken-v2", 2, heartbeats=5)
        assert channel_keys(run, "kraken-v2") == {"BTC/USD", "ETH/USD"}
        assert snap.ignored >= 3  # the status message and one ack per symbol
        assert snap.lag_p50 is not None and abs(snap.lag_p50) < 1.0  # data.0.timestamp
        stats = sim.stats("/kraken-v2")
        assert json.loads(stats.subscribes[0]) == {
            "method": "subscribe",
            "params": {"channel": "trade", "symbol": ["BTC/USD", "ETH/USD"], "snapshot": False},
        }
        # The server counts pings as they land: wait for them, then check.
        await wait_until(lambda: sim.stats("/kraken-v2").app_pings >= 5)
        assert sim.stats("/kraken-v2").connections == 1


async def test_deribit_answers_test_requests_and_stays_connected(sim: Simulator) -> None:
    feed = preset_feed("deribit", ["btc-perpetual", "ETH-PERPETUAL"], sim.url("/deribit"))
    async with Running(feed) as run:
        snap = await streaming(run, "deribit", 2, heartbeats=3)
        await wait_until(lambda: sim.stats("/deribit").replies >= 5)
        assert channel_keys(run, "deribit") == {
            "trades.BTC-PERPETUAL.raw",
            "trades.ETH-PERPETUAL.raw",
        }
        assert snap.lag_p50 is not None and abs(snap.lag_p50) < 1.0  # params.data.0.timestamp
        assert snap.ignored >= 2  # the set_heartbeat and subscribe results
        stats = sim.stats("/deribit")
        sent = [json.loads(text) for text in stats.subscribes]
        assert [(m["method"], m["params"]) for m in sent] == [
            ("public/set_heartbeat", {"interval": 10}),
            (
                "public/subscribe",
                {"channels": ["trades.BTC-PERPETUAL.raw", "trades.ETH-PERPETUAL.raw"]},
            ),
        ]
        # The server closes at once on an unanswered test_request; it never had to.
        assert stats.connections == 1


async def test_deribit_closes_when_the_reply_rule_is_overridden_away(sim: Simulator) -> None:
    feed = replace(preset_feed("deribit", ["BTC-PERPETUAL"], sim.url("/deribit")), replies=())
    async with Running(feed) as run:
        await run.rec.wait_kind(EventKind.DISCONNECTED)
        await wait_until(lambda: sim.stats("/deribit").connections >= 2)
        assert sim.stats("/deribit").replies == 0


async def test_bitfinex_subscribes_per_symbol_and_tracks_chan_ids(sim: Simulator) -> None:
    feed = preset_feed("bitfinex", ["tBTCUSD", "ethusd"], sim.url("/bitfinex"))
    async with Running(feed) as run:
        snap = await streaming(run, "bitfinex", 2, heartbeats=5)
        # Channels are the numbers the server gave at subscribe time.
        assert channel_keys(run, "bitfinex") == {"17", "18"}
        assert snap.ignored >= 3  # the info greeting and one "subscribed" per symbol
        assert snap.lag_p50 is not None and abs(snap.lag_p50) < 1.0  # MTS at 2.1
        stats = sim.stats("/bitfinex")
        assert [json.loads(text) for text in stats.subscribes] == [
            {"event": "subscribe", "channel": "trades", "symbol": "tBTCUSD"},
            {"event": "subscribe", "channel": "trades", "symbol": "tETHUSD"},
        ]


async def test_bitfinex_seq_all_numbers_keep_heartbeats_heartbeats_and_the_conf_ack_ignored(
    sim: Simulator,
) -> None:
    preset = preset_feed("bitfinex", ["tBTCUSD", "tETHUSD"], sim.url("/bitfinex-seq"))
    conf = '{"event":"conf","flags":65536}'
    # A second over stale_after: each snapshot follows its ack by about a second.
    feed = replace(preset, subscribe=(conf, *preset.subscribe), stale_after=2.0)
    async with Running(feed) as run:
        snap = await streaming(run, "bitfinex", 2, heartbeats=5)  # [chanId,"hb",seq]
        assert channel_keys(run, "bitfinex") == {"17", "18"}
        assert snap.invalid == 0
        assert snap.ignored >= 4  # info, the conf ack, one "subscribed" per symbol
        assert snap.lag_p50 is not None  # trades, a sequence number after them
        assert snap.missed_messages == 0
        assert json.loads(sim.stats("/bitfinex-seq").subscribes[0]) == json.loads(conf)
        assert str(snap.state) == "live"


async def test_bitfinex_restart_notice_is_a_planned_close(sim: Simulator) -> None:
    url = sim.url("/bitfinex-restart")
    async with Running(preset_feed("bitfinex", ["tBTCUSD"], url)) as run:
        notice = await run.rec.wait_kind(EventKind.PLANNED_CLOSE)
        await run.rec.wait(lambda e: e.kind is EventKind.CONNECTED and e.seq > notice.seq)


async def test_kraken_v1_tracks_pairs_from_array_messages(sim: Simulator) -> None:
    feed = preset_feed("kraken", ["xbt/usd", "ETH/USD"], sim.url("/kraken"))
    async with Running(feed) as run:
        snap = await streaming(run, "kraken", 2, heartbeats=5)
        assert channel_keys(run, "kraken") == {"XBT/USD", "ETH/USD"}  # the array's last element
        assert snap.ignored >= 3  # systemStatus and one subscriptionStatus per pair
        assert snap.lag_p50 is not None and abs(snap.lag_p50) < 1.0  # seconds at 1.0.2
        stats = sim.stats("/kraken")
        assert json.loads(stats.subscribes[0]) == {
            "event": "subscribe",
            "pair": ["XBT/USD", "ETH/USD"],
            "subscription": {"name": "trade"},
        }
        # The server counts pings as they land: wait for them, then check.
        await wait_until(lambda: sim.stats("/kraken").app_pings >= 5)
        assert sim.stats("/kraken").connections == 1


async def test_coinbase_advanced_subscribes_heartbeats_and_stays_open(sim: Simulator) -> None:
    feed = preset_feed("coinbase-advanced", ["btc-usd", "ETH-USD"], sim.url("/advanced"))
    assert feed.sequence is None  # sequence_num also counts heartbeats, which are not data
    async with Running(feed) as run:
        snap = await streaming(run, "coinbase-advanced", 2, heartbeats=10)
        assert channel_keys(run, "coinbase-advanced") == {"BTC-USD", "ETH-USD"}
        assert snap.ignored >= 2  # one subscriptions message per subscribe
        assert snap.lag_p50 is not None and abs(snap.lag_p50) < 1.0  # ISO-8601 "timestamp"
        stats = sim.stats("/advanced")
        sent = [json.loads(text) for text in stats.subscribes]
        assert [(m["channel"], m["product_ids"]) for m in sent] == [
            ("market_trades", ["BTC-USD", "ETH-USD"]),
            ("heartbeats", ["BTC-USD", "ETH-USD"]),
        ]
        assert stats.connections == 1


async def test_coinbase_advanced_closes_without_the_heartbeats_subscription(
    sim: Simulator,
) -> None:
    feed = preset_feed("coinbase-advanced", ["BTC-USD"], sim.url("/advanced"))
    async with Running(replace(feed, subscribe=feed.subscribe[:1])) as run:
        await run.rec.wait_kind(EventKind.DISCONNECTED)
        await wait_until(lambda: sim.stats("/advanced").connections >= 2)
