"""Bitfinex v2 public: one subscribe per symbol, channels named by number, 20051 restarts.

Followed: https://docs.bitfinex.com/docs/ws-general (and ws-public-trades).
Confirmed there: wss://api-pub.bitfinex.com/ws/2; subscribe with
{"event":"subscribe","channel":"trades","symbol":"tBTCUSD"}, answered by
{"event":"subscribed","chanId":<number>,...}; after that every message of the channel is an
array that starts with the chanId: [chanId,"hb"] is a heartbeat (every 15 s), trades are
[chanId,"te",[ID,MTS,AMOUNT,PRICE]] (MTS in ms) after a [chanId,[[...],...]] snapshot; the
server greets with {"event":"info","version":2,...}; info code 20051 means "stop/restart
websocket server, please reconnect"; 20060/20061 announce the start and end of maintenance.
Flags: a {"event":"conf","flags":65536} request (SEQ_ALL) appends a sequence number to every
channel message and heartbeat ([chanId,"hb",seq]); 32768 (TIMESTAMP) appends a time in ms;
the server acknowledges with {"event":"conf","status":"OK","flags":...}. The heartbeat rule
accepts [chanId,"hb"] with up to two trailing numbers, and the ack is ignored. No sequence
is set: the SEQ_ALL number counts every message of the connection, heartbeats included,
which would read as lost data.
What event_time covers: trade updates [chanId,"te",[ID,MTS,...]] (2.1) and the snapshot
[chanId,[[ID,MTS,...],...]] (1.0.1, the newest trade's time); the first path that reads wins.
Limitation: channels are the numeric chanIds the server picks at subscribe time, so the preset
cannot list them (no "channels"): each symbol is tracked under its chanId once it trades.
Not confirmed: whether "tu" updates are still sent (each would count as a second data
message for a trade), and whether the server closes the socket itself after 20051 (the
planned close reconnects either way).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from feedwatch.config.presets.wire import compact

DOCS = "https://docs.bitfinex.com/docs/ws-general"
URL = "wss://api-pub.bitfinex.com/ws/2"


def trades(symbols: Sequence[str]) -> dict[str, Any]:
    """The trades channel for each trading pair, given as "tBTCUSD" or "BTCUSD"."""
    pairs = [f"t{symbol.removeprefix('t').upper()}" for symbol in symbols]
    return {
        "url": URL,
        "subscribe": [
            compact({"event": "subscribe", "channel": "trades", "symbol": pair}) for pair in pairs
        ],
        "channel_key": "0",
        # Updates, then the snapshot; the first path that reads wins.
        "event_time": ["2.1", "1.0.1"],
        "event_time_unit": "ms",
        # [chanId,"hb"], plus a sequence number (SEQ_ALL) and/or a time (TIMESTAMP).
        "heartbeat": {"regex": '^\\[\\d+,\\s*"hb"(,\\s*\\d+){0,2}\\]$'},
        "ignore": {
            "regex": [
                '"event":\\s*"subscribed"',
                '"event":\\s*"conf"',
                '"event":\\s*"info",\\s*"version"',
                '"code":\\s*2006[01]\\b',
            ]
        },
        "planned_close": {"json": {"event": "info", "code": 20051}},
    }
