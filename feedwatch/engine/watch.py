"""The data clock of one feed or one channel: last data, counters and one lazy deadline."""

from __future__ import annotations

import math
from collections.abc import Callable

from feedwatch.engine.clock import Clock, Deadline
from feedwatch.engine.gap_histogram import GapHistogram, GapWindow
from feedwatch.engine.stats import CountHistory, GapBuffer
from feedwatch.engine.suggest import MIN_GAPS, Advice, advise


class Watch:
    """Data liveness of one feed or one channel: clocks, counters and one lazy timer."""

    __slots__ = (
        "_due",
        "announced",
        "carried",
        "clock",
        "gaps",
        "grace_until",
        "key",
        "last_data",
        "learning",
        "messages",
        "normal_from",
        "normal_gaps",
        "rates",
        "since",
        "stale",
        "stale_after",
        "stale_at",
        "suggested",
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
        # The gaps a suggested threshold learns from: only those that began at or after
        # ``normal_from`` (the latest start, resume, reconnect or end of a quiet window;
        # infinity while not watching), ended no stall and stayed within stale_after.
        self.normal_gaps = GapWindow(MIN_GAPS)
        self.normal_from = self.since
        self.suggested: float | None = None  # the figure last offered, held while still right
        self.rates = CountHistory()
        # The end of a fresh session's allowance: the deadline is never before it (-inf:
        # none). Set when a session begins; it ends with its time or with a disconnect.
        self.grace_until = -math.inf
        # Where this channel's own gaps are learned (channel_stale_after = "auto"), or None.
        self.learning: GapHistogram | None = None

    def reference(self) -> float:
        """The instant the data clock counts from: last data, or when watching began."""
        last = self.last_data
        return self.since if last is None or last < self.since else last

    def deadline(self) -> float:
        """Last data (or the window's start) + stale_after, or the session's allowance."""
        return max(self.reference() + self.stale_after, self.grace_until)

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
            gap = now - last
            if self.carried:  # a gap across a restart measures feedwatch, not the feed
                self.carried = False
            else:
                gaps = self.gaps
                gaps.gaps.append(gap)
                gaps.times.append(now)
            if last >= self.normal_from and gap <= self.stale_after and not self.stale:
                self.normal_gaps.add(now, gap)
            else:
                self.normal_gaps.leave_out(now)
        self.last_data = now
        self.messages += 1
        if self._due.timer is None:
            self._due.arm(now + self.stale_after)
        if self.stale:
            return last if last is not None else self.since
        return None

    def new_session(self, now: float) -> None:
        """A connection began: the gap that spans the reconnect is not a normal one."""
        self.normal_from = max(self.normal_from, now)  # still infinity while not watching

    def advice(self, now: float) -> Advice:
        """The threshold to suggest for this feed or channel, from its normal gaps only."""
        evidence = self.normal_gaps.evidence(now, self.last_data)
        advice = advise(evidence, self.stale_after, self.stale, self.suggested)
        if advice.suggestion is not None:
            self.suggested = advice.suggestion.seconds
        return advice

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
        self.normal_from = math.inf  # nothing learned while not watching

    def restart_window(self, now: float, arm: bool = True) -> None:
        """Start a fresh window (on resume or start), keeping the true last-data time."""
        self.since = now
        self.stand_down()
        if arm:
            self.normal_from = now
            self.arm(self.deadline())
