"""Uptime arithmetic on constructed events: live time over watched time.

The engine's verdict (``state`` events) says what a feed was; each session begins in
``connecting``; only ``live`` is live; paused and quiet time leave both sides; time
between sessions is not watched. Sessions recorded before the verdict existed (no
``state`` events) are read by the older derivation from conditions, specified last.

Times are seconds on a fake wall clock starting at T.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from feedwatch.engine.events import Event, EventKind
from feedwatch.history.uptime import (
    BACKOFF,
    CONNECTING,
    LIVE,
    PARTIAL,
    PAUSED,
    QUIET,
    STALE,
    UNMONITORED,
    merge_sessions,
    sessions_watching,
    state_spans,
    uptime,
    verdict_times,
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


def verdict(seconds: float, state: str, previous: str, *, feed: str = FEED) -> Event:
    """A ``state`` event as the engine emits it: the feed's verdict moved."""
    return at(seconds, EventKind.STATE, feed=feed, state=state, previous=previous)


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


# -- by the verdict ---------------------------------------------------------------------


def test_a_session_is_connecting_until_its_first_verdict() -> None:
    events = [verdict(10, LIVE, CONNECTING)]
    assert spans(events, [session(0, 100)], 0, 100) == [(0, 10, CONNECTING), (10, 100, LIVE)]
    result = up(events, [session(0, 100)], 0, 100)
    assert result.live_seconds == pytest.approx(90)
    assert result.not_live_seconds == pytest.approx(10)
    assert result.percent == pytest.approx(90.0)


@pytest.mark.parametrize(
    "state", ["backoff", "connecting", "stale", "partial", "frozen", "lagging"]
)
def test_every_verdict_but_live_is_watched_and_not_live(state: str) -> None:
    events = [verdict(0, LIVE, CONNECTING), verdict(100, state, LIVE), verdict(400, LIVE, state)]
    assert spans(events, [session(0, 1000)], 0, 1000) == [
        (0, 100, LIVE),
        (100, 400, state),
        (400, 1000, LIVE),
    ]
    result = up(events, [session(0, 1000)], 0, 1000)
    assert result.monitored_seconds == pytest.approx(1000)
    assert result.not_live_seconds == pytest.approx(300)
    assert result.percent == pytest.approx(70.0)


@pytest.mark.parametrize("state", ["paused", "quiet"])
def test_paused_and_quiet_time_leave_the_denominator(state: str) -> None:
    events = [verdict(0, LIVE, CONNECTING), verdict(200, state, LIVE), verdict(500, LIVE, state)]
    result = up(events, [session(0, 1000)], 0, 1000)
    assert getattr(result, f"{state}_seconds") == pytest.approx(300)
    assert result.monitored_seconds == pytest.approx(700)
    assert result.percent == 100.0


def test_a_flapping_feed_is_up_only_for_its_share_of_live_time() -> None:
    # Like the demo's flapper: 3 s of data, then 5 s between backoff and reconnecting.
    events = []
    for cycle in range(10):
        t = cycle * 8.0
        events += [
            verdict(t + 0.2, LIVE, CONNECTING),
            verdict(t + 3.0, BACKOFF, LIVE),
            verdict(t + 7.5, CONNECTING, BACKOFF),
        ]
    result = up(events, [session(0, 80)], 0, 80)
    assert result.live_seconds == pytest.approx(10 * 2.8)
    assert result.percent == pytest.approx(35.0)


def test_a_stale_channel_makes_the_feed_partial_and_not_live() -> None:
    events = [
        verdict(0, LIVE, CONNECTING),
        stale(100, channel="sol"),  # the channel's own events: its incident, not the feed's
        verdict(100, PARTIAL, LIVE),
        recovered(160, channel="sol"),
        verdict(160, LIVE, PARTIAL),
    ]
    assert spans(events, [session(0, 1000)], 0, 1000) == [
        (0, 100, LIVE),
        (100, 160, PARTIAL),
        (160, 1000, LIVE),
    ]
    assert up(events, [session(0, 1000)], 0, 1000).percent == pytest.approx(94.0)


def test_the_verdict_not_the_older_conditions_decides() -> None:
    # A session with verdicts reads only them: its stale and recovered repeat what they say.
    events = [
        verdict(0, LIVE, CONNECTING),
        stale(100),
        verdict(100, STALE, LIVE),
        at(100, EventKind.DISCONNECTED, reason="stale: no data"),
        verdict(100, BACKOFF, STALE),  # not what the older derivation would call it
        verdict(101, CONNECTING, BACKOFF),
        recovered(103),
        verdict(103, LIVE, CONNECTING),
    ]
    assert spans(events, [session(0, 200)], 0, 200) == [
        (0, 100, LIVE),
        (100, 101, BACKOFF),
        (101, 103, CONNECTING),
        (103, 200, LIVE),
    ]


def test_each_session_begins_connecting_whatever_the_last_one_ended_in() -> None:
    events = [
        verdict(1, LIVE, CONNECTING),
        verdict(80, STALE, LIVE),
        verdict(205, LIVE, CONNECTING),
    ]
    assert spans(events, [session(0, 100), session(200, 300)], 0, 300) == [
        (0, 1, CONNECTING),
        (1, 80, LIVE),
        (80, 100, STALE),
        (100, 200, UNMONITORED),
        (200, 205, CONNECTING),
        (205, 300, LIVE),
    ]
    result = up(events, [session(0, 100), session(200, 300)], 0, 300)
    assert result.monitored_seconds == pytest.approx(200)
    assert result.unmonitored_seconds == pytest.approx(100)
    assert result.not_live_seconds == pytest.approx(1 + 20 + 5)


