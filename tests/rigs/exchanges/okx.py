"""OKX v5 public: op=subscribe args, arg-stamped trades, the text "ping", and 64008 notices.

Shapes from https://www.okx.com/docs-v5/en/#overview-websocket.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

from feedwatch.demo.behaviours import paced
from feedwatch.demo.session import Behaviour, Listener, Session
from feedwatch.demo.tape import compact
from tests.rigs.exchanges.keepalive import expect_pings

UPGRADE_NOTICE = {
    "event": "notice",
    "code": "64008",
    "msg": "The connection will soon be closed for a service upgrade. Please reconnect.",
    "connId": "sim",
}


class OkxPublic(Behaviour):
    """Trades per subscribed arg; closes unless "ping" arrives every `ping_timeout` seconds.

    ``notice_after`` sends the 64008 service-upgrade notice that long after connecting, then
    closes, as OKX does before an upgrade.
    """

    def __init__(
        self, rate: float = 20.0, ping_timeout: float = 30.0, notice_after: float | None = None
    ) -> None:
        self.rate = rate
        self.ping_timeout = ping_timeout
        self.notice_after = notice_after

    def start(self, session: Session) -> Listener:
        args: list[dict[str, Any]] = []
        subscribed = asyncio.Event()
        pinged = asyncio.Event()
        session.spawn(self._stream(session, args, subscribed))
        session.spawn(expect_pings(session, pinged, self.ping_timeout))
        if self.notice_after is not None:
            session.spawn(self._notice(session, self.notice_after))

        async def listen(text: str) -> None:
            if text == "ping":
                session.stats.app_pings += 1
                pinged.set()
                await session.send("pong")
                return
            session.stats.subscribes.append(text)
            request = json.loads(text)
            if request.get("op") == "subscribe":
                for arg in request.get("args", []):
                    args.append(arg)
                    await session.send(compact({"event": "subscribe", "arg": arg, "connId": "sim"}))
                subscribed.set()

        return listen

    async def _stream(
        self, session: Session, args: list[dict[str, Any]], subscribed: asyncio.Event
    ) -> None:
        await subscribed.wait()
        turns = itertools.cycle(args)
        ids = itertools.count(1)

        async def emit() -> None:
            arg = next(turns)
            ms = str(session.wall_ms())
            trade = {"instId": arg["instId"], "tradeId": str(next(ids)), "px": "64000.1"}
            trade.update({"sz": "0.01", "side": "buy", "ts": ms})
            await session.send(compact({"arg": arg, "data": [trade]}), data=True)

        await paced(session, lambda: 1.0 / self.rate, emit)

    async def _notice(self, session: Session, after: float) -> None:
        await asyncio.sleep(after)
        await session.send(compact(UPGRADE_NOTICE))
        session.end(1001, "service upgrade")
