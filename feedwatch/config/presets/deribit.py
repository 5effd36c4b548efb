"""Deribit API v2: JSON-RPC subscribe, and the heartbeat test_request that must be answered.

Followed: https://docs.deribit.com/api-reference/session-management/public-set_heartbeat (and
public/subscribe, public/test, the trades.{instrument_name}.{interval} channel).
Confirmed there: wss://www.deribit.com/ws/api/v2; public/set_heartbeat takes an interval in
seconds, not less than 10; the server then sends {"method":"heartbeat","params":{"type":
"heartbeat"}} and {"method":"heartbeat","params":{"type":"test_request"}}, and closes the
connection at once unless a test_request is answered with a public/test request; requests
are answered with {"jsonrpc":"2.0","id":...,"result":...}; notifications look like
{"method":"subscription","params":{"channel":"trades.BTC-PERPETUAL.raw","data":[{...,
"timestamp":<ms>}]}}.
Not confirmed: whether "raw" trade channels still need an authorised connection (some pages
say unauthorised clients get "100ms"; write your own subscribe with ".100ms" and channels if
yours is refused), and any announced-disconnect message (none found, so no planned_close).
What event_time covers: trade notifications (params.data is an array of trades; the first
trade's timestamp) and ticker and book notifications (params.data is one object with a
timestamp), so a subscribe written by hand for ticker.* or book.* channels still gets lag.
No sequence: trade_seq grows per instrument, but one notification can carry several trades.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from feedwatch.config.presets.wire import compact

DOCS = "https://docs.deribit.com/api-reference/session-management/public-set_heartbeat"
URL = "wss://www.deribit.com/ws/api/v2"
HEARTBEAT_INTERVAL = 10  # seconds, the least Deribit accepts


def _request(ident: int, method: str, params: dict[str, Any]) -> str:
    return compact({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})


def trades(symbols: Sequence[str]) -> dict[str, Any]:
    """Raw trades per instrument ("BTC-PERPETUAL"), with heartbeats and test_request replies."""
    channels = [f"trades.{symbol.upper()}.raw" for symbol in symbols]
    return {
        "url": URL,
        "subscribe": [
            _request(1, "public/set_heartbeat", {"interval": HEARTBEAT_INTERVAL}),
            _request(2, "public/subscribe", {"channels": channels}),
        ],
        "channel_key": "params.channel",
        "channels": channels,
        # Ticker and book data is one object, trade data an array; the first that reads wins.
        "event_time": ["params.data.timestamp", "params.data.0.timestamp"],
        "event_time_unit": "ms",
        "reply": [
            {
                "json": {"method": "heartbeat", "params.type": "test_request"},
                "send": _request(3, "public/test", {}),
            }
        ],
        "heartbeat": {"json": {"method": "heartbeat", "params.type": "heartbeat"}},
        "ignore": {"contains": '"result":'},
    }
