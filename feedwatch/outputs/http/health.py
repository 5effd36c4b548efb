"""The /health document: one JSON answer to "is every feed delivering data?"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from feedwatch import __version__
from feedwatch.engine.snapshot import FeedSnapshot
from feedwatch.history.status import HistoryStatus


def _age(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


# redact(feed_name, text): the text with what that feed must not reveal masked.
Redact = Callable[[str, str], str]


def feed_health(feed: FeedSnapshot, redact: Redact) -> dict[str, Any]:
    """One feed's entry; field names are a public contract."""
    return {
        "name": feed.name,
        "state": str(feed.state),
        "connected": feed.connected,
        "last_signal_age_seconds": _age(feed.signal_age),
        "last_heartbeat_age_seconds": _age(feed.last_heartbeat_age),
        "healthy": feed.healthy,
        "stale_after_seconds": feed.stale_after,
        "messages": feed.messages,
        "reconnects": feed.reconnects,
        "channels": [
            {
                "key": ch.key,
                "state": str(ch.state),
                "last_signal_age_seconds": _age(ch.signal_age),
            }
            for ch in feed.channels
        ],
        # Beyond the contract: what a person debugging a 503 wants next.
        "data_messages": feed.data_messages,
        "channels_stale": feed.channels_stale,
        "stale": feed.stale,
        "storm": feed.storm,
        "paused": feed.paused,
        "last_data_timestamp": feed.last_data_wall,
        "ping_rtt_seconds": _age(feed.ping_rtt),
        "last_close_code": feed.close_code,
        # Content signals: data that flows but is old, incomplete or stuck.
        "lag_p50_seconds": _age(feed.lag_p50),
        "lag_max_seconds": _age(feed.lag_max),
        "missed_messages": feed.missed_messages,
        "frozen": feed.frozen,
        "lagging": feed.lagging,
        # Transport errors can quote the URL they failed on: never show it.
        "last_error": None if feed.last_error is None else redact(feed.name, feed.last_error),
    }


def health_document(
    feeds: list[FeedSnapshot], redact: Redact, history: HistoryStatus | None = None
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body): 200 when every feed is healthy, else 503.

    ``history`` (when this process records) adds a ``history`` object; a failing history
    file never turns the answer 503: the feeds are still watched, and a load balancer or
    pager acting on /health should act on them, not on the disk.
    """
    healthy = all(f.healthy for f in feeds)
    body: dict[str, Any] = {
        "status": "ok" if healthy else "degraded",
        "version": __version__,
        "feeds": [feed_health(f, redact) for f in feeds],
    }
    if history is not None:
        body["history"] = history.to_json()
    return (200 if healthy else 503), body


def feed_document(feed: FeedSnapshot, redact: Redact) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) for one feed, so a check can watch just the feed it cares about."""
    return (200 if feed.healthy else 503), feed_health(feed, redact)
