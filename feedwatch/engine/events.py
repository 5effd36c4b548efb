"""Engine events: what happened to a feed, in the shape every output shares.

Headless JSON lines, the TUI log, and later alerts and history all consume the
same ``Event``; the event names below are a public contract.
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from feedwatch.engine.printable import printable


class EventKind(StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    STALE = "stale"
    RECOVERED = "recovered"
    RECONNECTING = "reconnecting"
    STORM = "storm"
    THRESHOLD_CHANGED = "threshold_changed"
    ERROR = "error"
    # Alerting and schedules.
    SILENCE = "silence"  # max_silence crossed (fields: active)
    DOWN = "down"  # could not connect for down_after (fields: active)
    SCHEDULE = "schedule"  # a schedule window began or ended (fields: window, quiet, ...)
    ALERT = "alert"  # one alert attempt and its outcome (fields: channel, condition, outcome)
    # Content signals: data flows, but what it says is wrong.
    LAGGING = "lagging"  # event_time older than max_lag (fields: active, lag_seconds, ...)
    GAP = "gap"  # the sequence number skipped (fields: missed, expected, got)
    FROZEN = "frozen"  # the watched value unchanged for frozen_after (fields: active, value, ...)
    PLANNED_CLOSE = "planned_close"  # the server announced a disconnect; reconnecting at once
    # feedwatch itself, not a feed (feed ""): the history file stopped or resumed taking
    # writes (fields: active, path, held, lost).
    HISTORY = "history"
    # The feed's verdict changed (fields: state, previous; a partial feed adds
    # channels_stale and channels): what uptime, incidents and every summary count.
    STATE = "state"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


_SEVERITY = {
    EventKind.CONNECTED: Severity.INFO,
    EventKind.DISCONNECTED: Severity.WARNING,
    EventKind.STALE: Severity.ERROR,
    EventKind.RECOVERED: Severity.INFO,
    EventKind.RECONNECTING: Severity.INFO,
    EventKind.STORM: Severity.ERROR,
    EventKind.THRESHOLD_CHANGED: Severity.INFO,
    EventKind.ERROR: Severity.ERROR,
    EventKind.SILENCE: Severity.ERROR,
    EventKind.DOWN: Severity.ERROR,
    EventKind.SCHEDULE: Severity.INFO,
    EventKind.ALERT: Severity.INFO,
    EventKind.LAGGING: Severity.WARNING,
    EventKind.GAP: Severity.WARNING,
    EventKind.FROZEN: Severity.ERROR,
    EventKind.PLANNED_CLOSE: Severity.INFO,
    EventKind.HISTORY: Severity.WARNING,
    EventKind.STATE: Severity.INFO,
}

log = logging.getLogger(__name__)
_seq = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Event:
    ts: float  # unix seconds
    feed: str
    kind: EventKind
    channel: str | None = None
    reason: str | None = None
    age_seconds: float | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    seq: int = field(default_factory=lambda: next(_seq))

    @property
    def severity(self) -> Severity:
        if self.fields.get("active") is False or self.fields.get("stopping"):
            return Severity.INFO  # a condition ending, or feedwatch closing its connections
        if self.kind is EventKind.ALERT and self.fields.get("outcome") not in (None, "sent"):
            return Severity.WARNING
        if self.kind is EventKind.STATE and self.fields.get("state") == "partial":
            return Severity.WARNING
        return _SEVERITY[self.kind]

    def to_json(self) -> dict[str, Any]:
        """The headless JSON-lines shape: fixed keys first, optional ones only when set."""
        out: dict[str, Any] = {"ts": round(self.ts, 6), "feed": self.feed, "event": str(self.kind)}
        if self.channel is not None:
            out["channel"] = self.channel
        if self.reason is not None:
            out["reason"] = self.reason
        if self.age_seconds is not None:
            out["age_seconds"] = round(self.age_seconds, 6)
        out.update(self.fields)
        return out

    def describe(self, with_feed: bool = True) -> str:
        """One human line, for logs and the TUI: whatever a server put in it stays on it."""
        return printable(self._describe(with_feed))

    def _describe(self, with_feed: bool) -> str:
        where = self.feed if self.channel is None else f"{self.feed}/{self.channel}"
        if not with_feed:
            where = "" if self.channel is None else self.channel
        prefix = f"{where}: " if where else ""
        age = self.age_seconds
        if self.kind is EventKind.STALE and age is not None:
            limit = self.fields.get("stale_after_seconds")
            before = self.fields.get("before_restart_seconds")
            if before:  # an age that spans a restart: hours, not hundredths
                text = (
                    f"stale: no data for {rough_duration(age)}, "
                    f"including {rough_duration(before)} before restart"
                )
            else:
                text = f"stale: no data for {age:.2f}s"
            return prefix + text + (f" (threshold {limit:g}s)" if limit else "")
        if self.kind is EventKind.RECOVERED and age is not None:
            return f"{prefix}recovered after {age:.2f}s without data"
        if self.kind is EventKind.STATE:
            text = f"{prefix}{self.fields.get('previous')} -> {self.fields.get('state')}"
            return text + (f" ({self.reason})" if self.reason else "")
        if not self.feed and self.reason:  # about feedwatch itself: "history: cannot write …"
            return f"{self.kind}: {self.reason}"
        text = f"{prefix}{self.kind}"
        if self.kind is EventKind.RECONNECTING and "delay_seconds" in self.fields:
            text += f" in {self.fields['delay_seconds']:g}s"
        if self.reason:
            text += f" ({self.reason})"
        return text


def restates(event: Event) -> bool:
    """A ``state`` event that only repeats what another event said (stale, backoff and live
    have their own): lists for people leave it out; a partial feed's change has no other."""
    if event.kind is not EventKind.STATE:
        return False
    return "partial" not in (event.fields.get("state"), event.fields.get("previous"))


def rough_duration(seconds: float) -> str:
    """A duration read at a glance, in its two largest units: 3h 12m, 40m, 2d 5h, 12s."""
    if seconds < 10:
        return f"{max(0.0, seconds):.1f}".removesuffix(".0") + "s"
    for unit, size, small, small_size in _ROUGH_UNITS:
        # Round to the smaller unit first, so 59m 59.6s reads 1h, not 59m 60s.
        rounded = round(seconds / small_size)
        if rounded * small_size >= size:
            whole, rest = divmod(rounded, size // small_size)
            return f"{whole}{unit}" + (f" {rest}{small}" if rest else "")
    return f"{round(seconds)}s"


_ROUGH_UNITS = (
    ("d", 86400, "h", 3600),
    ("h", 3600, "m", 60),
    ("m", 60, "s", 1),
)

Listener = Callable[[Event], None]


class EventBus:
    """Fan events out to listeners and keep a bounded backlog for late readers."""

    def __init__(self, backlog: int = 2000) -> None:
        self._listeners: list[Listener] = []
        self.recent: deque[Event] = deque(maxlen=backlog)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Register a listener; returns the call that unregisters it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def emit(self, event: Event) -> None:
        self.recent.append(event)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken consumer must not stop the engine
                log.exception("event listener failed on %s", event.describe())
