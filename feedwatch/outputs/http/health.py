"""The /health document: one JSON answer to "is every feed delivering data?"."""

from __future__ import annotations

from typing import Any

from feedwatch import __version__
from feedwatch.engine.liveness import State
from feedwatch.engine.snapshot import FeedSnapshot


def _age(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def feed_health(feed: FeedSnapshot) -> dict[str, Any]:
    """One feed's entry; field names are a public contract."""
    return {
        "name": feed.name,
        "state": str(feed.state),
        "connected": feed.connected,
        "last_signal_age_seconds": _age(feed.signal_age),
        "last_heartbeat_age_seconds": _age(feed.last_heartbeat_age),
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
        "stale": feed.stale,
        "storm": feed.storm,
        "paused": feed.paused,
        "last_data_timestamp": feed.last_data_wall,
        "ping_rtt_seconds": _age(feed.ping_rtt),
        "last_close_code": feed.close_code,
        "last_error": feed.last_error,
    }


def is_healthy(feed: FeedSnapshot) -> bool:
    """Live, or paused on purpose; every other state is a reason to page."""
    return feed.state in (State.LIVE, State.PAUSED)


def health_document(feeds: list[FeedSnapshot]) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body): 200 when every feed is live (paused ones aside), else 503."""
    healthy = all(is_healthy(f) for f in feeds)
    body = {
        "status": "ok" if healthy else "degraded",
        "version": __version__,
        "feeds": [feed_health(f) for f in feeds],
    }
    return (200 if healthy else 503), body
