"""The top line: overall status counts, a history file that fails, local time and the
config in use."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from feedwatch.engine.liveness import State
from feedwatch.engine.snapshot import FeedSnapshot
from feedwatch.history.status import HistoryStatus
from feedwatch.tui.palette import Palette
from feedwatch.tui.widgets.cells import STATE_SYMBOL


def overall(feeds: list[FeedSnapshot]) -> Counter[str]:
    """Counts for the header: live, stale, reconnecting (connecting + backoff), paused, quiet."""
    counts: Counter[str] = Counter()
    for feed in feeds:
        if feed.state in (State.CONNECTING, State.BACKOFF):
            counts["reconnecting"] += 1
        else:
            counts[str(feed.state)] += 1
    return counts


class StatusHeader(Static):
    """One line that answers "is everything fine?" before you read the table."""

    def __init__(self, source: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = source
        self.palette = Palette.monochrome()

    def show(
        self, feeds: list[FeedSnapshot], wall: float, history: HistoryStatus | None = None
    ) -> None:
        """Draw the line; ``history`` adds a warning while its file takes no writes."""
        p = self.palette
        counts = overall(feeds)
        text = Text()
        text.append(" feedwatch ", style=p.accent + Style(bold=True))
        parts = [
            ("live", STATE_SYMBOL[State.LIVE], p.live),
            ("stale", STATE_SYMBOL[State.STALE], p.stale),
            ("reconnecting", STATE_SYMBOL[State.BACKOFF], p.warn),
            ("paused", STATE_SYMBOL[State.PAUSED], p.muted),
        ]
        if counts.get("quiet"):  # only feeds with quiet hours have any; no clutter otherwise
            parts.append(("quiet", STATE_SYMBOL[State.QUIET], p.text))
        for state, style in ((State.FROZEN, p.stale), (State.LAGGING, p.warn)):
            if counts.get(str(state)):  # content signals: shown only when they fire
                parts.append((str(state), STATE_SYMBOL[state], style))
        for name, symbol, style in parts:
            n = counts.get(name, 0)
            text.append(f" {symbol} {n} {name} ", style=style if n else p.muted)
        if history is not None and not history.ok:
            # Before the clock and the source: the ellipsis takes those first.
            text.append(f" ⚠ {history.short()} ", style=p.warn)
        clock = datetime.fromtimestamp(wall).strftime("%H:%M:%S")
        text.append(f"  {clock}", style=p.text)
        text.append(f"  {self.source}", style=p.muted)
        text.no_wrap = True
        text.overflow = "ellipsis"
        self.update(text)
