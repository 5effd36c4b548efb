"""Bitfinex v2 public: an info greeting, a chanId per subscribe, [chanId,"hb"], and 20051.

Shapes from https://docs.bitfinex.com/docs/ws-general (and ws-public-trades).
"""

from __future__ import annotations

import asyncio
import itertools
import json

from feedwatch.demo.session import Behaviour, Listener, Session
from feedwatch.demo.tape import compact
from tests.rigs.exchanges.turns import every, in_turn

GREETING = {"event": "info", "version": 2, "serverId": "sim", "platform": {"status": 1}}
RESTART = {
    "event": "info",
    "code": 20051,
    "msg": "Stop/Restart Websocket Server (please reconnect)",
}
FIRST_CHANNEL = 17


class BitfinexPublic(Behaviour):
    """Trades as [chanId,"te",[ID,MTS,AMOUNT,PRICE]]; [chanId,"hb"] every `heartbeat_every` s.

    ``restart_after`` sends the 20051 restart notice that long after connecting, then closes.
    """

    def __init__(
        self, rate: float = 20.0, heartbeat_every: float = 15.0, restart_after: float | None = None
    ) -> None:
        self.rate = rate
        self.heartbeat_every = heartbeat_every
        self.restart_after = restart_after

    def start(self, session: Session) -> Listener:
        chan_ids: list[int] = []
        subscribed = asyncio.Event()
        ids = itertools.count(1)
        session.spawn(session.send(compact(GREETING)))
        if self.restart_after is not None:
            session.spawn(self._restart(session, self.restart_after))

        def trade(chan_id: int, ms: int) -> str:
            return compact([chan_id, "te", [next(ids), ms, 0.01, 64000.1]])

        async def heartbeat() -> None:
            for chan_id in chan_ids:
                await session.send(compact([chan_id, "hb"]))

        async def listen(text: str) -> None:
            session.stats.subscribes.append(text)
            request = json.loads(text)
            if request.get("event") != "subscribe":
                return
            chan_id = FIRST_CHANNEL + len(chan_ids)
            symbol = request.get("symbol", "")
            ack = {"event": "subscribed", "channel": request.get("channel"), "chanId": chan_id}
            ack.update({"symbol": symbol, "pair": symbol[1:]})
            await session.send(compact(ack))
            await session.send(compact([chan_id, []]))  # the (empty) snapshot
            chan_ids.append(chan_id)
            subscribed.set()

        session.spawn(in_turn(session, self.rate, chan_ids, subscribed, trade))
        session.spawn(every(self.heartbeat_every, heartbeat))
        return listen

    async def _restart(self, session: Session, after: float) -> None:
        await asyncio.sleep(after)
        await session.send(compact(RESTART))
        session.end(1001, "server restart")
