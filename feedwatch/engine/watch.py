"""The data clock of one feed or one channel: last data, counters and one lazy deadline."""

from __future__ import annotations

from collections.abc import Callable

from feedwatch.engine.clock import Clock, Deadline
from feedwatch.engine.stats import CountHistory, GapBuffer


class Watch:
    """Data liveness of one feed or one channel: clocks, counters and one lazy timer."""

    __slots__ = (
        "_due",
        "announced",
        "carried",
        "clock",
        "gaps",
        "key",
        "last_data",
        "messages",
        "rates",
        "since",
        "stale",
        "stale_after",
        "stale_at",
    )

    def __init__(
        self,
        clock: Clock,
        key: str | None,
        stale_after: float,
        on_due: Callable[[Watch], None],
        gap_buffer: int = 512,
    ) -> None:
        self.clock = clock
        self.key = key
        self.stale_after = stale_after
        self._due = Deadline(clock, lambda: on_due(self))
        self.since = clock.monotonic()
        self.last_data: float | None = None
        # last_data came from before a restart: the first gap after it was not watched.
        self.carried = False
        self.stale = False
        self.stale_at: float | None = None
        self.announced = False
        self.messages = 0
        self.gaps = GapBuffer(gap_buffer)
        self.rates = CountHistory()

    def reference(self) -> float:
        """The instant the data clock counts from: last data, or when watching began."""
        last = self.last_data
        return self.since if last is None or last < self.since else last

    def deadline(self) -> float:
        return self.reference() + self.stale_after

    def data_age(self, now: float) -> float | None:
        return None if self.last_data is None else now - self.last_data

    def signal_age(self, now: float) -> float:
        """Age against the reference, so a feed that never spoke still ages."""
        return now - (self.last_data if self.last_data is not None else self.since)

    def arm(self, when: float) -> None:
        """Make sure the timer fires no later than ``when``."""
        self._due.arm(when)

    def disarm(self) -> None:
        self._due.disarm()

    def record(self, now: float) -> float | None:
        """Count one data message; returns the previous reference if this ends an outage."""
        last = self.last_data
        if last is not None:
            if self.carried:  # a gap across a restart measures feedwatch, not the feed
                self.carried = False
            else:
                gaps = self.gaps
                gaps.gaps.append(now - last)
                gaps.times.append(now)
        self.last_data = now
        self.messages += 1
        if self._due.timer is None:
            self._due.arm(now + self.stale_after)
        if self.stale:
            return last if last is not None else self.since
        return None

    def carry_over(self, last_data: float) -> None:
        """Take the last data seen before a restart (monotonic), so the age stays true."""
        if self.last_data is None or last_data > self.last_data:
            self.last_data = last_data
            self.carried = True

    def stand_down(self) -> None:
        """Stop alarming (paused or quiet): no timer, and any stale condition dropped."""
        self.disarm()
        self.stale = False
        self.stale_at = None
        self.announced = False

    def restart_window(self, now: float, arm: bool = True) -> None:
        """Start a fresh window (on resume or start), keeping the true last-data time."""
        self.since = now
        self.stand_down()
        if arm:
            self.arm(self.deadline())
