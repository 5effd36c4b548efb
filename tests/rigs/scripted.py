"""Data from a script: message ``n`` of each connection is ``script(n, wall_ms)``, at a rate.

For tests that need an exchange's exact shape and exact ids (a gap at message 20, two symbols
interleaved) rather than a behaviour's randomness.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from feedwatch.demo.behaviours import paced, recorder
from feedwatch.demo.session import Behaviour, Listener, Session

Script = Callable[[int, int], str]


class Scripted(Behaviour):
    """Sends ``script(0, ms)``, ``script(1, ms)``, ... on each connection, ``rate`` a second."""

    def __init__(self, rate: float, script: Script) -> None:
        if rate <= 0:
            raise ValueError("rate must be > 0")
        self.rate = rate
        self.script = script

    def start(self, session: Session) -> Listener:
        session.spawn(self._stream(session))
        return recorder(session)

    async def _stream(self, session: Session) -> None:
        counter = itertools.count()

        async def emit() -> None:
            await session.send(self.script(next(counter), session.wall_ms()), data=True)

        await paced(session, lambda: 1.0 / self.rate, emit)
