"""Plotext charts of a feed's inter-message gaps, coloured from the app's theme
(see ``themed_plot``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual_plotext.plot import Plot

from feedwatch.tui.widgets.themed_plot import Legend, ThemedPlot, set_ticks

EMPTY_MESSAGE = "No gaps yet: a gap is the time between two data messages."
# The shortest gap the timeline shows apart: below a millisecond a gap is a burst, and a
# staleness threshold is never about it (such gaps are drawn on the floor).
FLOOR = 0.001


@dataclass(frozen=True)
class GapSeries:
    """The gaps both charts draw and the thresholds they are judged against."""

    # Seconds before the sample when each gap ended (<= 0), oldest first.
    ages: tuple[float, ...]
    gaps: tuple[float, ...]
    stale_after: float
    suggested: float | None = None
    p99: float | None = None

    @property
    def new_suggestion(self) -> float | None:
        """The suggested threshold, if it differs from the current one."""
        if self.suggested is None or math.isclose(self.suggested, self.stale_after):
            return None
        return self.suggested


class GapChart(ThemedPlot[GapSeries]):
    """Common ground for the gap charts: theme colours, a legend, an empty state."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "gap-chart--axes",
        "gap-chart--gaps",
        "gap-chart--threshold",
        "gap-chart--suggested",
        "gap-chart--p99",
    }

    AXES = "gap-chart--axes"
    EMPTY = EMPTY_MESSAGE

    DEFAULT_CSS = """
    GapChart {
        height: 1fr;
        min-height: 8;
        & > .gap-chart--axes { color: $foreground-muted; }
        & > .gap-chart--gaps { color: $primary; }
        & > .gap-chart--threshold { color: $error; }
        & > .gap-chart--suggested { color: $success; }
        & > .gap-chart--p99 { color: $warning; }
    }
    """

    def show(self, data: GapSeries) -> None:
        super().show(data)
        self.show_legend(self.legend(data) if data.gaps else ())

    def legend(self, series: GapSeries) -> Legend:
        """What the coloured lines mean; shown in the border so it never hides data."""
        return ()

    def nothing_to_draw(self, data: GapSeries) -> bool:
        return not data.gaps


