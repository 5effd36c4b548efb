"""The top line: overall status counts, a history file that fails, local time and the
config in use."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from feedwatch.engine.snapshot import FeedSnapshot
from feedwatch.engine.verdict import SEVERITY_ORDER, State
from feedwatch.history.status import HistoryStatus
from feedwatch.tui.palette import Palette
from feedwatch.tui.widgets.cells import STATE_SYMBOL, state_style


def overall(feeds: list[FeedSnapshot]) -> Counter[str]:
    """Counts for the header: one per feed under its verdict's word, and storms apart."""
    counts: Counter[str] = Counter(str(feed.state) for feed in feeds)
    counts[STORM] = sum(1 for feed in feeds if feed.storm)
    return counts


STORM = "storm"
# Always shown, even at zero: the answer to "is everything fine?" has these four parts.
ALWAYS = (State.LIVE, State.STALE, State.BACKOFF, State.PAUSED)


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
        text.append(" feedwatch", style=p.accent + Style(bold=True))
        # The rows' own words and symbols, worst first; the rarer states only when present.
        # A storm is no state but a problem: it stands with the problems, before live.
        for state in sorted(State, key=SEVERITY_ORDER.__getitem__):
            if state is State.LIVE and counts[STORM]:
                text.append(f" ⚡ {counts[STORM]} {STORM}", style=p.stale)
            n = counts.get(str(state), 0)
            if n or state in ALWAYS:
                style = state_style(state, p) if n else p.muted
                text.append(f" {STATE_SYMBOL[state]} {n} {state}", style=style)
        if history is not None and not history.ok:
            # Before the clock and the source: the ellipsis takes those first.
            text.append(f" ⚠ {history.short()} ", style=p.warn)
        clock = datetime.fromtimestamp(wall).strftime("%H:%M:%S")
        text.append(f"  {clock}", style=p.text)
        text.append(f"  {self.source}", style=p.muted)
        text.no_wrap = True
        text.overflow = "ellipsis"
        self.update(text)
