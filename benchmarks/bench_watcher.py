"""In-process API benchmark: what ``watcher.watch()`` costs a consumer per message, as the
rate of a wrapped ``websockets`` loop against the same bare loop in the same run.

The flood server (``tests.rigs.flood``) runs in its own process and writes pre-encoded
frames straight to the socket, so it outruns the client and the figure measures the
consumer's side only. Rounds alternate (bare, wrapped, bare, wrapped...) and the medians
are compared, so drift on a noisy machine hits both alike. Each rate is given per second
of wall time and per second of the consumer process's CPU time: on a loaded machine the
wall rate swings with what else runs, the CPU rate is the consumer's own cost. Target: the
wrapped loop sustains at least 0.9x the bare loop's rate.

    python benchmarks/bench_watcher.py [--seconds 3] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import NamedTuple

from websockets.asyncio.client import connect

from feedwatch import Watcher

# The flood server is a test rig (tests/rigs/), not installed with feedwatch.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.rigs.flood import start_flood_server

BARE = "bare websockets loop"
WRAPPED = "watcher.watch() around it"
WRAPPED_HB = "watcher.watch(), heartbeat rule"


class Rate(NamedTuple):
    wall: float  # messages per second
    cpu: float  # messages per CPU second of the consumer's process (the server has its own)


async def count_for(messages: AsyncIterator[object], seconds: float) -> Rate:
    """Messages per second over ``seconds``, after half a second of warm-up: per second of
    wall time, and per second of this process's CPU time."""
    count = 0
    warm_until = time.monotonic() + 0.5
    async for _ in messages:
        if time.monotonic() >= warm_until:
            break
    start, cpu = time.monotonic(), time.process_time()
    end = start + seconds
    async for _ in messages:
        count += 1
        if count & 1023 == 0 and time.monotonic() >= end:
            break
    return Rate(count / (time.monotonic() - start), count / (time.process_time() - cpu))


async def bare(url: str, seconds: float) -> Rate:
    """The reference: the simplest correct websockets consumer."""
    async with connect(url, compression=None, max_size=None, close_timeout=0.1) as ws:
        return await count_for(aiter(ws), seconds)


async def wrapped(url: str, seconds: float, feed: dict[str, object]) -> Rate:
    """The same consumer, its loop wrapped by an in-process feed (runtime running)."""
    watcher = Watcher(feeds=[feed], history={"enabled": False})
    async with watcher, connect(url, compression=None, max_size=None, close_timeout=0.1) as ws:
        rate = await count_for(watcher.watch("flood", ws), seconds)
        monitor = watcher._runtime.engine.worker("flood").monitor
        assert monitor.messages > 0, "the wrapped loop counted nothing"
        return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    feed: dict[str, object] = {"name": "flood", "transport": "in-process", "stale_after": "5s"}
    heartbeat = {**feed, "heartbeat": {"contains": '"event":"heartbeat"'}}
    url, server = start_flood_server()
    clients: dict[str, Callable[[], Awaitable[Rate]]] = {
        BARE: partial(bare, url, args.seconds),
        WRAPPED: partial(wrapped, url, args.seconds, feed),
        WRAPPED_HB: partial(wrapped, url, args.seconds, heartbeat),
    }
    rates: dict[str, list[Rate]] = {name: [] for name in clients}

    async def run() -> None:
        for _ in range(args.rounds):
            for name, client in clients.items():
                rates[name].append(await client())

    try:
        asyncio.run(run())
    finally:
        server.terminate()
    wall = statistics.median(r.wall for r in rates[BARE])
    cpu = statistics.median(r.cpu for r in rates[BARE])
    print(f"{'consumer loop':<34} {'msgs/s':>9} {'ratio':>6} {'msgs/CPU-s':>11} {'ratio':>6}")
    for name, values in rates.items():
        w = statistics.median(r.wall for r in values)
        c = statistics.median(r.cpu for r in values)
        print(f"{name:<34} {w:>9,.0f} {w / wall:>6.2f} {c:>11,.0f} {c / cpu:>6.2f}")


if __name__ == "__main__":
    main()
