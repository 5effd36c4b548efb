"""Deribit API v2: JSON-RPC requests, subscription notifications, and test_request challenges.

Shapes from https://docs.deribit.com/api-reference/session-management/public-set_heartbeat
(public/subscribe, public/test): once set_heartbeat is called the server sends heartbeats and
test_requests, and closes at once when a test_request goes unanswered.
"""

from __future__ import annotations

import asyncio
import itertools
import json

from feedwatch.demo.challenges import TEST_REQUEST
from feedwatch.demo.session import Behaviour, Listener, Session
from feedwatch.demo.tape import compact
from tests.rigs.exchanges.turns import every, in_turn

NO_TEST_REPLY = 4001
HEARTBEAT = compact({"jsonrpc": "2.0", "method": "heartbeat", "params": {"type": "heartbeat"}})


class DeribitV2(Behaviour):
    """Trades per subscribed channel; after set_heartbeat, a heartbeat and a test_request
    every `interval` s (the client's own interval is noted, not used, so tests stay fast).
    """

    def __init__(self, rate: float = 20.0, interval: float = 10.0, reply_within: float = 1.0):
        self.rate = rate
        self.interval = interval
        self.reply_within = reply_within

    def start(self, session: Session) -> Listener:
        channels: list[str] = []
        subscribed = asyncio.Event()
        beating = asyncio.Event()
        replied = asyncio.Event()
        seqs = itertools.count(1)

        def trade(channel: str, ms: int) -> str:
            fill: dict[str, object] = {"trade_seq": next(seqs), "timestamp": ms, "price": 64000.5}
            fill.update(
                {"amount": 10.0, "instrument_name": channel.split(".")[1], "direction": "buy"}
            )
            params = {"channel": channel, "data": [fill]}
            return compact({"jsonrpc": "2.0", "method": "subscription", "params": params})

        async def challenge() -> None:
            await beating.wait()
            await session.send(HEARTBEAT)
            replied.clear()
            await session.send(TEST_REQUEST)
            try:
                await asyncio.wait_for(replied.wait(), self.reply_within)
            except TimeoutError:
                session.end(NO_TEST_REPLY, "test_request unanswered")

        async def listen(text: str) -> None:
            request = json.loads(text)
            method, ident = request.get("method"), request.get("id")
            if method == "public/test":
                session.stats.replies += 1
                replied.set()
                await session.send(compact({"jsonrpc": "2.0", "id": ident, "result": {}}))
                return
            session.stats.subscribes.append(text)
            result: object = "ok"
            if method == "public/set_heartbeat":
                beating.set()
            elif method == "public/subscribe":
                channels.extend(request.get("params", {}).get("channels", []))
                result = channels
                subscribed.set()
            await session.send(compact({"jsonrpc": "2.0", "id": ident, "result": result}))

        session.spawn(in_turn(session, self.rate, channels, subscribed, trade))
        session.spawn(every(self.interval, challenge))
        return listen
