"""Log-scale histograms of data gaps: the bins, one histogram, and a sliding window of them.

A gap costs one logarithm and a few increments, whatever the message rate, and a
percentile is read from the bins (to within one bin, about 9 %) only when someone asks.
``stale_after = "auto"`` keeps one histogram per hour of the week (``learned``); the
suggested threshold keeps a window of about the last hour (``GapWindow``).
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from math import log2 as _log2
from typing import NamedTuple

# Bins: 8 per doubling from 1 ms, 24 doublings (up to about 4.7 hours); the ends clamp.
_FLOOR = 0.001
_PER_DOUBLING = 8
BINS = 24 * _PER_DOUBLING
# Past this many gaps a histogram halves its counts, so old traffic fades and nothing grows.
_HALVE_AT = 1_000_000


def bin_of(gap: float) -> int:
    """The histogram bin a gap falls in (values outside the range land in the end bins)."""
    if gap <= _FLOOR:
        return 0
    return min(BINS - 1, int(math.log2(gap / _FLOOR) * _PER_DOUBLING))


def bin_upper(index: int) -> float:
    """The upper edge of a bin: the p99 read from a histogram never understates the gap."""
    return _FLOOR * math.pow(2.0, (index + 1) / _PER_DOUBLING)


def percentile_of(counts: Sequence[int], total: int, q: float) -> float | None:
    """The q-th percentile of binned gaps, as its bin's upper edge; None when empty."""
    if not total:
        return None
    rank = max(1, math.ceil(q / 100.0 * total))
    seen = 0
    for index, count in enumerate(counts):
        seen += count
        if seen >= rank:
            return bin_upper(index)
    return bin_upper(BINS - 1)  # pragma: no cover - seen reaches total above


