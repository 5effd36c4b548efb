"""How each value in the feed table is drawn: state, age, countdown bar, sparkline.

Every state is shown by a symbol and a word as well as a colour, so the table
reads on a monochrome terminal and to colour-blind eyes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.style import Style
from rich.text import Text

from feedwatch.config.durations import format_duration
from feedwatch.engine.snapshot import FeedSnapshot
from feedwatch.engine.verdict import State
from feedwatch.history.uptime import NO_FIGURE
from feedwatch.tui.palette import Palette

STATE_SYMBOL = {
    State.LIVE: "●",
    State.STALE: "✖",
    State.PARTIAL: "◐",
    State.CONNECTING: "◌",
    State.BACKOFF: "↻",
    State.PAUSED: "‖",
    State.QUIET: "☾",
    State.FROZEN: "❄",
    State.LAGGING: "◔",
}

# Usage of stale_after at which the countdown turns to warning, then to danger.
WARN_AT = 0.5
DANGER_AT = 0.8

_EIGHTHS = " ▏▎▍▌▋▊▉"
_SPARK = "▁▂▃▄▅▆▇█"


def state_style(state: State, palette: Palette) -> Style:
    return {
        State.LIVE: palette.live,
        State.STALE: palette.stale,
        State.PARTIAL: palette.danger,
        State.CONNECTING: palette.busy,
        State.BACKOFF: palette.warn,
        State.PAUSED: palette.muted,
        State.QUIET: palette.muted,
        State.FROZEN: palette.stale,
        State.LAGGING: palette.warn,
    }[state]


def state_cell(state: State, palette: Palette, channels: tuple[int, int] | None = None) -> Text:
    """Symbol and word; a partial feed adds its channels as live/total ("◐ partial 2/3")."""
    text = f"{STATE_SYMBOL[state]} {state}"
    if state is State.PARTIAL and channels is not None:
        text += f" {channels[0]}/{channels[1]}"
    return Text(text, style=state_style(state, palette))


def live_channels(feed: FeedSnapshot) -> tuple[int, int]:
    """(live, total) channels of a feed, as a partial feed's row shows them."""
    total = len(feed.channels)
    return total - feed.channels_stale, total


def format_age(seconds: float | None) -> str:
    """Short, fixed-feeling ages at a resolution that fits their size, so a long silence
    does not repaint every second: 0.4s, 12s, 3m05s, then whole minutes from 10m (14m),
    2h04m, 3d02h."""
    if seconds is None:
        return "—"
    if seconds < 10:
        return f"{max(0.0, seconds):.1f}s"
    total = int(seconds)
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 10:
        return f"{minutes}m{secs:02d}s"
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def age_cell(seconds: float | None, used: float, palette: Palette, quiet: bool = False) -> Text:
    """The data age, coloured by how close it is to stale (muted when quiet: no alarm)."""
    muted = seconds is None or quiet
    style = palette.muted if muted else _usage_style(used, palette)
    return Text(format_age(seconds), style=style, justify="right")


def _usage_style(used: float, palette: Palette) -> Style:
    if used >= 1.0:
        return palette.stale
    if used >= DANGER_AT:
        return palette.danger
    if used >= WARN_AT:
        return palette.warn
    return palette.live


def countdown_cell(
    used: float, width: int, palette: Palette, paused: bool = False, quiet: bool = False
) -> Text:
    """A bar of how much of stale_after the current silence has used; full when stale.

    Quiet hours still measure the silence, so the bar fills, but muted: it never alarms.
    """
    width = max(1, width)
    if paused:
        return Text("·" * width, style=palette.muted)
    used = min(1.0, max(0.0, used))
    eighths = width * 8 if used >= 1.0 else math.floor(used * width * 8)
    full, part = divmod(eighths, 8)
    filled = "█" * full + (_EIGHTHS[part] if part else "")
    text = Text(filled, style=palette.muted if quiet else _usage_style(used, palette))
    text.append("░" * (width - len(filled)), style=palette.muted)
    return text


def sparkline_cell(gaps: Sequence[float], threshold: float, width: int, palette: Palette) -> Text:
    """Recent gaps, newest right: height shows the rhythm, colour how close each came
    to the threshold."""
    recent = list(gaps)[-width:]
    if not recent:
        return Text(" " * width)
    top = max(recent)
    text = Text(" " * (width - len(recent)))
    for gap in recent:
        level = int(gap / top * (len(_SPARK) - 1) + 0.5) if top > 0 else 0
        used = gap / threshold if threshold > 0 else 0.0
        style = _usage_style(used, palette) if used >= WARN_AT else palette.accent
        text.append(_SPARK[level], style=style)
    return text


def rate_cell(rate: float) -> Text:
    if rate >= 1000:
        label = f"{rate / 1000:.1f}k/s"
    elif rate >= 10:
        label = f"{rate:.0f}/s"
    else:
        label = f"{rate:.1f}/s"
    return Text(label, justify="right")


STORM_MARK = "↯"  # one cell wide everywhere; the word is in the state, events and detail


def reconnects_cell(count: int, storm: bool, palette: Palette) -> Text:
    """The reconnect count; in a storm a marker before it, so it fits at any count."""
    if storm:
        return Text(
            f"{STORM_MARK} {count}", style=palette.stale + Style(bold=True), justify="right"
        )
    return Text(str(count), justify="right")


def limit_cell(stale_after: float, quiet: bool, palette: Palette) -> Text:
    """The threshold in force, as a person writes it ("30s", "1m30s", "250ms")."""
    return Text(
        format_duration(stale_after), style=palette.muted if quiet else Style(), justify="right"
    )


def format_uptime(percent: float | None) -> str:
    """99.2%: rounded down, so 100% means not a moment lost; a dash when nothing was watched."""
    if percent is None:
        return NO_FIGURE
    if percent >= 100.0:
        return "100%"
    return f"{math.floor(percent * 10 + 1e-9) / 10:.1f}%"


def uptime_cell(percent: float | None, palette: Palette) -> Text:
    style = palette.muted if percent is None else Style()
    return Text(format_uptime(percent), style=style, justify="right")
