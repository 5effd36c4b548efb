"""The dashboard: one consumer of the engine, sampling its state at a fixed rate.

Workers update engine state only. A timer here takes one snapshot per tick
and renders the difference, so the feeds' message rate never becomes the
screen's repaint rate.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from rich.console import RenderableType
from textual import events, on, work
from textual._compositor import CompositorUpdate
from textual._files import generate_datetime_filename
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.notifications import Notification, Notify, SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer, Input

from feedwatch.alerts.alert import Alert
from feedwatch.config.durations import format_duration
from feedwatch.engine.events import Event
from feedwatch.engine.snapshot import FeedSnapshot
from feedwatch.engine.view import EngineView
from feedwatch.history.status import HistoryStatus
from feedwatch.runtime import Runtime, StartFailed
from feedwatch.tui import themes
from feedwatch.tui.command_palette import FeedwatchCommands
from feedwatch.tui.history_view import (
    EventHistory,
    HistoryReader,
    HistoryView,
    backlog,
    history_status,
    read_only_notice,
)
from feedwatch.tui.palette import Palette
from feedwatch.tui.screen_diff import DiffUpdate, ScreenDiff
from feedwatch.tui.screens.detail import DetailScreen
from feedwatch.tui.screens.help import HelpScreen
from feedwatch.tui.screens.threshold import ThresholdDialog
from feedwatch.tui.threshold_steps import ThresholdBounds, next_step
from feedwatch.tui.widgets.event_log import EventLog
from feedwatch.tui.widgets.feed_table import FeedTable
from feedwatch.tui.widgets.status_header import StatusHeader

DEFAULT_REFRESH_HZ = 4.0
# How often uptime is computed again from the history: figures that move slowly.
UPTIME_EVERY = 5.0
# Low-bandwidth mode redraws the gap sparklines this seldom, not on every tick.
STILL_SPARKLINES_EVERY = 60.0

logger = logging.getLogger(__name__)  # not `log`: that is the event log's name here


def _b(key: str, action: str, description: str, tooltip: str, *, show: bool = True,
       key_display: str | None = None) -> Binding:  # fmt: skip
    return Binding(key, action, description, show=show, id=action, tooltip=tooltip,
                   key_display=key_display)  # fmt: skip


class FeedwatchApp(App[int]):
    """Feed liveness at a glance, and the keys to act on it."""

    CSS_PATH = "app.tcss"
    TITLE = "feedwatch"
    COMMANDS: ClassVar = App.COMMANDS | {FeedwatchCommands}
    # Footer order: at 80 columns it shows "? Help", "q Quit" and the first four after them.
    BINDINGS: ClassVar[list[BindingType]] = [
        _b("question_mark", "help", "Help", "Show every key", key_display="?"),
        _b("q", "quit", "Quit", "Leave feedwatch"),
        # At once: no "press Ctrl+Q to quit" prompt (Textual's default for Ctrl+C).
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="quit_now",
                tooltip="Leave feedwatch at once"),
        _b("r", "reconnect", "Reconnect", "Force-reconnect the selected feed"),
        _b("R", "reconnect_all", "Reconnect all", "Force-reconnect every feed", show=False),
        _b("plus,equals_sign", "threshold_up", "Threshold +",
           "Raise stale_after to the next round value (3s, 5s, 10s)", key_display="+"),
        _b("minus", "threshold_down", "Threshold -",
           "Lower stale_after to the round value below, not under p50", key_display="-"),
        _b("p", "toggle_pause", "Pause", "Pause or resume the selected feed"),
        _b("t", "set_threshold", "Set threshold", "Type an exact stale_after, like 90s"),
        _b("ctrl+s", "save_thresholds", "Save", "Write changed thresholds to the config "
           "file, keeping its comments", show=False),
        _b("enter", "details", "Details", "Charts, gap statistics and connection facts"),
        _b("g,home", "first_row", "First feed", "Select the first row of the feed table",
           show=False),
        _b("G,end", "last_row", "Last feed", "Select the last row of the feed table",
           show=False),
        _b("slash", "filter", "Filter", "Filter feeds by name", key_display="/"),
        _b("s", "cycle_sort", "Sort", "Cycle the sort: config order, state, age", show=False),
        _b("l", "toggle_log", "Log", "Show or hide the event log"),
        _b("f", "toggle_follow", "Log: follow", "Log only the selected feed, or all feeds",
           show=False),
        _b("T", "change_theme", "Theme", "Choose a theme (remembered between runs)",
           show=False),
    ]  # fmt: skip

    def __init__(
        self,
        view: EngineView,
        *,
        source: str,
        runtime: Runtime | None = None,
        config_path: Path | None = None,
        refresh_hz: float = DEFAULT_REFRESH_HZ,
        notice: str | None = None,
        history: EventHistory | None = None,
        low_bandwidth: bool = False,
    ) -> None:
        """``view`` is all the dashboard reads and commands; ``runtime`` (when this app runs
        the process, not in tests that drive a scripted engine) starts on mount and stops
        on unmount, and a start that fails ends the app with exit status 2.
        ``low_bandwidth``: ASCII glyphs only, and sparklines that stand still."""
        super().__init__()
        self.view = view
        self.runtime = runtime
        self.start_failure: str | None = None
        # The history store (or anything that lists past events): the log starts with
        # its latest events, and with a full store the table and details show uptime.
        self.history = history
        status = history_status(history)
        recorded = status is None or status.recording  # else the store is empty: no uptime
        self.history_view = (
            HistoryView(history, view.clock.time)
            if isinstance(history, HistoryReader) and recorded
            else None
        )
        self._history_problem: str | None = None
        self._history_failing = False  # the header's warning is up (notified once each way)
        self.source = source
        self.config_path = config_path
        self.refresh_interval = 1.0 / refresh_hz
        self._notice = notice
        self._pending: deque[Event] = deque(maxlen=1000)
        self._unsubscribe = view.subscribe(self._pending.append)
        if runtime is not None:
            runtime.bell = self.ring  # a bell alert beeps and shows a notification here
        self.changed_thresholds: dict[str, float] = {}
        self._screenshot_target: Path | None = None
        # The notification each feed shows now: a new one replaces it, never piles up.
        self._feed_notes: dict[str, Notification] = {}
        self.ticks = 0
        # What the terminal shows: repaints send changes only.
        self.screen_diff = ScreenDiff(ascii_only=low_bandwidth)
        self.low_bandwidth = low_bandwidth
        self._still_gaps: dict[str, tuple[float, ...]] = {}
        self._gaps_taken = -math.inf
        # Themes are settled before the first frame, so nothing is drawn twice.
        loaded, self._theme_problems = themes.load_themes()
        for theme in loaded:
            self.register_theme(theme)
        self.theme = themes.choose_theme(list(self.available_themes), themes.remembered_theme())
        # Held directly: queries would search whichever screen is on top.
        self.header = StatusHeader(source, id="status")
        self.table = FeedTable(id="feeds")
        self.event_log = EventLog(id="log")
        if self.history_view is not None:
            self.table.uptime = {}  # the column shows from the first frame, filled on mount

    # -- layout -------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield self.header
        yield self.table
        yield Input(placeholder="filter feeds by name (Enter keeps it, Esc clears)", id="filter")
        yield self.event_log
        yield Footer()

    async def on_mount(self) -> None:
        for problem in self._theme_problems:
            self.notify(str(problem), title="Theme not loaded", severity="error", timeout=15)
        self.theme_changed_signal.subscribe(self, self._on_theme_changed)
        self._apply_palette()
        recent = self.view.recent_events()
        self._load_backlog(recent[0].ts if recent else self.view.clock.time())
        self.event_log.add(recent)
        self._pending.clear()
        if self.runtime is not None:
            try:
                await self.runtime.start()
            except StartFailed as exc:
                self.start_failure = str(exc)  # said on stderr once the terminal is back
                self.exit(2, return_code=2)
                return
        if self._notice:
            self.notify(self._notice, title="feedwatch", timeout=12)
        if (reader := read_only_notice(self.history)) is not None:
            self.notify(reader, title="History", timeout=12, markup=False)
        if self.history_view is not None:
            self.refresh_uptime()
            self.set_interval(UPTIME_EVERY, self.refresh_uptime)
        self.tick()
        self.set_interval(self.refresh_interval, self.tick)
        self.table.focus()

    def _load_backlog(self, boundary: float) -> None:
        """Start the log with the history before ``boundary``, where this run begins."""
        if self.history is None:
            return
        try:
            lines = backlog(self.history, min(boundary, self.view.clock.time()))
        except Exception as exc:  # a broken history must not stop the dashboard
            logger.exception("history could not be read")
            self._history_trouble(f"{type(exc).__name__}: {exc}")
            return
        self.event_log.preload(lines)

    def refresh_uptime(self) -> None:
        """Each feed's uptime over 24 h, from a read of the history at most every few seconds."""
        view = self.history_view
        if view is None:
            return
        view.refresh()
        self.table.uptime = view.day_uptimes(self.view.feed_names())
        if view.problem is not None:
            self._history_trouble(view.problem)

    def _history_trouble(self, problem: str) -> None:
        if problem != self._history_problem:  # once per problem, not once per read
            self._history_problem = problem
            self.notify(problem, title="History could not be read", severity="error",
                        timeout=15, markup=False)  # fmt: skip

    async def on_unmount(self) -> None:
        self._unsubscribe()
        if self.runtime is not None:
            await self.runtime.stop()

    # -- the refresh loop ---------------------------------------------------

    def tick(self) -> None:
        """Sample the engine once and render what changed."""
        if not self.table.is_attached:
            return  # shutting down
        feeds = self.view.snapshot()
        if self.low_bandwidth:
            feeds = self._still_sparklines(feeds)
        self.table.show(feeds)
        status = history_status(self.history)
        self.header.show(feeds, self.view.clock.time(), status)
        self._history_writes(status)
        log = self.event_log
        if self._pending:
            events = list(self._pending)
            self._pending.clear()
            log.add(events)
        if log.follow is not None:
            log.set_follow(self.table.selected_feed)
        self.ticks += 1

    def _still_sparklines(self, feeds: list[FeedSnapshot]) -> list[FeedSnapshot]:
        """The gaps as sampled at most every STILL_SPARKLINES_EVERY seconds: a sparkline
        that moves on every tick is most of what a low-bandwidth link would carry."""
        now = self.view.clock.monotonic()
        if now - self._gaps_taken >= STILL_SPARKLINES_EVERY:
            self._gaps_taken = now
            self._still_gaps = {f.name: f.recent_gaps for f in feeds}
        still = self._still_gaps
        return [replace(f, recent_gaps=still.get(f.name, f.recent_gaps)) for f in feeds]

    def _history_writes(self, status: HistoryStatus | None) -> None:
        """A notification when the history file stops taking writes, and when it takes
        them again; the header keeps the warning up in between."""
        failing = status is not None and not status.ok
        if status is None or failing == self._history_failing:
            return
        self._history_failing = failing
        if failing:
            self.notify(status.warning(), title="History not recorded", severity="warning",
                        timeout=20, markup=False)  # fmt: skip
        else:
            lost = f"; {status.lost} events were lost" if status.lost else ""
            self.notify(f"Recording to {status.path} again{lost}", title="History",
                        markup=False)  # fmt: skip

    def ring(self, alert: Alert) -> None:
        """A bell alert: the terminal bell and a notification that names the feed."""
        self.bell()
        if alert.active:
            self.notify(alert.message, title="feedwatch alert", severity="error", timeout=15)
        else:
            self.notify(alert.message, title="feedwatch alert", severity="information")

    def _on_theme_changed(self, _: object) -> None:
        self._apply_palette()
        themes.remember_theme(self.theme)

    def _apply_palette(self) -> None:
        palette = (
            Palette.monochrome() if self.no_color else Palette.from_variables(self.theme_variables)
        )
        self.table.palette = palette
        self.header.palette = palette
        self.event_log.palette = palette
        self.event_log.redraw()
        self.table.relayout()

    def on_resize(self) -> None:
        self.screen_diff.reset()  # the terminal may have cleared or reflowed: repaint it all
        self.call_after_refresh(self.table.relayout)

    def _display(self, screen: Screen[object], renderable: RenderableType | None) -> None:
        """Write only the cells that differ from what the terminal already shows."""
        driver = self._driver
        writes = (
            isinstance(renderable, CompositorUpdate)
            and not self._batch_count
            and self._running
            and not self._closed
            and not self.is_headless
            and driver is not None
            and not driver.is_inline
        )
        if writes:
            assert isinstance(renderable, CompositorUpdate)
            size = (self.console.width, self.console.height)
            sequence = self.screen_diff.diff(renderable, self.console, size)
            if not sequence and self.cursor_position == self._previous_cursor_position:
                return  # nothing on screen changes: not even the cursor is moved
            renderable = DiffUpdate(sequence)
        super()._display(screen, renderable)

    def on_detail_screen_threshold_applied(self, message: DetailScreen.ThresholdApplied) -> None:
        """A suggestion applied in a detail view is a change Ctrl+S should save."""
        self.changed_thresholds[message.feed] = message.seconds

    @on(FeedTable.RowSelected)
    def _row_chosen(self) -> None:
        self.action_details()

    @on(FeedTable.RowHighlighted)
    def _row_moved(self) -> None:
        if self.event_log.follow is not None:
            self.event_log.set_follow(self.table.selected_feed)

    # -- actions on the selected feed ---------------------------------------

    def _selected(self) -> str | None:
        name = self.table.selected_feed
        if name is None:
            self.notify("No feed selected", severity="warning")
        return name

    def reconnect_feed(self, name: str) -> None:
        self.view.reconnect(name)
        self.notify(f"Reconnecting {name}")

    def toggle_pause_feed(self, name: str) -> None:
        # No toast: the row itself shows the new state at once.
        self.view.toggle_pause(name)
        self.tick()

    def open_details(self, name: str) -> None:
        self.push_screen(
            DetailScreen(self.view, name, self.refresh_interval, history=self.history_view)
        )

    def set_threshold(self, name: str, seconds: float) -> None:
        """Change a threshold live; the engine re-arms the deadline at once."""
        self.view.set_stale_after(name, seconds)
        self.changed_thresholds[name] = seconds
        self.notify_feed(name, f"{name}: stale_after {format_duration(seconds)} (Ctrl+S saves it)")
        self.tick()

    def notify_feed(
        self, name: str, message: str, *, severity: SeverityLevel = "information"
    ) -> None:
        """A feed's notification, in place of the one it showed before: 25 presses of + are
        one toast with the latest value, not a column of them over the table."""
        previous = self._feed_notes.pop(name, None)
        if previous is not None and previous in self._notifications:
            self._unnotify(previous, refresh=False)  # Textual's notify keeps no handle
        note = Notification(message, severity=severity, timeout=self.NOTIFICATION_TIMEOUT)
        self._feed_notes[name] = note
        self.post_message(Notify(note))

    def threshold_bounds(self, name: str) -> ThresholdBounds:
        """The feed's typical gap and its auto_max: what + - and t hold a threshold to."""
        p50 = self.view.feed_snapshot(name).gaps.p50
        auto_max = next(f.auto_max for f in self.view.config.feeds if f.name == name)
        return ThresholdBounds(p50, auto_max)

    def ask_threshold(self, name: str) -> None:
        current = self.view.feed_snapshot(name).stale_after

        def chosen(seconds: float | None) -> None:
            if seconds is not None:
                self.set_threshold(name, seconds)

        self.push_screen(ThresholdDialog(name, current, self.threshold_bounds(name)), chosen)

    def action_reconnect(self) -> None:
        if (name := self._selected()) is not None:
            self.reconnect_feed(name)

    def action_reconnect_all(self) -> None:
        self.view.reconnect_all()
        self.notify(f"Reconnecting all {len(self.view.feed_names())} feeds")

    def _step_threshold(self, up: bool) -> None:
        if (name := self._selected()) is None:
            return
        current = self.view.feed_snapshot(name).stale_after
        now = format_duration(round(current, 3))
        step = next_step(current, up)
        if step is None:
            end = "largest" if up else "smallest"
            self.notify_feed(name, f"{name}: stale_after stays {now}: the {end} step",
                             severity="warning")  # fmt: skip
            return
        problem = self.threshold_bounds(name).problem(step)
        if problem is not None:
            self.notify_feed(
                name,
                f"{name}: stale_after stays {now}: {format_duration(step)} is {problem} "
                "(t types any value)",
                severity="warning",
            )
            return
        self.set_threshold(name, step)

    def action_threshold_up(self) -> None:
        self._step_threshold(up=True)

    def action_threshold_down(self) -> None:
        self._step_threshold(up=False)

    def action_set_threshold(self) -> None:
        if (name := self._selected()) is not None:
            self.ask_threshold(name)

    def action_toggle_pause(self) -> None:
        if (name := self._selected()) is not None:
            self.toggle_pause_feed(name)

    def action_details(self) -> None:
        if (name := self._selected()) is not None:
            self.open_details(name)

    # -- view actions -------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("-visible")
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.filter_text = event.value
        self.tick()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        box = self.query_one("#filter", Input)
        if not box.value:
            box.remove_class("-visible")
        self.table.focus()

    def key_escape(self) -> None:
        box = self.query_one("#filter", Input)
        if box.has_class("-visible"):
            box.value = ""
            box.remove_class("-visible")
            self.table.focus()

    def action_cycle_sort(self) -> None:
        self.table.sort_mode = self.table.sort_mode.next()
        self.notify(f"Sorted by {self.table.sort_mode}")
        self.tick()

    def action_first_row(self) -> None:
        self.table.select_row(0)

    def action_last_row(self) -> None:
        self.table.select_row(self.table.row_count - 1)

    def action_toggle_log(self) -> None:
        self.event_log.toggle_class("-hidden")

    def action_toggle_follow(self) -> None:
        log = self.event_log
        log.set_follow(None if log.follow is not None else self.table.selected_feed)
        self.notify(f"Log shows {log.follow or 'all feeds'}")

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_bindings()))

    @work(exclusive=True, group="save")
    async def action_save_thresholds(self) -> None:
        if not self.changed_thresholds:
            self.notify("No thresholds changed since the last save")
            return
        if self.config_path is None:
            self.notify("These feeds have no config file to save to (demo mode)",
                        severity="warning")  # fmt: skip
            return
        from feedwatch.config.writeback import WriteBackError, write_thresholds

        try:
            result = write_thresholds(self.config_path, dict(self.changed_thresholds))
        except WriteBackError as exc:
            self.notify(str(exc), title="Not saved", severity="error", timeout=15)
            return
        for name in result.written:
            self.changed_thresholds.pop(name, None)
        message = f"Saved {len(result.written)} threshold(s) to {self.config_path}"
        if result.not_found:
            message += f"; not in the file: {', '.join(result.not_found)}"
        self.notify(message)

    # -- screenshots (the command palette's "Screenshot") -----------------------

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        """Save into the current directory, not ~/Downloads (absent on a fresh server)."""
        directory = Path(path) if path else Path.cwd()
        name = filename or generate_datetime_filename(self.title, ".svg", time_format)
        self._screenshot_target = (directory / name).absolute()
        return super().deliver_screenshot(name, str(directory), time_format)

    @on(events.DeliveryComplete)
    def _screenshot_saved(self, event: events.DeliveryComplete) -> None:
        if event.name == "screenshot":
            event.prevent_default()  # Textual's own toast is markup and says less
            where = event.path.absolute() if event.path else self._screenshot_target
            self.notify(f"Saved to {where}", title="Screenshot", markup=False)

    @on(events.DeliveryFailed)
    def _screenshot_failed(self, event: events.DeliveryFailed) -> None:
        if event.name == "screenshot":
            event.prevent_default()  # Textual's own says "Failed to save screenshot", no reason
            exc = event.exception
            reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
            self.notify(f"Not saved to {self._screenshot_target}: {reason}", title="Screenshot",
                        severity="error", timeout=15, markup=False)  # fmt: skip

    # -- the same truth for help and palette ---------------------------------

    def help_bindings(self) -> list[Binding]:
        """Every key the main screen answers to, in the order people need them."""
        table_keys = [
            Binding("up,k", "cursor_up", "Select previous", tooltip="Move up the feed list"),
            Binding("down,j", "cursor_down", "Select next", tooltip="Move down the feed list"),
        ]
        own = [b for b in self.BINDINGS if isinstance(b, Binding)]
        # Help and Quit lead the footer, to be seen at 80 columns; here they close the list.
        leaving = [b for b in own if b.action in ("help", "quit")]
        own = [b for b in own if b not in leaving] + leaving
        extra = [
            Binding(
                "escape", "back", "Back", tooltip="Leave a detail view (q too) or close the filter"
            ),
            Binding("ctrl+p", "command_palette", "Commands", tooltip="Search every action"),
        ]
        return table_keys + own + extra

    def palette_bindings(self) -> list[Binding]:
        return [b for b in self.BINDINGS if isinstance(b, Binding)]