def test_a_verdict_announced_a_moment_before_its_session_row_belongs_to_it() -> None:
    events = [verdict(199.999, QUIET, CONNECTING)]
    assert spans(events, [session(0, 100), session(200, 300)], 0, 300)[-1] == (200, 300, QUIET)


def test_the_verdict_at_since_is_known_from_earlier_events_of_its_session() -> None:
    events = [verdict(0, LIVE, CONNECTING), verdict(50, STALE, LIVE), verdict(150, LIVE, STALE)]
    result = up(events, [session(0, 1000)], 100, 200)
    assert result.not_live_seconds == pytest.approx(50)
    clipped = up(events, [session(100, 200)], 100, 200)
    assert clipped == result


def test_a_run_that_announced_other_feeds_verdicts_but_none_of_this_one_did_not_watch_it() -> None:
    # eth was in the second run's config, btc was not (it was removed, then added back).
    events = [
        verdict(1, LIVE, CONNECTING),
        verdict(201, LIVE, CONNECTING, feed="eth"),
        verdict(401, LIVE, CONNECTING),
    ]
    sessions = [session(0, 100), session(200, 300), session(400, 500)]
    assert spans(events, sessions, 0, 500) == [
        (0, 1, CONNECTING),
        (1, 100, LIVE),
        (100, 400, UNMONITORED),
        (400, 401, CONNECTING),
        (401, 500, LIVE),
    ]
    # Given one feed's events, the times of every feed's verdicts say the same.
    mine = [e for e in events if e.feed == FEED]
    alone = state_spans(mine, sessions, FEED, T, T + 500, verdict_times(events))
    assert alone == state_spans(events, sessions, FEED, T, T + 500)


def test_a_verdict_from_a_newer_feedwatch_counts_as_not_live() -> None:
    events = [verdict(0, LIVE, CONNECTING), verdict(10, "melting", LIVE)]
    assert up(events, [session(0, 20)], 0, 20).percent == pytest.approx(50.0)


def test_a_feed_never_watched_has_no_figure() -> None:
    # In the config, but no feedwatch ever ran with it: no sessions watched it.
    sessions = [session(0, 1000)]
    others = [at(1, EventKind.CONNECTED, feed="eth"), verdict(2, LIVE, CONNECTING, feed="eth")]
    assert sessions_watching(others, sessions, FEED) == []
    assert up(others, sessions_watching(others, sessions, FEED), 0, 1000).percent is None
    # Watched sessions that announced only other feeds' verdicts give none either.
    result = up(others, sessions, 0, 1000)
    assert result.percent is None
    assert result.unmonitored_seconds == pytest.approx(1000)


def test_an_older_session_is_read_by_conditions_and_a_newer_one_by_verdict() -> None:
    # The first run predates the verdict: only its stale counts (backoff goes unseen).
    events = [
        at(0.5, EventKind.CONNECTED),
        stale(10),
        recovered(20),
        verdict(201, LIVE, CONNECTING),
        verdict(250, BACKOFF, LIVE),
        verdict(260, LIVE, BACKOFF),
    ]
    assert spans(events, [session(0, 100), session(200, 300)], 0, 300) == [
        (0, 10, LIVE),
        (10, 20, STALE),
        (20, 100, LIVE),
        (100, 200, UNMONITORED),
        (200, 201, CONNECTING),
        (201, 250, LIVE),
        (250, 260, BACKOFF),
        (260, 300, LIVE),
    ]
    assert up(events, [session(0, 100), session(200, 300)], 0, 300).percent == pytest.approx(
        (200 - 10 - 1 - 10) / 200 * 100
    )


# -- sessions recorded before the verdict: the older derivation, from conditions ----------


def test_an_older_session_without_incidents_is_fully_up() -> None:
    result = up([at(5, EventKind.CONNECTED)], [session(0, 1000)], 0, 1000)
    assert result.percent == 100.0
    assert result.live_seconds == result.monitored_seconds == 1000


def test_a_stale_period_is_not_live() -> None:
    result = up([stale(100), recovered(160)], [session(0, 1000)], 0, 1000)
    assert result.live_seconds == pytest.approx(940)
    assert result.not_live_seconds == pytest.approx(60)
    assert result.percent == pytest.approx(94.0)


def test_an_older_session_cannot_see_a_stale_channel() -> None:
    events = [stale(100, channel="sol"), recovered(500, channel="sol")]
    assert up(events, [session(0, 1000)], 0, 1000).percent == 100.0


def test_overlapping_stale_and_down_count_once() -> None:
    events = [stale(100), down(200, True), recovered(300), down(400, False)]
    assert spans(events, [session(0, 1000)], 0, 1000) == [
        (0, 100, LIVE),
        (100, 300, STALE),  # the verdict's order: stale outranks backoff
        (300, 400, BACKOFF),  # down (could not connect) reads as backoff
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
