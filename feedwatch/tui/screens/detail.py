"""One feed up close: its gaps charted against the threshold, the facts behind its state,
and a threshold suggested from its own normal gaps (and each channel's from its own),
which one key offers to apply.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Label, Static

from feedwatch.engine.snapshot import FeedDetail
from feedwatch.engine.suggest import Advice, Suggestion, left_out_text
from feedwatch.engine.view import EngineView
from feedwatch.tui.history_view import FeedHistory, HistoryView
from feedwatch.tui.screens.confirm_threshold import ConfirmThreshold
from feedwatch.tui.screens.detail_text import (
    channel_advice_lines,
    connection_facts,
    event_lines,
    raw_lines,
    seconds,
    stats_facts,
)
from feedwatch.tui.screens.history_text import HISTORY_OFF, incident_lines, uptime_table
from feedwatch.tui.widgets.cells import STATE_SYMBOL
from feedwatch.tui.widgets.gap_charts import GapHistogram, GapSeries, GapTimeline
from feedwatch.tui.widgets.state_timeline import StateSeries, StateTimeline

APPLY_ID = "detail.apply_suggestion"
EVENTS_SHOWN = 20
INCIDENTS_SHOWN = 12


class DetailScreen(Screen[None]):
    """Everything known about one feed, re-sampled on a timer so render cost stays flat."""

    class ThresholdApplied(Message):
        """Bubbles to the app after a suggestion is applied, so it can offer to save it."""

        def __init__(self, feed: str, seconds: float) -> None:
            super().__init__()
            self.feed = feed
            self.seconds = seconds

    CSS_PATH = "detail.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,q",
            "back",
            "Back",
            id="detail.back",
            tooltip="Return to the feed list",
        ),
        Binding(
            "a",
            "apply_suggestion",
            "Apply suggested threshold",
            id=APPLY_ID,
            tooltip="Set this feed's stale_after to the suggested value "
            "(4 x p99 of its normal gaps), after asking",
        ),
    ]

    # Textual declares these without ClassVar, so annotating them here would not type-check.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (40, "-tall")]

    def __init__(
        self,
        engine: EngineView,
        feed_name: str,
        refresh_interval: float = 0.25,
        history: HistoryView | None = None,
    ) -> None:
        super().__init__()
        self.engine = engine
        self.feed_name = feed_name
        self.refresh_interval = refresh_interval
        self.history = history
        self._past: FeedHistory | None = None  # the history shown, as last read
        self.detail: FeedDetail | None = None
        self.advice: Advice | None = None
        self.suggestion: Suggestion | None = None
        self._shown: dict[str, object] = {}
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="title"):
            yield Label(Content(self.feed_name), id="feed-name")
            yield Label(id="feed-state")
            yield Label(id="feed-url")
        with VerticalScroll(id="body"):
            yield Static(id="suggestion")
            with Horizontal(id="charts"):
                yield GapTimeline(id="timeline", classes="panel")
                yield GapHistogram(id="histogram", classes="panel")
            with Horizontal(id="facts"):
                yield Static(id="stats", classes="panel")
                yield Static(id="connection", classes="panel")
            yield Static(id="channels", classes="panel lines")
            if self.history is None:
                yield Static(HISTORY_OFF, id="history-off", classes="panel", markup=False)
            else:
                with Horizontal(id="history"):
                    yield Static(id="uptime", classes="panel")
                    yield StateTimeline(id="states", classes="panel")
                yield Static(id="incidents", classes="panel lines")
            with Horizontal(id="logs"):
                yield Static(id="raw", classes="panel lines")
                yield Static(id="events", classes="panel lines")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#stats").border_title = "Traffic"
        self.query_one("#connection").border_title = "Connection"
        self.query_one(
            "#channels"
        ).border_title = "Channels: stale_after suggested from each one's gaps"
        if self.history is None:
            self.query_one("#history-off").border_title = "History"
        else:
            self.query_one("#uptime").border_title = "Uptime"
            self.query_one("#uptime").border_subtitle = "quiet, paused left out"
            self.query_one("#states").border_title = "States over the last 24 h"
        self.sample()
        self._timer = self.set_interval(self.refresh_interval, self.sample)

    def on_screen_suspend(self) -> None:
        # Nothing to sample for while another screen (help, a dialog) covers this one.
        if self._timer is not None:
            self._timer.pause()

    def on_screen_resume(self) -> None:
        if self._timer is not None:
            self.sample()
            self._timer.resume()

    def sample(self) -> None:
        """Copy the feed's state once and redraw only what changed since the last copy."""
        detail = self.engine.feed_detail(self.feed_name)
        feed = detail.feed
        self.detail = detail
        self.advice = detail.advice
        self.suggestion = None if detail.advice is None else detail.advice.suggestion

        state = self.query_one("#feed-state", Label)
        if self._changed("state", (feed.state, feed.storm)):
            # The row's own symbol, so the title and the table say the state the same way.
            symbol = STATE_SYMBOL[feed.state]
            state.update(f"{symbol} {feed.state.upper()}" + ("  ⚡ STORM" if feed.storm else ""))
            state.set_classes(f"-{feed.state}" + (" -storm" if feed.storm else ""))
        self._put("#feed-url", Label, Content(feed.url))  # literal text: URLs may hold "["
        self._put("#suggestion", Static, self._suggestion_text())
        series = GapSeries(
            ages=tuple(t - feed.taken_at for t, _ in detail.gaps),
            gaps=tuple(g for _, g in detail.gaps),
            stale_after=feed.stale_after,
            suggested=None if self.suggestion is None else self.suggestion.seconds,
            p99=feed.gaps.p99,
        )
        timeline, histogram = self.query_one(GapTimeline), self.query_one(GapHistogram)
        timeline.show(series)
        histogram.show(series)
        span = f" over {seconds(-series.ages[0])}" if series.ages else ""
        self._title(timeline, f"Gap between data messages{span} (log scale)")
        self._title(histogram, f"Gap distribution ({len(series.gaps)} gaps)")
        self._put("#stats", Static, stats_facts(feed))
        self._put("#connection", Static, connection_facts(feed))
        channels = self.query_one("#channels", Static)
        channels.display = bool(detail.channel_advice)
        self._put("#channels", Static, channel_advice_lines(detail.channel_advice))
        raw = self.query_one("#raw", Static)
        self._title(raw, f"Raw messages (latest {len(detail.raw)}, newest first)")
        self._put("#raw", Static, raw_lines(detail.raw))
        events = self.query_one("#events", Static)
        shown_events = detail.events[-EVENTS_SHOWN:]
        self._title(events, f"Events (latest {len(shown_events)}, newest first)")
        self._put("#events", Static, event_lines(shown_events))
        self._show_history()

    def _show_history(self) -> None:
        """The feed's past from the store, read again at most every few seconds."""
        if self.history is None:
            return
        self.history.refresh()
        past = self.history.feed(self.feed_name)
        if past is None or past is self._past:
            return
        self._past = past
        self._put("#uptime", Static, uptime_table(past.uptimes))
        self.query_one(StateTimeline).show(StateSeries(past.spans, past.since, past.now))
        shown = past.incidents[:INCIDENTS_SHOWN]
        incidents = self.query_one("#incidents", Static)
        more = (
            f"latest {len(shown)} of {len(past.incidents)}, "
            if len(shown) < len(past.incidents)
            else ""
        )
        self._title(incidents, f"Incidents in the last 7 days ({more}newest first)")
        self._put("#incidents", Static, incident_lines(shown, past.now))

    def _changed(self, key: str, value: object) -> bool:
        if self._shown.get(key) == value:
            return False
        self._shown[key] = value
        return True

    def _title(self, widget: Widget, title: str) -> None:
        # Setting a border title repaints the widget, even when the text is the same.
        if self._changed(f"title:{widget.id}", title):
            widget.border_title = title

    def _put(self, selector: str, kind: type[Static], content: Content) -> None:
        if self._changed(selector, content):
            self.query_one(selector, kind).update(content)

    def _suggestion_text(self) -> Content:
        detail, advice, suggestion = self.detail, self.advice, self.suggestion
        assert detail is not None
        current = seconds(detail.feed.stale_after)
        if advice is None or suggestion is None:
            return Content.assemble(
                ("No suggested threshold: ", "bold"),
                "no gaps yet" if advice is None else advice.why_not,
                f". stale_after stays {current}.",
            )
        if not suggestion.differs:
            head = Content.assemble(
                ("stale_after is ", "bold"),
                (current, "bold $text-success"),
                (", as suggested.", "bold"),
            )
        else:
            head = Content.assemble(
                ("Suggested stale_after: ", "bold"),
                (seconds(suggestion.seconds), "bold $text-success"),
                f"  (now {current}).  Press ",
                (self._apply_key(), "bold $text-accent"),
                " to apply.",
            )
        lines = [head, Content.styled(suggestion.rule, "$text-muted")]
        if advice.evidence.left_out:
            lines.append(Content.styled(left_out_text(advice.evidence.left_out), "$text-muted"))
        return Content("\n").join(lines)

    def _apply_key(self) -> str:
        """The key that applies the suggestion, as the footer shows it (it may be remapped)."""
        for active in self.active_bindings.values():
            if active.binding.id == APPLY_ID:
                return self.app.get_key_display(active.binding)
        return "a"

    def action_back(self) -> None:
        """Leave the detail view for whatever screen opened it."""
        self.dismiss()

    def action_apply_suggestion(self) -> None:
        """Offer the suggested threshold, old -> new, so the user acts on the evidence shown."""
        self.sample()
        suggestion = self.suggestion
        if suggestion is None:
            self.notify(
                self._suggestion_text().plain.splitlines()[0],
                title="Nothing to apply",
                severity="warning",
                markup=False,
            )
            return
        if not suggestion.differs:
            self.notify(
                f"stale_after is already {seconds(suggestion.current)}",
                title="No change",
                markup=False,
            )
            return
        dialog = ConfirmThreshold(
            self.feed_name, suggestion.current, suggestion.seconds, suggestion.rule
        )
        self.app.push_screen(dialog, partial(self._answered, suggestion))

    def _answered(self, suggestion: Suggestion, apply: bool | None) -> None:
        """The confirmation came back: apply what it showed, or leave the threshold be."""
        if not apply:
            return
        self.engine.set_stale_after(self.feed_name, suggestion.seconds)
        self.post_message(self.ThresholdApplied(self.feed_name, suggestion.seconds))
        self.notify(
            f"{self.feed_name}: stale_after {seconds(suggestion.current)} → "
            f"{seconds(suggestion.seconds)}",
            title="Threshold applied",
            markup=False,  # feed names are the user's text, not markup
        )
        self.sample()
