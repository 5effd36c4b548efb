"""A feed whose data keeps flowing while its content goes wrong: old, gappy, frozen, or
about to be shut down by a server that says so first."""

from __future__ import annotations

import asyncio
import itertools

from feedwatch.demo.behaviours import paced, recorder
from feedwatch.demo.session import Behaviour, Listener, Session
from feedwatch.demo.tape import TradeTape, compact

SHUTDOWN_NOTICE = compact({"e": "serverShutdown"})


class Degraded(Behaviour):
    """Trades as ``{"e":"trade","E":ms,"u":seq,"c":price}``, with faults on request.

    ``lag`` back-dates each ``E`` by that many seconds; ``skip_every`` makes every Nth
    message jump ``skip`` sequence numbers (counted per connection, starting at 1);
    ``freeze`` repeats the first price forever; ``shutdown_after`` sends a Binance-style
    ``serverShutdown`` notice that many seconds into each connection, then closes 1001.
    """

    def __init__(
        self,
        rate: float,
        *,
        lag: float = 0.0,
        skip_every: int | None = None,
        skip: int = 5,
        freeze: bool = False,
        shutdown_after: float | None = None,
    ) -> None:
        if rate <= 0 or lag < 0 or skip < 1 or (skip_every is not None and skip_every < 1):
            raise ValueError("rate > 0, lag >= 0, skip >= 1 and skip_every >= 1 required")
        if shutdown_after is not None and shutdown_after <= 0:
            raise ValueError("shutdown_after must be > 0")
        self.rate = rate
        self.lag = lag
        self.skip_every = skip_every
        self.skip = skip
        self.freeze = freeze
        self.shutdown_after = shutdown_after

    def start(self, session: Session) -> Listener:
        session.spawn(self._stream(session))
        if self.shutdown_after is not None:
            session.spawn(self._shut_down(session, self.shutdown_after))
        return recorder(session)

    async def _stream(self, session: Session) -> None:
        tape = TradeTape(session.rng)
        first = tape.next().price
        counter = itertools.count(1)
        seq = 0

        async def emit() -> None:
            nonlocal seq
            n = next(counter)
            seq += self.skip + 1 if self.skip_every and n % self.skip_every == 0 else 1
            price = first if self.freeze else tape.next().price
            when = session.wall_ms() - round(self.lag * 1000)
            message = compact({"e": "trade", "E": when, "u": seq, "c": price})
            await session.send(message, data=True)

        await paced(session, lambda: 1.0 / self.rate, emit)

    @staticmethod
    async def _shut_down(session: Session, after: float) -> None:
        await asyncio.sleep(after)
        await session.send(SHUTDOWN_NOTICE)
        await asyncio.sleep(0.05)
        session.end(1001, "server shutdown")
