"""Data in turns: each subscribed key gets the next message, at a steady rate, once subscribed."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import TypeVar

from feedwatch.demo.behaviours import paced
from feedwatch.demo.session import Session

Key = TypeVar("Key")


async def in_turn(
    session: Session,
    rate: float,
    keys: list[Key],
    subscribed: asyncio.Event,
    message: Callable[[Key, int], str],
) -> None:
    """Send `message(key, wall_ms)` for each key in turn; keys added later join the rotation."""
    await subscribed.wait()
    turn = itertools.count()

    async def emit() -> None:
        key = keys[next(turn) % len(keys)]
        await session.send(message(key, session.wall_ms()), data=True)

    await paced(session, lambda: 1.0 / rate, emit)


async def every(seconds: float, beat: Callable[[], Awaitable[None]]) -> None:
    """Run `beat` every `seconds`, whatever the data does, as real feeds keep their heartbeats."""
    while True:
        await asyncio.sleep(seconds)
        await beat()
