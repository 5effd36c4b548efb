"""The simulated side of the soak (``benchmarks/soak.py``): the feed line-up, the fault
schedule, and the process that serves them, apart from the feedwatch being measured.

Both halves of the line-up live here (what each path plays, and how feedwatch watches
it), so they cannot drift apart. The soak starts this file as its own process:

    python benchmarks/soak_simulator.py --rate 300 --tickers 8 --seed 1 [--scrape-port N]

It prints the base URL on its first stdout line, injects faults from a seeded schedule
until SIGTERM or SIGINT (or, with --until-stdin-closes, until its stdin closes), then
prints one JSON line of what it served and injected.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, replace
from typing import Any, TextIO

from feedwatch.config.model import BackoffSpec, FeedConfig, MatcherSpec, PingSpec, StormSpec
from feedwatch.demo.behaviours import Ticker
from feedwatch.demo.challenges import NeedsPing
from feedwatch.demo.hostile import Flapper, Garbage
from feedwatch.demo.simulator import Simulator
from feedwatch.demo.tape import compact

SUBSCRIBE = compact({"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 1})
CHANNELS = ("btc", "eth", "sol", "xrp")
APP_PING, APP_PONG = '{"op":"ping"}', '{"op":"pong"}'
ACKS = MatcherSpec(contains=('"result":null',))
HEARTBEATS = MatcherSpec(contains=('"event":"heartbeat"',))
# Tickers recover fast from the schedule's faults; flappers back off as a real client would.
QUICK = BackoffSpec(initial=0.2, max=5.0, stable_after=5.0)
FLAPPY = BackoffSpec(initial=0.5, max=5.0, stable_after=1.0)
STORM = StormSpec(reconnects=5, window=30.0)
CLOSE_CODES = (1000, 1001, 1011, 1012, 1013, 4000, 4001)
# One storm episode: a path dropped every STORM_EVERY seconds for STORM_FOR seconds.
STORM_PERIOD, STORM_FOR, STORM_EVERY = 150.0, 45.0, 1.5


@dataclass(frozen=True)
class Lineup:
    """What both processes agree on: the rate of each high-rate ticker and how many."""

    rate: float = 300.0
    tickers: int = 10

    @property
    def ticker_paths(self) -> tuple[str, ...]:
        return tuple(f"/tick-{i:02d}" for i in range(self.tickers))

    @property
    def faulty_paths(self) -> tuple[str, ...]:
        """The paths the fault schedule stalls, drops and rejects."""
        return (*self.ticker_paths, "/multiplex")

    @property
    def offered_rate(self) -> float:
        """Data messages per second offered when nothing is stalled (flappers approximate)."""
        return self.rate * (self.tickers + 1) + 50 + 5 + 5 + 20 + 20 + 10


def register(sim: Simulator, lineup: Lineup) -> None:
    """Put the soak's feeds on the simulator."""
    for i, path in enumerate(lineup.ticker_paths):
        # Every other ticker also sends heartbeats, which must not reset the data clock.
        sim.add(path, Ticker(lineup.rate, heartbeat_every=1.0 if i % 2 else None))
    sim.add(
        "/multiplex",
        Ticker(lineup.rate, channels=CHANNELS, die_channel="sol", die_after=20.0, die_for=15.0),
    )
    # Zombies that a reconnect cures: the data stops, the socket (and heartbeats) stay.
    sim.add("/staller", Ticker(50.0, require_subscribe=False, stall_every=15.0, stall_for=60.0))
    sim.add(
        "/heartbeat-only",
        Ticker(5.0, require_subscribe=False, heartbeat_every=0.5, stall_every=20, stall_for=60),
    )
    sim.add("/needs-ping", NeedsPing(timeout=5.0, ping_text=APP_PING, pong_text=APP_PONG))
    # Storm sources: they hang up after a few seconds, every time.
    sim.add("/flapper", Flapper(up_for=3.0, data_rate=20.0))
    sim.add("/flapper-abrupt", Flapper(up_for=4.0, data_rate=20.0, abrupt=True))
    sim.add("/garbage", Garbage(rate=10.0))


