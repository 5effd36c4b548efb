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
SEQ_ALL = 65536


class BitfinexPublic(Behaviour):
    """Trades as [chanId,"te",[ID,MTS,AMOUNT,PRICE]]; [chanId,"hb"] every `heartbeat_every` s.

    ``restart_after`` sends the 20051 restart notice that long after connecting, then closes.
    ``seq_all`` honours {"event":"conf","flags":65536}: once asked, every channel message and
    heartbeat ends with the connection's next sequence number. ``snapshot_pause`` is how long
    the snapshot (a real one, two trades) follows each "subscribed" ack, about 1 s live.
    """

    def __init__(
        self,
        rate: float = 20.0,
        heartbeat_every: float = 15.0,
        restart_after: float | None = None,
        *,
        seq_all: bool = False,
        snapshot_pause: float = 0.0,
    ) -> None:
        self.rate = rate
        self.heartbeat_every = heartbeat_every
        self.restart_after = restart_after
        self.seq_all = seq_all
        self.snapshot_pause = snapshot_pause

    def start(self, session: Session) -> Listener:
        chan_ids: list[int] = []
        subscribed = asyncio.Event()
        ids = itertools.count(1)
        numbers = itertools.count(FIRST_CHANNEL)
        numbering: list[itertools.count[int]] = []  # set once SEQ_ALL is asked for
        session.spawn(session.send(compact(GREETING)))
        if self.restart_after is not None:
            session.spawn(self._restart(session, self.restart_after))

        def numbered(message: list[object]) -> str:
            return compact([*message, next(numbering[0])] if numbering else message)

        def trade(chan_id: int, ms: int) -> str:
            return numbered([chan_id, "te", [next(ids), ms, 0.01, 64000.1]])

        async def heartbeat() -> None:
            for chan_id in chan_ids:
                await session.send(numbered([chan_id, "hb"]))

        async def snapshot(chan_id: int) -> None:
            await asyncio.sleep(self.snapshot_pause)
            ms = session.wall_ms()
            trades = [[next(ids), ms - 1500, 0.02, 64000.0], [next(ids), ms - 3000, -0.5, 63999.9]]
            await session.send(numbered([chan_id, trades]), data=True)
            chan_ids.append(chan_id)
            subscribed.set()

        async def listen(text: str) -> None:
            session.stats.subscribes.append(text)
            request = json.loads(text)
            if request.get("event") == "conf" and self.seq_all:
                if request.get("flags", 0) & SEQ_ALL and not numbering:
                    numbering.append(itertools.count(1))
                ack = {"event": "conf", "status": "OK", "flags": request.get("flags", 0)}
                await session.send(compact(ack))
                return
            if request.get("event") != "subscribe":
                return
            chan_id = next(numbers)
            symbol = request.get("symbol", "")
            ack = {"event": "subscribed", "channel": request.get("channel"), "chanId": chan_id}
            ack.update({"symbol": symbol, "pair": symbol[1:]})
            await session.send(compact(ack))
            session.spawn(snapshot(chan_id))

        session.spawn(in_turn(session, self.rate, chan_ids, subscribed, trade))
        session.spawn(every(self.heartbeat_every, heartbeat))
        return listen

    async def _restart(self, session: Session, after: float) -> None:
        await asyncio.sleep(after)
        await session.send(compact(RESTART))
        session.end(1001, "server restart")
