"""The dashboard with history: the log starts with the past, the table and the detail
screen show uptime and incidents, and the store is read every few seconds, not per frame.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from feedwatch.config.model import Config, HistoryConfig
from feedwatch.engine.clock import FakeClock
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import Event, EventKind
from feedwatch.history.store import HistoryStore
from feedwatch.tui.app import FeedwatchApp
from feedwatch.tui.history_view import HistoryView, backlog
from feedwatch.tui.screens.detail import DetailScreen
from feedwatch.tui.widgets.cells import format_uptime
from feedwatch.tui.widgets.event_log import LogMark
from feedwatch.tui.widgets.feed_rows import COLUMNS, WITHOUT_HISTORY, fit_columns
from feedwatch.tui.widgets.state_timeline import StateTimeline
from tests.history_fixtures import MUX, channel_stale_for_half_a_minute, feed
from tests.tui_history import DAY, HOUR, ScriptedHistory, week_of_history
from tests.tui_scenario import FEEDS, app_for, scripted_app, scripted_engine


class Dashboard:
    """The scripted engine and a week of its history, as the CLI would put them together."""

    def __init__(self, history: Any = None, **kw: Any) -> None:
        self.engine, self.clock = scripted_engine()
        self.history = (
            week_of_history(self.engine, self.clock, **kw) if history is None else history
        )
        self.app = app_for(self.engine, FEEDS, self.history)


def log_lines(app: FeedwatchApp) -> list[str]:
    return [line.text for line in app.event_log.lines]


def text_of(app: FeedwatchApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_the_log_starts_with_history_and_marks_this_start() -> None:
    d = Dashboard()
    async with d.app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        lines = log_lines(d.app)
        boundary = lines.index("── feedwatch started 22:30 ──")
        assert "22:30:00 binance-btcusdt: connected" in lines[boundary + 1 :]
        before = lines[:boundary]
        assert "22:23:20 coinbase-eth: stale: no data for 30.00s (threshold 30s)" in before
        # Earlier restarts are marked too, dated when not today.
        assert "── feedwatch started 13:30 ──" in before
        assert "── feedwatch started Nov 12 00:30 ──" in before
        # Nothing of this run is shown twice.
        assert lines.count("22:30:00 binance-btcusdt: connected") == 1


async def test_the_log_keeps_history_when_following_one_feed() -> None:
    d = Dashboard()
    async with d.app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        d.app.event_log.set_follow("kraken-book")
        lines = log_lines(d.app)
        assert "── feedwatch started 22:30 ──" in lines
        assert "16:30:00 kraken-book: down (HTTP 502 Bad Gateway)" in lines
        assert not any("binance" in line for line in lines)


def test_backlog_loads_the_newest_events_only() -> None:
    clock = FakeClock()
    history = ScriptedHistory(clock.time)
    for n in range(300):
        history.event(clock.time() - 1000 + n, "a", EventKind.CONNECTED)
    lines = backlog(history, clock.time(), limit=200)
    assert len(lines) == 201
    assert isinstance(lines[-1], LogMark)
    assert lines[0].ts == clock.time() - 1000 + 100


def test_a_start_with_nothing_after_it_is_this_run() -> None:
    # A store opens its session a moment before the engine's first event.
    clock = FakeClock()
    now = clock.time()
    history = ScriptedHistory(clock.time, running_since=now - 0.01)
    history.session(now - 100, now - 50)
    history.event(now - 90, "a", EventKind.CONNECTED)
    lines = backlog(history, now)
    assert [type(line).__name__ for line in lines] == ["LogMark", "Event", "LogMark"]
    assert [line.ts for line in lines] == [now - 100, now - 90, now]


def test_any_event_source_gives_a_backlog_without_marks_of_old_starts() -> None:
    class JustEvents:
        def events(self, **_: Any) -> list[Event]:
            return [Event(10.0, "a", EventKind.CONNECTED), Event(20.0, "a", EventKind.STALE)]

    lines = backlog(JustEvents(), 30.0)
    assert [type(line).__name__ for line in lines] == ["Event", "Event", "LogMark"]


async def test_events_only_history_fills_the_log_but_shows_no_uptime() -> None:
    class JustEvents:
        def events(self, **_: Any) -> list[Event]:
            return [Event(1_700_000_000.0, "kraken-book", EventKind.CONNECTED)]

    d = Dashboard(history=JustEvents())
    async with d.app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert "22:13:20 kraken-book: connected" in log_lines(d.app)
        assert d.app.history_view is None
        assert "uptime" not in d.app.table._layout


async def test_a_read_only_history_says_who_writes_it() -> None:
    d = Dashboard(read_only=True, owner="feedwatch --headless (pid 4242)")
    async with d.app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        messages = [n.message for n in d.app._notifications]
        assert messages == [
            "History is written by feedwatch --headless (pid 4242); this dashboard only reads it"
        ]


async def test_the_table_shows_each_feeds_uptime_over_24h() -> None:
    d = Dashboard()
    async with d.app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        table = d.app.table
        uptime = {key: table.cell_text(row, "uptime") for row, key in enumerate(table.row_keys)}
        assert uptime["binance-btcusdt"] == "99.8%"  # 90 s stale in 22.9 h watched
        assert uptime["coinbase-eth"] == "96.9%"
        assert uptime["kraken-book"] == "95.5%"  # an hour down
        # Paused time does not count against it; the 50 ms it was connecting this run do.
        assert uptime["greenhouse-iot"] == "99.9%"
        assert uptime["okx-multiplex\x1fsol"] == ""  # channels have no uptime of their own


async def test_uptime_is_read_every_few_seconds_not_every_frame() -> None:
    d = Dashboard()
    async with d.app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        reads = d.history.reads
        for _ in range(20):
            d.app.tick()
            d.app.refresh_uptime()
        assert d.history.reads == reads
        d.clock.advance(5.0)
        d.app.refresh_uptime()
        assert d.history.reads == reads + 1


async def test_a_broken_history_is_reported_once_and_the_dashboard_runs_on() -> None:
    class Broken(ScriptedHistory):
        def sessions(self, since: float | None = None, until: float | None = None) -> Any:
            raise OSError("disk I/O error")

    d = Dashboard(history=Broken(lambda: 0.0))
    async with d.app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        d.clock.advance(10)
        d.app.refresh_uptime()
        titles = [n.title for n in d.app._notifications]
        assert titles == ["History could not be read"]
        assert d.app.table.cell_text(0, "uptime") == "—"


def test_history_view_reads_only_what_is_new() -> None:
    clock = FakeClock()
    now = clock.time()
    history = ScriptedHistory(clock.time, running_since=now - HOUR)
    history.event(now - 10, "a", EventKind.STALE)
    history.event(now - 5, "a", EventKind.CONNECTED)
    view = HistoryView(history, clock.time, every=5.0)
    assert view.refresh()
    assert not view.refresh()  # too soon
    clock.advance(5)
    # Flushed late, at the same instant as the newest read: read, and only once.
    history.event(now - 5, "a", EventKind.DOWN, reason="refused", active=True)
    history.event(now + 2, "a", EventKind.RECOVERED)
    assert view.refresh()
    clock.advance(5)
    assert view.refresh()  # nothing new: nothing read twice
    # Kept: only what changes the state, cut down to what says how.
    kinds = [(str(e.kind), e.fields) for e in view._changes]
    assert kinds == [("stale", {}), ("down", {"active": True}), ("recovered", {})]
    assert view._changes[1].reason is None
    past = view.feed("a")
    assert past is not None
    # Stale from -10 to +2, down from -5 and still down at the read (+10): 20 s not live.
    assert dict(past.uptimes)["1h"].not_live_seconds == pytest.approx(20)


def test_history_view_keeps_a_week_from_the_start_of_its_session() -> None:
    clock = FakeClock()
    now = clock.time()
    history = ScriptedHistory(clock.time, running_since=now - 10 * DAY)
    history.event(now - 9 * DAY, "a", EventKind.STALE)  # still open a week ago
    history.event(now - 12 * DAY, "a", EventKind.CONNECTED)  # before the session: not needed
    view = HistoryView(history, clock.time)
    view.refresh()
    assert [str(e.kind) for e in view._changes] == ["stale"]
    past = view.feed("a")
    assert past is not None
    assert dict(past.uptimes)["7d"].percent == 0.0


async def test_the_detail_screen_shows_uptime_incidents_and_states() -> None:
    d = Dashboard()
    async with d.app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        await pilot.press("down", "enter")  # coinbase-eth
        await pilot.pause()
        assert isinstance(d.app.screen, DetailScreen)
        uptime = text_of(d.app, "#uptime").splitlines()
        assert uptime[0].split() == ["1h", "24h", "7d"]
        assert uptime[1].split() == ["Uptime", "96.5%", "96.9%", "99.5%"]
        assert uptime[6].split() == ["Unwatched", "5m", "1h", "5m", "3h", "5m"]
        incidents = text_of(d.app, "#incidents").splitlines()
        assert incidents[0].split() == [
            "Tue", "22:23:20", "ongoing", "7m", "40s", "stale", "0", "reconnects",
            "no", "data", "for", "30s",
        ]  # fmt: skip
        assert incidents[1].split()[:6] == ["Tue", "13:50:00", "40m", "stale", "6", "reconnects"]
        timeline = d.app.screen.query_one(StateTimeline)
        assert timeline.data is not None
        states = {state for _, _, state in timeline.data.spans}
        # Earlier runs recorded no verdicts (conditions only); this one starts connecting.
        assert states == {"connecting", "live", "stale", "unmonitored"}


async def test_the_detail_screen_without_history_says_it_is_off() -> None:
    app = scripted_app()
    async with app.run_test(size=(120, 48)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert text_of(app, "#history-off").startswith("History is off")
        assert not app.screen.query("#uptime")


@pytest.mark.parametrize(
    ("percent", "text"),
    [(None, "—"), (100.0, "100%"), (99.999, "99.9%"), (99.2, "99.2%"), (5.0, "5.0%"), (0, "0.0%")],
)
def test_uptime_is_rounded_down_so_100_means_nothing_lost(percent: float | None, text: str) -> None:
    assert format_uptime(percent) == text


def test_the_uptime_column_goes_after_last_event_and_before_gaps_and_limit_last_but_one() -> None:
    def shown(total: int) -> list[str]:
        return list(fit_columns(total, 16, COLUMNS))

    assert "uptime" in shown(200)
    narrower = [shown(width) for width in range(200, 40, -1)]
    dropped = []
    for before, after in itertools.pairwise(narrower):
        dropped += [key for key in before if key not in after]
    assert dropped == ["event", "uptime", "spark", "rate", "limit", "reconnects"]
    assert "uptime" not in fit_columns(200, 16, WITHOUT_HISTORY)


async def test_a_real_history_file_behind_the_dashboard(tmp_path: Path) -> None:
    store_module = pytest.importorskip("feedwatch.history.store")
    config = HistoryConfig(path=tmp_path / "history.db")
    feed = FEEDS[3]  # kraken-book, stale_after 10s
    # Yesterday's run, 23 hours ago: a stall of a minute.
    first = FakeClock(start=1000.0, wall_offset=1_700_000_000.0 - DAY + HOUR)
    engine = Engine(Config(feeds=(feed,)), clock=first)
    store = store_module.HistoryStore.open(config, now=first.time)
    store.attach(engine)
    monitor = engine.worker(feed.name).monitor
    monitor.start()
    monitor.on_connected(1, "wss://example.invalid/kraken-book")
    monitor.on_data(10, None, b"{}")
    first.advance(70.0)  # stale at 10 s, for a minute
    monitor.on_data(10, None, b"{}")
    first.advance(5.0)
    monitor.stop()
    store.close()

    # Today's run, recording into the same file.
    clock = FakeClock(start=1000.0, wall_offset=1_700_000_000.0)
    engine = Engine(Config(feeds=(feed,)), clock=clock)
    store = store_module.HistoryStore.open(config, now=clock.time)
    try:
        engine.restore(store.last_data())
        store.attach(engine)
        monitor = engine.worker(feed.name).monitor
        monitor.start()
        monitor.on_connected(1, "wss://example.invalid/kraken-book")
        monitor.on_data(10, None, b"{}")
        clock.advance(5.0)
        store.flush()
        app = app_for(engine, (feed,), store)
        async with app.run_test(size=(160, 30)) as pilot:
            await pilot.pause()
            lines = log_lines(app)
            assert lines == [
                "── feedwatch started Nov 13 23:30 ──",
                "23:30:00 kraken-book: connected",
                "23:30:10 kraken-book: stale: no data for 10.00s (threshold 10s)",
                "23:31:10 kraken-book: recovered after 70.00s without data",
                "── feedwatch started 22:30 ──",  # the next day
                "22:30:00 kraken-book: connected",
            ]
            # A minute stale in 80 s watched over the two runs.
            assert app.table.cell_text(0, "uptime") == "25.0%"
    finally:
        store.close()


async def test_a_partial_feed_is_below_100_and_a_feed_never_watched_shows_a_dash(
    tmp_path: Path,
) -> None:
    wall = 1_700_000_000.0
    channel_stale_for_half_a_minute(tmp_path / "history.db", at=wall)
    store = HistoryStore.open(HistoryConfig(path=tmp_path / "history.db"), record=False)
    feeds = (MUX, feed("new"))  # "new" was added to the config after that run
    clock = FakeClock(start=1000.0, wall_offset=wall + 200.0 - 1000.0)
    engine = Engine(Config(feeds=feeds), clock=clock)
    app = app_for(engine, feeds, store)
    try:
        async with app.run_test(size=(200, 60)) as pilot:
            await pilot.pause()
            table = app.table
            rows = {key: row for row, key in enumerate(table.row_keys)}
            assert table.cell_text(rows["mux"], "uptime") == "69.0%"  # 30.5 s partial
            assert table.cell_text(rows["new"], "uptime") == "—"
            await pilot.press("enter")  # mux
            await pilot.pause()
            assert isinstance(app.screen, DetailScreen)
            uptime = text_of(app, "#uptime").splitlines()
            assert uptime[1].split() == ["Uptime", "69.0%", "69.0%", "69.0%"]
            assert uptime[3].split() == ["Not", "live", "31s", "31s", "31s"]
            timeline = app.screen.query_one(StateTimeline)
            assert timeline.data is not None
            assert [state for _, _, state in timeline.data.spans] == [
                "unmonitored", "connecting", "live", "partial", "live", "unmonitored",
            ]  # fmt: skip
            incidents = text_of(app, "#incidents").splitlines()
            assert [line.split()[2:4] for line in incidents] == [
                ["30s", "partial"],
                ["30s", "stale"],
            ]
            assert incidents[1].split()[4] == "(sol)"
    finally:
        store.close()
