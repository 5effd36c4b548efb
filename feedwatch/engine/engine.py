"""The engine: one supervised worker per feed, an event bus, and the commands
that the dashboard and other consumers call.

It runs on whatever asyncio loop starts it (the headless runner's or
Textual's) and knows nothing about who is watching.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from feedwatch.config.model import Config, FeedConfig
from feedwatch.engine.clock import Clock, LoopClock
from feedwatch.engine.events import Event, EventBus, Listener, restates
from feedwatch.engine.snapshot import FeedDetail, FeedSnapshot
from feedwatch.engine.worker import FeedWorker

log = logging.getLogger(__name__)


class UnknownFeed(KeyError):
    def __str__(self) -> str:
        return f"no feed named {self.args[0]!r}"


class Engine:
    """Owns the workers; every command is safe to call from the loop's thread."""

    def __init__(
        self,
        config: Config,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        connect: Callable[[FeedConfig], Any] | None = None,
    ) -> None:
        self.config = config
        self.clock: Clock = clock or LoopClock()
        self.bus = EventBus()
        # Alert attempts by (alert channel, outcome): counted by feedwatch.alerts, read by /metrics.
        self.alert_outcomes: Counter[tuple[str, str]] = Counter()
        self._rng = rng or random.Random()
        extra = {} if connect is None else {"connect": connect}
        self.workers: dict[str, FeedWorker] = {
            feed.name: FeedWorker(feed, self.clock, self.bus.emit, self._rng, **extra)
            for feed in config.feeds
        }
        self._tasks: dict[str, asyncio.Task[None]] = {}

    # -- lifecycle ------------------------------------------------------------

    def restore(
        self,
        last_data: Mapping[tuple[str, str | None], float],
        restarted_at: float | None = None,
    ) -> None:
        """Carry each feed's (and channel's) last data over a restart, so no age restarts
        from zero: a feed silent across the restart is reported with its true age.

        ``last_data`` maps (feed, channel or None) to the unix time of its last data;
        ``restarted_at`` is when this process started (unix time; default now). Call it
        before ``start``. Feeds no longer in the config are ignored.
        """
        now, wall = self.clock.monotonic(), self.clock.time()
        started = now - max(0.0, wall - (wall if restarted_at is None else restarted_at))
        for (feed, channel), when in last_data.items():
            worker = self.workers.get(feed)
            if worker is not None:
                # Wall time to the monotonic clock; data "from the future" (a clock that
                # stepped back) counts as now.
                worker.monitor.carry_over(channel, now - max(0.0, wall - when), started)

    def seed_learned(
        self,
        profiles: Mapping[str, Iterable[tuple[int, int, int]]],
        channels: Mapping[str, Iterable[tuple[str, int, int]]] | None = None,
    ) -> None:
        """Give each learning feed (and its channels) the gap profile an earlier run learned."""
        for feed, rows in profiles.items():
            worker = self.workers.get(feed)
            if worker is not None and worker.monitor.learned is not None:
                worker.monitor.learned.seed(rows)
        for feed, channel_rows in (channels or {}).items():
            worker = self.workers.get(feed)
            if worker is not None:
                worker.monitor.seed_channels(channel_rows)

    def learned_profiles(self) -> dict[str, list[tuple[int, int, int]]]:
        """(hour bucket, bin, count) rows of every learning feed, to keep across restarts."""
        return {
            name: w.monitor.learned.profile.rows()
            for name, w in self.workers.items()
            if w.monitor.learned is not None and w.monitor.learned.feed_learns
        }

    def learned_channel_profiles(self) -> dict[str, list[tuple[str, int, int]]]:
        """(channel, bin, count) rows of every feed whose channels learn their thresholds."""
        return {
            name: w.monitor.learned.channels.rows()
            for name, w in self.workers.items()
            if w.monitor.learned is not None and w.monitor.learned.channels is not None
        }

    async def start(self) -> None:
        """Start every worker (idempotent)."""
        for name, worker in self.workers.items():
            if name not in self._tasks:
                self._tasks[name] = asyncio.create_task(self._keep(worker), name=f"worker:{name}")

    async def stop(self) -> None:
        """Stop every worker and close their connections."""
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _keep(self, worker: FeedWorker) -> None:
        # The worker's own supervisor catches session failures; this is the
        # last line, for a bug in the supervisor itself.
        while True:
            try:
                await worker.run()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("feed %s: worker crashed; restarting", worker.config.name)
                worker.monitor.on_error(f"worker restarted after internal error: {exc!r}")
                await self.clock.sleep(1.0)

    # -- the view a front end reads (feedwatch.engine.view) --------------------

    def feed_names(self) -> list[str]:
        return list(self.workers)

    def recent_events(self) -> list[Event]:
        return list(self.bus.recent)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self.bus.subscribe(listener)

    # -- commands -------------------------------------------------------------

    def worker(self, name: str) -> FeedWorker:
        try:
            return self.workers[name]
        except KeyError:
            raise UnknownFeed(name) from None

    def reconnect(self, name: str) -> None:
        self.worker(name).reconnect()

    def reconnect_all(self) -> None:
        for worker in self.workers.values():
            worker.reconnect()

    def set_stale_after(self, name: str, seconds: float) -> None:
        self.worker(name).monitor.set_stale_after(seconds)

    def pause(self, name: str) -> None:
        self.worker(name).pause()

    def resume(self, name: str) -> None:
        self.worker(name).resume()

    def toggle_pause(self, name: str) -> bool:
        """Pause a running feed or resume a paused one; True if now paused."""
        worker = self.worker(name)
        if worker.paused:
            worker.resume()
        else:
            worker.pause()
        return worker.paused

    # -- sampling -------------------------------------------------------------

    def snapshot(self) -> list[FeedSnapshot]:
        """A consistent copy of every feed's state, in config order."""
        now = self.clock.monotonic()
        wall = self.clock.time()
        return [self._feed_snapshot(w, now, wall) for w in self.workers.values()]

    def feed_snapshot(self, name: str) -> FeedSnapshot:
        return self._feed_snapshot(self.worker(name), self.clock.monotonic(), self.clock.time())

    def feed_detail(self, name: str) -> FeedDetail:
        """A deeper copy of one feed, for the detail view (costlier: call it for one feed)."""
        worker = self.worker(name)
        m = worker.monitor
        now, wall = self.clock.monotonic(), self.clock.time()
        offset = wall - now
        gaps = m.watch.gaps
        return FeedDetail(
            feed=self._feed_snapshot(worker, now, wall),
            gaps=tuple((t + offset, g) for t, g in zip(gaps.times, gaps.gaps, strict=True)),
            raw=tuple(
                (t + offset, m.redact(raw.decode("utf-8", errors="replace")))
                for t, raw in m.recent_raw
            ),
            events=tuple(e for e in m.events if not restates(e)),
            advice=m.watch.advice(now),
            channel_advice=tuple((c.key or "", c.advice(now)) for c in m.channels.values()),
        )

    def _feed_snapshot(self, worker: FeedWorker, now: float, wall: float) -> FeedSnapshot:
        return worker.monitor.snapshot(
            now, wall, url=worker.display_url, paused=worker.paused, ping_rtt=worker.ping_rtt()
        )
