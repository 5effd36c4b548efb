"""Kraken spot WebSocket v2 (JSON objects) and v1 (arrays): trades, heartbeats and ping/pong.

Shapes from https://docs.kraken.com/exchange/api-reference/spot-websocket-v2/trade (heartbeat,
ping, status) and https://docs.kraken.com/websockets/ (v1).
"""

from __future__ import annotations

import asyncio
import itertools
import json

from feedwatch.demo.session import Behaviour, Listener, Session
from feedwatch.demo.tape import compact
from tests.rigs.exchanges.stamps import iso
from tests.rigs.exchanges.turns import every, in_turn


class KrakenV2(Behaviour):
    """Trades per subscribed symbol, {"channel":"heartbeat"} every `heartbeat_every` s."""

    def __init__(self, rate: float = 20.0, heartbeat_every: float = 1.0) -> None:
        self.rate = rate
        self.heartbeat_every = heartbeat_every

    def start(self, session: Session) -> Listener:
        symbols: list[str] = []
        subscribed = asyncio.Event()
        ids = itertools.count(1)
        status = {"channel": "status", "type": "update", "data": [{"system": "online"}]}
        session.spawn(session.send(compact(status)))

        def trade(symbol: str, ms: int) -> str:
            fill = {"symbol": symbol, "side": "buy", "price": 64000.1, "qty": 0.01}
            fill.update({"ord_type": "limit", "trade_id": next(ids), "timestamp": iso(ms)})
            return compact({"channel": "trade", "type": "update", "data": [fill]})

        async def listen(text: str) -> None:
            request = json.loads(text)
            if request.get("method") == "ping":
                session.stats.app_pings += 1
                await session.send(compact({"method": "pong", "req_id": request.get("req_id")}))
                return
            session.stats.subscribes.append(text)
            if request.get("method") == "subscribe":
                params = request.get("params", {})
                for symbol in params.get("symbol", []):
                    symbols.append(symbol)
                    result = {"channel": params.get("channel"), "symbol": symbol}
                    ack = {"method": "subscribe", "result": result, "success": True}
                    await session.send(compact(ack))
                subscribed.set()

        session.spawn(in_turn(session, self.rate, symbols, subscribed, trade))
        session.spawn(
            every(self.heartbeat_every, lambda: session.send(compact({"channel": "heartbeat"})))
        )
        return listen


class KrakenV1(Behaviour):
    """Array trades [channelID, [[...]], "trade", pair]; {"event":"heartbeat"} when idle."""

    def __init__(self, rate: float = 20.0, heartbeat_every: float = 1.0) -> None:
        self.rate = rate
        self.heartbeat_every = heartbeat_every

    def start(self, session: Session) -> Listener:
        pairs: list[str] = []
        subscribed = asyncio.Event()
        status = {"event": "systemStatus", "connectionID": 1, "status": "online", "version": "1"}
        session.spawn(session.send(compact(status)))

        def trade(pair: str, ms: int) -> str:
            fill = ["64000.10000", "0.01000000", f"{ms / 1000:.6f}", "b", "l", ""]
            return compact([pairs.index(pair) + 100, [fill], "trade", pair])

        async def listen(text: str) -> None:
            request = json.loads(text)
            if request.get("event") == "ping":
                session.stats.app_pings += 1
                await session.send(compact({"event": "pong", "reqid": request.get("reqid")}))
                return
            session.stats.subscribes.append(text)
            if request.get("event") == "subscribe":
                for pair in request.get("pair", []):
                    pairs.append(pair)
                    ack = {"channelID": pairs.index(pair) + 100, "channelName": "trade"}
                    ack.update({"event": "subscriptionStatus", "pair": pair})
                    ack.update({"status": "subscribed", "subscription": {"name": "trade"}})
                    await session.send(compact(ack))
                subscribed.set()

        session.spawn(in_turn(session, self.rate, pairs, subscribed, trade))
        session.spawn(
            every(self.heartbeat_every, lambda: session.send(compact({"event": "heartbeat"})))
        )
        return listen
