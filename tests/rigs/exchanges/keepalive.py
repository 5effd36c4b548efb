"""The rule several exchanges enforce: no client ping within a window, and the socket closes."""

from __future__ import annotations

import asyncio

from feedwatch.demo.session import Session

NO_PING = 4000


async def expect_pings(session: Session, pinged: asyncio.Event, timeout: float) -> None:
    """Close the connection the first time `timeout` passes without a ping."""
    while True:
        try:
            await asyncio.wait_for(pinged.wait(), timeout)
        except TimeoutError:
            session.end(NO_PING, "no ping")
            return
        pinged.clear()
