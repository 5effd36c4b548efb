"""Schedule windows as pure functions of wall time: which window holds, and when that changes."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from feedwatch.config.model import ScheduleWindow
from feedwatch.engine.schedule import active_window, next_boundary, window_label

NY = "America/New_York"
LONDON = "Europe/London"
WEEKDAYS = frozenset(range(5))
WEEKEND = frozenset({5, 6})
DAILY = frozenset(range(7))


def at(zone: str, *fields: int) -> float:
    """Unix time of a local time; fold=0, so a repeated time is its first occurrence."""
    return datetime(*fields, tzinfo=ZoneInfo(zone)).timestamp()


def utc(*fields: int) -> float:
    return at("UTC", *fields)


def window(
    days: frozenset[int],
    start: str,
    end: str,
    zone: str = NY,
    stale_after: float | None = None,
    quiet: bool = False,
) -> ScheduleWindow:
    return ScheduleWindow(
        days, time.fromisoformat(start), time.fromisoformat(end), zone, stale_after, quiet
    )


TRADING = window(WEEKDAYS, "09:30", "16:00", stale_after=5.0)
NIGHT = window(WEEKDAYS, "16:00", "09:30", stale_after=600.0)  # mon-fri evenings, past midnight
WEEKEND_QUIET = window(WEEKEND, "00:00", "00:00", quiet=True)  # "24:00" parses to 00:00
MARKET = (TRADING, NIGHT, WEEKEND_QUIET)

# 2026-03-02 is a Monday.
MONDAY = (2026, 3, 2)


def test_trading_hours_use_the_window_threshold() -> None:
    regime = active_window(MARKET, at(NY, *MONDAY, 10, 0), quiet_outside=False)
    assert regime == (TRADING, 5.0, False)


def test_the_start_is_inside_and_the_end_is_not() -> None:
    assert active_window(MARKET, at(NY, *MONDAY, 9, 30), False).window is TRADING
    assert active_window(MARKET, at(NY, *MONDAY, 16, 0), False).window is NIGHT


def test_an_overnight_window_runs_into_the_next_day() -> None:
    tuesday_3am = at(NY, 2026, 3, 3, 3, 0)
    assert active_window(MARKET, tuesday_3am, False) == (NIGHT, 600.0, False)


def test_days_are_the_days_a_window_starts_on() -> None:
    # Friday night's window runs into Saturday morning; Saturday evening's never starts.
    saturday_3am = at(NY, 2026, 3, 7, 3, 0)
    assert active_window((NIGHT,), saturday_3am, False).window is NIGHT
    saturday_8pm = at(NY, 2026, 3, 7, 20, 0)
    assert active_window((NIGHT,), saturday_8pm, False).window is None
    # Monday 3 am belongs to Sunday night, which is not a start day.
    assert active_window((NIGHT,), at(NY, *MONDAY, 3, 0), False).window is None


def test_the_first_window_that_contains_now_wins() -> None:
    weekend_hours = window(WEEKEND, "00:00", "00:00", quiet=True)
    saturday_3am = at(NY, 2026, 3, 7, 3, 0)
    assert active_window((NIGHT, weekend_hours), saturday_3am, False).window is NIGHT
    assert active_window((weekend_hours, NIGHT), saturday_3am, False).quiet


def test_midnight_to_midnight_is_the_whole_day() -> None:
    assert active_window((WEEKEND_QUIET,), at(NY, 2026, 3, 7, 0, 0), False).quiet
    assert active_window((WEEKEND_QUIET,), at(NY, 2026, 3, 8, 23, 59, 59), False).quiet
    assert not active_window((WEEKEND_QUIET,), at(NY, 2026, 3, 6, 23, 59, 59), False).quiet
    # Monday 00:00 ends the weekend; NIGHT starts on weekdays only, so no Sunday night.
    assert active_window(MARKET, at(NY, *MONDAY, 0, 0), False).window is None


def test_a_quiet_window_has_no_threshold() -> None:
    regime = active_window(MARKET, at(NY, 2026, 3, 7, 12, 0), quiet_outside=False)
    assert regime == (WEEKEND_QUIET, None, True)


def test_outside_every_window_the_feed_uses_its_own_threshold_or_is_quiet() -> None:
    monday_1am = at(NY, *MONDAY, 1, 0)
    assert active_window(MARKET, monday_1am, quiet_outside=False) == (None, None, False)
    assert active_window(MARKET, monday_1am, quiet_outside=True) == (None, None, True)
    assert active_window((), monday_1am, quiet_outside=True) == (None, None, True)


def test_next_boundary_is_the_next_start_or_end() -> None:
    assert next_boundary(MARKET, at(NY, *MONDAY, 10, 0)) == at(NY, *MONDAY, 16, 0)
    assert next_boundary(MARKET, at(NY, *MONDAY, 1, 0)) == at(NY, *MONDAY, 9, 30)
    # Exactly at a boundary, the next one is the one after it.
    assert next_boundary(MARKET, at(NY, *MONDAY, 9, 30)) == at(NY, *MONDAY, 16, 0)


def test_next_boundary_looks_past_the_weekend() -> None:
    friday_night_ends = at(NY, 2026, 3, 7, 9, 30)  # Saturday 09:30: Friday's NIGHT ends
    assert next_boundary((TRADING, NIGHT), at(NY, 2026, 3, 7, 0, 0)) == friday_night_ends
    monday_open = at(NY, 2026, 3, 16, 9, 30)
    assert next_boundary((TRADING,), at(NY, 2026, 3, 13, 17, 0)) == monday_open


def test_a_weekly_window_is_found_a_week_ahead() -> None:
    wednesday_only = window(frozenset({2}), "12:00", "13:00", zone="UTC")
    assert next_boundary((wednesday_only,), utc(2026, 3, 4, 13, 0)) == utc(2026, 3, 11, 12, 0)


def test_no_windows_have_no_boundary() -> None:
    assert next_boundary((), utc(2026, 3, 4, 13, 0)) is None


def test_labels_name_windows_and_default() -> None:
    assert window_label(None) == "default"
    assert window_label(TRADING) == "mon,tue,wed,thu,fri 09:30-16:00 America/New_York"
    labelled = ScheduleWindow(DAILY, time(1), time(2), "UTC", label="daily 01:00-02:00 UTC")
    assert window_label(labelled) == "daily 01:00-02:00 UTC"


# -- daylight saving --------------------------------------------------------------------------


def test_a_start_in_the_spring_forward_gap_is_the_first_instant_after_it() -> None:
    # New York, Sunday 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00 UTC); 02:30 never happens.
    early = window(DAILY, "02:30", "04:00")
    jump = utc(2026, 3, 8, 7, 0)
    assert next_boundary((early,), at(NY, 2026, 3, 8, 1, 0)) == jump
    assert active_window((early,), jump - 1, False).window is None
    assert active_window((early,), jump, False).window is early
    assert next_boundary((early,), jump) == at(NY, 2026, 3, 8, 4, 0) == utc(2026, 3, 8, 8, 0)


def test_an_end_in_the_gap_also_lands_on_the_jump() -> None:
    closing = window(DAILY, "01:00", "02:30")
    assert next_boundary((closing,), at(NY, 2026, 3, 8, 1, 30)) == utc(2026, 3, 8, 7, 0)


def test_a_repeated_time_at_fall_back_is_its_first_occurrence() -> None:
    # New York, Sunday 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice.
    late = window(DAILY, "01:30", "03:00")
    first_0130 = utc(2026, 11, 1, 5, 30)  # 01:30 EDT
    assert next_boundary((late,), at(NY, 2026, 11, 1, 0, 0)) == first_0130
    assert active_window((late,), first_0130, False).window is late
    # The window ends at 03:00 EST: 2.5 hours of real time, not 1.5.
    assert next_boundary((late,), first_0130) == utc(2026, 11, 1, 8, 0)


def test_an_end_in_the_repeated_hour_is_its_first_occurrence() -> None:
    early = window(DAILY, "00:00", "01:30")
    assert next_boundary((early,), at(NY, 2026, 11, 1, 0, 10)) == utc(2026, 11, 1, 5, 30)
    second_0100 = utc(2026, 11, 1, 6, 0)  # 01:00 EST, the repeat
    assert active_window((early,), second_0100, False).window is None


def test_a_whole_day_is_23_hours_at_spring_forward_and_25_at_fall_back() -> None:
    sundays = window(frozenset({6}), "00:00", "00:00")
    spring = at(NY, 2026, 3, 8, 0, 0)
    assert next_boundary((sundays,), spring) == spring + 23 * 3600
    autumn = at(NY, 2026, 11, 1, 0, 0)
    assert next_boundary((sundays,), autumn) == autumn + 25 * 3600


def test_trading_hours_keep_local_time_across_the_change() -> None:
    # Friday 09:30 EST is 14:30 UTC; the next Monday 09:30 EDT is 13:30 UTC.
    assert at(NY, 2026, 3, 6, 9, 30) == utc(2026, 3, 6, 14, 30)
    assert next_boundary((TRADING,), at(NY, 2026, 3, 6, 17, 0)) == utc(2026, 3, 9, 13, 30)


@pytest.mark.parametrize(
    ("day", "start", "expected"),
    [
        # 2026-03-29: 01:00 GMT jumps to 02:00 BST (01:00 UTC); 01:15 never happens.
        ((2026, 3, 29), "01:15", (2026, 3, 29, 1, 0)),
        # 2026-10-25: 02:00 BST falls back to 01:00 GMT; the first 01:15 is BST (00:15 UTC).
        ((2026, 10, 25), "01:15", (2026, 10, 25, 0, 15)),
    ],
)
def test_london_changes_follow_the_same_rules(
    day: tuple[int, int, int], start: str, expected: tuple[int, ...]
) -> None:
    london = window(DAILY, start, "06:00", zone=LONDON)
    boundary = next_boundary((london,), at(LONDON, *day, 0, 0))
    assert boundary == utc(*expected)
    assert active_window((london,), boundary, False).window is london
