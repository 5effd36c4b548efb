"""The values + and - step stale_after through, and the bounds a new threshold is held to.

People write thresholds as round durations ("1.5s", "90s", "5m"), so the keys step
through those rather than multiplying by 1.25 into "6.103515625s", and Ctrl+S writes
back a value as people would have typed it. A threshold below the feed's typical gap
would call it stale between ordinary messages; one above auto_max is past the ceiling
the config allows for learned thresholds.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from feedwatch.config.durations import format_duration

HUMAN_STEPS: tuple[float, ...] = (
    0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 15.0, 30.0, 45.0,
    60.0, 90.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0,
    7200.0, 10800.0, 21600.0, 43200.0, 86400.0,
)  # fmt: skip
_EPSILON = 1e-9


def next_step(current: float, up: bool) -> float | None:
    """The next human value above (or below) ``current``; None past the ends of the list."""
    if up:
        index = bisect.bisect_right(HUMAN_STEPS, current + _EPSILON)
        return HUMAN_STEPS[index] if index < len(HUMAN_STEPS) else None
    index = bisect.bisect_left(HUMAN_STEPS, current - _EPSILON)
    return HUMAN_STEPS[index - 1] if index > 0 else None


@dataclass(frozen=True)
class ThresholdBounds:
    """What a feed's stale_after should stay within: its p50 gap (when seen) and auto_max."""

    p50_gap: float | None
    auto_max: float

    def problem(self, seconds: float) -> str | None:
        """Why ``seconds`` is a poor threshold for this feed, or None when it is within."""
        if self.p50_gap is not None and seconds < self.p50_gap:
            return (
                f"below the feed's typical gap (p50 {format_duration(round(self.p50_gap, 3))}): "
                "it would go stale between ordinary messages"
            )
        if seconds > self.auto_max:
            return f"above auto_max ({format_duration(self.auto_max)})"
        return None
