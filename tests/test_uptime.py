"""Uptime arithmetic on synthetic events: live time over monitored time, with quiet hours
and pauses left out, overlapping outages counted once, and gaps between sessions unwatched.

Times are seconds on a fake wall clock starting at T.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from feedwatch.engine.events import Event, EventKind
from feedwatch.history.uptime import (
    DOWN,
    LIVE,
    PAUSED,
    QUIET,
    STALE,
    UNMONITORED,
    merge_sessions,
    sessions_watching,
    state_spans,
    uptime,
)

T = 1_700_000_000.0
FEED = "btc"


def at(
    seconds: float,
    kind: EventKind,
    *,
    feed: str = FEED,
    channel: str | None = None,
    reason: str | None = None,
    **fields: Any,
) -> Event:
    return Event(T + seconds, feed, kind, channel, reason, None, fields)


def stale(seconds: float, **kw: Any) -> Event:
    return at(seconds, EventKind.STALE, reason="no data for 30s", **kw)


def recovered(seconds: float, **kw: Any) -> Event:
    return at(seconds, EventKind.RECOVERED, reason="data flowing again", **kw)


def down(seconds: float, active: bool) -> Event:
    return at(seconds, EventKind.DOWN, active=active)


def quiet(seconds: float, on: bool) -> Event:
    return at(seconds, EventKind.SCHEDULE, window="night", quiet=on)


def paused(seconds: float) -> Event:
    return at(seconds, EventKind.DISCONNECTED, reason="paused by user", paused=True)


def resumed(seconds: float) -> Event:
    return at(seconds, EventKind.RECONNECTING, reason="resumed by user", delay_seconds=0.0)


def session(start: float, end: float) -> tuple[float, float]:
    return (T + start, T + end)


def spans(
    events: list[Event], sessions: list[tuple[float, float]], since: float, until: float
) -> list[tuple[float, float, str]]:
    """The spans as offsets from T, for readable expectations."""
    return [
        (start - T, end - T, state)
        for start, end, state in state_spans(events, sessions, FEED, T + since, T + until)
    ]


def up(events: list[Event], sessions: list[tuple[float, float]], since: float, until: float) -> Any:
    return uptime(events, sessions, FEED, T + since, T + until)


def test_a_feed_without_incidents_is_fully_up() -> None:
    result = up([at(5, EventKind.CONNECTED)], [session(0, 1000)], 0, 1000)
    assert result.percent == 100.0
    assert result.live_seconds == result.monitored_seconds == 1000


def test_a_stale_period_is_not_live() -> None:
    result = up([stale(100), recovered(160)], [session(0, 1000)], 0, 1000)
    assert result.live_seconds == pytest.approx(940)
    assert result.not_live_seconds == pytest.approx(60)
    assert result.percent == pytest.approx(94.0)


def test_a_stale_channel_leaves_the_feed_live() -> None:
    events = [stale(100, channel="sol"), recovered(500, channel="sol")]
    assert up(events, [session(0, 1000)], 0, 1000).percent == 100.0


def test_overlapping_stale_and_down_count_once() -> None:
    events = [stale(100), down(200, True), recovered(300), down(400, False)]
    assert spans(events, [session(0, 1000)], 0, 1000) == [
        (0, 100, LIVE),
        (100, 200, STALE),
        (200, 400, DOWN),  # down is the worse word for the time both hold
        (400, 1000, LIVE),
    ]
    result = up(events, [session(0, 1000)], 0, 1000)
    assert result.not_live_seconds == pytest.approx(300)
    assert result.percent == pytest.approx(70.0)


@pytest.mark.parametrize(
    ("begin", "end", "state"),
    [
        (lambda t: quiet(t, True), lambda t: quiet(t, False), QUIET),
        (paused, resumed, PAUSED),
    ],
    ids=["quiet", "paused"],
)
def test_quiet_and_paused_time_are_left_out_of_both_sides(
    begin: Callable[[float], Event], end: Callable[[float], Event], state: str
) -> None:
    # Stale at 150; quiet hours or a pause at 200 end it without a recovered; over at 500.
    events = [stale(150), begin(200), end(500)]
    assert spans(events, [session(0, 1000)], 0, 1000) == [
        (0, 150, LIVE),
        (150, 200, STALE),
        (200, 500, state),
        (500, 1000, LIVE),
    ]
    result = up(events, [session(0, 1000)], 0, 1000)
    assert getattr(result, f"{state}_seconds") == pytest.approx(300)
    assert result.monitored_seconds == pytest.approx(700)
    assert result.percent == pytest.approx(650 / 700 * 100)


def test_a_schedule_event_that_stays_loud_changes_nothing() -> None:
    events = [quiet(0, False), stale(100), quiet(200, False), recovered(300)]
    assert up(events, [session(0, 1000)], 0, 1000).not_live_seconds == pytest.approx(200)


def test_ordinary_disconnects_and_reconnects_are_not_pauses() -> None:
    events = [
        at(100, EventKind.DISCONNECTED, reason="connection lost", code=1006),
        at(100, EventKind.RECONNECTING, reason="connection lost", delay_seconds=1.0),
        at(101, EventKind.CONNECTED),
    ]
    assert up(events, [session(0, 1000)], 0, 1000).percent == 100.0


def test_time_between_sessions_is_not_monitored() -> None:
    sessions = [session(0, 100), session(200, 300)]
    assert spans([], sessions, 0, 300) == [
        (0, 100, LIVE),
        (100, 200, UNMONITORED),
        (200, 300, LIVE),
    ]
    result = up([], sessions, 0, 300)
    assert result.monitored_seconds == pytest.approx(200)
    assert result.unmonitored_seconds == pytest.approx(100)
    assert result.percent == 100.0


def test_a_condition_open_at_a_session_end_ends_there() -> None:
    # Stale at 80 and feedwatch stopped at 100; the next process starts at 200 without it.
    # Its own "recovered" (a stale it never raised) does not turn anything off twice.
    events = [stale(80), recovered(250)]
    sessions = [session(0, 100), session(200, 300)]
    assert spans(events, sessions, 0, 300) == [
        (0, 80, LIVE),
        (80, 100, STALE),
        (100, 200, UNMONITORED),
        (200, 300, LIVE),
    ]
    assert up(events, sessions, 0, 300).live_seconds == pytest.approx(180)


def test_a_stale_raised_again_after_a_restart_counts_from_the_new_event() -> None:
    # The new process gives the silent feed stale_after (30 s) before calling it stale.
    events = [stale(80), stale(230), recovered(260)]
    sessions = [session(0, 100), session(200, 300)]
    result = up(events, sessions, 0, 300)
    assert result.not_live_seconds == pytest.approx(20 + 30)


def test_pauses_and_quiet_hours_end_with_their_session() -> None:
    events = [paused(50), quiet(60, True)]
    sessions = [session(0, 100), session(200, 300)]
    assert spans(events, sessions, 0, 300)[-1] == (200, 300, LIVE)


def test_quiet_announced_a_moment_before_the_session_row_still_counts() -> None:
    # The engine announces the schedule as it starts; the session may be stamped just after.
    events = [quiet(199.999, True)]
    sessions = [session(0, 100), session(200, 300)]
    assert spans(events, sessions, 0, 300)[-1] == (200, 300, QUIET)


def test_other_events_between_sessions_are_ignored() -> None:
    events = [stale(150), paused(160)]
    sessions = [session(0, 100), session(200, 300)]
    assert up(events, sessions, 0, 300).percent == 100.0


def test_a_state_open_at_since_is_known_from_earlier_events() -> None:
    events = [stale(50), recovered(150)]
    sessions = [session(0, 1000)]
    result = up(events, sessions, 100, 200)
    assert result.live_seconds == pytest.approx(50)
    assert result.not_live_seconds == pytest.approx(50)
    # Without the events before since, the stale condition open at since is not known.
    later = [e for e in events if e.ts >= T + 100]
    assert up(later, sessions, 100, 200).percent == 100.0


def test_sessions_clipped_to_the_window_give_the_same_answer() -> None:
    events = [quiet(20, False), stale(50), recovered(150)]
    whole = up(events, [session(0, 1000)], 100, 200)
    clipped = up(events, [session(100, 200)], 100, 200)
    assert clipped == whole
    assert clipped.not_live_seconds == pytest.approx(50)


def test_the_window_clips_sessions_and_ignores_later_events() -> None:
    events = [stale(900), recovered(950), stale(1500)]
    result = up(events, [session(-500, 2000)], 0, 1000)
    assert result.window_seconds == 1000
    assert result.monitored_seconds == pytest.approx(1000)
    assert result.not_live_seconds == pytest.approx(50)


def test_nothing_monitored_has_no_percentage() -> None:
    assert up([], [], 0, 1000).percent is None
    assert up([], [session(2000, 3000)], 0, 1000).percent is None
    all_paused = up([paused(0)], [session(0, 1000)], 0, 1000)
    assert all_paused.percent is None
    assert all_paused.paused_seconds == pytest.approx(1000)


def test_an_empty_window_has_no_spans() -> None:
    assert spans([stale(10)], [session(0, 100)], 50, 50) == []
    assert up([], [session(0, 100)], 60, 50).window_seconds == 0


def test_other_feeds_do_not_count() -> None:
    events = [stale(100, feed="eth"), down(100, True)]
    result = up([*events, down(200, False)], [session(0, 1000)], 0, 1000)
    assert result.not_live_seconds == pytest.approx(100)


def test_events_out_of_order_are_read_in_time_order() -> None:
    events = [recovered(160), stale(100)]
    assert up(events, [session(0, 1000)], 0, 1000).not_live_seconds == pytest.approx(60)


def test_overlapping_and_touching_sessions_merge() -> None:
    merged = merge_sessions([session(200, 300), session(0, 100), session(50, 150), (5.0, 1.0)])
    assert merged == [session(0, 150), session(200, 300)]
    assert merge_sessions([session(0, 100), session(100, 200)]) == [session(0, 200)]


def test_a_day_with_everything() -> None:
    hour = 3600.0
    events = [
        quiet(0, False),
        stale(2 * hour),
        at(2 * hour, EventKind.DISCONNECTED, reason="stale: no data"),
        recovered(2 * hour + 90),
        quiet(8 * hour, True),
        quiet(10 * hour, False),
        down(12 * hour, True),
        stale(12 * hour + 60),
        paused(13 * hour),
        resumed(14 * hour),
    ]
    sessions = [session(0, 18 * hour), session(19 * hour, 24 * hour)]
    result = up(events, sessions, 0, 24 * hour)
    assert result.quiet_seconds == pytest.approx(2 * hour)
    assert result.paused_seconds == pytest.approx(hour)
    assert result.unmonitored_seconds == pytest.approx(hour)
    assert result.monitored_seconds == pytest.approx(20 * hour)
    assert result.not_live_seconds == pytest.approx(90 + hour)
    assert result.percent == pytest.approx((20 * hour - 90 - hour) / (20 * hour) * 100)


def test_a_feed_is_watched_from_the_first_session_it_has_events_in() -> None:
    # Added to the config in the second run: the first run did not watch it.
    sessions = [session(0, 100), session(200, 300), session(400, 500)]
    events = [at(200.5, EventKind.CONNECTED), stale(450), recovered(460)]
    assert sessions_watching(events, sessions, FEED) == [session(200, 300), session(400, 500)]
    assert sessions_watching(events, sessions, "eth") == []
    result = up(events, sessions_watching(events, sessions, FEED), 0, 500)
    assert result.monitored_seconds == pytest.approx(200)
    assert result.percent == pytest.approx(95.0)
