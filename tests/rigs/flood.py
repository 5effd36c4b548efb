"""A flood server in its own process: pre-encoded frames, as fast as the socket takes them
or paced to a rate, so the client, not the server, is what a benchmark or fault test loads.

Frames are written straight to the transport (no per-message library call), which lets
one Python process outrun any Python client, or hold a steady 100k messages/s.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import time
from multiprocessing.process import BaseProcess

from websockets.asyncio.server import ServerConnection, serve

MESSAGE = (
    b'{"stream":"btcusdt@trade","data":{"e":"trade","E":1732600000000,"s":"BTCUSDT",'
    b'"t":123456789,"p":"97312.45000000","q":"0.01200000"}}'
)
# Frames per write: a paced flood writes this many every BATCH / rate seconds.
BATCH = 1000
# Past this much unsent output, wait for the client to read (it is too slow for the rate).
_HIGH_WATER = 1 << 22


def frame(payload: bytes) -> bytes:
    """An unmasked server-to-client text frame (RFC 6455, section 5.2)."""
    if len(payload) < 126:
        return bytes([0x81, len(payload)]) + payload
    return bytes([0x81, 126]) + len(payload).to_bytes(2, "big") + payload


async def _flood(ws: ServerConnection, rate: float | None) -> None:
    transport = ws.transport
    blob = frame(MESSAGE) * BATCH
    period = BATCH / rate if rate else 0.0
    next_at = time.monotonic()
    try:
        while not transport.is_closing():
            if transport.get_write_buffer_size() > _HIGH_WATER:
                await asyncio.sleep(0.0005)
                continue
            transport.write(blob)
            if not period:
                await asyncio.sleep(0)
                continue
            # Keep to the schedule, not to the last write: the rate holds on average.
            next_at = max(next_at + period, time.monotonic() - 10 * period)
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    except (ConnectionError, RuntimeError):
        pass


def _serve(port_queue: mp.Queue, rate: float | None) -> None:  # type: ignore[type-arg]
    async def main() -> None:
        async def handler(ws: ServerConnection) -> None:
            await _flood(ws, rate)

        async with serve(handler, "127.0.0.1", 0, compression=None) as server:
            port_queue.put(server.sockets[0].getsockname()[1])
            await asyncio.Future()

    asyncio.run(main())


def start_flood_server(rate: float | None = None) -> tuple[str, BaseProcess]:
    """The flood server in its own process (``rate`` messages/s, or unpaced); its URL and
    the process to terminate."""
    spawn = mp.get_context("spawn")  # no forked copy of the caller's loop or threads
    queue: mp.Queue = spawn.Queue()  # type: ignore[type-arg]
    server = spawn.Process(target=_serve, args=(queue, rate), daemon=True)
    server.start()
    return f"ws://127.0.0.1:{queue.get(timeout=10)}/flood", server
