"""Coinbase: the Exchange feed (ticker + heartbeat channels) and Advanced Trade (market_trades).

Shapes from https://docs.cdp.coinbase.com/exchange/websocket-feed and
https://docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/websocket/websocket-channels.
"""

from __future__ import annotations

import asyncio
import itertools
import json

from feedwatch.demo.session import Behaviour, Listener, Session
from feedwatch.demo.tape import compact
from tests.rigs.exchanges.stamps import iso
from tests.rigs.exchanges.turns import every, in_turn

NO_SUBSCRIBE = 4002


async def _expect_subscribe(session: Session, subscribed: asyncio.Event, within: float) -> None:
    """Coinbase disconnects a client that has not subscribed within 5 s."""
    try:
        await asyncio.wait_for(subscribed.wait(), within)
    except TimeoutError:
        session.end(NO_SUBSCRIBE, "no subscribe")


class CoinbaseExchange(Behaviour):
    """Tickers per subscribed product, and a heartbeat per product every `heartbeat_every` s."""

    def __init__(
        self, rate: float = 20.0, heartbeat_every: float = 1.0, subscribe_within: float = 5.0
    ) -> None:
        self.rate = rate
        self.heartbeat_every = heartbeat_every
        self.subscribe_within = subscribe_within

    def start(self, session: Session) -> Listener:
        products: list[str] = []
        beating: list[str] = []
        subscribed = asyncio.Event()
        sequence = itertools.count(1000)
        session.spawn(_expect_subscribe(session, subscribed, self.subscribe_within))

        def ticker(product: str, ms: int) -> str:
            message = {"type": "ticker", "sequence": next(sequence), "product_id": product}
            message.update({"price": "64000.10", "last_size": "0.01", "time": iso(ms)})
            return compact(message)

        async def heartbeat() -> None:
            for product in beating:
                message = {"type": "heartbeat", "sequence": next(sequence), "last_trade_id": 1}
                message.update({"product_id": product, "time": iso(session.wall_ms())})
                await session.send(compact(message))

        async def listen(text: str) -> None:
            session.stats.subscribes.append(text)
            request = json.loads(text)
            if request.get("type") != "subscribe":
                return
            channels = request.get("channels", [])
            if "ticker" in channels:
                products.extend(request.get("product_ids", []))
            if "heartbeat" in channels:
                beating.extend(request.get("product_ids", []))
            listed = [{"name": name, "product_ids": products} for name in channels]
            await session.send(compact({"type": "subscriptions", "channels": listed}))
            if products:
                subscribed.set()

        session.spawn(in_turn(session, self.rate, products, subscribed, ticker))
        session.spawn(every(self.heartbeat_every, heartbeat))
        return listen


class CoinbaseAdvanced(Behaviour):
    """market_trades per product; "heartbeats" each `heartbeat_every` s once subscribed to.

    Every message carries the connection's own sequence_num, heartbeats included. Without a
    heartbeats subscription the server closes after `quiet_close` s, as Coinbase warns.
    """

    def __init__(
        self, rate: float = 20.0, heartbeat_every: float = 1.0, quiet_close: float = 60.0
    ) -> None:
        self.rate = rate
        self.heartbeat_every = heartbeat_every
        self.quiet_close = quiet_close

    def start(self, session: Session) -> Listener:
        products: list[str] = []
        subscribed = asyncio.Event()
        heartbeats = asyncio.Event()
        sequence = itertools.count(0)
        counter = itertools.count(1)

        def envelope(channel: str, ms: int, events: list[dict[str, object]]) -> str:
            message: dict[str, object] = {"channel": channel, "client_id": "", "timestamp": iso(ms)}
            message.update({"sequence_num": next(sequence), "events": events})
            return compact(message)

        def trade(product: str, ms: int) -> str:
            fill = {"trade_id": str(next(counter)), "product_id": product, "price": "64000.1"}
            fill.update({"size": "0.01", "side": "BUY", "time": iso(ms)})
            return envelope("market_trades", ms, [{"type": "update", "trades": [fill]}])

        async def heartbeat() -> None:
            if heartbeats.is_set():
                ms = session.wall_ms()
                beat = {"current_time": iso(ms), "heartbeat_counter": next(counter)}
                await session.send(envelope("heartbeats", ms, [beat]))

        async def listen(text: str) -> None:
            session.stats.subscribes.append(text)
            request = json.loads(text)
            if request.get("type") != "subscribe":
                return
            channel = request.get("channel")
            if channel == "heartbeats":
                heartbeats.set()
            elif channel == "market_trades":
                products.extend(request.get("product_ids", []))
                subscribed.set()
            listed = {channel: request.get("product_ids", [])}
            await session.send(envelope("subscriptions", session.wall_ms(), [listed]))

        async def close_if_quiet() -> None:
            try:
                await asyncio.wait_for(heartbeats.wait(), self.quiet_close)
            except TimeoutError:
                session.end(1000, "subscription closed: no updates")

        session.spawn(in_turn(session, self.rate, products, subscribed, trade))
        session.spawn(every(self.heartbeat_every, heartbeat))
        session.spawn(close_if_quiet())
        return listen
