"""``feedwatch history``, ``incidents`` and ``uptime``: read the file a config records to.

They open it read-only and never take the writer lock, so they run safely beside a
recording dashboard or service.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import TextIO

from feedwatch.config.model import HistoryConfig
from feedwatch.engine.events import EventKind
from feedwatch.history.report import local_time, write_events, write_incidents, write_uptime
from feedwatch.history.schema import HistoryError
from feedwatch.history.store import HistoryStore, NoHistory
from feedwatch.history.uptime import sessions_since, uptime, verdict_times

EXIT_OK = 0
EXIT_UNREADABLE = 1


def run(
    command: str,
    config: HistoryConfig,
    *,
    since_seconds: float,
    feed: str | None = None,
    as_json: bool = False,
    feeds: Sequence[str] = (),
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    now: Callable[[], float] = time.time,
    hint: str = "",
) -> int:
    """Print one report over the last ``since_seconds``; ``feeds`` orders the uptime rows;
    ``hint`` follows the "no history" line (where else a history was found)."""
    try:
        store = HistoryStore.open(config, record=False, now=now)
    except NoHistory as exc:
        disabled = "" if config.enabled else " ([history] enabled = false in the config)"
        err.write(f"feedwatch: {exc}{disabled}\n{hint}")
        return EXIT_OK  # nothing happened yet is an answer, not a failure
    except HistoryError as exc:
        err.write(f"feedwatch: {exc}\n")
        return EXIT_UNREADABLE
    try:
        until = now()
        since = until - since_seconds
        if command == "history":
            _history(store, out, feed=feed, since=since, as_json=as_json)
        elif command == "incidents":
            _incidents(store, out, feed=feed, since=since, as_json=as_json, now=until)
        else:
            names = [feed] if feed else list(dict.fromkeys([*feeds, *store.feeds()]))
            _uptime(store, out, names, since=since, until=until)
    finally:
        store.close()
    return EXIT_OK


def _history(
    store: HistoryStore, out: TextIO, *, feed: str | None, since: float, as_json: bool
) -> None:
    if not write_events(store.events(feed=feed, since=since), out, as_json=as_json) and not as_json:
        out.write(f"no events{_about(feed)} since {local_time(since)}\n")


def _incidents(
    store: HistoryStore, out: TextIO, *, feed: str | None, since: float, as_json: bool, now: float
) -> None:
    found = store.incidents(feed=feed, since=since)
    if found or as_json:
        write_incidents(found, out, as_json=as_json, now=now)
    else:
        out.write(f"no incidents{_about(feed)} since {local_time(since)}\n")


def _uptime(
    store: HistoryStore, out: TextIO, feeds: Sequence[str], *, since: float, until: float
) -> None:
    # What was true at `since` is known from the events since its session began.
    begun = min((s for s, e in store.sessions() if s <= since < e), default=since)
    sessions = store.sessions(since, until)
    verdicts = verdict_times(store.events(since=begun, until=until, kind=EventKind.STATE))
    first_seen = store.first_seen()
    rows = []
    for name in feeds:
        events = store.events(feed=name, since=begun, until=until)
        # Before its first event the feed was not in the config (no run watched it).
        watched = sessions_since(first_seen.get(name), sessions)
        figure = uptime(events, watched, name, since, until, verdicts)
        # The feed's own incidents (stale, down, partial); its channels' are theirs.
        incidents = sum(1 for i in store.incidents(name, since) if i.channel is None)
        rows.append((name, figure, incidents))
    if not rows:
        out.write(f"no feeds recorded since {local_time(since)}\n")
        return
    write_uptime(rows, out)


def _about(feed: str | None) -> str:
    return f" for {feed}" if feed else ""
