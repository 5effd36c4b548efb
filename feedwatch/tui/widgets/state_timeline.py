"""A feed's states over the last day, one lane each, from the history store: the
engine's verdicts (partial included), then the time nobody watched.

Every span is drawn, however short: a ten-second outage in a day still takes a cell,
because an outage too small to see is one nobody investigates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual_plotext.plot import Plot

from feedwatch.history.uptime import STATES, UNMONITORED, Span
from feedwatch.tui.widgets.themed_plot import ThemedPlot, set_ticks

# Lane labels, top to bottom; "unmonitored" is time no feedwatch was running.
LABELS = {UNMONITORED: "unwatched"}
EMPTY_MESSAGE = "Nothing recorded in this window yet."
# Hour steps for the x axis, the first that leaves room for every label.
HOUR_STEPS = (1, 2, 3, 6, 12, 24, 48, 168)


@dataclass(frozen=True)
class StateSeries:
    spans: tuple[Span, ...]
    since: float
    until: float


def lane_runs(spans: tuple[Span, ...], state: str, join: float) -> list[tuple[float, float]]:
    """One state's spans, joined where less than ``join`` apart (the same cell on screen)."""
    runs: list[tuple[float, float]] = []
    for start, end, kind in spans:
        if kind != state:
            continue
        if runs and start - runs[-1][1] < join:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((start, end))
    return runs


class StateTimeline(ThemedPlot[StateSeries]):
    """Each verdict's time (live, partial, stale, frozen, lagging, backoff, connecting,
    quiet, paused) and the unwatched time, hour by hour."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "state-timeline--axes",
        *(f"state-timeline--{state}" for state in STATES),
    }

    AXES = "state-timeline--axes"
    EMPTY = EMPTY_MESSAGE

    DEFAULT_CSS = """
    StateTimeline {
        height: 15;
        & > .state-timeline--axes { color: $foreground-muted; }
        & > .state-timeline--live { color: $success; }
        & > .state-timeline--partial { color: $error; }
        & > .state-timeline--stale { color: $error; }
        & > .state-timeline--frozen { color: $error; }
        & > .state-timeline--lagging { color: $warning; }
        & > .state-timeline--backoff { color: $warning; }
        & > .state-timeline--connecting { color: $accent; }
        & > .state-timeline--quiet { color: $secondary; }
        & > .state-timeline--paused { color: $foreground-muted; }
        & > .state-timeline--unmonitored { color: $foreground-muted; }
    }
    """

    def nothing_to_draw(self, data: StateSeries) -> bool:
        return not data.spans

    def draw(self, plt: Plot, series: StateSeries) -> None:
        hours = (series.until - series.since) / 3600
        width = max(1, self.size.width - 12)  # the plot area, short of the lane labels
        join = (series.until - series.since) / width
        top = len(STATES) - 1
        for lane, state in enumerate(STATES):
            marker = "░" if state == UNMONITORED else "█"
            color = self.color(f"state-timeline--{state}")
            for start, end in lane_runs(series.spans, state, join):
                xs = [(start - series.until) / 3600, (end - series.until) / 3600]
                plt.plot(xs, [top - lane] * 2, marker=marker, color=color)
        labels = [LABELS.get(state, state) for state in STATES]
        set_ticks(plt, "y", [float(top - lane) for lane in range(len(STATES))], labels)
        plt.ylim(-0.5, top + 0.5)
        step = next((s for s in HOUR_STEPS if hours / s < max(2, width // 8)), HOUR_STEPS[-1])
        ticks = [-float(step * k) for k in range(int(hours // step), -1, -1)]
        set_ticks(plt, "x", ticks, [f"{t:g}h" if t else "now" for t in ticks])
        plt.xlim(-hours, 0.0)
