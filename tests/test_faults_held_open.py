"""A server that breaks the protocol and then holds TCP open (issue 16, point 18): the feed
is reported for what happened (1002 for an illegal frame, 1009 for a zip bomb over
max_size) within close_timeout, not "stale: no data" at its threshold. (That decompression
stops at max_size is websockets' own bound, and the 1009 says it was hit.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from websockets.asyncio.server import ServerConnection, serve

from feedwatch.engine.events import EventKind
from tests.live import Running, feed

Handler = Callable[[ServerConnection], Awaitable[None]]
HOLD = 4.0


def hold_open_after(payload: Callable[[ServerConnection], Awaitable[None]]) -> Handler:
    async def handler(connection: ServerConnection) -> None:
        await connection.send('{"stream":"btcusdt@trade","data":{"p":"64000"}}')
        await asyncio.sleep(0.2)
        await payload(connection)
        connection.transport.pause_reading()  # never reads feedwatch's close frame
        await asyncio.sleep(HOLD)  # and never closes TCP (past every bound the test sets)

    return handler


async def illegal_opcode(connection: ServerConnection) -> None:
    connection.transport.write(b"\x83\x00")  # FIN + reserved opcode 3, empty payload


async def zip_bomb(connection: ServerConnection) -> None:
    # 64 MB of zeros deflate to about 64 KB; feedwatch's max_size is 1 MiB.
    await connection.send(b"\x00" * (64 << 20))


async def broken_then_held(handler: Handler, max_size: int) -> tuple[dict[str, object], float]:
    async with serve(handler, "127.0.0.1", 0, max_size=None, close_timeout=0.2) as server:
        port = server.sockets[0].getsockname()[1]
        config = feed("held", f"ws://127.0.0.1:{port}/", stale_after=5.0, max_size=max_size)
        async with Running(config) as run:
            await run.rec.wait_kind(EventKind.CONNECTED, "held")
            started = time.monotonic()
            event = await run.rec.wait(
                lambda e: e.kind in (EventKind.DISCONNECTED, EventKind.STALE), timeout=10
            )
            took = time.monotonic() - started
        return {"kind": event.kind, "reason": event.reason, **event.fields}, took


async def test_an_illegal_frame_on_a_connection_held_open_is_reported_as_1002() -> None:
    event, took = await broken_then_held(hold_open_after(illegal_opcode), 1 << 20)
    assert event["kind"] is EventKind.DISCONNECTED, event
    assert event["code"] == 1002 and "invalid opcode" in str(event["reason"])
    assert took < 3.0  # close_timeout (2 s), not the 5 s threshold nor the 20 s ping


async def test_a_zip_bomb_on_a_connection_held_open_is_reported_as_1009() -> None:
    event, took = await broken_then_held(hold_open_after(zip_bomb), 1 << 20)
    assert event["kind"] is EventKind.DISCONNECTED, event
    assert event["code"] == 1009, event
    assert took < 3.0
