"""Bybit v5 public: op=subscribe topics, topic-stamped trades, and op=ping or a closed socket.

Shapes from https://bybit-exchange.github.io/docs/v5/ws/connect (spot pongs carry
"ret_msg":"pong"; linear ones "op":"pong").
"""

from __future__ import annotations

import asyncio
import itertools
import json

from feedwatch.demo.behaviours import paced
from feedwatch.demo.session import Behaviour, Listener, Session
from feedwatch.demo.tape import compact
from tests.rigs.exchanges.keepalive import expect_pings


class BybitPublic(Behaviour):
    """Streams publicTrade topics once subscribed; closes unless pinged every `ping_timeout`."""

    def __init__(self, rate: float = 20.0, ping_timeout: float = 20.0) -> None:
        self.rate = rate
        self.ping_timeout = ping_timeout

    def start(self, session: Session) -> Listener:
        topics: list[str] = []
        subscribed = asyncio.Event()
        pinged = asyncio.Event()
        session.spawn(self._stream(session, topics, subscribed))
        session.spawn(expect_pings(session, pinged, self.ping_timeout))

        async def listen(text: str) -> None:
            request = json.loads(text)
            if request.get("op") == "ping":
                session.stats.app_pings += 1
                pinged.set()
                reply = {"success": True, "ret_msg": "pong", "conn_id": "sim", "op": "ping"}
                await session.send(compact(reply))
                return
            session.stats.subscribes.append(text)
            if request.get("op") == "subscribe":
                topics.extend(request.get("args", []))
                ack = {"success": True, "ret_msg": "", "conn_id": "sim", "op": "subscribe"}
                await session.send(compact(ack))
                subscribed.set()

        return listen

    async def _stream(self, session: Session, topics: list[str], subscribed: asyncio.Event) -> None:
        await subscribed.wait()
        turns = itertools.cycle(topics)
        ids = itertools.count(1)

        async def emit() -> None:
            topic = next(turns)
            ms = session.wall_ms()
            trade = {"T": ms, "s": topic.partition(".")[2], "S": "Buy", "v": "0.01"}
            trade.update({"p": "64000.10", "i": str(next(ids)), "BT": False})
            message = {"topic": topic, "type": "snapshot", "ts": ms, "data": [trade]}
            await session.send(compact(message), data=True)

        await paced(session, lambda: 1.0 / self.rate, emit)
