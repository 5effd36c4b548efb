"""Bybit v5 public streams: one subscribe for every topic, and a client ping every 20 s.

Followed: https://bybit-exchange.github.io/docs/v5/ws/connect (and v5/websocket/public/trade).
Confirmed there: the spot public endpoint wss://stream.bybit.com/v5/public/spot; subscribe with
{"op":"subscribe","args":["publicTrade.BTCUSDT"]}; Bybit recommends {"op":"ping"} every 20 s;
data looks like {"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":<ms>,"data":[...]}.
The pong differs by market: spot answers {"ret_msg":"pong","op":"ping",...}, linear and
inverse answer {"op":"pong",...}; the heartbeat rule accepts both.
Not confirmed: that the server closes after a fixed silence without pings (the docs only
recommend the 20 s ping), and any announced-disconnect message (none found, so no planned_close).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from feedwatch.config.presets.wire import compact

DOCS = "https://bybit-exchange.github.io/docs/v5/ws/connect"
SPOT_URL = "wss://stream.bybit.com/v5/public/spot"


def spot(symbols: Sequence[str]) -> dict[str, Any]:
    """Spot public trades, one "publicTrade.<SYMBOL>" topic per symbol."""
    topics = [f"publicTrade.{symbol.upper()}" for symbol in symbols]
    return {
        "url": SPOT_URL,
        "subscribe": compact({"op": "subscribe", "args": topics}),
        "channel_key": "topic",
        "channels": topics,
        "event_time": "ts",
        "event_time_unit": "ms",
        "ping": {"every": "20s", "send": '{"op":"ping"}'},
        "heartbeat": {"regex": ['"op":\\s*"pong"', '"ret_msg":\\s*"pong"']},
        "ignore": {"regex": '"op":\\s*"subscribe"'},
    }
