"""Kraken spot: WebSocket v2 (JSON objects) and v1 (arrays), trade channel, app-level ping.

Followed: https://docs.kraken.com/exchange/api-reference/spot-websocket (v2: .../spot-websocket-v2/
trade, heartbeat, ping; v1: https://docs.kraken.com/websockets/).
Confirmed there (v2, wss://ws.kraken.com/v2): subscribe with
{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"]}}; trades arrive as
{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD",...,"timestamp":"<RFC 3339>"}]};
{"channel":"heartbeat"} comes about once a second when nothing else does; a "status" channel
message and a {"method":"subscribe","success":true,...} ack follow connecting; the client may
send {"method":"ping"}, answered by {"method":"pong",...}.
Confirmed there (v1, wss://ws.kraken.com): subscribe with
{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"trade"}}; trades arrive as
[channelID, [[price, volume, "<unix seconds>", side, type, misc], ...], "trade", "XBT/USD"], so
the first trade's time is at 1.0.2; book messages may carry asks and bids as two objects,
[channelID, {"a":[...]}, {"b":[...]}, "book-10", "XBT/USD"], so the pair is always the LAST
element (index -1), never a fixed index; {"event":"heartbeat"},
{"event":"systemStatus"} and {"event":"subscriptionStatus"} are objects; {"event":"ping"} is
answered by {"event":"pong"}.
Not confirmed: that either version closes a connection that never pings (the docs offer the
ping, they do not demand it; the preset pings every 30 s anyway, and the server's own
heartbeats already keep the line busy), and any announced-disconnect message (none found,
so no planned_close). No sequence: v2 trade_id grows per book but one message can carry
several trades, and v1 trades carry no id.
Subscriptions each preset supports: both subscribe to trades only. v2 tracks any channel by
data.0.symbol (trade, book, ticker); its event_time data.0.timestamp reads trade and book
messages (ticker messages carry none). v1 tracks any channel by the pair at index -1 (a
trade and a book of one pair share the pair's channel); its event_time 1.0.2 reads trades
only (book levels carry their own times at 1.a.0.2 and friends, not read).
v2 asks for no snapshot ("snapshot": false, a documented option) so old trades replayed at
subscribe time do not count as lag.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from feedwatch.config.presets.wire import compact

V2_DOCS = "https://docs.kraken.com/exchange/api-reference/spot-websocket-v2/trade"
V1_DOCS = "https://docs.kraken.com/websockets/"
V2_URL = "wss://ws.kraken.com/v2"
V1_URL = "wss://ws.kraken.com"


def v2_trades(symbols: Sequence[str]) -> dict[str, Any]:
    """v2 trade channel per symbol ("BTC/USD"), tracked by data.0.symbol."""
    pairs = [symbol.upper() for symbol in symbols]
    params = {"channel": "trade", "symbol": pairs, "snapshot": False}
    return {
        "url": V2_URL,
        "subscribe": compact({"method": "subscribe", "params": params}),
        "channel_key": "data.0.symbol",
        "channels": pairs,
        "event_time": "data.0.timestamp",
        "event_time_unit": "iso8601",
        "ping": {"every": "30s", "send": compact({"method": "ping"})},
        "heartbeat": {"regex": ['"channel":\\s*"heartbeat"', '"method":\\s*"pong"']},
        "ignore": {"regex": ['"channel":\\s*"status"', '"method":\\s*"subscribe"']},
    }


def v1_trades(symbols: Sequence[str]) -> dict[str, Any]:
    """v1 trade channel per pair ("XBT/USD"), tracked by the pair, the array's last element."""
    pairs = [symbol.upper() for symbol in symbols]
    request = {"event": "subscribe", "pair": pairs, "subscription": {"name": "trade"}}
    return {
        "url": V1_URL,
        "subscribe": compact(request),
        # The last element: a book message with asks and bids has five elements, a trade four.
        "channel_key": "-1",
        "channels": pairs,
        "event_time": "1.0.2",
        "event_time_unit": "s",
        "ping": {"every": "30s", "send": compact({"event": "ping"})},
        "heartbeat": {"regex": ['"event":\\s*"heartbeat"', '"event":\\s*"pong"']},
        "ignore": {"regex": '"event":\\s*"(systemStatus|subscriptionStatus)"'},
    }
