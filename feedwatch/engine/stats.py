"""Bounded statistics with constant work per message: rates and inter-message gaps.

Anything costly (sorting for percentiles) waits until someone samples it,
which happens at the UI's refresh rate, not the feed's message rate.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

# Seconds the "now" rate of the table spans: long enough to be steady, short enough to
# read 0 soon after a feed or channel goes quiet.
RECENT = 3.0
# Seconds past the last sample after which the sampler counts as stopped.
STOPPED_AFTER = 1.25


class CountHistory:
    """Message rates from a counter sampled once a second: nothing at all per message.

    A 1 Hz timer calls ``sample`` with the running total; a rate over a window is
    the difference between two samples divided by the time between them.
    """

    __slots__ = ("_samples",)

    SPAN = 61

    def __init__(self) -> None:
        self._samples: deque[tuple[float, int]] = deque(maxlen=self.SPAN)

    def sample(self, now: float, total: int) -> None:
        self._samples.append((now, total))

    def rate(self, window: int) -> float:
        """Messages per second over about the last ``window`` seconds."""
        samples = self._samples
        if len(samples) < 2:
            return 0.0
        then_index = max(0, len(samples) - 1 - window)
        t0, c0 = samples[then_index]
        t1, c1 = samples[-1]
        return (c1 - c0) / (t1 - t0) if t1 > t0 else 0.0

    def recent(self, now: float, total: int, window: float = RECENT) -> float:
        """Messages per second over about the last ``window`` seconds: from the 1 Hz samples
        while the sampler runs (so the figure changes once a second, not every frame), and
        counted up to ``now`` with ``total`` (the counter now) once it has stopped (a paused
        or stopped feed), so it falls to 0 when nothing comes where ``rate`` keeps its last
        value."""
        samples = self._samples
        if not samples:
            return 0.0
        t1, c1 = samples[-1]
        if now - t1 > STOPPED_AFTER:
            t1, c1 = now, total
        t0, c0 = samples[0]
        for sample in reversed(samples):
            if t1 - sample[0] >= window:
                t0, c0 = sample
                break
        return (c1 - c0) / (t1 - t0) if t1 > t0 else 0.0


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
