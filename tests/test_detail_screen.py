"""The detail screen on a fake clock: what a user sees of one feed, and what its keys do."""

from __future__ import annotations

import random
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Static

from feedwatch.config.model import Config, FeedConfig, MatcherSpec
from feedwatch.engine.clock import FakeClock
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import EventKind
from feedwatch.tui.screens.confirm_threshold import ConfirmThreshold
from feedwatch.tui.screens.detail import DetailScreen
from feedwatch.tui.screens.detail_text import event_lines
from tests.fake_feed import FakeFeed

FEED = FeedConfig(
    name="btc-trades",
    url="wss://stream.example.invalid/ws?token=hunter2",
    stale_after=30.0,
    subscribe=('{"op":"subscribe","channel":"trades"}',),
    heartbeat=MatcherSpec(contains=("heartbeat",)),
    secrets=("hunter2",),
)
OTHER = FeedConfig(name="eth-trades", url="wss://other.example.invalid/ws", stale_after=5.0)


class Feeds:
    """An engine that is never started: the test plays the transport through the monitor."""

    def __init__(self) -> None:
        self.clock = FakeClock(start=1000.0, wall_offset=1_700_000_000.0)
        self.engine = Engine(Config(feeds=(FEED, OTHER)), clock=self.clock)
        self.monitor = self.engine.worker(FEED.name).monitor
        self.monitor.start()
        self.monitor.on_connected(1, self.engine.worker(FEED.name).display_url)

    def steady(self, count: int, every: float = 0.25) -> None:
        """``count`` trades exactly ``every`` seconds apart (the first one ends no gap)."""
        for n in range(count):
            self.clock.advance(every)
            price = 97_000 + n
            self.monitor.on_data(64, None, b'{"type":"trade","price":%d}' % price)

    def scripted(self) -> None:
        """A feed with character: uneven gaps, heartbeats, a too-tight threshold, a reconnect."""
        rng = random.Random(11)
        for n in range(240):
            if n == 30:
                self.engine.set_stale_after(FEED.name, 2.0)
            stall = 2.4 if n == 200 else 1.2 if n % 60 == 59 else 0.0
            self.clock.advance(0.1 + rng.random() * 0.3 + stall)
            self.monitor.on_data(80, None, b'{"type":"trade","price":%d,"qty":0.01}' % (97_000 + n))
            if n % 40 == 0:
                self.monitor.on_heartbeat(24, b'{"event":"heartbeat"}')
            if n == 120:
                self.monitor.on_disconnected(1001, "going away", "server closed the connection")
                self.monitor.on_backoff(1.0, 1, "server closed the connection")
                self.monitor.on_reconnect_attempt()
                self.clock.advance(1.0)
                self.monitor.on_connected(1, FEED.url.replace("hunter2", "***"))
        self.monitor.on_data(80, None, b'{"type":"trade",\n"note":"two\\nlines"}')
        self.clock.advance(0.2)


class DetailApp(App[None]):
    """The smallest app that shows the detail screen, as the dashboard will."""

    def __init__(
        self, feeds: Feeds | FakeFeed, refresh_interval: float = 0.05, feed: str = FEED.name
    ) -> None:
        super().__init__()
        self.feeds = feeds
        self.feed = feed
        self.refresh_interval = refresh_interval
        self.applied: list[tuple[str, float]] = []

    def on_mount(self) -> None:
        self.push_screen(DetailScreen(self.feeds.engine, self.feed, self.refresh_interval))

    def on_detail_screen_threshold_applied(self, message: DetailScreen.ThresholdApplied) -> None:
        self.applied.append((message.feed, message.seconds))


def text_of(app: App[Any], selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


@pytest.fixture
def feeds() -> Feeds:
    return Feeds()


async def test_suggests_four_times_p99_of_ten_minutes_of_normal_gaps(feeds: Feeds) -> None:
    feeds.steady(2501)  # 2,500 gaps of 0.25 s: p99 0.256 s (to within a bin), 4 x p99 = 1 s
    app = DetailApp(feeds)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        shown = text_of(app, "#suggestion")
        assert "Suggested stale_after: 1s" in shown
        assert "(now 30s)" in shown
        assert (
            "4 × p99 of 2,500 gaps over 10m 25s (0.256s) = 1.02s → 1s; "  # noqa: RUF001
            "the field's rule is 3–5 × p99"  # noqa: RUF001
        ) in shown
        assert "Gap p99      0.250s" in text_of(app, "#stats")


async def test_apply_suggestion_asks_for_confirmation(feeds: Feeds) -> None:
    feeds.steady(2501)
    app = DetailApp(feeds)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        for cancel in ("escape", "n"):
            await pilot.press("a")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmThreshold)
            assert str(app.screen.query_one("#confirm-change", Static).render()) == "30s → 1s"
            assert "Enter or y to apply, Esc or n to cancel" in str(
                app.screen.query_one("#confirm-hint", Static).render()
            )
            assert feeds.engine.feed_snapshot(FEED.name).stale_after == 30.0  # not yet
            await pilot.press(cancel)
            await pilot.pause()
            assert isinstance(app.screen, DetailScreen)
            assert feeds.engine.feed_snapshot(FEED.name).stale_after == 30.0
        assert not app._notifications and not app.applied
        await pilot.press("a", "y")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        assert feeds.engine.feed_snapshot(FEED.name).stale_after == 1.0


