"""Binance combined streams: streams named in the URL, {"stream","data"} events, serverShutdown.

Shapes from https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams.
"""

from __future__ import annotations

import asyncio
import itertools
from urllib.parse import parse_qs, urlsplit

from feedwatch.demo.behaviours import paced, recorder
from feedwatch.demo.session import Behaviour, Listener, Session
from feedwatch.demo.tape import compact


class BinanceCombined(Behaviour):
    """Trades for every stream in ?streams=a/b, each symbol's id counting up from one.

    ``shutdown_after`` sends a serverShutdown event that long after connecting, then closes.
    """

    def __init__(self, rate: float = 20.0, shutdown_after: float | None = None) -> None:
        self.rate = rate
        self.shutdown_after = shutdown_after

    def start(self, session: Session) -> Listener:
        request = session.connection.request
        query = parse_qs(urlsplit(request.path).query) if request is not None else {}
        streams = [s for s in query.get("streams", [""])[0].split("/") if s]
        session.spawn(self._stream(session, streams))
        if self.shutdown_after is not None:
            session.spawn(self._shutdown(session, self.shutdown_after))
        return recorder(session)

    async def _stream(self, session: Session, streams: list[str]) -> None:
        turns = itertools.cycle(streams)
        ids = {stream: itertools.count(1) for stream in streams}

        async def emit() -> None:
            stream = next(turns)
            if stream in session.control.stalled_channels:
                return
            symbol, _, event = stream.partition("@")
            ms = session.wall_ms()
            number = "a" if event == "aggTrade" else "t"
            data = {"e": event, "E": ms, "s": symbol.upper(), number: next(ids[stream])}
            data.update({"p": "64000.10", "q": "0.010", "T": ms, "m": False})
            await session.send(compact({"stream": stream, "data": data}), data=True)

        if streams:
            await paced(session, lambda: 1.0 / self.rate, emit)

    async def _shutdown(self, session: Session, after: float) -> None:
        await asyncio.sleep(after)
        await session.send(compact({"e": "serverShutdown", "E": session.wall_ms()}))
        session.end(1001, "server shutdown")
