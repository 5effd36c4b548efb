"""Coinbase: the Exchange feed (ticker + heartbeat channels) and Advanced Trade (market_trades).

Followed: https://docs.cdp.coinbase.com/exchange/websocket-feed (Exchange) and
https://docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/websocket/websocket-channels
(Advanced Trade). Confirmed there: a subscribe is mandatory within 5 s or the server
disconnects; the Exchange feed takes {"type":"subscribe","product_ids":[...],"channels":[...]}
and answers with a "subscriptions" message; its heartbeat channel sends
{"type":"heartbeat","product_id":...,"time":...} per product every second; ticker messages
carry "product_id" and an ISO-8601 "time". Advanced Trade takes one channel per subscribe
message, answers on the "subscriptions" channel, and keeps subscriptions open with the
"heartbeats" channel (one message a second; most channels close after 60-90 s without one);
every message carries "channel", an ISO-8601 "timestamp" and "sequence_num".
Deliberately not set: a sequence. Exchange "sequence" counts every order-book event of the
product, and a ticker is sent only on a match, so tickers skip numbers all the time; Advanced
Trade "sequence_num" counts every message on the connection, heartbeats and subscriptions
included, which feedwatch does not check (it checks data only), so each heartbeat would read
as a lost message. Either would report gaps that are not losses.
Not confirmed: whether Advanced Trade still wants product_ids on the heartbeats subscribe
(older pages show them, newer ones say none are needed; they are sent), and that one
market_trades message only ever holds one product's trades (channels are tracked by the
first trade's product_id, so each symbol is its own channel).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from feedwatch.config.presets.wire import compact

EXCHANGE_DOCS = "https://docs.cdp.coinbase.com/exchange/websocket-feed"
ADVANCED_DOCS = (
    "https://docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/websocket/websocket-channels"
)
EXCHANGE_URL = "wss://ws-feed.exchange.coinbase.com"
ADVANCED_URL = "wss://advanced-trade-ws.coinbase.com"


def exchange(symbols: Sequence[str]) -> dict[str, Any]:
    """Exchange ticker per product ("BTC-USD"), with the per-product heartbeat channel."""
    products = [symbol.upper() for symbol in symbols]
    request = {"type": "subscribe", "product_ids": products, "channels": ["heartbeat", "ticker"]}
    return {
        "url": EXCHANGE_URL,
        "subscribe": compact(request),
        "channel_key": "product_id",
        "channels": products,
        "event_time": "time",
        "event_time_unit": "iso8601",
        "heartbeat": {"json": {"type": "heartbeat"}},
        "ignore": {"json": {"type": "subscriptions"}},
    }


def advanced(symbols: Sequence[str]) -> dict[str, Any]:
    """Advanced Trade market_trades per product, kept open by the heartbeats channel."""
    products = [symbol.upper() for symbol in symbols]
    return {
        "url": ADVANCED_URL,
        "subscribe": [
            compact({"type": "subscribe", "product_ids": products, "channel": channel})
            for channel in ("market_trades", "heartbeats")
        ],
        "channel_key": "events.0.trades.0.product_id",
        "channels": products,
        "event_time": "timestamp",
        "event_time_unit": "iso8601",
        "heartbeat": {"json": {"channel": "heartbeats"}},
        "ignore": {"json": {"channel": "subscriptions"}},
    }
