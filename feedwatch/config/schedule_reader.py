"""Reading [[feeds.schedule]] windows: weekdays, a local time range and an IANA zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from feedwatch.config import schema
from feedwatch.config.durations import parse_duration
from feedwatch.config.model import ScheduleWindow
from feedwatch.config.problems import Segments
from feedwatch.config.toml_text import toml_repr

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ALIASES = {"weekdays": "mon-fri", "weekends": "sat-sun", "daily": "mon-sun", "all": "mon-sun"}
EXPECTED_DAYS = (
    'days like "mon-fri", "sat,sun", "daily", "weekdays", "weekends", or a list of day names'
)


def parse_days(value: str | list[str]) -> frozenset[int]:
    """Turn "mon-fri", "sat,sun", ["mon", "wed"] or "daily" into weekday numbers."""
    parts = value if isinstance(value, list) else value.split(",")
    days: set[int] = set()
    for raw in parts:
        part = _ALIASES.get(raw.strip().lower(), raw.strip().lower())
        if "-" in part:
            first, _, last = part.partition("-")
            if first not in DAY_NAMES or last not in DAY_NAMES:
                raise ValueError(f"unknown day range {raw.strip()!r}")
            start, end = DAY_NAMES.index(first), DAY_NAMES.index(last)
            span = range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)]
            days.update(span)
        elif part in DAY_NAMES:
            days.add(DAY_NAMES.index(part))
        else:
            raise ValueError(f"unknown day {raw.strip()!r}")
    if not days:
        raise ValueError("no days given")
    return frozenset(days)


def parse_clock(value: str) -> time:
    """ "09:30", "9:30", "16:00:30" or "24:00" (end of day) as a time of day."""
    text = value.strip()
    if text in ("24:00", "24:00:00"):
        return time(0, 0)
    pieces = text.split(":")
    if len(pieces) not in (2, 3) or not all(p.isdigit() for p in pieces):
        raise ValueError(f'expected a time like "09:30", found {toml_repr(value)}')
    hour, minute, second = (int(p) for p in (*pieces, "0")[:3])
    try:
        return time(hour, minute, second)
    except ValueError:
        raise ValueError(f'expected a time like "09:30", found {toml_repr(value)}') from None


def read_window(
    table: schema.ScheduleTable, at: Segments, report: Callable[[Segments, str], None]
) -> ScheduleWindow | None:
    """One window, or None after reporting every problem in it."""
    problems: list[tuple[Segments, str]] = []
    days: frozenset[int] = frozenset()
    try:
        days = parse_days(table.days)
    except ValueError as err:
        problems.append(
            ((*at, "days"), f"expected {EXPECTED_DAYS}, found {toml_repr(table.days)} ({err})")
        )
    start = end = time(0)
    for key, raw in (("start", table.start), ("end", table.end)):
        try:
            parsed = parse_clock(raw)
        except ValueError as err:
            problems.append(((*at, key), str(err)))
            continue
        if key == "start":
            start = parsed
        else:
            end = parsed
    try:
        ZoneInfo(table.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        hint = _close_zone(table.timezone)
        problems.append(
            (
                (*at, "timezone"),
                f'expected an IANA time zone like "America/New_York" or "UTC", found '
                f"{toml_repr(table.timezone)}" + (f' (did you mean "{hint}"?)' if hint else ""),
            )
        )
    stale_after = None
    if table.stale_after is not None:
        try:
            stale_after = parse_duration(table.stale_after)
            if stale_after <= 0:
                problems.append(((*at, "stale_after"), "must be greater than zero"))
        except ValueError as err:
            problems.append(((*at, "stale_after"), str(err)))
    if table.quiet and table.stale_after is not None:
        problems.append(((*at, "quiet"), "a quiet window has no stale_after; remove one of them"))
    for place, message in problems:
        report(place, message)
    if problems:
        return None
    label = (
        f"{table.days if isinstance(table.days, str) else ','.join(table.days)} "
        f"{table.start}-{table.end} {table.timezone}"
    )
    return ScheduleWindow(days, start, end, table.timezone, stale_after, table.quiet, label)


def _close_zone(name: str) -> str | None:
    import difflib

    matches = difflib.get_close_matches(name, sorted(available_timezones()), n=1, cutoff=0.7)
    return matches[0] if matches else None
