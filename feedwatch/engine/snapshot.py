"""Point-in-time copies of engine state, for consumers that sample it.

The TUI, /health and /metrics read snapshots, never live engine objects, so
what they render is consistent and nothing they do can disturb a worker.
"""

from __future__ import annotations

from dataclasses import dataclass

from feedwatch.engine.events import Event
from feedwatch.engine.stats import GapSummary
from feedwatch.engine.suggest import Advice
from feedwatch.engine.verdict import State


@dataclass(frozen=True)
class ChannelSnapshot:
    key: str
    state: State
    last_data_age: float | None
    signal_age: float
    stale_after: float
    messages: int
    rate_1s: float
    rate_10s: float
    gaps: GapSummary
    # Over the last few seconds up to the snapshot (stats.RECENT): 0 once nothing comes.
    rate_recent: float = 0.0
    # channel_stale_after = "auto": why this channel's threshold is what it is.
    learned: str | None = None


@dataclass(frozen=True)
class FeedSnapshot:
    name: str
    url: str  # redacted
    state: State
    connected: bool
    stale: bool
    storm: bool
    paused: bool
    stale_after: float
    # Ages are seconds before ``taken_at``; None when it never happened.
    last_data_age: float | None
    signal_age: float  # counts from start when no data ever came
    last_heartbeat_age: float | None
    last_data_wall: float | None
    connected_since_wall: float | None
    messages: int
    data_messages: int
    heartbeats: int
    ignored: int
    invalid: int
    bytes: int
    rate_1s: float
    rate_10s: float
    rate_60s: float
    gaps: GapSummary
    recent_gaps: tuple[float, ...]
    reconnects: int
    storm_reconnects: int
    ping_rtt: float | None
    close_code: int | None
    close_reason: str | None
    last_error: str | None
    last_event: str | None
    subscribe_sent: int
    channels: tuple[ChannelSnapshot, ...]
    taken_at: float  # unix seconds
    # What the verdict means for this feed (channel_health applied): what /health answers.
    healthy: bool = True
    replies: int = 0
    # Schedules and the slower conditions.
    quiet: bool = False  # inside a quiet window: measured, never alarmed
    window: str | None = None  # label of the schedule window in force; None outside them
    silence: bool = False  # no data for max_silence (outside quiet)
    down: bool = False  # could not connect for down_after
    max_silence: float | None = None
    # stale_after = "auto": the learned threshold's reason ("4 x p99 of 1,203 gaps in ..."),
    # None on a feed with a fixed threshold.
    learned: str | None = None
    # A fresh session's allowance for its first data, in words (None: none).
    first_data: str | None = None
    # Data messages a second over the last few seconds (stats.RECENT): 0 once nothing comes.
    rate_recent: float = 0.0
    # Content signals (None / zero when the feed does not ask for them).
    lagging: bool = False
    frozen: bool = False
    lag_p50: float | None = None  # receive time minus the message's own time, recent messages
    lag_max: float | None = None
    missed_messages: int = 0  # lost to sequence gaps
    out_of_order: int = 0  # duplicate or late sequence numbers
    # What the config gets wrong about the data, one line each: a content signal's path
    # that read nothing in a minute of data (the "config_mismatch" error events).
    notes: tuple[str, ...] = ()

    @property
    def channels_stale(self) -> int:
        return sum(1 for ch in self.channels if ch.state is State.STALE)

    @property
    def deadline_used(self) -> float:
        """Fraction of stale_after used up by the current data age (1.0 = stale)."""
        if self.stale:
            return 1.0
        return min(1.0, max(0.0, self.signal_age / self.stale_after))


@dataclass(frozen=True)
class FeedDetail:
    """Everything the detail view shows for one feed, copied at one instant."""

    feed: FeedSnapshot
    # Inter-message gaps: (unix time the gap ended, gap seconds), oldest first.
    gaps: tuple[tuple[float, float], ...]
    # The latest raw messages: (unix time, text cut to a few hundred bytes), oldest first.
    raw: tuple[tuple[float, str], ...]
    # This feed's recent events, oldest first.
    events: tuple[Event, ...]
    # The threshold to suggest, from the feed's normal gaps; and each channel's, from its own.
    advice: Advice | None = None
    channel_advice: tuple[tuple[str, Advice], ...] = ()