def feeds(base_url: str, lineup: Lineup) -> tuple[FeedConfig, ...]:
    """How feedwatch watches each path of ``register``."""

    def feed(name: str, path: str, stale_after: float = 2.0, **more: object) -> FeedConfig:
        url = base_url + path
        config = FeedConfig(
            name=name,
            url=url,
            stale_after=stale_after,
            backoff=QUICK,
            storm=STORM,
            url_template=url,
        )
        return replace(config, **more)  # type: ignore[arg-type]

    tickers = [
        feed(
            path.removeprefix("/"),
            path,
            subscribe=(SUBSCRIBE,),
            ignore=ACKS,
            heartbeat=HEARTBEATS if i % 2 else None,
        )
        for i, path in enumerate(lineup.ticker_paths)
    ]
    return (
        *tickers,
        feed(
            "multiplex",
            "/multiplex",
            subscribe=(compact({"method": "SUBSCRIBE", "params": list(CHANNELS), "id": 1}),),
            ignore=ACKS,
            channel_key="stream",
            channels=CHANNELS,
            channel_stale_after=3.0,
        ),
        feed("staller", "/staller"),
        feed("heartbeat-only", "/heartbeat-only", heartbeat=HEARTBEATS),
        feed(
            "needs-ping",
            "/needs-ping",
            stale_after=3.0,
            ping=PingSpec(every=2.0, send=APP_PING),
            heartbeat=MatcherSpec(contains=('"op":"pong"',)),
        ),
        feed("flapper", "/flapper", stale_after=5.0, backoff=FLAPPY),
        feed("flapper-abrupt", "/flapper-abrupt", stale_after=5.0, backoff=FLAPPY),
        feed("garbage", "/garbage", stale_after=3.0),
    )


class FaultSchedule:
    """Every ``every`` seconds, one fault on a path that has none running, drawn from a seed;
    and every STORM_PERIOD seconds a storm episode on one path."""

    def __init__(self, sim: Simulator, lineup: Lineup, seed: int, every: float) -> None:
        self.sim = sim
        self.paths = lineup.faulty_paths
        self.rng = random.Random(seed)
        self.every = every
        self.busy: set[str] = set()
        self.injected: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        storms = asyncio.create_task(self._storms())
        try:
            while True:
                await asyncio.sleep(self.every)
                free = [p for p in self.paths if p not in self.busy]
                if free:
                    self._spawn(self._fault(self.rng.choice(free)))
        finally:
            storms.cancel()
            for task in (storms, *self._tasks):
                task.cancel()
            await asyncio.gather(storms, *self._tasks, return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fault(self, path: str) -> None:
        sim, rng = self.sim, self.rng
        kinds = ["stall", "drop", "abort", "reject-503", "reject-429"]
        if path == "/multiplex":
            kinds.append("channel")
        kind = rng.choice(kinds)
        self.injected[kind] += 1
        self.busy.add(path)
        try:
            if kind == "stall":  # silent: the engine must notice, and reconnect
                sim.stall(path)
                try:
                    await asyncio.sleep(rng.uniform(2.5, 6.0))
                finally:
                    sim.resume(path)
            elif kind == "drop":
                sim.drop(path, rng.choice(CLOSE_CODES), "soak: scheduled close")
            elif kind == "abort":
                sim.drop(path, abrupt=True)
            elif kind == "channel":
                channel = rng.choice(CHANNELS)
                sim.stall_channel(path, channel)
                try:
                    await asyncio.sleep(rng.uniform(2.0, 5.0))
                finally:
                    sim.resume_channel(path, channel)
            else:
                status = 503 if kind == "reject-503" else 429
                sim.reject(path, status, retry_after=2 if status == 429 else None)
                sim.drop(path, 1012, "soak: restarting")
                try:
                    await asyncio.sleep(rng.uniform(2.0, 5.0))
                finally:
                    sim.accept(path)
        finally:
            self.busy.discard(path)

    async def _storms(self) -> None:
        while True:
            await asyncio.sleep(STORM_PERIOD)
            free = [p for p in self.paths if p not in self.busy]
            if not free:
                continue
            path = self.rng.choice(free)
            self.injected["storm"] += 1
            self.busy.add(path)
            try:
                end = time.monotonic() + STORM_FOR
                while time.monotonic() < end:
                    self.sim.drop(path, 1011, "soak: storm")
                    await asyncio.sleep(STORM_EVERY)
            finally:
                self.busy.discard(path)


class Scraper:
    """Polls feedwatch's /health and /metrics from outside, as a monitoring system would."""

    def __init__(self, port: int, every: float) -> None:
        self.port = port
        self.every = every
        self.outcomes: Counter[str] = Counter()

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            for target in ("/health", "/metrics"):
                self.outcomes[await self._get(target)] += 1

    async def _get(self, target: str) -> str:
        try:
            async with asyncio.timeout(5.0):
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                try:
                    request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    writer.write((request + "\r\n").encode())
                    status = (await reader.readline()).split(b" ")[1:2]
                    await reader.read()
                finally:
                    writer.close()
                    with contextlib.suppress(OSError):
                        await writer.wait_closed()
        except (OSError, TimeoutError, IndexError) as exc:
            return f"{target} {type(exc).__name__}"
        return f"{target} {status[0].decode() if status else '?'}"


async def _on_eof(stream: TextIO, stop: asyncio.Event) -> None:
    """Set ``stop`` when ``stream`` closes: the soak's way to stop us, even if it dies."""
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), stream
    )

    async def wait() -> None:
        while await reader.read(4096):
            pass
        stop.set()

    task = asyncio.create_task(wait())
    task.add_done_callback(lambda _: transport.close())
    _KEEP.add(task)


