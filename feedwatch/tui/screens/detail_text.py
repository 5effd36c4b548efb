"""What the detail screen says about a feed, as styled text built from engine snapshots.

Kept apart from the screen so the wording can be read (and tested) without a running app.
Server-sent text is only ever wrapped in ``Content``, never parsed as markup.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from textual.content import Content

from feedwatch.engine.events import Event, EventKind, Severity
from feedwatch.engine.printable import printable
from feedwatch.engine.snapshot import FeedSnapshot
from feedwatch.engine.suggest import FACTOR, Advice

SEVERITY_STYLE = {
    Severity.INFO: "$text-primary",
    Severity.WARNING: "$text-warning",
    Severity.ERROR: "$text-error",
}
MUTED = "$text-muted"
LABEL_WIDTH = 13
# Long raw messages are cut here before CSS ellipsis trims them to the panel's width.
RAW_DISPLAY_CHARS = 400


def seconds(value: float) -> str:
    """A duration at the precision that matters for its size: 0.250s, 1.5s, 30s, 3m 05s."""
    if value < 1:
        return f"{value:.3f}s"
    if value < 60:
        digits = 2 if value < 10 else 1
        return f"{value:.{digits}f}".rstrip("0").rstrip(".") + "s"
    minutes, secs = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def clock_time(wall: float) -> str:
    """Local time of day to the millisecond, to line events up with messages."""
    whole = int(wall)
    millis = round((wall - whole) * 1000)
    if millis == 1000:
        whole, millis = whole + 1, 0
    return time.strftime("%H:%M:%S", time.localtime(whole)) + f".{millis:03d}"


def local_datetime(wall: float) -> str:
    """A local date and time a person can compare with their own logs."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(wall))


def facts(rows: Iterable[tuple[str, Content | str]]) -> Content:
    """Label and value rows, the labels padded so the values line up for scanning."""
    return Content("\n").join(
        Content.assemble((label.ljust(LABEL_WIDTH), MUTED), value) for label, value in rows
    )


def _none(text: str = "none") -> Content:
    return Content.styled(text, MUTED)


def stats_facts(feed: FeedSnapshot) -> Content:
    """How much the feed sends and how evenly: the figures a threshold is chosen from."""
    gaps = feed.gaps
    kept = f" ({gaps.count} gaps kept)"
    rows: list[tuple[str, Content | str]] = [
        (label, _none("no gaps yet") if value is None else seconds(value) + extra)
        for label, value, extra in (
            ("Gap p50", gaps.p50, ""),
            ("Gap p99", gaps.p99, ""),
            ("Gap max", gaps.max, kept),
        )
    ]
    other = feed.messages - feed.data_messages - feed.heartbeats
    rows += [
        ("Messages", f"{feed.messages} · {_size(feed.bytes)}"),
        ("Kinds", f"{feed.data_messages} data · {feed.heartbeats} heartbeat · {other} other"),
        (
            "Rate",
            f"{feed.rate_recent:.1f}/s now · {feed.rate_10s:.1f}/s 10s · {feed.rate_60s:.1f}/s 1m",
        ),
        ("Reconnects", f"{feed.reconnects}" + (" (storm)" if feed.storm else "")),
        ("Data age", _age(feed.last_data_age, f"of {seconds(feed.stale_after)} allowed")),
    ]
    if feed.learned is not None:
        rows.append(("stale_after", f"{seconds(feed.stale_after)} (learned: {feed.learned})"))
    learning = [ch for ch in feed.channels if ch.learned is not None]
    if learning:
        waiting = sum(1 for ch in learning if ch.learned and ch.learned.startswith("auto_initial"))
        span = sorted(ch.stale_after for ch in learning)
        rows.append(
            (
                "Channels",
                f"each learns its own: {seconds(span[0])} to {seconds(span[-1])}"
                + (f" ({waiting} still at auto_initial)" if waiting else ""),
            )
        )
    if feed.first_data is not None:
        rows.append(("New session", feed.first_data))
    if feed.lag_p50 is not None and feed.lag_max is not None:
        late = " (lagging)" if feed.lagging else ""
        rows.append(("Lag", f"{seconds(feed.lag_p50)} p50 · {seconds(feed.lag_max)} max{late}"))
    if feed.missed_messages or feed.out_of_order:
        rows.append(
            ("Missed", f"{feed.missed_messages} lost in gaps · {feed.out_of_order} out of order")
        )
    rows += [("Config", note) for note in feed.notes]
    return facts(rows)


