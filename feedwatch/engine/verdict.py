"""The verdict: one state per feed and channel, and what each state means for health.

The engine computes a feed's state once, from its own data *and* its channels; every
surface (header, rows, sort, /health, /metrics, check, history, alerts, headless output)
reads that value and the meanings below, and none derives its own.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    STALE = "stale"
    PARTIAL = "partial"  # the feed's data flows, but one or more of its channels is stale
    BACKOFF = "backoff"
    PAUSED = "paused"
    QUIET = "quiet"  # inside a quiet schedule window: measured, never alarmed
    FROZEN = "frozen"  # data flows, but the watched value has stopped changing
    LAGGING = "lagging"  # data flows, but its own timestamps are older than max_lag


# Worst first: the order of sort-by-state, and of the header's counts.
SEVERITY_ORDER: dict[State, int] = {
    state: rank
    for rank, state in enumerate(
        (
            State.STALE,
            State.PARTIAL,
            State.FROZEN,
            State.LAGGING,
            State.BACKOFF,
            State.CONNECTING,
            State.LIVE,
            State.QUIET,
            State.PAUSED,
        )
    )
}

# Nobody expects data then: these leave uptime's denominator and never page.
RESTING = frozenset({State.PAUSED, State.QUIET})

# channel_health values: what a partial feed counts as.
PAGE = "page"
WARN = "warn"


def is_healthy(state: State, channel_health: str = PAGE) -> bool:
    """Live, or resting on purpose; a partial feed only where its channels merely warn."""
    if state is State.PARTIAL:
        return channel_health == WARN
    return state is State.LIVE or state in RESTING


def is_warning(state: State, channel_health: str = PAGE) -> bool:
    """Healthy enough not to page, but worth a look: a partial feed whose channels warn."""
    return state is State.PARTIAL and channel_health == WARN
