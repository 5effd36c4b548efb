"""Log-scale histograms of data gaps: the bins and one histogram.

A gap costs one logarithm and a few increments, whatever the message rate, and a
percentile is read from the bins (to within one bin, about 9 %) only when someone asks.
``stale_after = "auto"`` keeps one histogram per hour of the week (``learned``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

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
