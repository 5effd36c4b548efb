"""Flood isolation benchmark: does one feed at 100k messages/s delay the staleness
detection of the others?

Five feeds stream for 0.3 s and stall for 0.5 s, over and over, with a 0.2 s threshold
(a simulator on its own thread). Their detection lateness (stale-event age minus the
threshold) is measured twice in the same run: alone (the reference), then beside a
sixth feed that a server in another process floods at ``--rate`` messages/s. The flooded
feed's own intake is reported too, against the rate offered.

    python benchmarks/bench_flood.py [--rate 100000] [--seconds 10] [--json-rule]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from feedwatch.config.model import Config, FeedConfig, MatcherSpec
from feedwatch.demo.background import BackgroundSimulator
from feedwatch.demo.behaviours import Ticker
from feedwatch.demo.simulator import Simulator
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import Event, EventKind
from feedwatch.engine.stats import percentile

# The flood server is a test rig (tests/rigs/), not installed with feedwatch: a benchmark run
# as `python benchmarks/...` from the checkout reaches it from the checkout's root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.rigs.flood import start_flood_server

THRESHOLD = 0.2
STALLING = 5


@dataclass
class Phase:
    lateness: list[float] = field(default_factory=list)
    flood_rate: float = 0.0
    loop_lag: list[float] = field(default_factory=list)


def stalling_feeds(sim: Simulator) -> list[FeedConfig]:
    return [
        FeedConfig(
            name=f"stall{i}",
            url=sim.url(f"/stall{i}"),
            stale_after=THRESHOLD,
            reconnect_on_stale=False,
        )
        for i in range(STALLING)
    ]


def flood_feed(url: str, json_rule: bool) -> FeedConfig:
    if json_rule:  # one JSON parse per message: the costlier classification
        return FeedConfig(name="flood", url=url, stale_after=5.0, channel_key="stream")
    heartbeat = MatcherSpec(contains=('"e":"heartbeat"',))
    return FeedConfig(name="flood", url=url, stale_after=5.0, heartbeat=heartbeat)


async def _lag_probe(samples: list[float], every: float = 0.05) -> None:
    loop = asyncio.get_running_loop()
    while True:
        planned = loop.time() + every
        await asyncio.sleep(every)
        samples.append(loop.time() - planned)


async def measure(feeds: list[FeedConfig], seconds: float) -> Phase:
    phase = Phase()
    engine = Engine(Config(feeds=tuple(feeds)))

    def on_event(event: Event) -> None:
        if event.kind is EventKind.STALE and event.channel is None and event.feed != "flood":
            assert event.age_seconds is not None
            phase.lateness.append(event.age_seconds - THRESHOLD)

    engine.bus.subscribe(on_event)
    await engine.start()
    probe = asyncio.create_task(_lag_probe(phase.loop_lag))
    try:
        await asyncio.sleep(1.0)  # connected and warm
        phase.lateness.clear()
        phase.loop_lag.clear()
        flood = engine.worker("flood").monitor if any(f.name == "flood" for f in feeds) else None
        before, start = (flood.messages if flood else 0), time.monotonic()
        await asyncio.sleep(seconds)
        if flood is not None:
            phase.flood_rate = (flood.messages - before) / (time.monotonic() - start)
    finally:
        probe.cancel()
        await engine.stop()
    return phase


def describe(name: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    if not ms:
        return f"{name:<34} no samples"
    return (
        f"{name:<34} n={len(ms):<4} p50={percentile(ms, 50):7.2f} ms  "
        f"p99={percentile(ms, 99):7.2f} ms  max={ms[-1]:7.2f} ms"
    )


async def run(rate: float, seconds: float, json_rule: bool) -> None:
    sim = Simulator(seed=5)
    for i in range(STALLING):
        sim.add(
            f"/stall{i}",
            Ticker(rate=20, require_subscribe=False, stall_every=0.3, stall_for=0.5),
        )
    background = BackgroundSimulator(sim)
    background.start()
    url, server = start_flood_server(rate)
    try:
        alone = await measure(stalling_feeds(sim), seconds)
        flooded = await measure([*stalling_feeds(sim), flood_feed(url, json_rule)], seconds)
    finally:
        server.terminate()
        server.join()
        background.stop()
    rule = "channel_key (JSON parse)" if json_rule else "heartbeat rule (no parse)"
    print(f"{STALLING} stalling feeds, threshold {THRESHOLD * 1000:.0f} ms; flood {rate:,.0f}/s")
    print(f"flooded feed classified by {rule}")
    print("stale-event age minus threshold:")
    print(describe("alone (reference)", alone.lateness))
    print(describe("beside the flood", flooded.lateness))
    print("event-loop lag (50 ms probe):")
    print(describe("alone (reference)", alone.loop_lag))
    print(describe("beside the flood", flooded.loop_lag))
    p99_alone = percentile(sorted(alone.lateness), 99)
    p99_flood = percentile(sorted(flooded.lateness), 99)
    print(
        f"flood intake {flooded.flood_rate:,.0f} msg/s of {rate:,.0f} offered "
        f"(ratio {flooded.flood_rate / rate:.2f}); p99 lateness "
        f"{p99_flood * 1000:.2f} ms vs {p99_alone * 1000:.2f} ms alone "
        f"(+{(p99_flood - p99_alone) * 1000:.2f} ms, {p99_flood / THRESHOLD:.1%} of the threshold)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=100_000.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json-rule", action="store_true", help="classify the flood by JSON")
    args = parser.parse_args()
    asyncio.run(run(args.rate, args.seconds, args.json_rule))


if __name__ == "__main__":
    main()
