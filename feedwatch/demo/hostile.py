"""Feeds that mistreat the client: flapping, sending junk, or flooding it."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator

from feedwatch.demo.behaviours import paced, recorder, trades
from feedwatch.demo.session import Behaviour, Listener, Session, check_close
from feedwatch.demo.tape import TradeTape

_NOT_JSON = (
    "<html><body><h1>502 Bad Gateway</h1></body></html>",
    "undefined",
    "{'single': 'quotes'}",
    "}{",
)


class Flapper(Behaviour):
    """Accepts, streams a little, then hangs up after `up_for` s, every time: a storm source."""

    def __init__(
        self,
        up_for: float,
        data_rate: float = 5.0,
        *,
        code: int = 1011,
        reason: str = "upstream reset",
        abrupt: bool = False,
    ) -> None:
        if up_for <= 0 or data_rate <= 0:
            raise ValueError("up_for and data_rate must be > 0")
        check_close(code, reason)
        self.up_for = up_for
        self.data_rate = data_rate
        self.code = code
        self.reason = reason
        self.abrupt = abrupt

    def start(self, session: Session) -> Listener:
        session.spawn(trades(session, self.data_rate))
        session.spawn(self._hang_up(session))
        return recorder(session)

    async def _hang_up(self, session: Session) -> None:
        await asyncio.sleep(self.up_for)
        if self.abrupt:
            session.abort()
        else:
            session.end(self.code, self.reason)


class Garbage(Behaviour):
    """Interleaves valid trades with the junk real feeds emit, to prove the client survives.

    Each cycle sends, between valid trades: a binary frame of random bytes, a text frame
    that is not JSON, truncated JSON, JSON nested `depth` deep, an empty text frame and a
    bare JSON scalar. Options add invalid UTF-8 in a text frame (feedwatch reads frames as
    bytes and counts it as a bad frame; a client that decodes text would close with 1007)
    and, once after the first cycle, one frame of `oversized` bytes (a client with a
    smaller max_size closes with 1009).
    """

    def __init__(
        self,
        rate: float = 20.0,
        *,
        depth: int = 5000,
        oversized: int | None = None,
        invalid_utf8: bool = False,
    ) -> None:
        if rate <= 0 or depth < 1:
            raise ValueError("rate must be > 0 and depth >= 1")
        self.rate = rate
        self.depth = depth
        self.oversized = oversized
        self.invalid_utf8 = invalid_utf8

    def kinds(self) -> Iterator[str]:
        """The frame order: deterministic, so a test can tell which frame it is reading."""
        junk = ["binary", "not_json", "truncated", "deep", "empty", "scalar"]
        if self.invalid_utf8:
            junk.append("invalid_utf8")
        cycle = [kind for bad in junk for kind in ("data", bad)]
        yield from cycle
        if self.oversized is not None:
            yield "oversized"
        yield from itertools.cycle(cycle)

    def start(self, session: Session) -> Listener:
        session.spawn(self._stream(session))
        return recorder(session)

    async def _stream(self, session: Session) -> None:
        tape = TradeTape(session.rng)
        rng = session.rng
        kinds = self.kinds()

        def trade() -> str:
            return tape.next("btc").binance("btcusdt@trade", session.wall_ms())

        async def emit() -> None:
            kind = next(kinds)
            if kind == "data":
                await session.send(trade(), data=True)
            elif kind == "binary":
                await session.send(rng.randbytes(rng.randint(1, 64)))
            elif kind == "not_json":
                await session.send(rng.choice(_NOT_JSON))
            elif kind == "truncated":
                text = trade()
                await session.send(text[: rng.randint(1, len(text) - 2)])
            elif kind == "deep":
                await session.send("[" * self.depth + "]" * self.depth)
            elif kind == "empty":
                await session.send("")
            elif kind == "scalar":
                await session.send("42")
            elif kind == "invalid_utf8":
                await session.send(b'{"stream":"btcusdt@trade","p":"\xff\xfe"}', text=True)
            elif kind == "oversized":
                await session.send('{"stream":"blob","data":"' + "x" * (self.oversized or 0) + '"}')

        await paced(session, lambda: 1.0 / self.rate, emit)


class Flood(Behaviour):
    """Small trades as fast as the socket takes them, for ingest benchmarks.

    Sends `batch` messages, then yields to the event loop, so other connections and the
    server itself keep running; stops on close, or after `limit` messages if given.
    """

    def __init__(self, batch: int = 256, limit: int | None = None) -> None:
        if batch < 1 or (limit is not None and limit < 0):
            raise ValueError("batch must be >= 1 and limit >= 0")
        self.batch = batch
        self.limit = limit

    def start(self, session: Session) -> Listener:
        session.spawn(self._flood(session))
        return recorder(session)

    async def _flood(self, session: Session) -> None:
        tape = TradeTape(session.rng)
        # A ring of precomputed prices keeps the generator cheaper than the client under test.
        prices = [tape.next("btc").price for _ in range(1024)]
        seq = 0
        while self.limit is None or seq < self.limit:
            await session.until_data_flows()
            ms = session.wall_ms()
            count = self.batch if self.limit is None else min(self.batch, self.limit - seq)
            for _ in range(count):
                seq += 1
                price = prices[seq & 1023]
                await session.send(
                    f'{{"stream":"btcusdt@trade","data":{{"e":"trade","E":{ms},'
                    f'"s":"BTCUSDT","t":{seq},"p":"{price}","q":"0.01000"}}}}',
                    data=True,
                )
            await asyncio.sleep(0)