_KEEP: set[asyncio.Task[None]] = set()


async def serve(args: argparse.Namespace) -> dict[str, object]:
    """Serve and inject faults until a signal; returns what was served and injected."""
    lineup = Lineup(args.rate, args.tickers)
    sim = Simulator(seed=args.seed)
    register(sim, lineup)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    if args.until_stdin_closes:
        await _on_eof(sys.stdin, stop)
    await sim.start()
    print(sim.base_url, flush=True)
    faults = FaultSchedule(sim, lineup, args.seed, args.fault_every)
    scraper = Scraper(args.scrape_port, args.scrape_every) if args.scrape_port else None
    workers = [asyncio.create_task(faults.run())]
    if scraper is not None:
        workers.append(asyncio.create_task(scraper.run()))
    started = time.monotonic()
    try:
        await stop.wait()
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        stats = {path: sim.stats(path) for path in sim.paths}
        await sim.stop()
    return {
        "seconds": round(time.monotonic() - started, 1),
        "faults": dict(faults.injected),
        "scrapes": dict(scraper.outcomes) if scraper is not None else {},
        "connections": sum(s.connections for s in stats.values()),
        "rejections": sum(s.rejections for s in stats.values()),
        "data_sent": sum(s.data_sent for s in stats.values()),
        "per_path": {path: [s.connections, s.rejections] for path, s in stats.items()},
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the soak's simulator until SIGTERM; the soak reads its two stdout lines."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=Lineup.rate)
    parser.add_argument("--tickers", type=int, default=Lineup.tickers)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault-every", type=float, default=2.0)
    parser.add_argument("--scrape-port", type=int, default=None)
    parser.add_argument("--scrape-every", type=float, default=5.0)
    parser.add_argument("--until-stdin-closes", action="store_true", help="stop on EOF too")
    args = parser.parse_args(argv)
    # Handshakes the client abandons are expected here; tracebacks for them are noise.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("websockets").setLevel(logging.CRITICAL)
    print(json.dumps(asyncio.run(serve(args))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
