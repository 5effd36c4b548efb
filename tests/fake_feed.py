"""A feed ticking on a fake clock, message by message: hours of traffic in a second.

The engine is never started; the test plays the transport through the feed's monitor and
reads what the dashboard would (``Engine.feed_detail``), so nothing depends on real time.
"""

from __future__ import annotations

import random
from dataclasses import replace

from feedwatch.config.model import Config, FeedConfig
from feedwatch.engine.clock import FakeClock
from feedwatch.engine.engine import Engine
from feedwatch.engine.suggest import Advice

URL = "wss://ticker.example.invalid/ws"
# A Tuesday, 22:30 UTC, on the fake wall clock.
WALL_OFFSET = 1_700_000_000.0


class FakeFeed:
    """One feed (and its channels) on a fake clock, with the traffic a test describes."""

    def __init__(
        self,
        stale_after: float = 5.0,
        seed: int = 7,
        restarted_after: float | None = None,
        **changes: object,
    ) -> None:
        """``restarted_after``: feedwatch restarts now, the feed's last data that long before."""
        config = FeedConfig(name="ticker", url=URL, stale_after=stale_after)
        self.config = replace(config, **changes)  # type: ignore[arg-type]
        self.clock = FakeClock(start=1000.0, wall_offset=WALL_OFFSET)
        self.engine = Engine(Config(feeds=(self.config,)), clock=self.clock)
        self.worker = self.engine.worker(self.config.name)
        self.monitor = self.worker.monitor
        self.rng = random.Random(seed)
        if restarted_after is not None:
            self.engine.restore({(self.config.name, None): self.clock.time() - restarted_after})
        self.monitor.start()
        self.monitor.on_connected(0, URL)

    @property
    def now(self) -> float:
        return self.clock.monotonic()

    def message(self, channel: str | None = None) -> None:
        self.monitor.on_data(64, channel, b'{"type":"trade"}')

    def every(self, gap: float, count: int, channel: str | None = None) -> None:
        """``count`` messages exactly ``gap`` seconds apart."""
        for _ in range(count):
            self.clock.advance(gap)
            self.message(channel)

    def tick(self, seconds: float, rate: float, channel: str | None = None) -> None:
        """Random (Poisson) traffic at ``rate`` messages a second for ``seconds``."""
        end = self.now + seconds
        while True:
            gap = self.rng.expovariate(rate)
            if self.now + gap > end:
                self.clock.advance(end - self.now)
                return
            self.clock.advance(gap)
            self.message(channel)

    def reconnect(self, after: float = 0.5) -> None:
        """The connection drops and comes back ``after`` seconds later, as a worker reports it."""
        monitor = self.monitor
        monitor.on_disconnected(1006, None, "connection lost")
        monitor.on_backoff(after, 1, "connection lost")
        self.clock.advance(after)
        monitor.on_reconnect_attempt()
        monitor.on_connected(0, URL)

    def advice(self, channel: str | None = None) -> Advice:
        """The suggestion the detail view shows for the feed, or for one of its channels."""
        detail = self.engine.feed_detail(self.config.name)
        if channel is None:
            assert detail.advice is not None
            return detail.advice
        return dict(detail.channel_advice)[channel]

    def suggested(self, channel: str | None = None) -> float | None:
        suggestion = self.advice(channel).suggestion
        return None if suggestion is None else suggestion.seconds
