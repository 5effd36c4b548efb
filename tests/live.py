"""Shared harness for tests that run the real engine against the real simulator."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from feedwatch.config.model import BackoffSpec, Config, FeedConfig
from feedwatch.engine.clock import Clock, LoopClock, Timer
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import Event, EventKind
from tests.waiting import wait_until

FAST_BACKOFF = BackoffSpec(initial=0.05, max=0.2, stable_after=1.0)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def feed(name: str, url: str, stale_after: float = 0.3, **changes: object) -> FeedConfig:
    """A feed config with test-sized timings."""
    base = FeedConfig(name=name, url=url, stale_after=stale_after, backoff=FAST_BACKOFF)
    from dataclasses import replace

    return replace(base, **changes)  # type: ignore[arg-type]


@dataclass
class Recorder:
    """Every event an engine emits: ``events`` holds what happened, ``verdicts`` the
    ``state`` events (the verdict changing), kept apart so a test reads the one it asks of."""

    events: list[Event] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    verdicts: list[Event] = field(default_factory=list)

    def __call__(self, event: Event) -> None:
        if event.kind is EventKind.STATE:
            self.verdicts.append(event)
            return
        self.events.append(event)
        self.times.append(time.monotonic())

    def states(self, feed: str) -> list[str]:
        """The verdicts a feed went through, oldest first (its start, connecting, first)."""
        return ["connecting"] + [
            str(e.fields["state"]) for e in self.verdicts if e.feed == feed and e.channel is None
        ]

    def of(self, kind: EventKind, feed: str | None = None) -> list[Event]:
        return [e for e in self.events if e.kind is kind and (feed is None or e.feed == feed)]

    async def wait(
        self,
        predicate: Callable[[Event], bool],
        timeout: float = 5.0,
        after: int = 0,
    ) -> Event:
        """The first event (from index ``after``) matching ``predicate``, waiting for it."""
        return await wait_until(
            lambda: next((e for e in self.events[after:] if predicate(e)), None),
            timeout,
            message=lambda: f"a matching event; saw {[e.describe() for e in self.events]}",
        )

    async def wait_kind(
        self, kind: EventKind, feed: str | None = None, timeout: float = 5.0, after: int = 0
    ) -> Event:
        return await self.wait(
            lambda e: e.kind is kind and (feed is None or e.feed == feed), timeout, after
        )


class JumpingClock(LoopClock):
    """Real time whose monotonic side a test can move forward at once: a minute of data
    without waiting a minute. The wall clock stays real, so servers' timestamps agree with it."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        loop = asyncio.get_running_loop()
        return loop.call_at(loop.time() + (when - self.monotonic()), callback)

    def jump(self, seconds: float) -> None:
        self.offset += seconds


class Running:
    """An engine started on the current loop, with every event recorded."""

    def __init__(self, *feeds: FeedConfig, clock: Clock | None = None) -> None:
        self.engine = Engine(Config(feeds=feeds), clock=clock)
        self.rec = Recorder()
        self.engine.bus.subscribe(self.rec)

    async def __aenter__(self) -> Running:
        await self.engine.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.engine.stop()

    def state(self, name: str) -> str:
        return str(self.engine.feed_snapshot(name).state)
