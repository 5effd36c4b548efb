"""OKX v5 public channels: a subscribe per instrument, and the text "ping" inside 30 s.

Followed: https://www.okx.com/docs-v5/en/#overview-websocket (connect, notice) and
https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-trades-channel
Confirmed there: wss://ws.okx.com:8443/ws/v5/public; the connection is closed after 30 s
without traffic unless the client sends the string "ping", answered by "pong"; a
{"event":"notice","code":"64008"} message announces a close for a service upgrade;
data looks like {"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{...,"ts":"<ms>"}]}.
Not confirmed: whether "tradeId" is consecutive per instrument (so no sequence is set).
What event_time covers: the trades channel (data.0.ts), and any other v5 public channel
whose data items carry ts (books, tickers). The preset subscribes to trades only, so it sets
no sequence; a books subscription written by hand would check
sequence = { prev = "data.0.prevSeqId", id = "data.0.seqId" } per channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from feedwatch.config.presets.wire import compact

DOCS = "https://www.okx.com/docs-v5/en/#overview-websocket"
PUBLIC_URL = "wss://ws.okx.com:8443/ws/v5/public"


def trades(symbols: Sequence[str]) -> dict[str, Any]:
    """The trades channel for each instrument id ("BTC-USDT"), tracked by arg.instId."""
    instruments = [symbol.upper() for symbol in symbols]
    args = [{"channel": "trades", "instId": instrument} for instrument in instruments]
    return {
        "url": PUBLIC_URL,
        "subscribe": compact({"op": "subscribe", "args": args}),
        "channel_key": "arg.instId",
        "channels": instruments,
        "event_time": "data.0.ts",
        "event_time_unit": "ms",
        "ping": {"every": "20s", "send": "ping"},
        "heartbeat": {"regex": "^pong$"},
        "ignore": {"json": {"event": "subscribe"}},
        "planned_close": {"json": {"event": "notice", "code": "64008"}},
    }
