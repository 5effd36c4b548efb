"""Serve the demo feeds (or one /flood path) on loopback: ``python -m feedwatch.demo``."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Sequence

from feedwatch.demo.feeds import demo_simulator
from feedwatch.demo.hostile import Flood
from feedwatch.demo.simulator import Simulator


async def _serve(port: int, flood: bool, seed: int | None, batch: int) -> None:
    if flood:
        # No compression: a benchmark should measure the client, not zlib.
        sim = Simulator(seed=seed, compression=None)
        sim.add("/flood", Flood(batch=batch))
    else:
        sim = demo_simulator(seed=seed)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await sim.start(port=port)
    print(sim.base_url, flush=True)
    try:
        await stop.wait()
    finally:
        await sim.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the demo feeds (or one /flood path) until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="python -m feedwatch.demo",
        description="Serve simulated WebSocket feeds on 127.0.0.1 and print the base URL.",
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: a free one)")
    parser.add_argument(
        "--flood", action="store_true", help="serve only /flood, as fast as possible"
    )
    parser.add_argument("--batch", type=int, default=256, help="flood messages per loop turn")
    parser.add_argument("--seed", type=int, default=None, help="seed for reproducible content")
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.port, args.flood, args.seed, args.batch))
    return 0


raise SystemExit(main())
