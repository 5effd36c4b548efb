"""History benchmark: the events per second the writer thread sustains, and what
recording costs the engine's ingest.

1. A burst of ``--events`` realistic events (stale, recovered, reconnecting, connected,
   errors over 50 feeds, so incidents open and close) emitted on an engine's bus at once:
   the emit cost per event with the store attached against without, and the time until
   every one is committed (events/s).
2. Ingest on bench_ingest.py's flood server, in the same run as its bare-client reference:
   the engine with and without history attached, and both again while ``--storm``
   events per second are emitted on the bus (so the writer thread works during ingest).

    python benchmarks/bench_history.py [--events 200000] [--seconds 3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bench_ingest import (
    BARE,
    Attach,
    Client,
    alternate,
    bare_client,
    engine_client,
    flood_feed,
    print_rates,
    start_flood_server,
)

from feedwatch.config.model import Config, HistoryConfig
from feedwatch.engine.clock import FakeClock
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import Event, EventKind
from feedwatch.history.store import HistoryStore


def burst(n: int, t0: float) -> list[Event]:
    """Events as an unlucky day emits them: outages with reconnects, over 50 feeds."""
    cycle = [
        (EventKind.STALE, "no data for 5s", {"stale_after_seconds": 5.0, "connected": True}),
        (EventKind.DISCONNECTED, "stale: no data", {"code": 1000}),
        (EventKind.RECONNECTING, "stale: no data", {"delay_seconds": 0.8, "attempt": 1}),
        (EventKind.CONNECTED, None, {"url": "wss://example.com/ws", "subscribed": 2}),
        (EventKind.RECOVERED, "data flowing again", {"outage_seconds": 1.9}),
        (EventKind.ERROR, "bad frame: not JSON", {"kind": "frame", "count": 3}),
    ]
    events = []
    for i in range(n):
        kind, reason, fields = cycle[(i // 50) % len(cycle)]
        events.append(Event(t0 + i * 1e-3, f"feed-{i % 50}", kind, None, reason, 5.0, fields))
    return events


def emit_all(engine: Engine, events: list[Event]) -> float:
    start = time.perf_counter()
    emit = engine.bus.emit
    for event in events:
        emit(event)
    return time.perf_counter() - start


def writer_burst(n: int, folder: Path) -> None:
    events = burst(n, time.time() - 3600)
    bare = emit_all(Engine(Config(feeds=())), events)  # the bus alone
    engine = Engine(Config(feeds=()), clock=FakeClock())
    store = HistoryStore.open(HistoryConfig(path=folder / "burst.db"))
    store.attach(engine)
    start = time.perf_counter()
    emitted = emit_all(engine, events)
    written = store.flush(timeout=600)
    total = time.perf_counter() - start
    incidents, dropped = len(store.incidents()), store.dropped
    store.close()
    print(f"burst of {n:,} events ({incidents:,} incidents derived)")
    print(f"  emit per event, bus alone           {bare / n * 1e6:8.2f} us")
    print(f"  emit per event, history attached    {emitted / n * 1e6:8.2f} us")
    print(f"  all {written:,} committed after      {total:8.2f} s: {written / total:,.0f} events/s")
    print(f"  dropped                             {dropped:8,}")
    print()


def recording(folder: Path) -> Attach:
    def attach(engine: Engine) -> Callable[[], None]:
        store = HistoryStore.open(HistoryConfig(path=folder / "ingest.db"))
        store.attach(engine)
        return store.close

    return attach


def storming(per_second: int, then: Attach | None = None) -> Attach:
    """Emit ``per_second`` events on the bus in 10 ms slices, alongside the flood."""

    def attach(engine: Engine) -> Callable[[], None]:
        detach = then(engine) if then is not None else None
        events = burst(per_second // 100, time.time())

        async def storm() -> None:
            while True:
                for event in events:
                    engine.bus.emit(event)
                await asyncio.sleep(0.01)

        task = asyncio.get_running_loop().create_task(storm())

        def stop() -> None:
            task.cancel()
            if detach is not None:
                detach()

        return stop

    return attach


def ingest(args: argparse.Namespace, folder: Path) -> None:
    url, server = start_flood_server()
    feed = flood_feed(url)
    storm = f"{args.storm:,} events/s"
    variants: dict[str, Attach | None] = {
        "engine": None,
        "engine + history": recording(folder),
        f"engine, {storm} on the bus": storming(args.storm),
        f"engine + history, {storm} on the bus": storming(args.storm, recording(folder)),
    }
    clients: dict[str, Client] = {BARE: partial(bare_client, url, args.seconds)}
    clients.update(
        {name: partial(engine_client, feed, args.seconds, a) for name, a in variants.items()}
    )
    try:
        rates = alternate(clients, args.rounds)
    finally:
        server.terminate()
    print_rates(rates, BARE)
    names = list(variants)
    for without, with_ in ((names[0], names[1]), (names[2], names[3])):
        ratio = statistics.median(rates[with_]) / statistics.median(rates[without])
        print(f"{with_ + ' / ' + without:<80} {ratio:>7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--storm", type=int, default=2_000, help="events/s during ingest")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        writer_burst(args.events, Path(folder))
        ingest(args, Path(folder))


if __name__ == "__main__":
    main()
