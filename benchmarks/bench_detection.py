"""Detection-latency benchmark: stale-event time minus the deadline, over many stalls,
for the engine and for a naive loop that polls every threshold, in the same run.

A simulated feed streams for 0.3 s and then stalls for 0.5 s, over and over,
with the socket open. Both watchers use a 0.2 s threshold. The deadline of a
stall is the receive time of its last data message plus the threshold.

    python benchmarks/bench_detection.py [--stalls 60]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from websockets.asyncio.client import connect

from feedwatch.config.model import Config, FeedConfig
from feedwatch.demo.behaviours import Ticker
from feedwatch.demo.simulator import Simulator
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import Event, EventKind
from feedwatch.engine.stats import percentile

THRESHOLD = 0.2


async def naive_poller(url: str, stalls: int) -> list[float]:
    """The loop the engine replaces: wake every threshold and compare ages."""
    lateness: list[float] = []
    last_data = time.monotonic()
    stale = False
    async with connect(url) as ws:

        async def read() -> None:
            nonlocal last_data, stale
            async for _ in ws:
                last_data = time.monotonic()
                stale = False

        reader = asyncio.create_task(read())
        try:
            while len(lateness) < stalls:
                await asyncio.sleep(THRESHOLD)
                now = time.monotonic()
                if not stale and now - last_data > THRESHOLD:
                    stale = True
                    lateness.append(now - (last_data + THRESHOLD))
        finally:
            reader.cancel()
    return lateness


async def engine_watch(url: str, stalls: int) -> list[float]:
    feed = FeedConfig(name="stalls", url=url, stale_after=THRESHOLD, reconnect_on_stale=False)
    engine = Engine(Config(feeds=(feed,)))
    lateness: list[float] = []
    done = asyncio.Event()

    def on_event(event: Event) -> None:
        if event.kind is EventKind.STALE and event.age_seconds is not None:
            lateness.append(event.age_seconds - THRESHOLD)
            if len(lateness) >= stalls:
                done.set()

    engine.bus.subscribe(on_event)
    await engine.start()
    try:
        await done.wait()
    finally:
        await engine.stop()
    return lateness


def describe(name: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    return (
        f"{name:<28} n={len(ms):<4} p50={percentile(ms, 50):7.2f} ms  "
        f"p90={percentile(ms, 90):7.2f} ms  p99={percentile(ms, 99):7.2f} ms  "
        f"max={ms[-1]:7.2f} ms  mean={statistics.fmean(ms):7.2f} ms"
    )


async def run(stalls: int) -> None:
    async with Simulator(seed=11) as sim:
        sim.add(
            "/stalls",
            Ticker(rate=50, require_subscribe=False, stall_every=0.3, stall_for=0.5),
        )
        url = sim.url("/stalls")
        engine, naive = await asyncio.gather(engine_watch(url, stalls), naive_poller(url, stalls))
    print(f"stale-event time minus deadline, threshold {THRESHOLD * 1000:.0f} ms:")
    print(describe("feedwatch engine (deadline)", engine))
    print(describe("naive poll every threshold", naive))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stalls", type=int, default=60)
    args = parser.parse_args()
    asyncio.run(run(args.stalls))


if __name__ == "__main__":
    main()
