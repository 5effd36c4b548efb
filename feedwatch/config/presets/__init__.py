"""Exchange presets: the keys a known exchange needs, filled in from a name and its symbols.

A preset is data plus a small builder: given the feed's ``symbols`` it returns raw [[feeds]]
keys exactly as a user would write them, so everything a preset fills in is checked by the
same loader as hand-written keys. Keys written in the feed replace the preset's value whole.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from feedwatch.config.presets import binance, bitfinex, bybit, coinbase, deribit, kraken, okx

# Raw [[feeds]] keys, as TOML would give them.
FeedKeys = dict[str, Any]


@dataclass(frozen=True)
class Preset:
    """One exchange feed shape that users should not have to work out for themselves."""

    name: str
    exchange: str
    summary: str
    docs: str  # the exchange documentation the preset follows
    example_symbols: tuple[str, ...]
    build: Callable[[Sequence[str]], FeedKeys]


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "binance-spot",
            "Binance",
            "spot trade streams, one combined-stream connection",
            binance.SPOT_DOCS,
            ("btcusdt", "ethusdt"),
            binance.spot,
        ),
        Preset(
            "binance-futures",
            "Binance",
            "USD-M futures aggregate trade streams, one combined-stream connection",
            binance.FUTURES_DOCS,
            ("btcusdt", "ethusdt"),
            binance.futures,
        ),
        Preset(
            "binance-spot-depth",
            "Binance",
            "spot diff depth streams (100 ms), update-id ranges checked per stream",
            binance.SPOT_DOCS,
            ("btcusdt", "ethusdt"),
            binance.spot_depth,
        ),
        Preset(
            "binance-futures-depth",
            "Binance",
            "USD-M futures diff depth streams (100 ms), pu/u links checked per stream",
            binance.FUTURES_DOCS,
            ("btcusdt", "ethusdt"),
            binance.futures_depth,
        ),
        Preset(
            "bybit",
            "Bybit",
            "v5 public spot trades, with the 20 s op=ping keepalive",
            bybit.DOCS,
            ("BTCUSDT", "ETHUSDT"),
            bybit.spot,
        ),
        Preset(
            "okx",
            "OKX",
            "v5 public trades, with the text ping keepalive and 64008 upgrade notices",
            okx.DOCS,
            ("BTC-USDT", "ETH-USDT"),
            okx.trades,
        ),
        Preset(
            "coinbase",
            "Coinbase",
            "Exchange feed ticker channel, with the per-product heartbeat channel",
            coinbase.EXCHANGE_DOCS,
            ("BTC-USD", "ETH-USD"),
            coinbase.exchange,
        ),
        Preset(
            "kraken-v2",
            "Kraken",
            "spot WebSocket v2 trades, with the method=ping keepalive",
            kraken.V2_DOCS,
            ("BTC/USD", "ETH/USD"),
            kraken.v2_trades,
        ),
        Preset(
            "deribit",
            "Deribit",
            "raw trades, with set_heartbeat and public/test answers to test_request",
            deribit.DOCS,
            ("BTC-PERPETUAL", "ETH-PERPETUAL"),
            deribit.trades,
        ),
        Preset(
            "bitfinex",
            "Bitfinex",
            "v2 public trades by chanId, with 20051 restart notices",
            bitfinex.DOCS,
            ("tBTCUSD", "tETHUSD"),
            bitfinex.trades,
        ),
        Preset(
            "kraken",
            "Kraken",
            "spot WebSocket v1 trades (array messages), with the event=ping keepalive",
            kraken.V1_DOCS,
            ("XBT/USD", "ETH/USD"),
            kraken.v1_trades,
        ),
        Preset(
            "coinbase-advanced",
            "Coinbase",
            "Advanced Trade market_trades, kept open by the heartbeats channel",
            coinbase.ADVANCED_DOCS,
            ("BTC-USD", "ETH-USD"),
            coinbase.advanced,
        ),
    )
}


def unknown_preset(name: str) -> str:
    """Why a preset name is wrong, with the nearest real one, for a located config error."""
    close = difflib.get_close_matches(name, list(PRESETS), n=1)
    hint = f' (did you mean "{close[0]}"?)' if close else ""
    known = ", ".join(PRESETS)
    return f'unknown preset "{name}"{hint}; known presets: {known} ("feedwatch presets" lists them)'


def expand(preset: Preset, symbols: Sequence[str], feed: FeedKeys) -> FeedKeys:
    """The feed's own keys first (they win), then the preset's; preset and symbols dropped."""
    merged = {key: value for key, value in feed.items() if key not in ("preset", "symbols")}
    for key, value in preset.build(symbols).items():
        merged.setdefault(key, value)
    return merged
