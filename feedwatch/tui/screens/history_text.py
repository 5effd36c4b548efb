"""What the detail screen says about a feed's past: uptime per window, and its incidents.

Kept apart from the screen so the wording can be read (and tested) without a running app.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from textual.content import Content

from feedwatch.engine.events import rough_duration
from feedwatch.history.uptime import Uptime
from feedwatch.tui.history_view import IncidentRecord
from feedwatch.tui.screens.detail_text import LABEL_WIDTH, MUTED
from feedwatch.tui.widgets.cells import format_uptime

COLUMN_WIDTH = 10
HISTORY_OFF = (
    "History is off, so this feed's uptime and incidents are not known. feedwatch keeps "
    "them across restarts with [history] enabled = true (the default) in the config."
)


def _duration(seconds: float) -> Content:
    return Content.styled("—", MUTED) if seconds < 0.5 else Content(rough_duration(seconds))


def uptime_table(uptimes: Sequence[tuple[str, Uptime]]) -> Content:
    """Uptime for each window, and where the rest of the time went."""
    rows: list[tuple[str, list[Content]]] = [
        ("", [Content.styled(label, "bold") for label, _ in uptimes]),
        ("Uptime", [_percent(u) for _, u in uptimes]),
        ("Live", [_duration(u.live_seconds) for _, u in uptimes]),
        ("Not live", [_duration(u.not_live_seconds) for _, u in uptimes]),
        ("Quiet", [_duration(u.quiet_seconds) for _, u in uptimes]),
        ("Paused", [_duration(u.paused_seconds) for _, u in uptimes]),
        ("Unwatched", [_duration(u.unmonitored_seconds) for _, u in uptimes]),
    ]
    return Content("\n").join(
        Content.assemble(
            (label.ljust(LABEL_WIDTH), MUTED),
            *(cell.pad_right(COLUMN_WIDTH - cell.cell_length) for cell in cells),
        ).rstrip()
        for label, cells in rows
    )


def _percent(u: Uptime) -> Content:
    percent = u.percent
    if percent is None:
        return Content.styled(format_uptime(None), MUTED)
    style = "bold $text-success" if percent >= 100.0 else "bold"
    return Content.styled(format_uptime(percent), style)


def incident_lines(incidents: Sequence[IncidentRecord], now: float) -> Content:
    """Each stale, down or partial period, newest first: when, how long, what, and what
    it cost."""
    if not incidents:
        return Content.styled("No incidents in this window.", MUTED)
    lines = []
    for incident in incidents:
        if incident.end is None:
            ongoing = f"ongoing {rough_duration(now - incident.start)}"
            length = Content.styled(ongoing, "$text-error")
        else:
            seconds = incident.duration_seconds
            length = Content(rough_duration(seconds or incident.end - incident.start))
        what = incident.kind + (f" ({incident.channel})" if incident.channel else "")
        count = incident.reconnects
        lines.append(
            Content.assemble(
                (time.strftime("%a %H:%M:%S", time.localtime(incident.start)), MUTED),
                "  ",
                length.pad_right(max(0, 16 - length.cell_length)),
                (what.ljust(14), "bold $text-error"),
                f"{count} reconnect{'' if count == 1 else 's'}".ljust(15),
                (incident.cause or "", MUTED),
            )
        )
    return Content("\n").join(lines)
