"""Dashboard benchmark: 200 feeds at 20 messages/s each, the TUI running headless
(Textual's run_test) at its configured refresh rate.

Reports CPU use of the process, the refresh rate achieved, key-to-screen latency
and RSS; and, as the reference measured in the same run, the CPU of the same
engine with no dashboard (headless mode).

    python benchmarks/bench_tui.py [--feeds 200] [--rate 20] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import resource
import statistics
import time

from textual import events
from websockets.asyncio.server import ServerConnection, serve

from feedwatch.config.model import Config, FeedConfig, MatcherSpec
from feedwatch.engine.engine import Engine
from feedwatch.tui.factory import build_app


def _serve(port_queue: mp.Queue, rate: float) -> None:  # type: ignore[type-arg]
    async def handler(ws: ServerConnection) -> None:
        interval = 1.0 / rate
        seq = 0
        next_at = asyncio.get_running_loop().time()
        try:
            while True:
                seq += 1
                await ws.send(f'{{"stream":"x","seq":{seq},"p":"97312.45","q":"0.012"}}')
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - asyncio.get_running_loop().time()))
        except Exception:
            return

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0, compression=None) as server:
            port_queue.put(server.sockets[0].getsockname()[1])
            await asyncio.Future()

    asyncio.run(main())


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def config(url: str, feeds: int) -> Config:
    return Config(
        feeds=tuple(
            FeedConfig(
                name=f"feed-{i:03d}",
                url=f"{url}/{i}",
                stale_after=5.0,
                heartbeat=MatcherSpec(contains=('"event":"heartbeat"',)),
            )
            for i in range(feeds)
        )
    )


async def measure_headless(cfg: Config, seconds: float) -> tuple[float, int]:
    engine = Engine(cfg)
    await engine.start()
    try:
        await asyncio.sleep(2.0)  # connect and warm up
        cpu0, wall0 = time.process_time(), time.monotonic()
        msgs0 = sum(s.data_messages for s in engine.snapshot())
        await asyncio.sleep(seconds)
        cpu = (time.process_time() - cpu0) / (time.monotonic() - wall0)
        msgs = sum(s.data_messages for s in engine.snapshot()) - msgs0
        return cpu, msgs
    finally:
        await engine.stop()


async def measure_tui(cfg: Config, seconds: float, refresh_hz: float) -> dict[str, float]:
    app = build_app(cfg, refresh_hz=refresh_hz)
    async with app.run_test(size=(200, 60)) as pilot:
        await asyncio.sleep(2.0)
        cpu0, wall0, ticks0 = time.process_time(), time.monotonic(), app.ticks
        msgs0 = sum(s.data_messages for s in app.view.snapshot())
        await asyncio.sleep(seconds)
        wall = time.monotonic() - wall0
        cpu = (time.process_time() - cpu0) / wall
        refresh = (app.ticks - ticks0) / wall
        msgs = sum(s.data_messages for s in app.view.snapshot()) - msgs0
        # Key to screen: a key event for p (pause/resume the selected feed) goes into
        # the app's queue as a terminal's would; the clock stops when the table's first
        # row has been drawn (its line rendered for the compositor) with the new state.
        latencies = []
        for i in range(20):
            pausing = i % 2 == 0  # resuming shows "connecting" at once, "live" on data
            start = time.monotonic()
            app.post_message(events.Key("p", "p"))
            while ("paused" in app.table.drawn_line_text(0)) != pausing:
                await asyncio.sleep(0.0005)
            latencies.append(time.monotonic() - start)
            await asyncio.sleep(0.37)
        await pilot.pause()
        return {
            "cpu": cpu,
            "refresh": refresh,
            "msgs_per_s": msgs / wall,
            "key_p50_ms": statistics.median(latencies) * 1000,
            "key_max_ms": max(latencies) * 1000,
            "rss_mb": _rss_mb(),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--refresh-hz", type=float, default=4.0)
    args = parser.parse_args()
    queue: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    server = mp.Process(target=_serve, args=(queue, args.rate), daemon=True)
    server.start()
    cfg = config(f"ws://127.0.0.1:{queue.get(timeout=10)}", args.feeds)
    try:
        headless_cpu, headless_msgs = asyncio.run(measure_headless(cfg, args.seconds))
        tui = asyncio.run(measure_tui(cfg, args.seconds, args.refresh_hz))
    finally:
        server.terminate()
    offered = args.feeds * args.rate
    print(f"{args.feeds} feeds x {args.rate:g} msg/s = {offered:,.0f} msg/s offered, "
          f"{args.seconds:g} s each")  # fmt: skip
    print(f"headless engine (reference): CPU {headless_cpu:6.1%} of one core, "
          f"{headless_msgs / args.seconds:,.0f} msg/s handled")  # fmt: skip
    print(f"dashboard + engine:          CPU {tui['cpu']:6.1%} of one core, "
          f"{tui['msgs_per_s']:,.0f} msg/s handled "
          f"(CPU ratio to headless {tui['cpu'] / headless_cpu:.2f})")  # fmt: skip
    print(f"refresh: {tui['refresh']:.2f} Hz achieved of {args.refresh_hz:g} Hz configured "
          f"(ratio {tui['refresh'] / args.refresh_hz:.2f})")  # fmt: skip
    print(f"key to screen: p50 {tui['key_p50_ms']:.1f} ms, max {tui['key_max_ms']:.1f} ms")
    print(f"RSS: {tui['rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
