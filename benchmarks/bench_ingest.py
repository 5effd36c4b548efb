"""Ingest benchmark: messages/s the engine sustains on one flooding feed, as a ratio
against a bare ``websockets`` client reading the same server in the same run.

The flood server (``tests.rigs.flood``) runs in its own process and writes
pre-encoded frames straight to the socket, so it outruns any Python client and the
figure measures the client side only. Runs alternate (bare, engine, bare, engine...) and the
medians are compared, so drift on a noisy machine hits both sides alike.

    python benchmarks/bench_ingest.py [--seconds 3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

from websockets.asyncio.client import connect

from feedwatch.config.model import Config, FeedConfig, MatcherSpec
from feedwatch.engine.engine import Engine

# The flood server is a test rig (tests/rigs/), not installed with feedwatch: a benchmark run
# as `python benchmarks/...` from the checkout reaches it from the checkout's root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.rigs.flood import start_flood_server

# Adds a consumer to an engine before it starts; returns what removes it after it stops.
Attach = Callable[[Engine], Callable[[], None]]
# One measurement: messages per second.
Client = Callable[[], Awaitable[float]]
BARE = "bare websockets client"


async def bare_client(url: str, seconds: float) -> float:
    """The reference: the simplest correct websockets reader."""
    async with connect(url, compression=None, max_size=None) as ws:
        count = 0
        warm_until = time.monotonic() + 0.5
        async for _ in ws:
            count += 1
            if time.monotonic() >= warm_until:
                break
        count = 0
        start = time.monotonic()
        end = start + seconds
        async for _ in ws:
            count += 1
            if count & 1023 == 0 and time.monotonic() >= end:
                break
        return count / (time.monotonic() - start)


async def engine_client(feed: FeedConfig, seconds: float, attach: Attach | None = None) -> float:
    """The engine on one feed; ``attach`` adds a consumer and returns its teardown."""
    engine = Engine(Config(feeds=(feed,)))
    detach = attach(engine) if attach is not None else None
    await engine.start()
    try:
        monitor = engine.worker(feed.name).monitor
        await asyncio.sleep(0.5)
        before, start = monitor.messages, time.monotonic()
        await asyncio.sleep(seconds)
        return (monitor.messages - before) / (time.monotonic() - start)
    finally:
        await engine.stop()
        if detach is not None:
            detach()


def flood_feed(url: str) -> FeedConfig:
    """The flooding feed with a heartbeat rule: classified without a JSON parse."""
    return FeedConfig(
        name="flood",
        url=url,
        stale_after=5.0,
        heartbeat=MatcherSpec(contains=('"event":"heartbeat"',)),
        protocol_ping_interval=None,
    )


def alternate(clients: dict[str, Client], rounds: int) -> dict[str, list[float]]:
    """Each client's rate once per round, in turn, so drift on the machine hits all alike."""
    rates: dict[str, list[float]] = {name: [] for name in clients}

    async def run() -> None:
        for _ in range(rounds):
            for name, client in clients.items():
                rates[name].append(await client())

    asyncio.run(run())
    return rates


def print_rates(rates: dict[str, list[float]], reference: str) -> None:
    """Each client's median rate, and its ratio to the reference's."""
    base = statistics.median(rates[reference])
    print(f"{'client':<52} {'msgs/s (median)':>16} {'ratio':>7}")
    for name, values in rates.items():
        med = statistics.median(values)
        print(f"{name:<52} {med:>16,.0f} {med / base:>7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    url, server = start_flood_server()
    plain = flood_feed(url)
    variants = {
        "engine (heartbeat rule, no JSON parse)": plain,
        "engine (channel_key: one JSON parse per message)": replace(plain, channel_key="stream"),
    }
    clients: dict[str, Client] = {BARE: partial(bare_client, url, args.seconds)}
    clients.update({name: partial(engine_client, f, args.seconds) for name, f in variants.items()})
    try:
        rates = alternate(clients, args.rounds)
    finally:
        server.terminate()
    print_rates(rates, BARE)


if __name__ == "__main__":
    main()
