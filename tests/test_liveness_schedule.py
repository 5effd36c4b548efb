"""Schedules, quiet hours, max_silence and down_after in the monitor, on a fake clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import time

import pytest

from feedwatch.config.model import Config, FeedConfig, ScheduleWindow
from feedwatch.engine.clock import FakeClock
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import Event, EventKind
from feedwatch.engine.verdict import State
from tests.test_liveness import Harness
from tests.test_schedule import at, utc

WEEKDAYS = frozenset(range(5))
DAILY = frozenset(range(7))


def clock_at(wall: float) -> FakeClock:
    """A fake clock whose wall time starts at ``wall``."""
    return FakeClock(start=1000.0, wall_offset=wall - 1000.0)


def monday(hour: int, minute: int = 0, second: int = 0) -> float:
    return utc(2026, 3, 2, hour, minute, second)  # 2026-03-02 is a Monday


def window(
    days: frozenset[int],
    start: str,
    end: str,
    *,
    zone: str = "UTC",
    stale_after: float | None = None,
    quiet: bool = False,
) -> ScheduleWindow:
    label = f"{start}-{end} {zone}" + (" quiet" if quiet else "")
    return ScheduleWindow(
        days, time.fromisoformat(start), time.fromisoformat(end), zone, stale_after, quiet, label
    )


TRADING = window(WEEKDAYS, "09:00", "17:00", stale_after=5.0)
NIGHT = window(WEEKDAYS, "17:00", "09:00", stale_after=600.0)
LUNCH_QUIET = window(DAILY, "12:00", "13:00", quiet=True)


def feed(stale_after: float = 60.0, *windows: ScheduleWindow, **changes: object) -> FeedConfig:
    base = FeedConfig(name="btc", url="ws://127.0.0.1:1/", stale_after=stale_after)
    return replace(base, schedule=windows, **changes)  # type: ignore[arg-type]


def harness(config: FeedConfig, wall: float) -> Harness:
    return Harness(config, clock_at(wall))


def of(h: Harness, kind: EventKind) -> list[Event]:
    return [e for e in h.events if e.kind is kind]


def advance_to(h: Harness, wall: float) -> None:
    h.clock.advance(wall - h.clock.time())


# -- window boundaries --------------------------------------------------------------------------


def test_a_feed_starts_under_the_window_in_force() -> None:
    h = harness(feed(60.0, TRADING), monday(10))
    [schedule] = of(h, EventKind.SCHEDULE)
    assert schedule.fields == {
        "window": "09:00-17:00 UTC",
        "quiet": False,
        "stale_after_seconds": 5.0,
    }
    assert h.monitor.stale_after == 5.0
    assert h.monitor.window == "09:00-17:00 UTC"


def test_a_tighter_window_makes_an_overdue_feed_stale_at_its_start() -> None:
    h = harness(feed(60.0, TRADING), monday(8, 59))
    h.connect()
    h.clock.advance(10)
    h.data()  # 08:59:10; under the default 60 s it would be stale at 09:00:10
    advance_to(h, monday(9))
    schedule = of(h, EventKind.SCHEDULE)[-1]
    assert (schedule.fields["window"], schedule.fields["stale_after_seconds"]) == (
        "09:00-17:00 UTC",
        5.0,
    )
    stale = h.last(EventKind.STALE)
    assert stale.ts == monday(9)
    assert stale.age_seconds == pytest.approx(50.0)
    assert h.monitor.state is State.STALE
    assert h.reconnects == ["stale: no data"]


def test_a_looser_window_postpones_the_deadline() -> None:
    h = harness(feed(5.0, NIGHT), monday(16, 59, 50))
    h.connect()
    h.clock.advance(8)
    h.data()  # 16:59:58
    advance_to(h, monday(17) + 10)
    assert h.monitor.state is State.LIVE  # 5 s would have made it stale at 17:00:03
    assert of(h, EventKind.SCHEDULE)[-1].fields["stale_after_seconds"] == 600.0
    advance_to(h, monday(16, 59, 58) + 599.999)
    assert h.monitor.state is State.LIVE
    h.clock.advance(0.001)
    assert h.monitor.state is State.STALE


def test_leaving_a_window_goes_back_to_the_feeds_own_threshold() -> None:
    h = harness(feed(60.0, TRADING), monday(16, 59, 59))
    h.connect()
    h.data()
    advance_to(h, monday(17))
    schedule = of(h, EventKind.SCHEDULE)[-1]
    assert schedule.fields == {"window": "default", "quiet": False, "stale_after_seconds": 60.0}
    assert h.monitor.window is None
    h.clock.advance(58.999)
    assert h.monitor.state is State.LIVE
    h.clock.advance(0.001)
    assert h.monitor.state is State.STALE


def test_a_live_threshold_change_holds_until_the_next_boundary() -> None:
    h = harness(feed(60.0, TRADING), monday(10))
    h.monitor.set_stale_after(20.0)
    advance_to(h, monday(16, 59))
    assert h.monitor.stale_after == 20.0
    advance_to(h, monday(17))
    assert h.monitor.stale_after == 60.0
    advance_to(h, utc(2026, 3, 3, 9, 0))
    assert h.monitor.stale_after == 5.0
    assert [e.fields["stale_after_seconds"] for e in of(h, EventKind.SCHEDULE)] == [5, 60, 5]


def test_channels_follow_the_window_threshold() -> None:
    config = feed(60.0, TRADING, channel_key="s", channels=("a", "b"))
    h = harness(config, monday(10))
    assert {w.stale_after for w in h.monitor.channels.values()} == {5.0}


def test_a_window_that_carries_on_into_its_next_day_says_nothing_at_midnight() -> None:
    every_day = window(DAILY, "00:00", "00:00", stale_after=30.0)
    h = harness(feed(60.0, every_day), monday(12))
    advance_to(h, monday(12) + 3 * 86400)
    assert len(of(h, EventKind.SCHEDULE)) == 1  # the one at start


# -- quiet --------------------------------------------------------------------------------------


def test_quiet_hours_never_go_stale_or_reconnect() -> None:
    config = feed(5.0, LUNCH_QUIET, channel_key="s", channels=("a", "b"))
    h = harness(config, monday(12))
    h.connect()
    h.data("a")
    advance_to(h, monday(12, 59))
    assert of(h, EventKind.STALE) == []
    assert h.reconnects == []
    assert h.monitor.state is State.QUIET
    assert {h.monitor.channel_state(w) for w in h.monitor.channels.values()} == {State.QUIET}
    h.monitor.on_disconnected(1006, None, "connection lost")
    assert h.monitor.state is State.QUIET  # quiet wins over backoff too


def test_quiet_hours_keep_measuring() -> None:
    h = harness(feed(5.0, LUNCH_QUIET), monday(12))
    h.connect()
    for _ in range(3):
        h.data()
        h.clock.advance(30)
    assert h.monitor.watch.messages == 3
    assert list(h.monitor.watch.gaps.gaps) == [30.0, 30.0]
    assert h.monitor.watch.data_age(h.clock.monotonic()) == pytest.approx(30.0)


def test_entering_quiet_ends_a_stale_feed_without_a_recovery() -> None:
    h = harness(feed(5.0, LUNCH_QUIET), monday(11, 59))
    h.connect()
    h.data()
    h.clock.advance(5)
    assert h.monitor.state is State.STALE
    assert h.reconnects == ["stale: no data"]
    advance_to(h, monday(12))
    schedule = of(h, EventKind.SCHEDULE)[-1]
    assert schedule.fields["quiet"] is True
    assert h.monitor.state is State.QUIET
    assert not h.monitor.stale
    assert of(h, EventKind.RECOVERED) == []
    # The reconnect the stale feed asked for happens; the new connection is not hurried.
    h.monitor.on_disconnected(None, None, "stale: no data")
    h.connect()
    advance_to(h, monday(12, 59))
    assert h.reconnects == ["stale: no data"]
    h.data()
    assert of(h, EventKind.RECOVERED) == []


def test_leaving_quiet_opens_a_fresh_window_and_keeps_the_true_data_age() -> None:
    h = harness(feed(5.0, LUNCH_QUIET), monday(12))
    h.connect()
    h.clock.advance(600)
    h.data()  # 12:10, then nothing
    advance_to(h, monday(13))
    assert of(h, EventKind.SCHEDULE)[-1].fields["quiet"] is False
    assert h.monitor.state is State.LIVE
    h.clock.advance(4.999)
    assert h.monitor.state is State.LIVE
    h.clock.advance(0.001)
    stale = h.last(EventKind.STALE)
    assert stale.ts == monday(13) + 5
    assert stale.age_seconds == pytest.approx(50 * 60 + 5)
    assert h.reconnects == ["stale: no data"]


def test_quiet_outside_every_window() -> None:
    h = harness(feed(5.0, TRADING, quiet_outside=True), monday(8))
    assert h.monitor.state is State.QUIET
    advance_to(h, monday(9))
    assert h.monitor.state is not State.QUIET
    assert of(h, EventKind.SCHEDULE)[-1].fields["stale_after_seconds"] == 5.0


def test_a_quiet_feed_is_healthy_and_says_which_window_holds() -> None:
    clock = clock_at(monday(12, 30))
    engine = Engine(Config(feeds=(feed(5.0, LUNCH_QUIET, max_silence=600.0),)), clock=clock)
    engine.workers["btc"].monitor.start()
    clock.advance(3600 * 0.25)
    snap = engine.feed_snapshot("btc")
    assert (snap.state, snap.quiet, snap.window) == (State.QUIET, True, "12:00-13:00 UTC quiet")
    assert (snap.silence, snap.down, snap.max_silence) == (False, False, 600.0)
    assert snap.healthy


# -- max_silence --------------------------------------------------------------------------------


def test_max_silence_alerts_even_without_reconnect_on_stale() -> None:
    h = Harness(replace(feed(10.0), max_silence=100.0, reconnect_on_stale=False))
    h.connect()
    h.data()
    h.clock.advance(99.999)
    assert of(h, EventKind.SILENCE) == []
    h.clock.advance(0.001)
    [silence] = of(h, EventKind.SILENCE)
    assert silence.fields == {"active": True, "max_silence_seconds": 100.0}
    assert silence.age_seconds == pytest.approx(100.0)
    assert h.monitor.silence.active
    assert h.reconnects == []
    assert len(of(h, EventKind.STALE)) == 1


def test_one_silence_per_outage_however_many_reconnects() -> None:
    h = Harness(replace(feed(10.0), max_silence=100.0))
    h.connect()
    h.data()
    for _ in range(30):  # the worker reconnects every 10 s, getting nothing
        h.clock.advance(10)
        h.monitor.on_disconnected(None, None, "stale: no data")
        h.connect()
    assert len(of(h, EventKind.SILENCE)) == 1
    assert len(of(h, EventKind.STALE)) == 1
    h.data()
    assert h.kinds()[-2:] == ["recovered", "silence"]
    ended = h.last(EventKind.SILENCE)
    assert ended.fields["active"] is False
    assert ended.age_seconds == pytest.approx(300.0)
    assert not h.monitor.silence.active


def test_silence_after_recovery_counts_from_the_new_data() -> None:
    h = Harness(replace(feed(10.0), max_silence=100.0, reconnect_on_stale=False))
    h.connect()
    h.data()
    h.clock.advance(150)
    h.data()
    h.clock.advance(99.999)
    assert len(of(h, EventKind.SILENCE)) == 2  # one began, one ended
    h.clock.advance(0.001)
    assert [e.fields["active"] for e in of(h, EventKind.SILENCE)] == [True, False, True]


def test_silence_does_not_count_while_quiet() -> None:
    h = harness(feed(10.0, LUNCH_QUIET, max_silence=100.0), monday(11, 59))
    h.connect()
    h.data()
    advance_to(h, monday(12, 59, 59))
    assert of(h, EventKind.SILENCE) == []
    advance_to(h, monday(13) + 99.999)
    assert of(h, EventKind.SILENCE) == []
    h.clock.advance(0.001)
    [silence] = of(h, EventKind.SILENCE)
    assert silence.age_seconds == pytest.approx(61 * 60 + 100)  # the true data age


def test_entering_quiet_ends_a_silence_without_an_event() -> None:
    h = harness(feed(10.0, LUNCH_QUIET, max_silence=30.0), monday(11, 58))
    h.connect()
    h.data()
    advance_to(h, monday(11, 59))
    assert h.monitor.silence.active
    advance_to(h, monday(12))
    assert not h.monitor.silence.active
    assert [e.fields["active"] for e in of(h, EventKind.SILENCE)] == [True]


# -- down_after ---------------------------------------------------------------------------------


def fail(h: Harness, reason: str) -> None:
    """One failed connect attempt, as the worker reports it."""
    h.monitor.on_connecting()
    h.monitor.on_error(reason, kind="http", status=503)


def retry(h: Harness, times: int, every: float) -> None:
    for attempt in range(1, times + 1):
        h.clock.advance(every)
        h.monitor.on_reconnect_attempt()
        fail(h, f"HTTP 503 (attempt {attempt + 1})")


def test_down_after_repeated_failed_connects_and_up_on_connect() -> None:
    h = Harness(replace(feed(60.0), down_after=30.0))
    fail(h, "HTTP 503 (attempt 1)")
    retry(h, 5, every=5.9)
    h.clock.advance(0.499)
    assert of(h, EventKind.DOWN) == []
    h.clock.advance(0.001)
    [down] = of(h, EventKind.DOWN)
    assert down.reason == "HTTP 503 (attempt 6)"
    assert down.fields == {"active": True, "down_seconds": pytest.approx(30.0)}
    assert h.monitor.down.active
    h.clock.advance(10)
    assert len(of(h, EventKind.DOWN)) == 1
    h.connect()
    up = h.last(EventKind.DOWN)
    assert up.fields == {"active": False, "down_seconds": pytest.approx(40.0)}
    assert not h.monitor.down.active


def test_down_counts_from_the_disconnect() -> None:
    h = Harness(replace(feed(600.0), down_after=30.0))
    h.connect()
    h.data()
    h.clock.advance(100)
    h.monitor.on_disconnected(1006, None, "connection lost (1006)")
    h.clock.advance(29.999)
    assert of(h, EventKind.DOWN) == []
    h.clock.advance(0.001)
    assert h.last(EventKind.DOWN).reason == "connection lost (1006)"


def test_a_feed_that_gets_back_in_time_is_not_down() -> None:
    h = Harness(replace(feed(600.0), down_after=30.0))
    fail(h, "refused")
    retry(h, 4, every=5)
    h.connect()
    h.monitor.on_disconnected(1006, None, "connection lost")
    retry(h, 5, every=5)
    assert of(h, EventKind.DOWN) == []


def test_a_paused_feed_is_never_down() -> None:
    h = Harness(replace(feed(600.0), down_after=30.0))
    fail(h, "refused")
    h.clock.advance(20)
    h.monitor.on_paused()
    h.clock.advance(100)
    assert of(h, EventKind.DOWN) == []
    h.monitor.on_resumed()
    fail(h, "refused")
    h.clock.advance(29.999)
    assert of(h, EventKind.DOWN) == []
    h.clock.advance(0.001)
    assert len(of(h, EventKind.DOWN)) == 1
    h.monitor.on_paused()
    assert not h.monitor.down.active  # pausing ends it, as it ends a stale condition


def test_a_quiet_feed_is_not_down_until_quiet_hours_end() -> None:
    h = harness(feed(600.0, LUNCH_QUIET, down_after=30.0), monday(12, 50))
    fail(h, "refused")
    retry(h, 300, every=5)  # until 13:15
    [down] = of(h, EventKind.DOWN)
    assert down.ts == monday(13) + 30


def test_snapshot_shows_silence_and_down() -> None:
    clock = FakeClock()
    config = replace(feed(10.0), max_silence=50.0, down_after=20.0)
    engine = Engine(Config(feeds=(config,)), clock=clock)
    monitor = engine.workers["btc"].monitor
    monitor.start()
    monitor.on_connecting()
    monitor.on_error("refused")
    clock.advance(60)
    snap = engine.feed_snapshot("btc")
    assert (snap.silence, snap.down, snap.quiet, snap.window) == (True, True, False, None)
    assert not snap.healthy


# -- daylight saving ----------------------------------------------------------------------------


def test_boundaries_on_the_spring_forward_day() -> None:
    # New York 2026-03-08: 02:00 EST jumps to 03:00 EDT; a window from 02:30 starts at 03:00.
    early = window(DAILY, "02:30", "04:00", zone="America/New_York", stale_after=5.0)
    h = harness(feed(60.0, early), at("America/New_York", 2026, 3, 8, 1, 0))
    h.clock.advance(4 * 3600)
    starts = [(e.ts, e.fields["stale_after_seconds"]) for e in of(h, EventKind.SCHEDULE)]
    assert starts == [
        (utc(2026, 3, 8, 6, 0), 60.0),  # at start: 01:00 EST, outside
        (utc(2026, 3, 8, 7, 0), 5.0),  # 03:00 EDT, one real hour later
        (utc(2026, 3, 8, 8, 0), 60.0),  # 04:00 EDT
    ]


def test_boundaries_on_the_fall_back_day() -> None:
    # New York 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 is its first occurrence.
    late = window(DAILY, "01:30", "02:00", zone="America/New_York", quiet=True)
    h = harness(feed(60.0, late), at("America/New_York", 2026, 11, 1, 0, 0))
    h.connect()
    h.data()
    h.clock.advance(4 * 3600)
    changes = [(e.ts, e.fields["quiet"]) for e in of(h, EventKind.SCHEDULE)]
    assert changes == [
        (utc(2026, 11, 1, 4, 0), False),
        (utc(2026, 11, 1, 5, 30), True),  # 01:30 EDT
        (utc(2026, 11, 1, 7, 0), False),  # 02:00 EST: an hour and a half of quiet
    ]
    assert h.last(EventKind.STALE).ts == utc(2026, 11, 1, 7, 1)
