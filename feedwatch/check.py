"""`feedwatch check`: one look at each feed, reported the way Nagios plugins report.

Each selected feed is probed at the same time: connect, send its `subscribe` messages,
and wait for one DATA message (classified exactly as the engine classifies it, so a
heartbeat is not data) for the feed's `stale_after` (its schedule's, when a window is in
force), or `--timeout` when that is shorter. A feed in a quiet window is not probed.

- OK (exit 0): every feed delivered data within the first half of its window (or is quiet).
- WARNING (1): every feed delivered data, but at least one only in the second half of its
  window: it is close to its threshold, so the threshold or the feed needs a look.
- CRITICAL (2): at least one feed delivered no data in its window: it could not connect
  (HTTP status, refused, DNS, TLS, timeout), the server closed, or only heartbeats came.
- UNKNOWN (3): the check itself could not run (bad config, unknown --feed, bad arguments).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from feedwatch.config.durations import format_duration, parse_duration
from feedwatch.config.loader import ConfigError, load_config
from feedwatch.config.model import FeedConfig
from feedwatch.engine.classify import Classifier
from feedwatch.engine.redact import redact_feed_text
from feedwatch.engine.schedule import active_window, window_label
from feedwatch.transports.connection import Connection, close_quietly
from feedwatch.transports.kind import Kind
from feedwatch.transports.opener import CLOSED, as_closed, describe_failure, opener_for

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
STATUS_NAMES = ("OK", "WARNING", "CRITICAL", "UNKNOWN")


@dataclass
class ProbeResult:
    """What one feed did in its window."""

    feed: str
    window: float
    first_data: float | None = None  # seconds from the first connect attempt
    failure: str | None = None  # why there is no data, when something said why
    connected: bool = False
    others: dict[Kind, int] = field(default_factory=dict)  # non-data messages by kind
    quiet: str | None = None  # the quiet schedule window in force: not probed

    @property
    def status(self) -> int:
        if self.quiet is not None:
            return OK
        if self.first_data is None:
            return CRITICAL
        return WARNING if self.first_data > self.window / 2 else OK

    def describe(self) -> str:
        """The reason or the timing, as the per-feed line shows it."""
        if self.quiet is not None:
            return f"quiet now ({self.quiet}): not checked"
        if self.first_data is not None:
            text = f"first data after {self.first_data:.3f}s"
            if self.status == WARNING:
                text += f", over half of its {format_duration(self.window)} window"
            return text
        if self.failure is not None:
            return self.failure
        window = format_duration(self.window)
        if not self.connected:
            return f"no connection within {window}"
        seen = ", ".join(_count(n, *_KIND_WORDS[kind]) for kind, n in sorted(self.others.items()))
        return f"no data within {window} (connected; {seen or 'nothing received'})"


_KIND_WORDS = {
    Kind.HEARTBEAT: ("heartbeat", "heartbeats"),
    Kind.IGNORED: ("ignored message", "ignored messages"),
    Kind.REPLY: ("heartbeat request", "heartbeat requests"),
    Kind.INVALID: ("invalid frame", "invalid frames"),
}


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


async def probe(feed: FeedConfig, window: float) -> ProbeResult:
    """Connect, subscribe and wait up to ``window`` seconds for the first data message."""
    result = ProbeResult(feed.name, window)
    started = time.monotonic()
    conn = None
    pinger: asyncio.Task[None] | None = None
    try:
        async with asyncio.timeout(window):
            try:
                conn = await opener_for(feed)(feed)
            except Exception as exc:
                failure = describe_failure(exc, time.time())
                result.failure = redact_feed_text(failure.reason, feed)
                return result
            result.connected = True
            try:
                for message in feed.subscribe:
                    await conn.send(message)
                if feed.ping is not None:
                    pinger = asyncio.create_task(_app_ping(conn, feed.ping.every, feed.ping.send))
                await _until_data(conn, Classifier(feed), result)
            except CLOSED as exc:
                result.failure = redact_feed_text(as_closed(exc).sentence, feed)
                return result
            result.first_data = time.monotonic() - started
    except TimeoutError:
        pass  # describe() says what the window saw
    finally:
        if pinger is not None:
            pinger.cancel()
        if conn is not None:
            await close_quietly(conn)
    return result


async def _until_data(conn: Connection, classifier: Classifier, result: ProbeResult) -> None:
    while True:
        kind, _, reply = classifier.classify(await conn.recv())
        if kind is Kind.DATA:
            return
        result.others[kind] = result.others.get(kind, 0) + 1
        if reply is not None:
            await conn.send(reply)


async def _app_ping(conn: Connection, every: float, text: str) -> None:
    with contextlib.suppress(*CLOSED):
        while True:
            await asyncio.sleep(every)
            await conn.send(text)


async def probe_all(
    feeds: Sequence[FeedConfig], timeout: float, now: float | None = None
) -> list[ProbeResult]:
    """Probe every feed at once; each waits the stale_after in force, capped by ``timeout``."""
    wall = time.time() if now is None else now

    async def one(feed: FeedConfig) -> ProbeResult:
        regime = active_window(feed.schedule, wall, feed.quiet_outside)
        if regime.quiet:
            return ProbeResult(feed.name, 0.0, quiet=window_label(regime.window))
        stale_after = feed.stale_after if regime.stale_after is None else regime.stale_after
        return await probe(feed, min(stale_after, timeout))

    return await asyncio.gather(*(one(f) for f in feeds))


def nagios_report(results: Sequence[ProbeResult]) -> tuple[int, str]:
    """(exit status, text): a status line with perfdata, then one line per feed."""
    status = max(r.status for r in results)
    total = len(results)
    feeds = "feed" if total == 1 else "feeds"
    silent = [r.feed for r in results if r.status == CRITICAL]
    delivered = [r.feed for r in results if r.first_data is not None]
    parts = [
        f"{len(silent)} of {total} {feeds} silent: {', '.join(silent)}"
        if silent
        else f"{len(delivered)} of {total} {feeds} delivered data"
    ]
    for word, names in (
        ("slow", [r.feed for r in results if r.status == WARNING]),
        ("quiet", [r.feed for r in results if r.quiet is not None]),
    ):
        if names:
            parts.append(f"{len(names)} {word}: {', '.join(names)}")
    summary = "; ".join(parts)
    perfdata = " ".join(
        f"'{r.feed.replace(chr(39), chr(39) * 2)}_first_data'={r.first_data:.3f}s;"
        f"{_number(r.window / 2)};{_number(r.window)};0"
        for r in results
        if r.first_data is not None
    )
    lines = [
        f"FEEDWATCH {STATUS_NAMES[status]} - {summary}" + (f" | {perfdata}" if perfdata else "")
    ]
    lines += [f"{r.feed}: {STATUS_NAMES[r.status]} - {r.describe()}" for r in results]
    return status, "\n".join(lines)


def unknown(summary: str, details: str = "") -> tuple[int, str]:
    """The UNKNOWN report, for a check that could not run at all."""
    return UNKNOWN, f"FEEDWATCH UNKNOWN - {summary}" + (f"\n{details}" if details else "")


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


async def run_check(path: Path, names: Sequence[str] | None, timeout: str) -> tuple[int, str]:
    """The whole command: read the config, pick the feeds, probe them, report."""
    try:
        seconds = parse_duration(timeout)
    except ValueError as exc:
        return unknown(f"--timeout: {exc}")
    if seconds <= 0:
        return unknown("--timeout must be more than 0s")
    try:
        config = load_config(path)
    except ConfigError as exc:
        summary, _, details = str(exc).partition("\n")
        return unknown(summary.rstrip(":"), details)
    for warning in config.warnings:  # stdout is the plugin's answer; this is for people
        print(f"feedwatch: warning: {warning}", file=sys.stderr)
    feeds = {f.name: f for f in config.feeds}
    missing = [name for name in names or () if name not in feeds]
    if missing:
        quoted = ", ".join(f'"{name}"' for name in missing)
        return unknown(f"no feed named {quoted} in {path} (feeds: {', '.join(feeds)})")
    chosen = [feeds[name] for name in dict.fromkeys(names)] if names else list(feeds.values())
    return nagios_report(await probe_all(chosen, seconds))
