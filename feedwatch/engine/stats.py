"""Bounded, O(1)-per-message statistics: message rates and inter-message gaps.

Both structures do constant work when a message arrives and defer anything
costly (sums, sorting for percentiles) to when someone samples them, which
happens at the UI's refresh rate, not the feed's message rate.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


class RateMeter:
    """Messages per second over the last 1, 10 and 60 seconds, in one-second buckets."""

    __slots__ = ("_buckets", "_second")

    SPAN = 61

    def __init__(self) -> None:
        self._buckets = [0] * self.SPAN
        self._second = 0

    def add(self, now: float, count: int = 1) -> None:
        second = int(now)
        if second != self._second:
            self._roll(second)
        self._buckets[second % self.SPAN] += count

    def _roll(self, second: int) -> None:
        # Zero the buckets for the seconds skipped since the last message.
        skipped = second - self._second
        if skipped >= self.SPAN or skipped < 0:
            self._buckets = [0] * self.SPAN
        else:
            for s in range(self._second + 1, second + 1):
                self._buckets[s % self.SPAN] = 0
        self._second = second

    def rate(self, now: float, window: int) -> float:
        """Average rate over the ``window`` whole seconds before the current one."""
        window = max(1, min(window, self.SPAN - 1))
        second = int(now)
        if second != self._second:
            self._roll(second)
        total = sum(self._buckets[(second - i) % self.SPAN] for i in range(1, window + 1))
        return total / window


@dataclass(frozen=True, slots=True)
class GapSummary:
    count: int
    p50: float | None
    p99: float | None
    max: float | None


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile, so the value reported is one that really happened."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, math.ceil(q / 100.0 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


class GapBuffer:
    """The most recent inter-message gaps, with the time each one ended."""

    __slots__ = ("_summary", "_summary_at", "gaps", "times")

    def __init__(self, size: int = 512) -> None:
        self.gaps: deque[float] = deque(maxlen=size)
        self.times: deque[float] = deque(maxlen=size)
        self._summary: GapSummary | None = None
        self._summary_at = -1

    def add(self, at: float, gap: float) -> None:
        self.gaps.append(gap)
        self.times.append(at)

    def clear(self) -> None:
        self.gaps.clear()
        self.times.clear()

    def summary(self, count_hint: int | None = None) -> GapSummary:
        """p50 / p99 / max of the buffered gaps; cached until ``count_hint`` changes."""
        if count_hint is not None and count_hint == self._summary_at and self._summary:
            return self._summary
        values = sorted(self.gaps)
        if values:
            result = GapSummary(
                len(values), percentile(values, 50), percentile(values, 99), values[-1]
            )
        else:
            result = GapSummary(0, None, None, None)
        if count_hint is not None:
            self._summary, self._summary_at = result, count_hint
        return result

    def recent(self, n: int) -> list[float]:
        """The last ``n`` gaps, oldest first (a copy, safe to render)."""
        if n >= len(self.gaps):
            return list(self.gaps)
        return list(self.gaps)[-n:]
