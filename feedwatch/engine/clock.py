"""Injected time: a monotonic clock for deadlines, a wall clock for display.

The engine never calls ``time`` or ``asyncio`` timers directly; it asks a
``Clock``. Production uses ``LoopClock``; tests use ``FakeClock`` and step time
by hand, so deadline logic is checked to the millisecond without sleeping.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections.abc import Callable
from typing import Protocol


class Timer(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never jumps; all deadlines use it."""
        ...

    def time(self) -> float:
        """Unix seconds, for timestamps people read."""
        ...

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        """Run callback once the monotonic clock reaches ``when``."""
        ...

    async def sleep(self, delay: float) -> None:
        """Wait ``delay`` seconds of this clock's time."""
        ...


class Deadline:
    """One re-armable timer that fires no later than the earliest instant it was asked for.

    Callers arm it lazily and re-check the real deadline when it fires, so
    moving a deadline later never costs a cancel.
    """

    __slots__ = ("_callback", "_clock", "timer", "when")

    def __init__(self, clock: Clock, callback: Callable[[], None]) -> None:
        self._clock = clock
        self._callback = callback
        self.timer: Timer | None = None  # None when not armed (read on hot paths: no property)
        self.when = math.inf  # when the armed timer fires

    def arm(self, when: float) -> None:
        """Make sure the timer fires no later than ``when``."""
        if self.timer is not None:
            if self.when <= when:
                return
            self.timer.cancel()
        self.when = when
        self.timer = self._clock.call_at(when, self._fire)

    def rearm(self, when: float) -> None:
        """Fire at ``when`` exactly, earlier or later than before."""
        self.disarm()
        self.arm(when)

    def disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer = None
        self.when = math.inf

    def _fire(self) -> None:
        self.timer = None
        self.when = math.inf
        self._callback()


class LoopClock:
    """Real time, with timers on the running asyncio loop (whose time is monotonic)."""

    # The builtins themselves, not methods calling them: the monotonic clock is read once
    # per message on the hot path, and a Python frame there costs as much as the read.
    monotonic = staticmethod(time.monotonic)
    time = staticmethod(time.time)

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        loop = asyncio.get_running_loop()
        # loop.time() is time.monotonic() on every stock loop; translate anyway
        # so a loop with another time base still fires at the right moment.
        return loop.call_at(loop.time() + (when - time.monotonic()), callback)

    async def sleep(self, delay: float) -> None:
        await asyncio.sleep(max(0.0, delay))


class _FakeTimer:
    __slots__ = ("callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    """Time that moves only when a test says so; timers fire in order as it moves."""

    def __init__(self, start: float = 1000.0, wall_offset: float = 1_700_000_000.0) -> None:
        self._now = start
        self._wall_offset = wall_offset
        self._heap: list[tuple[float, int, _FakeTimer]] = []
        self._seq = itertools.count()

    def monotonic(self) -> float:
        return self._now

    def time(self) -> float:
        return self._wall_offset + self._now

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        timer = _FakeTimer(when, callback)
        heapq.heappush(self._heap, (when, next(self._seq), timer))
        return timer

    async def sleep(self, delay: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not future.done():
                future.set_result(None)

        self.call_at(self._now + max(0.0, delay), wake)
        await future

    def advance(self, seconds: float) -> None:
        """Move time forward, firing due timers at their own instants."""
        self.advance_to(self._now + seconds)

    def advance_to(self, when: float) -> None:
        """Move time to ``when``, firing every timer due on the way."""
        while self._heap and self._heap[0][0] <= when:
            due, _, timer = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            self._now = max(self._now, due)
            timer.callback()
        self._now = max(self._now, when)

    @property
    def pending(self) -> int:
        return sum(1 for _, _, t in self._heap if not t.cancelled)