class GapTimeline(GapChart):
    """Each gap at the moment it ended, under the stale_after line it must stay below.

    The y axis is logarithmic: thresholds sit 3-5x above the typical gap, and a
    linear axis would flatten every gap against the bottom of the chart.
    """

    def legend(self, series: GapSeries) -> Legend:
        items = [("gap-chart--threshold", f"stale_after {series.stale_after:g}s")]
        if series.new_suggestion is not None:
            items.append(("gap-chart--suggested", f"suggested {series.new_suggestion:g}s"))
        return tuple(items)

    def draw(self, plt: Plot, series: GapSeries) -> None:
        lines = {"gap-chart--threshold": series.stale_after}
        if series.new_suggestion is not None:
            lines["gap-chart--suggested"] = series.new_suggestion
        shortest = min([g for g in series.gaps if g > FLOOR] + list(lines.values()))
        low = max(FLOOR, 10.0 ** math.floor(math.log10(shortest)))
        high = max(*series.gaps, *lines.values()) * 1.5
        start = min(series.ages[0], -1.0)
        # Thresholds first, as solid rules (the gaps are braille dots), so a gap that
        # crosses one is drawn over it and the two never look alike in any theme.
        for component, value in lines.items():
            plt.hline(math.log10(value), self.color(component))
        ages, gaps = column_peaks(series.ages, series.gaps, start, max(1, self.size.width - 8))
        plt.plot(
            ages,
            [math.log10(max(g, low)) for g in gaps],
            marker="braille",
            color=self.color("gap-chart--gaps"),
        )
        yticks = log_ticks(low, high, max(2, self.size.height // 3))
        set_ticks(plt, "y", [math.log10(t) for t in yticks], [human(t) for t in yticks])
        plt.ylim(math.log10(low), math.log10(high))
        xticks = ago_ticks(-start, max(2, self.size.width // 12))
        set_ticks(
            plt, "x", [-t for t in xticks], ["now" if t == 0 else f"-{human(t)}" for t in xticks]
        )
        plt.xlim(start, 0.0)
        plt.xlabel("ago")


class GapHistogram(GapChart):
    """How the gaps are distributed, with the p99 that the suggestion is built on."""

    def legend(self, series: GapSeries) -> Legend:
        return () if series.p99 is None else (("gap-chart--p99", f"p99 {series.p99:.3g}s"),)

    def draw(self, plt: Plot, series: GapSeries) -> None:
        low, high = min(series.gaps), max(series.gaps)
        if high - low < 1e-9:
            low, high = low * 0.5, high * 1.5 + 1e-3
        bins = max(5, min(60, (self.size.width - 8) // 2))
        width = (high - low) / bins
        counts = [0] * bins
        for gap in series.gaps:
            counts[min(bins - 1, int((gap - low) / width))] += 1
        centres = [low + width * (i + 0.5) for i in range(bins)]
        plt.bar(centres, counts, color=self.color("gap-chart--gaps"), width=1.0)
        if series.p99 is not None:
            plt.vline(series.p99, self.color("gap-chart--p99"))
        # Ticks a label-width apart and short of the right edge, where plotext would drop one.
        steps = max(2, min(5, (self.size.width - 8) // 10))
        xticks = nice_ticks(low, high, steps)
        set_ticks(plt, "x", xticks, [human(t) for t in xticks])
        yticks = count_ticks(max(counts), max(2, self.size.height // 3))
        set_ticks(plt, "y", [float(t) for t in yticks], [str(t) for t in yticks])
        plt.xlim(low, high)
        plt.ylim(0, max(counts))
        plt.xlabel("gap")


def column_peaks(
    ages: Sequence[float], gaps: Sequence[float], start: float, columns: int
) -> tuple[list[float], list[float]]:
    """The longest gap in each character column: what matters for staleness, at the cost
    of drawing one point per column instead of one per gap (plotext's time grows with both).
    """
    if len(gaps) <= columns:
        return list(ages), list(gaps)
    peaks: dict[int, tuple[float, float]] = {}
    for age, gap in zip(ages, gaps, strict=True):
        column = min(columns - 1, int((age - start) / -start * columns))
        kept = peaks.get(column)
        if kept is None or gap >= kept[1]:
            peaks[column] = (age, gap)
    ordered = [peaks[c] for c in sorted(peaks)]
    return [a for a, _ in ordered], [g for _, g in ordered]


def ago_ticks(span: float, most: int) -> list[float]:
    """Round "seconds ago" ticks (0, 10, 20... or 0, 60, 120...) that fit ``most`` labels."""
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400):
        if span / step < most:
            break
    return [float(step * k) for k in range(int(span // step) + 1)]


def log_ticks(low: float, high: float, most: int) -> list[float]:
    """1-2-5 ticks between ``low`` and ``high``, thinned to decades (then every other or
    third decade) when space is short; always at least two."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    for steps in ((1.0, 2.0, 5.0), (1.0, 3.0), (1.0,)):
        ticks = [float(f"{m:g}e{e}") for e in range(first, last + 1) for m in steps]
        ticks = [t for t in ticks if low <= t <= high]
        if len(ticks) <= most:
            return ticks
    decades = [float(f"1e{e}") for e in range(first, last + 1) if low <= 10.0**e <= high]
    stride = math.ceil(len(decades) / max(2, most))
    return decades[::stride] if len(decades[::stride]) >= 2 else [low, high]


def nice_ticks(low: float, high: float, most: int) -> list[float]:
    """Round ticks (multiples of 1, 2 or 5 x 10^n) inside ``low``..``high``, at most ``most``
    and at least two (the ends, when no round step fits)."""
    span = high - low
    if span <= 0:
        return [low]
    for exponent in range(math.floor(math.log10(span / most)) - 1, 20):
        for m in (1, 2, 5):
            step = m * 10.0**exponent
            first = math.ceil(low / step) * step
            ticks = [first + k * step for k in range(int((high - first) / step + 1e-9) + 1)]
            if 2 <= len(ticks) <= most:
                return [float(f"{t:.12g}") for t in ticks]
    return [low, high]


def human(seconds: float) -> str:
    """A duration as a person reads it on an axis: 500µs, 5ms, 250ms, 2s, 1.5min, 2h."""
    value = abs(seconds)
    for unit, size in (("h", 3600.0), ("min", 60.0), ("s", 1.0), ("ms", 1e-3)):
        if value >= size or (unit == "ms" and value >= 1e-4):
            return f"{value / size:.3g}{unit}"
    return f"{value / 1e-6:.3g}µs"


def count_ticks(top: int, most: int) -> list[int]:
    """Whole-number ticks from 0 in 1-2-5 steps, at most ``most`` of them."""
    for exponent in itertools.count():
        for m in (1, 2, 5):
            step = m * 10**exponent
            if top // step < most:
                return list(range(0, top + 1, step))
    raise AssertionError("unreachable: some step always fits")
