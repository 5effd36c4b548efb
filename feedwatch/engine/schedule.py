"""Weekly schedule windows: which one is in force at an instant, and when that can change.

Pure functions of wall time (unix seconds) and the IANA rules in zoneinfo, so
daylight-saving changes are handled by the tz database, not by arithmetic on
offsets. Two rules settle the local times a DST change makes odd:

- a time that does not exist (spring forward) means the first instant after
  the gap, so a window "starting" at 02:30 on that day starts at 03:00;
- a time that happens twice (fall back) means its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from feedwatch.config.model import ScheduleWindow

# Windows repeat weekly; looking one day back and a week ahead sees every boundary.
_DAYS_BACK = 1
_DAYS_AHEAD = 8
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Regime(NamedTuple):
    """What the schedule says at one instant."""

    window: ScheduleWindow | None  # None: outside every window
    stale_after: float | None  # None: the feed's own stale_after
    quiet: bool


def active_window(windows: Sequence[ScheduleWindow], wall_ts: float, quiet_outside: bool) -> Regime:
    """The first window containing ``wall_ts`` wins; outside them all, the feed's defaults."""
    for window in windows:
        if any(start <= wall_ts < end for start, end in _occurrences(window, wall_ts, 0)):
            return Regime(window, None if window.quiet else window.stale_after, window.quiet)
    return Regime(None, None, quiet_outside)


def next_boundary(windows: Sequence[ScheduleWindow], wall_ts: float) -> float | None:
    """The first instant after ``wall_ts`` at which any window starts or ends (None: never)."""
    best: float | None = None
    for window in windows:
        for start, end in _occurrences(window, wall_ts, _DAYS_AHEAD):
            for edge in (start, end):
                if edge > wall_ts and (best is None or edge < best):
                    best = edge
    return best


def window_label(window: ScheduleWindow | None) -> str:
    """How a window is named in events and on screen: as written, or "default" outside."""
    if window is None:
        return "default"
    if window.label:
        return window.label
    days = ",".join(_DAY_NAMES[d] for d in sorted(window.days))
    return f"{days} {window.start:%H:%M}-{window.end:%H:%M} {window.timezone}"


def local_instant(day: date, at: time, zone: ZoneInfo) -> float:
    """Unix time of a local date and time: after a spring-forward gap, first of a repeat."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=zone).timestamp()  # fold=0: the first of a repeated time
    if datetime.fromtimestamp(first, zone).replace(tzinfo=None) == naive:
        return first
    # In a gap: fold=0 and fold=1 land either side of the transition; find it
    # (tz transitions fall on whole seconds).
    low = int(naive.replace(tzinfo=zone, fold=1).timestamp())
    high = int(first)
    low, high = min(low, high), max(low, high)
    while low < high:
        mid = (low + high) // 2
        if datetime.fromtimestamp(mid, zone).replace(tzinfo=None) >= naive:
            high = mid
        else:
            low = mid + 1
    return float(high)


def _occurrences(
    window: ScheduleWindow, wall_ts: float, days_ahead: int
) -> Iterator[tuple[float, float]]:
    """(start, end) of each occurrence starting from the day before ``wall_ts`` (local)."""
    zone = ZoneInfo(window.timezone)  # zoneinfo caches instances by key
    today = datetime.fromtimestamp(wall_ts, zone).date()
    overnight = window.end <= window.start  # runs into the next day (or a whole day)
    for offset in range(-_DAYS_BACK, days_ahead + 1):
        day = today + timedelta(days=offset)
        if day.weekday() not in window.days:
            continue
        end_day = day + timedelta(days=1) if overnight else day
        yield local_instant(day, window.start, zone), local_instant(end_day, window.end, zone)