async def test_apply_key_sets_the_engines_threshold_once_confirmed(feeds: Feeds) -> None:
    feeds.steady(2501)
    app = DetailApp(feeds)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert feeds.engine.feed_snapshot(FEED.name).stale_after == 1.0
        changed = [e for e in feeds.monitor.events if e.kind is EventKind.THRESHOLD_CHANGED]
        assert [e.fields["new_seconds"] for e in changed] == [1.0]
        assert "threshold_changed" in text_of(app, "#events")
        assert "stale_after is 1s, as suggested." in text_of(app, "#suggestion")
        assert [n.title for n in app._notifications] == ["Threshold applied"]
        assert app.applied == [(FEED.name, 1.0)]  # the dashboard hears of it, to save it
        # The other feed is untouched.
        assert feeds.engine.feed_snapshot(OTHER.name).stale_after == 5.0


async def test_no_suggestion_from_too_few_gaps(feeds: Feeds) -> None:
    feeds.steady(6)  # 5 gaps over a second
    app = DetailApp(feeds)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        shown = text_of(app, "#suggestion")
        assert "No suggested threshold: need 200 normal gaps over 10m (have 5 over 1.2s)" in shown
        await pilot.press("a")
        await pilot.pause()
        assert feeds.engine.feed_snapshot(FEED.name).stale_after == 30.0
        assert [n.title for n in app._notifications] == ["Nothing to apply"]


async def test_raw_messages_and_events_are_listed_newest_first(feeds: Feeds) -> None:
    feeds.steady(30)
    feeds.monitor.on_other(30, b'{"note":"two\nlines"}')
    feeds.monitor.on_heartbeat(22, b'{"event":"heartbeat"}')
    app = DetailApp(feeds)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        raw = text_of(app, "#raw").splitlines()
        assert len(raw) == 20
        assert raw[0] == '22:30:07.500  {"event":"heartbeat"}'  # TZ is UTC in conftest
        assert raw[1] == '22:30:07.500  {"note":"two\\nlines"}'  # one line, newline shown
        assert raw[2] == '22:30:07.500  {"type":"trade","price":97029}'
        events = text_of(app, "#events")
        assert "connected" in events
        assert "***" in text_of(app, "#connection")
        assert "hunter2" not in text_of(app, "#connection") + text_of(app, "#feed-url")


async def test_screen_follows_the_feed_without_reopening(feeds: Feeds) -> None:
    feeds.steady(5)
    app = DetailApp(feeds, refresh_interval=0.01)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert "need 200 normal gaps over 10m (have 4 over 1s)" in text_of(app, "#suggestion")
        feeds.steady(2500)
        feeds.clock.advance(31)  # past stale_after: the feed goes stale
        await pilot.pause(0.1)
        assert "Suggested stale_after: 1s" in text_of(app, "#suggestion")
        assert "STALE" in str(app.screen.query_one("#feed-state", Static).render())
        assert app.screen.query_one("#feed-state").has_class("-stale")
        assert "stale" in text_of(app, "#events")


async def test_escape_returns_to_the_previous_screen(feeds: Feeds) -> None:
    app = DetailApp(feeds)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DetailScreen)
        assert len(app.screen_stack) == 1


def test_detail_screen_snapshot(snap_compare: Any) -> None:
    feeds = Feeds()
    feeds.scripted()
    assert snap_compare(DetailApp(feeds), terminal_size=(100, 40))


def test_confirmation_dialog_snapshot(snap_compare: Any) -> None:
    feeds = Feeds()
    feeds.steady(2501)
    assert snap_compare(DetailApp(feeds), terminal_size=(100, 40), press=["a"])


async def test_each_channel_shows_a_suggestion_from_its_own_gaps() -> None:
    ticker = FakeFeed(stale_after=30.0, channel_key="arg.channel", channels=("btc", "eth", "sol"))
    for second in range(15 * 60):  # btc ten times a second, eth every 2 s, sol twice
        ticker.every(0.1, 10, "btc")
        if second % 2 == 0:
            ticker.message("eth")
        if second in (10, 20):
            ticker.message("sol")
    app = DetailApp(ticker, feed="ticker")
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        lines = text_of(app, "#channels").splitlines()
        assert lines == [
            "btc  0.500s (now 30s) · 4 × p99 of 8,999 gaps over 15m",  # noqa: RUF001
            "eth  10s (now 30s) · 4 × p99 of 449 gaps over 14m 58s",  # noqa: RUF001
            "sol  none: need 200 normal gaps over 10m (have 1 over 10s)",
        ]


async def test_a_feed_without_channels_shows_no_channel_panel(feeds: Feeds) -> None:
    feeds.steady(5)
    app = DetailApp(feeds)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert not app.screen.query_one("#channels").display


def test_events_are_coloured_by_severity(feeds: Feeds) -> None:
    feeds.steady(2)
    feeds.clock.advance(31)  # stale (error)
    feeds.monitor.on_disconnected(1006, None, "connection lost")  # warning
    lines = event_lines(feeds.monitor.events).split()
    styles = {line.plain.split()[1]: {str(span.style) for span in line.spans} for line in lines}
    assert "bold $text-error" in styles["stale"]
    assert "bold $text-warning" in styles["disconnected"]
    assert "bold $text-primary" in styles["connected"]


async def test_server_text_is_shown_as_sent_not_as_markup() -> None:
    feeds = Feeds()
    feeds.steady(2)
    feeds.monitor.on_other(20, b"[b]not bold[/b] [$error]x")
    app = DetailApp(feeds)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert text_of(app, "#raw").splitlines()[0].endswith("[b]not bold[/b] [$error]x")
