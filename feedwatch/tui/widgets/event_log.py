"""The reconnect / event log: timestamped, severity-coloured, newest last."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.widgets import RichLog

from feedwatch.engine.events import Event, Severity, restates
from feedwatch.tui.palette import Palette

KEEP = 500
PAUSED = "following paused — End to resume"
# The most lines drawn for one refresh; more than a screen is never read anyway.
BURST = 40


@dataclass(frozen=True)
class LogMark:
    """A line that is not an event, such as where feedwatch started; shown for every feed."""

    ts: float
    text: str


LogLine = Event | LogMark


class EventLog(RichLog):
    """Shows every feed's events, or only the selected feed's (``follow``).

    It follows new lines while scrolled to the end; scrolled up (PageUp, the wheel) it
    stays put so the past can be read, says so in its title, and follows again at the end
    (End, or scrolling back down).
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, wrap=False, markup=False, highlight=False, max_lines=KEEP)
        self.palette = Palette.monochrome()
        self.follow: str | None = None  # a feed name, or None for all feeds
        self._events: deque[LogLine] = deque(maxlen=KEEP)

    def add(self, events: Sequence[LogLine]) -> None:
        """Append new events; draw at most a screenful, so a burst never stalls the UI."""
        self._events.extend(events)
        shown = [e for e in events if self._shows(e)]
        if not shown:
            return
        following = self.following
        if len(shown) > BURST:
            skipped = len(shown) - BURST
            text = Text(f"… {skipped} more events in this burst", style=self.palette.muted)
            self.write(text, scroll_end=following)
            shown = shown[-BURST:]
        for event in shown:
            self.write(self._line(event), scroll_end=following)
        self._say_following(following)

    @property
    def following(self) -> bool:
        """Whether new lines scroll into view: the log is at its end (or has no scroll)."""
        return self.max_scroll_y == 0 or self.scroll_offset.y >= self.max_scroll_y

    def _say_following(self, following: bool) -> None:
        """The log's title says what it shows and whether it follows, while that matters."""
        parts = [] if self.follow is None else [f"{self.follow} only (f: all feeds)"]
        if not following:
            parts.append(PAUSED)
        title = " · ".join(parts) or None
        if self.border_title != title:
            self.border_title = title

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self.border_title is not None and self.following:
            self._say_following(True)  # back at the end: following again

    def preload(self, lines: Sequence[LogLine]) -> None:
        """Lines from before this run (the history), drawn whole above what follows."""
        self._events.extend(lines)
        self.redraw()

    def set_follow(self, feed: str | None) -> None:
        """Show one feed's events (or all) and redraw from what is kept."""
        if feed == self.follow and self.lines:
            return
        self.follow = feed
        self.redraw()
        self._say_following(True)

    def redraw(self) -> None:
        self.clear()
        for event in self._events:
            if self._shows(event):
                self.write(self._line(event))

    def _shows(self, line: LogLine) -> bool:
        # Marks and feedwatch's own events (feed "", e.g. history) belong to every feed.
        if isinstance(line, LogMark):
            return True
        if restates(line):
            return False
        if self.follow is None or not line.feed:
            return True
        return line.feed == self.follow

    def _line(self, event: LogLine) -> Text:
        p = self.palette
        if isinstance(event, LogMark):
            return Text(event.text, style=p.muted)
        style = {Severity.INFO: p.text, Severity.WARNING: p.warn, Severity.ERROR: p.stale}[
            event.severity
        ]
        text = Text(datetime.fromtimestamp(event.ts).strftime("%H:%M:%S "), style=p.muted)
        text.append(event.describe(), style=style)
        return text