class GapHistogram:
    """Counts of gaps per log-scale bin."""

    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * BINS
        self.total = 0

    def add_bin(self, index: int, count: int = 1) -> None:
        self.counts[index] += count
        self.total += count
        if self.total >= _HALVE_AT:
            self.counts = [c // 2 for c in self.counts]
            self.total = sum(self.counts)

    def percentile(self, q: float) -> float | None:
        """The q-th percentile gap, to within one bin (its upper edge); None when empty."""
        return percentile_of(self.counts, self.total, q)


# A slice of the window is five minutes of gaps, so the window moves in steps of a
# twelfth of an hour: the figure read from it cannot swing within a minute.
SLICE = 300.0
# A slower feed's slice runs on, up to half an hour, until it holds this many gaps, so a
# feed with one message a minute keeps a dozen slices, not seventy.
SLICE_GAPS = 17
LONG_SLICE = 1800.0
# The window covers at least the last hour...
WINDOW = 3600.0
# ...and, for a feed too slow to fill it, reaches back up to six hours for enough gaps.
LONGEST = 6 * 3600.0


class _Slice(NamedTuple):
    """A closed slice: its counts from bin ``low`` up (trimmed to the bins it used)."""

    start: float
    end: float
    low: int
    counts: array[int]
    gaps: int
    left_out: int


@dataclass(frozen=True, slots=True)
class GapEvidence:
    """What a window holds now: the normal gaps, the span they cover, and what was left out."""

    gaps: int
    span: float  # seconds from the start of the oldest slice to the latest data
    p99: float | None
    left_out: int  # gaps in the same span that were not normal (stalls, reconnects, pauses)


class GapWindow:
    """Gaps of about the last hour, in slices of one log histogram, with bounded memory.

    The hot path (``add``) compares one time, takes one logarithm and bumps one counter.
    Once per slice the open slice closes (trimmed to the bins it used, and added to the
    window's totals) and slices the window no longer needs are subtracted and dropped:
    once the newer ones alone cover ``WINDOW`` and hold ``enough`` gaps, or once they are
    ``LONGEST`` old. A busy feed keeps 13 slices (a few KB); a slow one a few more, each small.
    """

    __slots__ = (
        "_closed",
        "_closed_gaps",
        "_closed_left_out",
        "_ends",
        "_enough",
        "_open",
        "_open_left_out",
        "_slices",
        "_started",
    )

    def __init__(self, enough: int) -> None:
        self._enough = enough
        self._slices: deque[_Slice] = deque()  # closed, oldest first
        self._closed = array("Q", bytes(8 * BINS))  # the closed slices' counts, summed
        self._closed_gaps = self._closed_left_out = 0
        self._open = array("I", bytes(4 * BINS))
        self._open_left_out = 0
        self._started = 0.0
        self._ends = -math.inf  # the first gap opens a slice

    @property
    def slices(self) -> int:
        """How many slices the window holds, the open one included (memory is about this)."""
        return len(self._slices) + 1

    def add(self, now: float, gap: float) -> None:
        """One normal gap that ended at ``now`` (monotonic); ``bin_of``, inlined."""
        if now >= self._ends:
            self._roll(now, now - gap)  # a slice opened by a gap covers the gap too
        if gap <= _FLOOR:
            self._open[0] += 1
        else:
            index = int(_log2(gap / _FLOOR) * _PER_DOUBLING)
            self._open[index if index < BINS else BINS - 1] += 1

    def leave_out(self, now: float) -> None:
        """One gap that ended at ``now`` and says nothing of the feed's normal rhythm."""
        if now >= self._ends:
            self._roll(now)
        self._open_left_out += 1

    def evidence(self, now: float, latest: float | None) -> GapEvidence:
        """The window as of ``now``, its span running to ``latest`` (the last data)."""
        if now >= self._ends:
            self._roll(now)
        else:
            self._expire(now)
        counts = [c + o for c, o in zip(self._closed, self._open, strict=True)]
        total = sum(counts)
        first = self._slices[0].start if self._slices else self._started
        span = 0.0 if latest is None or not total else max(0.0, latest - first)
        left_out = self._closed_left_out + self._open_left_out
        return GapEvidence(total, span, percentile_of(counts, total, 99), left_out)

    def _roll(self, now: float, start: float | None = None) -> None:
        """The open slice is due: close it (a thin one may run on), then expire old ones;
        a new slice counts from ``start`` (default ``now``)."""
        gaps = sum(self._open)
        if gaps or self._open_left_out:
            if gaps < SLICE_GAPS and now < self._started + LONG_SLICE:
                self._ends = self._started + LONG_SLICE
                self._expire(now)
                return
            self._close(now, gaps)
        self._started = now if start is None else start
        self._ends = self._started + SLICE
        self._expire(now)

    def _close(self, now: float, gaps: int) -> None:
        counts, totals = self._open, self._closed
        used = [i for i in range(BINS) if counts[i]]
        low, high = (used[0], used[-1] + 1) if used else (0, 0)
        for index in used:
            totals[index] += counts[index]
        used_counts = counts[low:high]
        if used_counts and max(used_counts) < 1 << 16:  # most slices: half the memory
            used_counts = array("H", used_counts)
        # Every gap in it ended before it was due (a later one would have closed it first).
        end = min(now, self._ends)
        kept = _Slice(self._started, end, low, used_counts, gaps, self._open_left_out)
        self._slices.append(kept)
        self._closed_gaps += gaps
        self._closed_left_out += self._open_left_out
        self._open = array("I", bytes(4 * BINS))
        self._open_left_out = 0

    def _expire(self, now: float) -> None:
        slices = self._slices
        while slices:
            oldest = slices[0]
            newer_start = slices[1].start if len(slices) > 1 else self._started
            rest = self._closed_gaps - oldest.gaps + sum(self._open)
            covered = now - newer_start >= WINDOW and rest >= self._enough
            if not covered and oldest.end >= now - LONGEST:
                return
            slices.popleft()
            totals = self._closed
            for offset, count in enumerate(oldest.counts):
                totals[oldest.low + offset] -= count
            self._closed_gaps -= oldest.gaps
            self._closed_left_out -= oldest.left_out
