"""What ``feedwatch history``, ``incidents`` and ``uptime`` print: aligned tables for a
terminal, or one JSON object per line for tools."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TextIO

from feedwatch.engine.events import Event, Severity, rough_duration
from feedwatch.history.incidents import Incident
from feedwatch.history.uptime import NO_FIGURE, Uptime

_MARKERS = {Severity.INFO: "info", Severity.WARNING: "WARN", Severity.ERROR: "ERROR"}
_MARKER_WIDTH = max(map(len, _MARKERS.values()))


def local_time(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def json_line(doc: dict[str, object]) -> str:
    """One JSON object, written exactly as headless mode writes its events."""
    return json.dumps(doc, separators=(", ", ": "))


def write_events(events: Iterable[Event], out: TextIO, *, as_json: bool) -> int:
    """One line per event, oldest first; returns how many."""
    count = 0
    for event in events:
        if as_json:
            out.write(json_line(event.to_json()) + "\n")
        else:
            marker = _MARKERS[event.severity].ljust(_MARKER_WIDTH)
            out.write(f"{local_time(event.ts)}  {marker}  {event.describe()}\n")
        count += 1
    return count


def write_incidents(
    incidents: Sequence[Incident], out: TextIO, *, as_json: bool, now: float
) -> None:
    if as_json:
        for incident in incidents:
            out.write(json_line(incident.to_json()) + "\n")
        return
    rows = []
    for i in incidents:
        if i.end is None or i.duration_seconds is None:
            end, lasted = "open", f"{rough_duration(now - i.start)} so far"
        else:
            end, lasted = local_time(i.end), rough_duration(i.duration_seconds)
        rows.append(
            [i.feed, i.channel or "", i.kind, local_time(i.start), end, lasted,
             str(i.reconnects), i.cause or ""]
        )  # fmt: skip
    headers = ["FEED", "CHANNEL", "KIND", "START", "END", "DURATION", "RECONNECTS", "CAUSE"]
    write_table(headers, rows, out, right={"RECONNECTS"})


def write_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO, *, right: set[str]
) -> None:
    """Columns as wide as their widest cell; ``right`` ones right-aligned (numbers)."""
    widths = [max(len(h), *(len(r[n]) for r in rows)) for n, h in enumerate(headers)]
    for line in [list(headers), *rows]:
        cells = [
            cell.rjust(width) if header in right else cell.ljust(width)
            for cell, width, header in zip(line, widths, headers, strict=True)
        ]
        out.write("  ".join(cells).rstrip() + "\n")


def write_uptime(rows: Sequence[tuple[str, Uptime, int]], out: TextIO) -> None:
    """One row per feed: (name, its uptime, how many incidents of its own it had in the
    window); a feed nobody watched in it gets a dash, not a figure."""
    table = [
        [
            feed,
            NO_FIGURE if up.percent is None else f"{up.percent:.2f}%",
            rough_duration(up.not_live_seconds),
            rough_duration(up.monitored_seconds),
            rough_duration(up.quiet_seconds),
            rough_duration(up.paused_seconds),
            str(incidents),
        ]
        for feed, up, incidents in rows
    ]
    headers = ["FEED", "UPTIME", "NOT LIVE", "MONITORED", "QUIET", "PAUSED", "INCIDENTS"]
    write_table(headers, table, out, right=set(headers[1:]))