def connection_facts(feed: FeedSnapshot) -> Content:
    """The transport's side of the story: is the socket up, and what did it last say."""
    since: Content | str = _none("not connected")
    if feed.connected_since_wall is not None:
        held = max(0.0, feed.taken_at - feed.connected_since_wall)
        since = f"{local_datetime(feed.connected_since_wall)} (for {seconds(held)})"
    close: Content | str = _none()
    if feed.close_code is not None or feed.close_reason:
        close = printable(" ".join(str(p) for p in (feed.close_code, feed.close_reason) if p))
    rtt = _none("n/a") if feed.ping_rtt is None else f"{feed.ping_rtt * 1000:.1f} ms"
    error = (
        _none()
        if not feed.last_error
        else Content.styled(printable(feed.last_error), "$text-error")
    )
    return facts(
        [
            ("URL", feed.url),
            ("Connected", since),
            ("Ping RTT", rtt),
            ("Last close", close),
            ("Subscribes", f"{feed.subscribe_sent} sent"),
            ("Heartbeat", _age(feed.last_heartbeat_age, "ago", never="never seen")),
            ("Last error", error),
        ]
    )


def channel_advice_lines(channels: Sequence[tuple[str, Advice]]) -> Content:
    """Each channel's own suggested threshold, or why it has none yet, one line each."""
    width = max((len(key) for key, _ in channels), default=0) + 2
    lines = []
    for key, advice in channels:
        suggestion = advice.suggestion
        label = Content.styled(key.ljust(width), "bold")
        if suggestion is None:
            lines.append(Content.assemble(label, (f"none: {advice.why_not}", MUTED)))
            continue
        now = f" (now {seconds(advice.current)})" if suggestion.differs else " (as now)"
        lines.append(
            Content.assemble(
                label,
                (seconds(suggestion.seconds), "bold $text-success"),
                now,
                (f" · {FACTOR:g} × {advice.basis}", MUTED),  # noqa: RUF001
            )
        )
    return Content("\n").join(lines)


def raw_lines(raw: Sequence[tuple[float, str]]) -> Content:
    """The latest messages, newest first, one line each whatever the server sent."""
    if not raw:
        return _none("No messages yet.")
    lines = []
    for wall, text in reversed(raw):
        flat = printable(text)
        lines.append(Content.assemble((clock_time(wall), MUTED), "  ", flat[:RAW_DISPLAY_CHARS]))
    return Content("\n").join(lines)


def event_lines(events: Sequence[Event]) -> Content:
    """The feed's events, newest first, coloured by how much they matter."""
    if not events:
        return _none("No events yet.")
    kind_width = max(len(event.kind) for event in events) + 2
    lines = []
    for event in reversed(events):
        detail = " · ".join(
            part
            for part in (
                f"channel {event.channel}" if event.channel else "",
                event.reason or "",
                _event_fields(event),
            )
            if part
        )
        lines.append(
            Content.assemble(
                (clock_time(event.ts), MUTED),
                "  ",
                (str(event.kind).ljust(kind_width), f"bold {SEVERITY_STYLE[event.severity]}"),
                detail,
            )
        )
    return Content("\n").join(lines)


def _event_fields(event: Event) -> str:
    """The few event fields worth a glance here; the rest are in the headless JSON."""
    fields = event.fields
    parts = []
    if fields.get("code") is not None:
        parts.append(f"code {fields['code']}")
    if "delay_seconds" in fields:
        parts.append(f"retry in {seconds(float(fields['delay_seconds']))}")
    if "outage_seconds" in fields:
        parts.append(f"outage {seconds(float(fields['outage_seconds']))}")
    elif event.kind is not EventKind.STALE and event.age_seconds is not None:
        parts.append(f"silent for {seconds(event.age_seconds)}")
    return ", ".join(parts)


def _age(value: float | None, suffix: str, never: str = "no data yet") -> Content | str:
    return _none(never) if value is None else f"{seconds(value)} {suffix}"


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    size = count / 1024
    for unit in ("KB", "MB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
