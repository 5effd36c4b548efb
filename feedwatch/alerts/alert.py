"""One alert, built once from an engine event and shaped per channel when sent."""

from __future__ import annotations

from dataclasses import dataclass

# Outcomes of a delivery; "dropped" means the channel's outbox was full.
SENT = "sent"
FAILED = "failed"
TIMEOUT = "timeout"
DROPPED = "dropped"
SUPPRESSED = "suppressed"  # counted only: a storm spoke for this alert


@dataclass(frozen=True)
class Alert:
    feed: str
    channel: str | None  # the feed's channel for channel-level staleness, else None
    condition: str  # stale | storm | down | silence | recovered
    state: str  # the feed's (or channel's) state when the alert was built
    message: str  # one human line, secrets redacted
    ts: float  # unix seconds
    last_signal_age_seconds: float | None
    active: bool  # True while the condition lasts, False for a recovery
    reminder: bool = False
    recovered_from: str | None = None  # for "recovered": the condition that ended
    duration_seconds: float | None = None  # how long the condition has lasted


@dataclass(frozen=True)
class Delivery:
    """What happened when one alert channel tried to deliver one alert."""

    outcome: str  # sent | failed | timeout | dropped
    attempts: int = 1
    status: int | None = None  # webhook: the last HTTP status
    exit_code: int | None = None  # command: the exit status
    error: str | None = None  # secrets redacted
