"""What the feed table shows: which rows, which columns fit, and each cell drawn.

Each cell has a cheap key (the inputs its drawing depends on), so the table
rebuilds the costly Rich text only when a key changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rich.text import Text

from feedwatch.engine.snapshot import ChannelSnapshot, FeedSnapshot
from feedwatch.engine.verdict import SEVERITY_ORDER, State
from feedwatch.tui.palette import Palette
from feedwatch.tui.widgets import cells

CHANNEL_SEP = "\x1f"


class Sort(StrEnum):
    CONFIG = "config order"
    STATE = "state"
    AGE = "age"

    def next(self) -> Sort:
        members = list(Sort)
        return members[(members.index(self) + 1) % len(members)]


# Worst first when sorting by state: the engine's order, so partial sorts beside stale.
STATE_ORDER = SEVERITY_ORDER


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int  # the least it is shown at
    drop: int  # columns with higher numbers go first when space runs out (0: never)
    grow: int = 0  # the most extra width it takes when there is room


COLUMNS = (
    Column("name", "Feed", 10, 0),
    Column("state", "State", 14, 0),  # "◐ partial 12/13"
    Column("age", "Age", 6, 0),
    Column("bar", "Silence", 8, 0, grow=22),
    # The threshold in force: dropped last but one as the terminal narrows.
    Column("limit", "Limit", 6, 2),
    Column("reconnects", "Reconn", 7, 1),
    Column("uptime", "Up 24h", 6, 5),  # only with history
    Column("rate", "Rate", 7, 3),
    Column("spark", "Gaps", 8, 4, grow=32),
    Column("event", "Last event", 16, 6, grow=200),
)
WITHOUT_HISTORY = tuple(c for c in COLUMNS if c.key != "uptime")
CELL_PADDING = 2  # one blank column on either side of every cell


def fit_columns(
    total: int, name_width: int, columns: tuple[Column, ...] = COLUMNS
) -> dict[str, int]:
    """Which of ``columns`` fit in ``total`` cells, and how wide each one is."""
    widths = {c.key: (max(c.width, name_width) if c.key == "name" else c.width) for c in columns}
    shown = list(columns)

    def used() -> int:
        return sum(widths[c.key] + CELL_PADDING for c in shown)

    for column in sorted(columns, key=lambda c: -c.drop):
        if used() <= total or column.drop == 0:
            break
        shown.remove(column)
    spare = max(0, total - used())
    for column in shown:
        extra = min(spare, column.grow)
        widths[column.key] += extra
        spare -= extra
    return {c.key: widths[c.key] for c in shown}


def row_key(feed: str, channel: str | None = None) -> str:
    return feed if channel is None else f"{feed}{CHANNEL_SEP}{channel}"


def feed_of(key: str) -> str:
    return key.split(CHANNEL_SEP, 1)[0]


@dataclass(frozen=True)
class RowSpec:
    """What one table row shows: a feed, or one channel of a feed."""

    key: str
    feed: FeedSnapshot
    channel: ChannelSnapshot | None = None
    uptime: float | None = None  # the feed's uptime % over 24 h, from history


def _bucket(used: float) -> int:
    """Which colour band a usage falls in; cells only change when the band does."""
    return 3 if used >= 1.0 else 2 if used >= cells.DANGER_AT else 1 if used >= cells.WARN_AT else 0


def usage(spec: RowSpec) -> float:
    """How much of its threshold the row's current silence has used (1.0 = stale)."""
    ch = spec.channel
    if ch is None:
        return spec.feed.deadline_used
    return 1.0 if ch.state is State.STALE else min(1.0, ch.signal_age / ch.stale_after)


def cell_key(spec: RowSpec, column: str, width: int) -> tuple[object, ...]:
    """Everything a cell's drawing depends on: equal keys mean an unchanged cell."""
    feed, ch = spec.feed, spec.channel
    used = usage(spec)
    if column == "name":
        return (spec.key, feed.learned is not None)
    if column == "state":
        if ch is not None:
            return (spec.key, ch.state)
        return (spec.key, feed.state, cells.live_channels(feed))
    if column == "age":
        age = ch.last_data_age if ch else feed.last_data_age
        return (spec.key, cells.format_age(age), _bucket(used), feed.quiet)
    if column == "bar":
        return (spec.key, int(used * width * 8), _bucket(used), feed.paused, feed.quiet)
    if column == "rate":
        return (spec.key, cells.rate_cell(ch.rate_recent if ch else feed.rate_recent).plain)
    if column == "limit":
        return (spec.key, ch.stale_after if ch else feed.stale_after, feed.quiet)
    if ch is not None:
        return (spec.key,)
    if column == "reconnects":
        return (spec.key, feed.reconnects, feed.storm)
    if column == "spark":
        return (spec.key, feed.recent_gaps[-width:], feed.stale_after)
    if column == "uptime":
        return (spec.key, cells.format_uptime(spec.uptime))
    return (spec.key, feed.last_event)


def draw_cell(spec: RowSpec, column: str, width: int, p: Palette) -> Text:
    """The cell as Rich text, exactly ``width`` cells wide once aligned."""
    feed, ch = spec.feed, spec.channel
    used = usage(spec)
    if column == "name":
        label, style = (f"  └ {ch.key}", p.muted) if ch else (feed.name, p.text)
        name = Text(label, style=style, overflow="ellipsis", no_wrap=True)
        if ch is None and feed.learned is not None:
            name.append(" auto", style=p.muted)  # stale_after is learned: the detail says how
        return name
    if column == "state":
        if ch is not None:
            return cells.state_cell(ch.state, p)
        return cells.state_cell(feed.state, p, cells.live_channels(feed))
    if column == "age":
        return cells.age_cell(ch.last_data_age if ch else feed.last_data_age, used, p, feed.quiet)
    if column == "bar":
        return cells.countdown_cell(used, width, p, feed.paused, feed.quiet)
    if column == "rate":
        return cells.rate_cell(ch.rate_recent if ch else feed.rate_recent)
    if column == "limit":
        return cells.limit_cell(ch.stale_after if ch else feed.stale_after, feed.quiet, p)
    if ch is not None:
        return Text("")
    if column == "reconnects":
        return cells.reconnects_cell(feed.reconnects, feed.storm, p)
    if column == "spark":
        return cells.sparkline_cell(feed.recent_gaps, feed.stale_after, width, p)
    if column == "uptime":
        return cells.uptime_cell(spec.uptime, p)
    return Text(feed.last_event or "", style=p.muted, overflow="ellipsis", no_wrap=True)
