"""stale_after = "auto": thresholds learned per hour of the week, on a fake clock."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import time
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Static

from feedwatch.config.model import Config, FeedConfig, HistoryConfig, ScheduleWindow
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import EventKind
from feedwatch.engine.gap_histogram import GapHistogram, bin_of
from feedwatch.engine.learned import MIN_GAPS, GapProfile
from feedwatch.engine.liveness import FeedMonitor
from feedwatch.engine.stats import percentile
from feedwatch.engine.suggest import suggest_threshold
from feedwatch.engine.verdict import State
from feedwatch.history.store import HistoryStore
from feedwatch.tui.palette import Palette
from feedwatch.tui.screens.detail import DetailScreen
from feedwatch.tui.widgets.feed_rows import RowSpec, draw_cell
from tests.config_text import feed, load, problem
from tests.test_liveness import Harness
from tests.test_liveness_schedule import clock_at, monday

AUTO = FeedConfig(
    name="btc",
    url="ws://127.0.0.1:1/",
    stale_after=60.0,
    stale_after_auto=True,
    auto_min=1.0,
    auto_max=3600.0,
)


def steady(h: Harness, gap: float, count: int) -> None:
    for _ in range(count):
        h.clock.advance(gap)
        h.data()


def learned_events(h: Harness) -> list[float]:
    return [e.fields["new_seconds"] for e in h.events if e.kind is EventKind.THRESHOLD_CHANGED]


# -- the histogram --------------------------------------------------------------------------------


def test_histogram_p99_is_within_one_bin_of_the_true_p99() -> None:
    rng = random.Random(7)
    gaps = [rng.lognormvariate(-2.0, 1.0) for _ in range(5000)]
    histogram = GapHistogram()
    for gap in gaps:
        histogram.add_bin(bin_of(gap))
    true_p99 = percentile(sorted(gaps), 99)
    read = histogram.percentile(99)
    assert read is not None
    # The upper edge of the p99's bin: never below it, at most one bin (2^(1/8)) above.
    assert true_p99 <= read <= true_p99 * 2 ** (1 / 8) * 1.000001


def test_a_histogram_stays_bounded_however_much_it_counts() -> None:
    histogram = GapHistogram()
    for _ in range(3):
        histogram.add_bin(bin_of(0.1), 600_000)
    assert histogram.total < 1_000_000
    assert len(histogram.counts) == len(GapHistogram().counts)


# -- the rule -------------------------------------------------------------------------------------


def profile_with(gap: float, count: int = MIN_GAPS, **bounds: float) -> GapProfile:
    profile = GapProfile(bounds.get("floor", 1.0), bounds.get("ceiling", 3600.0), 60.0)
    for _ in range(count):
        profile.add(gap)
    return profile


def test_the_learned_value_is_four_times_p99_rounded_like_a_suggestion() -> None:
    learned = profile_with(0.5).threshold()
    assert learned.learned
    assert learned.p99 is not None and 0.5 <= learned.p99 <= 0.5 * 1.1
    suggestion = suggest_threshold(learned.p99, 60.0, MIN_GAPS)
    assert suggestion is not None
    assert learned.seconds == suggestion.seconds == 2.5
    assert 3 * learned.p99 <= learned.seconds <= 5 * learned.p99
    assert learned.reason == "4 × p99 of 200 gaps in Mon 00:00–01:00 (UTC)"  # noqa: RUF001


def test_the_learned_value_is_held_between_auto_min_and_auto_max() -> None:
    fast = profile_with(0.01).threshold()
    assert fast.seconds == 1.0
    assert fast.reason.endswith("held at auto_min 1s")
    slow = profile_with(1000.0, ceiling=1800.0).threshold()
    assert slow.seconds == 1800.0
    assert slow.reason.endswith("held at auto_max 30m")


def test_too_few_gaps_keep_the_conservative_default_and_say_so() -> None:
    learned = profile_with(0.5, MIN_GAPS - 1).threshold()
    assert not learned.learned
    assert learned.seconds == 60.0
    assert learned.reason == "auto_initial 1m until 200 gaps (have 199)"


# -- in the monitor -------------------------------------------------------------------------------


def test_the_threshold_stays_at_auto_initial_until_enough_gaps_then_is_learned() -> None:
    h = Harness(AUTO, clock_at(monday(10)))
    h.connect()
    h.data()
    steady(h, 0.5, MIN_GAPS - 1)
    h.clock.advance(60)  # past the next minute tick: still too few gaps
    assert h.monitor.stale_after == 60.0
    h.data()  # the 200th gap is the silence just waited through
    steady(h, 0.5, 400)  # 200 more seconds: several minute ticks
    assert h.monitor.stale_after == 2.5
    assert h.monitor.learned is not None and h.monitor.learned.current.learned


def test_quiet_night_hours_learn_longer_thresholds_than_busy_days() -> None:
    h = Harness(AUTO, clock_at(monday(2)))
    h.connect()
    h.data()
    steady(h, 10.0, 359)  # 02:00-03:00: a message every 10 s
    night = h.monitor.stale_after
    h.clock.advance(monday(12) - h.clock.time())
    h.data()
    steady(h, 0.5, 7100)  # 12:00-13:00: two messages a second
    day = h.monitor.stale_after
    assert night == 45.0  # 4 x p99 (10 s, to within a bin) rounded: 45s
    assert day == 2.5
    assert h.monitor.learned is not None
    assert "in Mon 12:00–13:00 (UTC)" in h.monitor.learned.current.reason  # noqa: RUF001


def test_a_learned_change_re_arms_the_deadline() -> None:
    h = Harness(AUTO, clock_at(monday(10)))
    h.connect()
    h.data()
    steady(h, 0.5, 300)
    h.clock.advance(60 - h.clock.time() % 60)  # the minute tick; no data meanwhile ...
    assert h.monitor.state is State.STALE  # ... so the learned 2.5 s finds it stale at once
    stale = [e for e in h.events if e.kind is EventKind.STALE][-1]
    assert stale.fields["stale_after_seconds"] == 2.5


def test_learning_raises_one_event_per_real_change_not_per_minute() -> None:
    h = Harness(AUTO, clock_at(monday(10)))
    h.connect()
    h.data()
    steady(h, 0.5, 7000)  # most of an hour of steady traffic: some 58 minute ticks
    assert learned_events(h) == [2.5]
    event = next(e for e in h.events if e.kind is EventKind.THRESHOLD_CHANGED)
    assert event.fields["learned"] is True
    assert event.fields["old_seconds"] == 60.0
    assert event.reason is not None
    assert event.reason.startswith("learned: 4 × p99 of ")  # noqa: RUF001


def test_a_schedule_window_threshold_wins_over_the_learned_one() -> None:
    window = ScheduleWindow(frozenset(range(7)), time(0), time(0), "UTC", stale_after=5.0)
    h = Harness(replace(AUTO, schedule=(window,)), clock_at(monday(10)))
    h.connect()
    h.data()
    steady(h, 0.5, 600)
    assert h.monitor.learned is not None and h.monitor.learned.current.seconds == 2.5
    assert h.monitor.stale_after == 5.0


def test_a_restart_seeded_with_the_saved_profile_learns_at_once() -> None:
    first = Harness(AUTO, clock_at(monday(10)))
    first.data()
    steady(first, 0.5, 600)
    assert first.monitor.learned is not None
    rows = first.monitor.learned.profile.rows()
    clock = clock_at(monday(10, 30))
    monitor = FeedMonitor(AUTO, clock, lambda e: None, lambda r: None)
    assert monitor.learned is not None
    monitor.learned.seed(rows)
    monitor.start()
    assert monitor.stale_after == 2.5


# -- config ---------------------------------------------------------------------------------------


def test_auto_is_read_with_its_bounds() -> None:
    config = load(feed(stale_after='"auto"', auto_min='"2s"', auto_max='"10m"'))
    got = config.feeds[0]
    assert (got.stale_after_auto, got.stale_after, got.auto_min, got.auto_max) == (
        True,
        60.0,
        2.0,
        600.0,
    )
    assert load(feed(stale_after='"auto"', auto_initial='"5s"')).feeds[0].stale_after == 5.0


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (
            {"auto_min": '"2s"'},
            'auto_min: applies only with stale_after = "auto" or channel_stale_after = "auto", '
            'found stale_after = "30s"',
        ),
        (
            {"stale_after": '"auto"', "auto_min": '"10m"', "auto_max": '"1m"'},
            'auto_max: must be at least auto_min ("10m"), found "1m"',
        ),
        (
            {"stale_after": '"auto"', "auto_initial": '"2h"'},
            'auto_initial: must lie within auto_min and auto_max (1s to 1h), found "2h"',
        ),
        ({"stale_after": '"automatic"'}, "stale_after:"),
    ],
)
def test_auto_mistakes_are_located(keys: dict[str, str], expected: str) -> None:
    assert expected in problem(feed(**keys))


def learned_engine(wall: float = monday(14)) -> Engine:
    """An auto feed after five minutes of a message every half second."""
    clock = clock_at(wall)
    engine = Engine(Config(feeds=(AUTO,)), clock=clock)
    monitor = engine.worker(AUTO.name).monitor
    monitor.start()
    monitor.on_connected(1, "ws://127.0.0.1:1/")
    for _ in range(601):
        clock.advance(0.5)
        monitor.on_data(10, None, b"{}")
    return engine


def test_the_learned_profile_survives_a_restart_through_a_real_history_file(
    tmp_path: Path,
) -> None:
    history = HistoryConfig(path=tmp_path / "history.db")
    engine = learned_engine(monday(10))
    store = HistoryStore.open(history, now=engine.clock.time)
    store.attach(engine)
    monitor = engine.worker(AUTO.name).monitor
    assert monitor.stale_after == 2.5
    monitor.stop()
    store.close()  # saves the profile

    second = clock_at(monday(11))
    restarted = Engine(Config(feeds=(AUTO,)), clock=second)
    store = HistoryStore.open(history, now=second.time)
    try:
        # 600 gaps, counted in their hour and feed-wide.
        assert sum(count for _, _, count in store.gap_profiles()["btc"]) == 2 * 600
        store.attach(restarted)  # seeds the profile before the engine starts
        monitor = restarted.worker("btc").monitor
        monitor.start()
        # 11:00 has no gaps of its own yet: the feed-wide figure stands in, not auto_initial.
        assert monitor.stale_after == 2.5
        assert monitor.learned is not None
        assert "feed-wide" in monitor.learned.current.reason
    finally:
        store.close()


# -- on screen ------------------------------------------------------------------------------------


class LearnedDetailApp(App[None]):
    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    def on_mount(self) -> None:
        self.push_screen(DetailScreen(self.engine, AUTO.name, 0.05))


async def test_the_detail_view_shows_the_learned_value_and_why() -> None:
    app = LearnedDetailApp(learned_engine())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        shown = str(app.screen.query_one("#stats", Static).render())
        assert (
            "stale_after  2.5s (learned: 4 × p99 of 598 gaps in Mon 14:00–15:00 (UTC))"  # noqa: RUF001
            in shown
        )


def test_the_table_marks_a_learning_feed_auto() -> None:
    feed = learned_engine().feed_snapshot(AUTO.name)
    cell = draw_cell(RowSpec("btc", feed), "name", 20, Palette.monochrome())
    assert cell.plain == "btc auto"
    fixed = replace(feed, learned=None)
    assert draw_cell(RowSpec("btc", fixed), "name", 20, Palette.monochrome()).plain == "btc"
